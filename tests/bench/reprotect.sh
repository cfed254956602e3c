#!/bin/bash
# tests/bench/reprotect.sh - what reverse protection after a failover costs,
# beside a full copy of the disks.
#
# In the lab: web1 at site-a with vda 64 MiB..end and 16 MiB of /data
# filled with random data (so that a full copy has something to copy),
# protected to site-b (the seed is the full copy: its WAN bytes and time
# are measured), a point with marker 1, then marker 2 at a (never shipped),
# the disaster (site a's QEMU, libvirtd and vmgwd SIGKILLed), a failover at
# b, W MiB of random data written by the guest at b, site a back, and
#   vmgw reprotect web1 at b
# whose WAN bytes (lab_wan_bytes, both directions of site a's WAN link:
# the tunnel's framing, the block hashes and the ACKs count) and time are
# printed beside
#   changed   what differs: the guest's writes at b (the failover
#             checkpoint's bitmaps, virsh checkpoint-dumpxml --size, before
#             reprotect) + what a wrote after the point and never shipped
#             (a's old images against the point's files at b, compared in
#             1 MiB blocks by this script: marker 2, and whatever the guest's
#             page cache put on the disk after the point)
#   full      the full copy (the seed)
# The compare in reprotect is a blind compare-and-copy of the whole disk
# (both disks hashed in 1 MiB blocks, the blocks that differ copied), done
# by vmgw through the tunnel: its bytes are the differing 1 MiB blocks, and
# its time includes reading both disks.
# Target printed as met / not met: reprotect's WAN bytes <= 1.1 x changed
# + 1 MiB.
#
# usage: sudo tests/bench/reprotect.sh [W ...]   (default W: 8 32)
# environment: WAN_RATE (default 100mbit; "off": the bare veth)
# Not a test: nothing fails on a slow machine (TCG guest, two shared cores).
set -uo pipefail
WS=()
for a in "$@"; do
	case $a in
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*[!0-9]*|'') echo "bad W '$a' (MiB, a whole number)" >&2; exit 2 ;;
	*) WS+=("$a") ;;
	esac
done
[ ${#WS[@]} -gt 0 ] || WS=(8 32)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
export VMGW_BUILD_DIR=${VMGW_BUILD_DIR:-$SRC/build}
[ -x "$VMGW_BUILD_DIR/gateway/vmgwd" ] || "$SRC/tests/build.sh" release || exit 1
# shellcheck source=tests/lab/lib.sh
. "$SRC/tests/lab/lib.sh"
lab_is_up || lab_up || exit 1
for s in a b; do lab_vmgwd_pid "$s" >/dev/null || lab_vmgwd_start "$s" || exit 1; done
LAB_HTTP_TIMEOUT=600
W=$(mktemp -d /tmp/vmgw-bench-rp.XXXXXX)
BR=$LAB/site-b/lib/images-b/vmgw-replica/web1
AR=$LAB/site-a/lib/images/vmgw-replica/web1
A=$LAB/site-a/lib/images
say() { printf '%(%T)T %s\n' -1 "$*" >&2; }
now() { date +%s.%N; }
mib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
jget() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
clean() {
	lab_wan_shape off >/dev/null 2>&1
	lab_libvirtd_start a >/dev/null 2>&1
	lab_vmgwd_start a >/dev/null 2>&1
	lab_vmgw a unprotect web1 --keep-replica >/dev/null 2>&1
	lab_vmgw b unprotect web1 --keep-replica >/dev/null 2>&1
	lab_site_clean b >/dev/null 2>&1
	lab_site_clean a >/dev/null 2>&1
	rm -rf "$BR" "$AR"
}
trap 'clean; rm -rf "$W"' EXIT
WAN_RATE=${WAN_RATE:-100mbit}
rows=()
for w in "${WS[@]}"; do
	[ "$w" -le 56 ] || { echo "W $w: at most 56 MiB (vda 64..120 MiB)" >&2; exit 2; }
	clean
	lab_guest_boot a >/dev/null || exit 1
	say "W=$w: filling vda 64..128 MiB and 16 MiB of /data with random data"
	for o in 64 96; do
		lab_guest_http a "/cgi-bin/disk-random?off=$o&mib=32" | grep -q '^md5' || { echo "fill failed" >&2; exit 1; }
	done
	lab_guest_http a '/cgi-bin/data?write=fill&mib=16' | grep -q '^md5' || { echo "/data fill failed" >&2; exit 1; }
	lab_guest_exec a sync >/dev/null	# the page cache on the disk before the seed
	lab_wan_shape "$WAN_RATE" >/dev/null || exit 1
	b0=$(lab_wan_bytes) t0=$(now)
	lab_vmgw a protect web1 --to site-b --rpo 1h --keep 3 >/dev/null || exit 1
	lab_vmgw a sync web1 >/dev/null || exit 1	# the seed has completed by then
	full_b=$(( $(lab_wan_bytes) - b0 )) full_t=$(sub "$t0" "$(now)")
	lab_guest_http a '/cgi-bin/mark?1' >/dev/null
	lab_vmgw a sync web1 >/dev/null || exit 1
	lab_guest_http a '/cgi-bin/mark?2' >/dev/null
	say "W=$w: the disaster, the failover"
	kill -9 "$(cat "$LAB/site-a/run/libvirt/qemu/web1.pid")"
	lab__stop libvirtd-a KILL 5
	lab_vmgwd_kill a
	lab_vmgw b failover web1 >"$W/fo" 2>&1 || { cat "$W/fo" >&2; exit 1; }
	lab_guest_http b "/cgi-bin/disk-random?off=64&mib=$w" | grep -q '^md5' || { echo "write at b failed" >&2; exit 1; }
	cp=$(lab_virsh b checkpoint-list web1 --name 2>/dev/null | grep '^vmgw-failover-' | head -1)
	wrote_b=$(lab_virsh b checkpoint-dumpxml web1 "$cp" --size 2>/dev/null |
	    sed -n "s/.* size='\([0-9]*\)'.*/\1/p" | awk '{ s += $1 } END { print s + 0 }')
	# what a wrote after the point, as it is: a's old images against the
	# point's files at b, in 1 MiB blocks (both read as raw)
	wrote_a=0
	for d in vda vdb; do
		f=$(lab_vmgw b -j points web1 2>/dev/null | python3 -c '
import json, sys
p = [x for x in json.load(sys.stdin)["points"] if x.get("pinned")][-1]
print([d["file"] for d in p["disks"] if d["target"] == sys.argv[1]][0])' $d)
		img=$A/web1.qcow2; [ $d = vdb ] && img=$A/web1-data.qcow2
		qemu-img convert -U -O raw "$img" "$W/a.raw" &&
		    qemu-img convert -U -O raw "$LAB/site-b/lib/${f#/var/lib/libvirt/}" "$W/p.raw" || exit 1
		n=$(python3 - "$W/a.raw" "$W/p.raw" <<'PY'
import sys
a, b, n = open(sys.argv[1], "rb"), open(sys.argv[2], "rb"), 0
while True:
    x, y = a.read(1 << 20), b.read(1 << 20)
    if not x and not y:
        break
    n += x != y
print(n)
PY
)
		wrote_a=$((wrote_a + n * 1048576))
		rm -f "$W/a.raw" "$W/p.raw"
	done
	lab_libvirtd_start a >/dev/null
	lab_vmgwd_start a >/dev/null
	for i in $(seq 1 40); do
		lab_vmgw a replication web1 2>/dev/null | grep -q ' failed-over ' && break
		sleep 1
	done
	say "W=$w: vmgw reprotect web1"
	b0=$(lab_wan_bytes) t0=$(now)
	lab_vmgw b -j reprotect web1 >"$W/rp" 2>&1 || { cat "$W/rp" >&2; exit 1; }
	rp_b=$(( $(lab_wan_bytes) - b0 )) rp_t=$(sub "$t0" "$(now)")
	changed=$((wrote_b + wrote_a))
	limit=$(( changed * 11 / 10 + 1048576 ))
	ok="not met"; [ "$rp_b" -le "$limit" ] && ok=met
	rows+=("$(printf '%4s  %9s  %9s  %8s  %9s %7s  %9s %7s  %s' "$w" "$(mib "$wrote_b")" \
	    "$(mib "$wrote_a")" "$(mib "$(jget "$W/rp" bytes)")" "$(mib "$rp_b")" "$rp_t" \
	    "$(mib "$full_b")" "$full_t" "$ok")")
	lab_wan_shape off >/dev/null
done
echo
echo "reverse protection after a failover (WAN $WAN_RATE; MiB, seconds)"
printf '%4s  %9s  %9s  %8s  %9s %7s  %9s %7s  %s\n' W wrote@b unship@a shipped "WAN" time \
    "full WAN" time "<= 1.1 x changed + 1 MiB"
printf '%s\n' "${rows[@]}"
echo
echo "wrote@b: the failover checkpoint's bitmaps (64 KiB granules) at b before"
echo "reprotect; unship@a: the 1 MiB blocks where a's old copy differs from the"
echo "point (marker 2 and the guest's late writeback); shipped:"
echo "reprotect's own count (1 MiB blocks that differ); WAN: both directions of"
echo "the WAN link during reprotect (hashes and framing included); full: the"
echo "seed, a full copy of the same disks."
