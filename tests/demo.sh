#!/bin/bash
# tests/demo.sh - vmgw's main job on an embedded two-site lab.
#
# Two sites on this machine (network namespaces, each with its own libvirtd
# and its own vmgwd), a small live Linux guest "web1" at site-a, and:
#   vmgw check site-b                    the gateways authenticate each other
#   vmgw migrate web1 --to site-b        live, memory + disk through the tunnel
#   vmgw migrate web1 --to site-a        and back
# with the live progress and the summaries, proof that data written inside
# the guest before the moves reads back after them, and (the route plan) a
# client behind a router reaching web1 through whichever site runs it.
# Then disaster recovery:
#   vmgw protect web1 --to site-b        points shipped to the backup site
#   vmgw replication; vmgw points web1   the RPO, the points
#   vmgw failover web1 --test --check-tcp 80   (at site-b) a test copy on
#                                        an isolated network, web1 untouched
#   vmgw plan run web1.yaml --test       a one-group recovery plan as a test,
#                                        its report; vmgw plan end
#   vmgw unprotect web1
#
# usage: sudo tests/demo.sh [--keep]    --keep: leave the lab up to play with
#   (then: tests/lab/lab.sh vmgw a status, ... ; tests/lab/lab.sh down)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (namespaces, libvirt daemons)" >&2; exit 2; }

"$SRC/tests/build.sh" release
export VMGW_BUILD_DIR=$SRC/build
# shellcheck source=tests/lab/lib.sh
. "$SRC/tests/lab/lib.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
# must CMD...: run, and stop the demo with what failed (and the gateways' logs)
must() {
	local rc=0
	run "$@" || rc=$?
	[ "$rc" = 0 ] && return 0
	printf '\ndemo.sh: FAILED (exit %s): %s\n' "$rc" "$*" >&2
	for s in a b; do lab__tail "$LAB/site-$s/vmgwd.log" 15; done
	exit 1
}
finish() {
	if [ "$KEEP" = 1 ]; then
		say "the lab stays up: tests/lab/lab.sh vmgw a status | tests/lab/lab.sh shell a | tests/lab/lab.sh down"
	else
		say "tearing the lab down (--keep leaves it up)"
		lab_down >/dev/null 2>&1 || true
	fi
}
trap finish EXIT

say "building the two-site lab (apt-get what is missing, guest, namespaces, libvirtd + vmgwd per site)"
lab_down >/dev/null 2>&1 || true
lab_up --no-vmgw
lab_vmgw_plan route
lab_site_clean a >/dev/null 2>&1 || true
lab_site_clean b >/dev/null 2>&1 || true
say "booting web1 at site-a (under $(lab_accel) acceleration)"
lab_guest_boot a

say "the gateways: pinned keys, Noise_IK tunnel"
run "$VMGW" -c "$(lab_vmgw_config a)" check site-b
run "$VMGW" -c "$(lab_vmgw_config a)" status

path() { echo "client -> router -> site-$(lab_router_path) -> web1; client ping: $(lab_nsx c ping -c 3 -i 0.2 -q -W 1 "$GUEST_IP" | sed -n 's/.* \([0-9]*\)% packet loss.*/\1% lost/p')"; }
say "the client reaches web1 through the router (BGP from the site that holds its /32)"
path

say "writing 8 MiB of random data to web1's disk, from inside the guest"
w=$(lab_guest_http a "/cgi-bin/disk-write?seed=$RANDOM" | awk '/md5/ {print $2}')
echo "md5 of what web1 wrote: $w"

say "site-a -> site-b"
run "$VMGW" -c "$(lab_vmgw_config a)" migrate web1 --to site-b
echo "web1 runs at: site-$(lab_guest_where), on site-b's network '$(lab_virsh b dumpxml web1 | sed -n "s/.*<source network='\([^']*\)'.*/\1/p")'"
path
r=$(lab_guest_http b /cgi-bin/disk-read | awk '/md5/ {print $2}')
echo "md5 read back inside web1 at site-b: $r $([ "$r" = "$w" ] && echo '(identical)' || echo '(DIFFERENT!)')"

say "site-b -> site-a"
run "$VMGW" -c "$(lab_vmgw_config b)" migrate web1 --to site-a
r=$(lab_guest_http a /cgi-bin/disk-read | awk '/md5/ {print $2}')
echo "web1 runs at: site-$(lab_guest_where); md5 read back: $r $([ "$r" = "$w" ] && echo '(identical)' || echo '(DIFFERENT!)')"
path
run "$VMGW" -c "$(lab_vmgw_config a)" jobs
[ "$r" = "$w" ]

A=("$VMGW" -c "$(lab_vmgw_config a)")
B=("$VMGW" -c "$(lab_vmgw_config b)")
say "disaster recovery: web1 protected to site-b (points of all its disks at one instant, shipped through the tunnel)"
must "${A[@]}" protect web1 --to site-b --rpo 60s --keep 3
lab_guest_http a '/cgi-bin/mark?1' >/dev/null || { echo "demo.sh: cannot write a marker in web1" >&2; exit 1; }
must "${A[@]}" sync web1
must "${A[@]}" replication
must "${B[@]}" points web1

say "a failover test at site-b: a copy of web1 from its newest point, on an isolated network, while web1 runs on"
must "${B[@]}" failover web1 --test --check-tcp 80
echo "web1 itself runs at: site-$(lab_guest_where); $(path)"
must "${B[@]}" failover web1 --test --end
must "${B[@]}" points web1

say "a recovery plan of web1 (one group, a TCP check), run as a test at site-b"
PLAN=$LAB/demo-web1.yaml
cat >"$PLAN" <<EOF
plan: demo
from: site-a
to: site-b
groups:
  - name: web
    guests: [web1]
    check: { tcp: 80, timeout: 120s }
EOF
cat "$PLAN"
must "${B[@]}" plan check "$PLAN" --test
must "${B[@]}" plan run "$PLAN" --test
must "${B[@]}" plan end "$PLAN"

say "web1 unprotected (its replica at site-b removed)"
must "${A[@]}" unprotect web1
echo "web1 runs at: site-$(lab_guest_where); $(path)"
