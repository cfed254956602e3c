#!/bin/bash
# packaging/test-deb.sh - CI check of the Debian package, as root on
# Debian 12: build it (packaging/build-deb.sh OUTDIR), lintian (no errors),
# install it with apt-get, check what it installed (programs, example
# config, manual pages, unit, bash completion, the user vmgw and its
# directories), run the gateway tests (tests/gateway) against the
# installed vmgwd and vmgw, reinstall, remove (configuration, keys and
# state stay), purge (state goes, the operator's files in /etc/vmgw stay).
# TAP lines, then "N passed, N failed"; exit 0 only when all passed.
#
# It leaves the machine without the package (the system user vmgw stays,
# as Debian leaves system users).  A vmgw already installed is purged
# first, so it refuses to run where a site is configured
# (/etc/vmgw/vmgw.yaml) unless given --force.  It never starts the
# installed unit (the gateway tests run their own vmgwd in namespaces).
#
# usage: sudo packaging/test-deb.sh [--force] OUTDIR
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/tests/tap.sh"
tap_name test-deb

FORCE=0
[ "${1-}" = --force ] && { FORCE=1; shift; }
[ $# -eq 1 ] || { echo "usage: packaging/test-deb.sh [--force] OUTDIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "test-deb.sh: run as root (apt-get install)" >&2; exit 2; }
if [ -e /etc/vmgw/vmgw.yaml ] && [ "$FORCE" = 0 ]; then
	echo "test-deb.sh: /etc/vmgw/vmgw.yaml exists: this machine is a configured site; the test would purge its vmgw (use --force)" >&2
	exit 2
fi
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
export DEBIAN_FRONTEND=noninteractive
UNIT=/lib/systemd/system/vmgwd.service
EXAMPLE=/usr/share/doc/vmgw/examples/vmgw.yaml.example
KEY=/etc/vmgw/site-a.key		# the example's private_key
WANTS=/etc/systemd/system/multi-user.target.wants/vmgwd.service
made_key=0
T=$(mktemp -d /tmp/vmgw-test-deb.XXXXXX)
chmod 0755 "$T"

installed() { dpkg-query -W -f='${Status}' vmgw 2>/dev/null | grep -q 'ok installed'; }
# mode_is DESCRIPTION PATH "MODE OWNER GROUP"
mode_is() { check_eq "$1" "$3" "$(stat -c '%a %U %G' "$2" 2>&1)"; }
# run DESCRIPTION CMD...: ok when CMD succeeds; its output goes to the log
run() {
	local d=$1; shift
	if "$@" >"$T/out" 2>&1; then ok "$d"; else
		not_ok "$d"; sed 's/^/    | /' "$T/out" | tail -20 >&2
	fi
}
cleanup() {
	rm -f /etc/vmgw/test-deb.sentinel
	[ "$made_key" = 1 ] && rm -f "$KEY"
	rmdir /etc/vmgw 2>/dev/null
	installed && apt-get purge -y -qq vmgw >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

# --- a clean start (idempotent: an earlier run or install may be here)
if installed; then
	run "an installed vmgw is purged first" apt-get purge -y -qq vmgw
fi

# --- build
echo "# building into $OUT"
if ! "$SRC/packaging/build-deb.sh" "$OUT" >"$T/build" 2>&1; then
	not_ok "build-deb.sh builds the package"; tail -30 "$T/build" >&2
	tap_done; exit
fi
DEB=$(tail -1 "$T/build")
check "build-deb.sh builds $(basename "$DEB")" test -f "$DEB"
CHANGES=${DEB%.deb}.changes
ver=$(dpkg-deb -f "$DEB" Version)

# --- lintian: no errors; warnings and infos are listed
if ! command -v lintian >/dev/null; then
	apt-get install -y -qq --no-install-recommends lintian >/dev/null 2>&1
fi
lintian --fail-on error --pedantic -I "$CHANGES" >"$T/lintian" 2>&1
lrc=$?
grep -v 'running with root privileges' "$T/lintian" | sed 's/^/# lintian: /'
check_eq "lintian: no errors" 0 "$lrc"

# --- install
run "apt-get install ./$(basename "$DEB")" \
    apt-get install -y -qq --no-install-recommends "$DEB"
check "vmgw $ver is installed" installed
check_eq "vmgwd -V" "vmgwd $ver" "$(/usr/sbin/vmgwd -V 2>&1)"
check_eq "vmgw -V" "vmgw $ver" "$(/usr/bin/vmgw -V 2>&1)"

# the user, the groups, the directories
IFS=: read -r _ _ _ _ _ home shell < <(getent passwd vmgw)
run "user vmgw exists" getent passwd vmgw
run "group vmgw exists" getent group vmgw
run "group libvirt exists (SupplementaryGroups=)" getent group libvirt
check "vmgw is a member of libvirt (polkit looks there)" \
    eval 'id -nG vmgw | tr " " "\n" | grep -qx libvirt'
check_eq "vmgw's home" /var/lib/vmgw "${home-}"
check_eq "vmgw's shell" /usr/sbin/nologin "${shell-}"
mode_is "/etc/vmgw 0750 root:vmgw" /etc/vmgw "750 root vmgw"
mode_is "/var/lib/vmgw 0700 vmgw:vmgw" /var/lib/vmgw "700 vmgw vmgw"
check "vmgwd.service is enabled" test -L "$WANTS"

# the example configuration validates (as root, and as vmgw like the unit)
if [ ! -e "$KEY" ]; then
	/usr/bin/vmgw keygen "$KEY" >/dev/null && made_key=1
fi
run "vmgwd -n -c $EXAMPLE" /usr/sbin/vmgwd -n -c "$EXAMPLE"
/usr/bin/vmgw keygen "$T/site-a.key" >/dev/null
chown vmgw:vmgw "$T/site-a.key"
sed "s#^private_key:.*#private_key: $T/site-a.key#" "$EXAMPLE" >"$T/vmgw.yaml"
chmod 0644 "$T/vmgw.yaml"
run "as vmgw: vmgwd -n on the example with a key owned by vmgw" \
    runuser -u vmgw -- /usr/sbin/vmgwd -n -c "$T/vmgw.yaml"

# manual pages, unit, completion
for m in vmgw vmgwd vmgw.yaml; do
	run "man -w $m" man -w "$m"
done
systemd-analyze verify "$UNIT" >"$T/verify" 2>&1
vrc=$?
sed 's/^/# verify: /' "$T/verify"
check "systemd-analyze verify $UNIT" test "$vrc" = 0 -a ! -s "$T/verify"
score=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null |
    sed -n 's/.*Overall exposure level for vmgwd.service: \([0-9.]*\).*/\1/p')
echo "# exposure score of vmgwd.service: ${score:-none}"
check "exposure score ${score:-none} <= 4.0" \
    awk -v s="${score:-99}" 'BEGIN { exit !(s <= 4.0) }'
check "bash completion installed" \
    test -f /usr/share/bash-completion/completions/vmgw -a \
    -L /usr/share/bash-completion/completions/vmgwd
run "the installed completion passes tests/pkg/test-completion.sh" \
    env VMGW_HELP_BIN=/usr/bin/vmgw "$SRC/tests/pkg/test-completion.sh" \
    /usr/share/bash-completion/completions/vmgw

# --- the gateway suite (tests/gateway) against the installed programs:
# each test as ctest -L gateway runs it, two at a time, with VMGWD_BIN and
# VMGW_BIN instead of the build tree's; one line per test, then the count
# of its checks.  A test that fails (or exits with anything but 0 or 77,
# a skip) fails this one.
gw_suite() {
	local f name rc p=0 f_=0 tests=0 out
	mkdir -p "$T/gw"
	printf '%s\n' "$SRC"/tests/gateway/t-*.sh |
	    VMGWD_BIN=/usr/sbin/vmgwd VMGW_BIN=/usr/bin/vmgw \
	    VMGW_SOURCE_DIR=$SRC GW=$T/gw xargs -P2 -I{} bash -c \
	    'n=$(basename {} .sh); bash {} >"$GW/$n.out" 2>"$GW/$n.err";
	     echo $? >"$GW/$n.rc"'
	for f in "$SRC"/tests/gateway/t-*.sh; do
		name=$(basename "$f" .sh)
		out=$T/gw/$name.out
		rc=$(cat "$T/gw/$name.rc" 2>/dev/null || echo 1)
		tests=$((tests + 1))
		read -r a b < <(sed -n 's/^# .*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
		    "$out" | tail -1)
		p=$((p + ${a:-0})) f_=$((f_ + ${b:-0}))
		case $rc in
		0) ok "installed: gateway/$name (${a:-0} checks)" ;;
		77) ok "# SKIP installed: gateway/$name: $(tail -1 "$out")" ;;
		*)
			not_ok "installed: gateway/$name (exit $rc)"
			grep '^not ok' "$out" | sed 's/^/    | /' >&2
			tail -15 "$T/gw/$name.err" | sed 's/^/    | /' >&2
			;;
		esac
	done
	echo "# gateway suite against /usr/sbin/vmgwd and /usr/bin/vmgw:" \
	    "$tests tests, $p checks passed, $f_ failed"
}
gw_suite

# --- reinstall: nothing of the operator's or of the state is touched
echo "operator file" >/etc/vmgw/test-deb.sentinel
install -d -o vmgw -g vmgw -m 0700 /var/lib/vmgw/jobs
echo '{}' >/var/lib/vmgw/jobs/test-deb.json
keysum=$(sha256sum <"$KEY")
run "apt-get install --reinstall" \
    apt-get install -y -qq --no-install-recommends --reinstall "$DEB"
mode_is "reinstall: /etc/vmgw still 0750 root:vmgw" /etc/vmgw "750 root vmgw"
check "reinstall: the operator's files stay" test -f /etc/vmgw/test-deb.sentinel
check_eq "reinstall: the key is unchanged" "$keysum" "$(sha256sum <"$KEY")"
check "reinstall: the state stays" test -f /var/lib/vmgw/jobs/test-deb.json

# --- remove: programs go; configuration, keys and state stay
run "apt-get remove vmgw" apt-get remove -y -qq vmgw
check "remove: vmgwd is gone" test ! -e /usr/sbin/vmgwd
check "remove: /etc/vmgw stays" test -d /etc/vmgw
check "remove: the operator's files stay" test -f /etc/vmgw/test-deb.sentinel
check_eq "remove: the key stays" "$keysum" "$(sha256sum <"$KEY" 2>&1)"
check "remove: the state stays" test -f /var/lib/vmgw/jobs/test-deb.json

# --- purge: the state goes; the operator's files in /etc/vmgw stay
run "apt-get purge vmgw" apt-get purge -y -qq vmgw
check "purge: vmgw is not installed" eval '! installed'
check "purge: /var/lib/vmgw is gone" test ! -e /var/lib/vmgw
check "purge: the operator's files stay" test -f /etc/vmgw/test-deb.sentinel
check_eq "purge: the key stays" "$keysum" "$(sha256sum <"$KEY" 2>&1)"
check "purge: the unit is no longer enabled" test ! -L "$WANTS"
check "purge: vmgw is no longer a member of libvirt" \
    eval '! id -nG vmgw | tr " " "\n" | grep -qx libvirt'
rm -f /etc/vmgw/test-deb.sentinel
[ "$made_key" = 1 ] && rm -f "$KEY" && made_key=0

# --- once more without operator files: purge leaves no /etc/vmgw
if [ -z "$(ls -A /etc/vmgw 2>/dev/null)" ]; then
	run "apt-get install again" \
	    apt-get install -y -qq --no-install-recommends "$DEB"
	run "apt-get purge again" apt-get purge -y -qq vmgw
	check "purge: an empty /etc/vmgw goes" test ! -e /etc/vmgw
else
	ok "# SKIP purge of an empty /etc/vmgw: it holds files this test did not make"
fi

tap_done
