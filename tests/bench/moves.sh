#!/bin/bash
# tests/bench/moves.sh - the three ways to move a guest to its backup site,
# side by side, on the lab's shaped WAN.
#
# In the lab: web1 at site-a on a 1 GiB vda (GUEST_DISK_MIB) holding 512 MiB
# of random data (vda 64..576 MiB, written by the guest), moved to site-b
# and back for each of
#   full        vmgw migrate with a full storage copy (the guest not
#               protected: what any live migration with storage costs)
#   replica     vmgw migrate of the guest protected to site-b, 8 MiB
#               written after its newest point: a final point, then the
#               mirror of what it writes after it (issue 10, item 2)
#   replicated  vmgw migrate --replicated, 8 MiB written after the newest
#               point: paused, final point, saved state, restored at b
# and prints, per WAN rate, the total time (the command's), the downtime
# (the summary's: QEMU's for live moves, pause to resume for
# --replicated), and the WAN bytes (lab_wan_bytes: both directions of
# site a's WAN link, framing and ACKs included; the final point included).
# Targets printed as met / not met at 100 Mbit/s: replica <= 0.2 x full in
# time and WAN bytes, its downtime <= 1.1 x full's; replicated downtime <=
# the state's time on the WAN at the rate + 2 s.
#
# usage: sudo tests/bench/moves.sh [RATE ...]   (default: 100mbit 1gbit)
# Not a test: nothing fails on a slow machine (TCG guest, two shared cores).
set -uo pipefail
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(100mbit 1gbit)
case "${RATES[0]}" in -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
export VMGW_BUILD_DIR=${VMGW_BUILD_DIR:-$SRC/build} VMGW_SOURCE_DIR=$SRC
[ -x "$VMGW_BUILD_DIR/gateway/vmgwd" ] || "$SRC/tests/build.sh" release || exit 1
export GUEST_DISK_MIB=${GUEST_DISK_MIB:-1024}
DATA_MIB=${DATA_MIB:-512}
# shellcheck source=tests/lab/lib.sh
. "$SRC/tests/lab/lib.sh"
lab_is_up || lab_up || exit 1
for s in a b; do lab_vmgwd_pid "$s" >/dev/null || lab_vmgwd_start "$s" || exit 1; done
LAB_HTTP_TIMEOUT=900
W=$(mktemp -d /tmp/vmgw-bench-mv.XXXXXX)
AR=$LAB/site-a/lib/images/vmgw-replica/web1
BR=$LAB/site-b/lib/images-b/vmgw-replica/web1
say() { printf '%(%T)T %s\n' -1 "$*" >&2; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
jget() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
rate_bps() { case $1 in *gbit) echo $(( ${1%gbit} * 1000000000 )) ;; *mbit) echo $(( ${1%mbit} * 1000000 )) ;; *) echo 0 ;; esac; }
clean() {
	for s in a b; do lab_vmgw "$s" unprotect web1 --keep-replica >/dev/null 2>&1; done
	lab_site_clean a >/dev/null 2>&1; lab_site_clean b >/dev/null 2>&1
	rm -rf "$AR" "$BR"; rm -f "$LAB"/site-[ab]/lib/images*/web1*.vmgw-*
}
# move FROM TO NAME [ARGS]: one measured move; sets T D B (s, ms, bytes)
move() {
	local from=$1 to=$2 name=$3 w0 w1 t0 t1; shift 3
	w0=$(lab_wan_bytes); t0=$(date +%s.%N)
	lab_vmgw "$from" -j migrate web1 --to "site-$to" "$@" >"$W/$name.json" 2>"$W/$name.err" ||
	    { say "$name: failed: $(cat "$W/$name.err"; tail -1 "$W/$name.json" | cut -c1-300)"; return 1; }
	t1=$(date +%s.%N); w1=$(lab_wan_bytes)
	tail -1 "$W/$name.json" >"$W/$name"
	T=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	D=$(jget "$W/$name" 'd["downtime_ms"]'); B=$((w1 - w0))
	say "$name: $T s, downtime $D ms, WAN $(mib "$B") MiB"
}
# sync SITE: a point of web1 there, once its protection (handed over by the
# old home after a move) has taken it up
sync() {
	local i
	for i in $(seq 1 60); do
		lab_vmgw "$1" sync web1 >/dev/null 2>&1 && return 0
		sleep 2
	done
	say "no point at site $1"; return 1
}
rows=()
trap 'lab_wan_shape off >/dev/null 2>&1' EXIT
for rate in "${RATES[@]}"; do
	lab_wan_shape "$rate" >/dev/null || exit 1
	say "== $rate: a fresh web1 ($GUEST_DISK_MIB MiB vda, $DATA_MIB MiB of data)"
	clean
	lab_guest_boot a >/dev/null || exit 1
	lab_guest_http a "/cgi-bin/disk-random?off=64&mib=$DATA_MIB" >/dev/null
	lab_guest_exec a sync >/dev/null
	move a b full || exit 1; FT=$T FD=$D FB=$B
	lab_vmgw b migrate web1 --to site-a >/dev/null 2>&1 || { say "back to a failed"; exit 1; }
	say "protecting (the seed is a full copy)"
	lab_vmgw a protect web1 --to site-b --rpo 600s --keep 3 >/dev/null
	sync a || exit 1
	lab_guest_http a '/cgi-bin/disk-write?seed=1' >/dev/null
	move a b replica || exit 1; RT=$T RD=$D RB=$B
	sync b || exit 1
	lab_vmgw b migrate web1 --to site-a >/dev/null 2>&1 || { say "back to a failed"; exit 1; }
	sync a || exit 1
	lab_guest_http a '/cgi-bin/disk-write?seed=2' >/dev/null
	move a b replicated --replicated || exit 1; PT=$T PD=$D PB=$B
	SB=$(jget "$W/replicated" 'd["memory_bytes"]')
	bps=$(rate_bps "$rate")
	swan=$(awk -v s="$SB" -v r="$bps" 'BEGIN { printf "%.1f", r ? s * 8 / r : 0 }')
	t1="not met"; awk -v a="$RT" -v b="$FT" 'BEGIN { exit !(a <= 0.2 * b) }' && t1=met
	t2="not met"; [ "$RB" -le $((FB / 5)) ] && t2=met
	t3="not met"; [ "$RD" -le $((FD * 11 / 10)) ] && t3=met
	t4="not met"; awk -v d="$PD" -v s="$swan" 'BEGIN { exit !(d / 1000 <= s + 2) }' && t4=met
	rows+=("$(printf '%-8s %-11s %8s %9s %10s' "$rate" full "$FT" "$FD" "$(mib "$FB")")")
	rows+=("$(printf '%-8s %-11s %8s %9s %10s   time %s, WAN %s, downtime %s' "$rate" replica "$RT" "$RD" "$(mib "$RB")" "$t1" "$t2" "$t3")")
	rows+=("$(printf '%-8s %-11s %8s %9s %10s   state %s MiB = %s s on the WAN; downtime <= that + 2 s: %s' "$rate" replicated "$PT" "$PD" "$(mib "$PB")" "$(mib "$SB")" "$swan" "$t4")")
	clean
done
lab_wan_shape off >/dev/null 2>&1
echo
echo "moves of web1 a -> b: ${GUEST_DISK_MIB} MiB vda with ${DATA_MIB} MiB of data, 8 MiB written after the newest point"
printf '%-8s %-11s %8s %9s %10s\n' RATE MOVE "TIME s" "DOWN ms" "WAN MiB"
printf '%s\n' "${rows[@]}"
echo "(targets at every rate; the issue's are at 100 Mbit/s.  Outputs in $W)"
