#!/bin/bash
# Failover (DR part 2, the real disaster): web1 protected a -> b; marker A
# written and synced, marker B written and not; site a's QEMU, libvirtd and
# vmgwd SIGKILLed; `vmgw failover web1` at b leaves the guest running there
# with A present and B absent, with its RPO and RTO; site a comes back and
# keeps its old copy off.  And the refusals: while a answers and runs the
# guest, and for a point that does not exist.
. "$(dirname "$0")/tlib.sh"
lt_init failover
V() { lab_vmgw a "$@"; }
W() { lab_vmgw b "$@"; }
B=$LAB/site-b/lib/images-b/vmgw-replica/web1

cleanup() {
	V unprotect web1 --keep-replica >/dev/null 2>&1
	W unprotect web1 --keep-replica >/dev/null 2>&1
	lab_site_clean b >/dev/null 2>&1
	rm -rf "$B" "$LAB/site-a/lib/images/vmgw-replica"
}
cleanup
# a fresh guest: its markers must be only the ones this test writes
lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null
check "web1 runs at site a" lt_guest_at a
check "protect web1 to site-b" V protect web1 --to site-b --rpo 60s --keep 3
lab_guest_http a '/cgi-bin/mark?1' >/dev/null	# marker A
check "a point with marker A (sync)" V sync web1

# refusals
W failover web1 >"$LT_DIR/ref" 2>&1; r=$?
check_eq "failover refused while site-a answers and runs web1 (exit 6)" 6 "$r"
check_grep "... and it says why" 'runs at site-a, which answers' "$LT_DIR/ref"
W failover web1 --point p999999 >"$LT_DIR/nopoint" 2>&1
check_grep "a failover to a point that does not exist says so" 'no point p999999 at site-b' "$LT_DIR/nopoint"
check "web1 still runs at a only" lt_guest_at a

lab_guest_http a '/cgi-bin/mark?2' >/dev/null	# marker B: never shipped
# the disaster: a's QEMU, libvirtd and vmgwd SIGKILLed
kill -9 "$(cat "$LAB/site-a/run/libvirt/qemu/web1.pid")"
lab__stop libvirtd-a KILL 5
lab_vmgwd_kill a
t0=$(date +%s.%N)
W failover web1 >"$LT_DIR/fo" 2>&1; r=$?
t1=$(date +%s.%N)
check_eq "vmgw failover web1 at b (exit 0)" 0 "$r"
check_grep "it names the point used" 'runs at site-b from point p[0-9]+ \(crash-consistent\)' "$LT_DIR/fo"
check_grep "it reports the achieved RPO" 'achieved RPO [0-9]+s' "$LT_DIR/fo"
check_grep "and the RTO until it answered" 'RTO [0-9.]+s \(command start until it answered its probe\)' "$LT_DIR/fo"
lab_guest_http b /cgi-bin/markers >"$LT_DIR/markers" 2>&1
check_grep "marker A is on the disk at b" 'marker 1 present' "$LT_DIR/markers"
check_grep "marker B is not (it never shipped)" 'marker 2 absent' "$LT_DIR/markers"
check "the chain is untouched: the point is pinned" \
    bash -c "grep -q '\"pinned\": true' '$B/manifest.json'"
tap_log "failover took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s: $(tr '\n' ' ' <"$LT_DIR/fo")"

# site a comes back: its old copy stays off
from=$(wc -l <"$LAB/site-a/vmgwd.log")
lab_libvirtd_start a >/dev/null
lab_vmgwd_start a >/dev/null
newlog() { tail -n +"$((from + 1))" "$LAB/site-a/vmgwd.log"; }
for i in $(seq 1 40); do
	V replication web1 2>/dev/null | grep -q ' failed-over ' && break
	sleep 1
done
newlog >"$LT_DIR/a.log"
check_grep "site a learns that web1 failed over, and keeps its copy off" 'its copy here is kept off' "$LT_DIR/a.log"
check_eq "web1 is not running at a" "shut off" "$(lab_virsh a domstate web1 2>/dev/null | head -1)"
V replication web1 >"$LT_DIR/rep" 2>&1
check_grep "vmgw replication at a says it failed over" '^web1 +site-b +failed-over ' "$LT_DIR/rep"
check_eq "web1 runs at b" running "$(lab__guest_state b)"

cleanup
lab_site_clean a >/dev/null 2>&1
tap_done
