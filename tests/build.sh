#!/bin/bash
# tests/build.sh - install what building vmgw needs (apt-get, only what is
# missing) and build it.  Used by tests/run.sh and tests/demo.sh.
#
# usage: tests/build.sh [release|asan]...   (default: release)
#   release -> build/       RelWithDebInfo, -Werror
#   asan    -> build-asan/  Debug, ASan + UBSan
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)

PKGS="build-essential cmake pkg-config libsodium-dev libssl-dev libevent-dev
  libyaml-dev libcmocka-dev libvirt-dev libjansson-dev libxml2-dev libmnl-dev socat
  libsystemd-dev libmicrohttpd-dev libnbd-dev libzstd-dev libacl1-dev qemu-utils python3
  python3-prometheus-client iproute2 iptables procps openssl"
need=()
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "build.sh: missing ${need[*]}; run as root to install them" >&2; exit 2; }
	echo "== installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

[ $# -gt 0 ] || set -- release
for kind in "$@"; do
	case $kind in
	release) dir=build opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMGW_WERROR=ON) ;;
	asan)    dir=build-asan opts=(-DCMAKE_BUILD_TYPE=Debug -DVMGW_SANITIZE=ON) ;;
	*) echo "usage: tests/build.sh [release|asan]..." >&2; exit 2 ;;
	esac
	echo "== building $dir"
	cmake -S "$SRC" -B "$SRC/$dir" "${opts[@]}" >/dev/null
	if ! cmake --build "$SRC/$dir" -j"$(nproc)" >"$SRC/$dir/build.log" 2>&1; then
		tail -30 "$SRC/$dir/build.log"
		echo "== build $dir FAILED (log: $SRC/$dir/build.log)"
		exit 1
	fi
done
