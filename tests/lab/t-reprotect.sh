#!/bin/bash
# Reverse protection and failback (DR part 2), after the real disaster:
# web1 protected a -> b; marker 1 written and synced, marker 2 written and
# never shipped; site a's QEMU, libvirtd and vmgwd SIGKILLed; failover at
# b; the guest writes at b (8 MiB of data and marker 3); site a comes back
# and keeps its old copy off; `vmgw reprotect web1` at b ships at most
# 1.1 x what the guest wrote at b + what a wrote after the point (+ 1 MiB),
# and the replica at a then equals b's disks; a live migration back to a
# (failback) leaves the data of both sites' writes as it must be: b's
# writes there, marker 1 there, marker 2 (never shipped) not; and a
# protects it to b again.
. "$(dirname "$0")/tlib.sh"
lt_init reprotect
V() { lab_vmgw a "$@"; }
W() { lab_vmgw b "$@"; }
BR=$LAB/site-b/lib/images-b/vmgw-replica/web1	# b's replica (from a)
AR=$LAB/site-a/lib/images/vmgw-replica/web1	# a's, from b after reprotect

undefined() { ! lab_virsh "$1" dominfo web1 >/dev/null 2>&1; }
cleanup() {
	V unprotect web1 --keep-replica >/dev/null 2>&1
	W unprotect web1 --keep-replica >/dev/null 2>&1
	lab_site_clean b >/dev/null 2>&1
	rm -rf "$BR" "$AR"
}
cleanup
# a fresh guest: its markers must be only the ones this test writes
lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null
check "web1 runs at site a" lt_guest_at a
check "protect web1 to site-b" V protect web1 --to site-b --rpo 60s --keep 3
lab_guest_http a '/cgi-bin/mark?1' >/dev/null
check "a point with marker 1 (sync)" V sync web1
lab_guest_http a '/cgi-bin/mark?2' >/dev/null	# never shipped

# --- the disaster, and the failover
kill -9 "$(cat "$LAB/site-a/run/libvirt/qemu/web1.pid")"
lab__stop libvirtd-a KILL 5
lab_vmgwd_kill a
check "vmgw failover web1 at b" W failover web1
lab_guest_http b /cgi-bin/markers >"$LT_DIR/m1" 2>&1
check_grep "marker 1 is at b" 'marker 1 present' "$LT_DIR/m1"
check_grep "marker 2 is not" 'marker 2 absent' "$LT_DIR/m1"

# --- the guest writes at b: 8 MiB of data and a 4 MiB marker
data=$(lt_write b)
check "8 MiB written in the guest at b" [ -n "$data" ]
lab_guest_http b '/cgi-bin/mark?3' >/dev/null
WROTE_B=$((12 * 1024 * 1024)) WROTE_A=$((4 * 1024 * 1024))

# --- reprotect refused while a is away
W reprotect web1 >"$LT_DIR/rp0" 2>&1; r=$?
check_eq "reprotect refused while site-a is lost (exit 4)" 4 "$r"
check_grep "... saying site-a does not answer" 'site-a does not answer' "$LT_DIR/rp0"

# --- site a comes back: its old copy stays off
lab_libvirtd_start a >/dev/null
lab_vmgwd_start a >/dev/null
for i in $(seq 1 40); do
	V replication web1 2>/dev/null | grep -q ' failed-over ' && break
	sleep 1
done
check_eq "web1 is off at a" "shut off" "$(lab_virsh a domstate web1 2>/dev/null | head -1)"
V sync web1 >"$LT_DIR/sync-a" 2>&1; r=$?
check_eq "a sync at a is refused at once (exit 1)" 1 "$r"
check_grep "... it failed over" 'failed over to site-b' "$LT_DIR/sync-a"

# --- reverse protection
t0=$(date +%s.%N)
W -j reprotect web1 >"$LT_DIR/rp" 2>"$LT_DIR/rp.err"; r=$?
t1=$(date +%s.%N)
tap_log "$(cat "$LT_DIR/rp" "$LT_DIR/rp.err")"
check_eq "vmgw reprotect web1 at b (exit 0)" 0 "$r"
bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"])' "$LT_DIR/rp" 2>/dev/null || echo -1)
limit=$(( (WROTE_B * 11 / 10) + WROTE_A + 1024 * 1024 ))
tap_log "reprotect shipped $bytes bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; the guest wrote $WROTE_B at b, a wrote $WROTE_A after the point; at most $limit"
check "it shipped at most 1.1 x b's writes + a's unshipped writes + 1 MiB ($bytes <= $limit)" \
	[ "$bytes" -ge 0 -a "$bytes" -le "$limit" ]
check "... and at least what b wrote ($bytes >= $WROTE_B)" [ "$bytes" -ge "$WROTE_B" ]
check "a's old copy is the base of the replica at a" test -f "$AR/vda-base.qcow2"
check "the old domain is no longer defined at a" undefined a
check "its old definition is kept beside the chain" test -s "$AR/home-domain.xml"
W replication web1 >"$LT_DIR/rep-b" 2>&1
check_grep "vmgw replication at b: to site-a, ok" '^web1 +site-a +ok ' "$LT_DIR/rep-b"
V replication >"$LT_DIR/rep-a" 2>&1
check "a's old protection job is over" bash -c "! grep -q '^web1 ' '$LT_DIR/rep-a'"

# the replica at a equals b's disks (the guest suspended)
lab_virsh b suspend web1 >/dev/null
check "a point of the suspended guest (sync at b)" W sync web1
for d in vda vdb; do
	top=$(V -j points web1 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["points"][-1]
print([d["file"] for d in p["disks"] if d["target"] == sys.argv[1]][0])' $d 2>/dev/null)
	src=$(lab_virsh b domblklist web1 --details 2>/dev/null | awk -v t=$d '$3 == t {print $4}')
	# b's disk is an overlay on its chain, by paths as site b sees them
	lab_site_exec b qemu-img convert -U -O qcow2 "$src" "$LT_DIR/b-$d.qcow2"
	check "$d: the replica at a equals the disk at b" \
		qemu-img compare -U "$LAB/site-a/lib/${top#/var/lib/libvirt/}" "$LT_DIR/b-$d.qcow2"
done
lab_virsh b resume web1 >/dev/null

# --- failback: a live move back to a
check "failback: vmgw migrate web1 --to site-a (live)" lt_migrate b a
check "web1 runs at a only" lt_guest_at a
check_eq "b's writes are at a" "$data" "$(lt_read a)"
lab_guest_http a /cgi-bin/markers >"$LT_DIR/m2" 2>&1
check_grep "marker 1 is at a" 'marker 1 present' "$LT_DIR/m2"
check_grep "marker 2 is not (it never shipped: the failover's point won)" 'marker 2 absent' "$LT_DIR/m2"
check_grep "marker 3 (written at b) is at a" 'marker 3 present' "$LT_DIR/m2"
check "b's failover record is retired" bash -c "! test -e '$BR/failover.json' && ls '$BR'/failover-ended-*.json"
check_grep "the failback rode on a's reverse replica" "replica +over site-a's" "$LT_DIR/last.out"
check_grep "... which a's disk runs on now" '"kind": "move"' "$AR/failover.json"
check "a protects web1 to b again: a point completes" lab__wait 60 2 V sync web1
V replication web1 >"$LT_DIR/rep-a2" 2>&1
check_grep "vmgw replication at a: to site-b, ok" '^web1 +site-b +ok ' "$LT_DIR/rep-a2"

cleanup
lab_site_clean a >/dev/null 2>&1
tap_done
