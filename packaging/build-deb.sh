#!/bin/bash
# packaging/build-deb.sh - build the Debian package of this tree:
# OUTDIR/vmgw_VERSION_ARCH.deb (with its .buildinfo and .changes).
#
# The files git knows about (tracked, and new ones not ignored: the work
# tree as it is, uncommitted changes included) are copied into a clean
# directory, packaging/debian/ becomes debian/ there, and dpkg-buildpackage
# -b -us -uc builds it.  As root, what the build needs is installed first
# (apt-get build-dep on debian/control).  The version is the CMake project
# version, which must equal debian/changelog's.
#
# usage: packaging/build-deb.sh OUTDIR
#   exit 0 built (the path of the .deb is the last line), 1 failed, 2 usage
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "build-deb.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || { echo "usage: packaging/build-deb.sh OUTDIR" >&2; exit 2; }
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

# --- tools: dpkg-buildpackage and dh
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null
then
	[ "$(id -u)" = 0 ] || die "dpkg-dev and debhelper are missing; run as root to install them"
	echo "== installing dpkg-dev debhelper"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends dpkg-dev debhelper \
	    >/dev/null
fi

# --- one version
ver=$(sed -n 's/^project(vmgw VERSION \([0-9][0-9.]*\).*/\1/p' \
    "$SRC/CMakeLists.txt")
dver=$(dpkg-parsechangelog -l "$SRC/packaging/debian/changelog" -S Version)
[ -n "$ver" ] || die "no project(vmgw VERSION ...) in CMakeLists.txt"
[ "$ver" = "$dver" ] || die "CMakeLists.txt says $ver, packaging/debian/changelog says $dver: make them equal"

# --- a clean copy of the tree
work=$(mktemp -d /tmp/vmgw-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree=$work/vmgw-$ver
mkdir "$tree"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
	    while IFS= read -r -d '' f; do	# not the deleted ones
		[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
	    done | tar --null -T - -cf -) | tar -C "$tree" -xf -
else
	tar -C "$SRC" --exclude='./build*' --exclude=./.git -cf - . |
	    tar -C "$tree" -xf -
fi
rm -rf "$tree/debian"
cp -a "$tree/packaging/debian" "$tree/debian"

# --- what the build needs
if ! (cd "$tree" && dpkg-checkbuilddeps) 2>/dev/null; then
	[ "$(id -u)" = 0 ] || { (cd "$tree" && dpkg-checkbuilddeps) || true
		die "build dependencies missing; run as root to install them"; }
	echo "== installing the build dependencies"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get build-dep -y -qq "$tree" >/dev/null
fi

# --- build
log=$OUT/build-deb.log
echo "== dpkg-buildpackage (log: $log)"
if ! (cd "$tree" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$log" 2>&1
then
	tail -30 "$log"
	die "dpkg-buildpackage failed (log: $log)"
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
for f in "$work"/vmgw_"$ver"_"$arch".{deb,buildinfo,changes}; do
	[ -e "$f" ] || die "dpkg-buildpackage made no $(basename "$f")"
	mv -f "$f" "$OUT/"
done
# the detached debug symbols, when dh made them
mv -f "$work"/vmgw-dbgsym_"$ver"_"$arch".deb "$OUT/" 2>/dev/null || true
echo "$OUT/vmgw_${ver}_${arch}.deb"
