#!/bin/bash
# The replicated move (DR part 3, issue 10 item 1): `vmgw migrate web1 --to
# site-b --replicated` pauses web1, ships a final point, saves its memory
# and device state, ships that, and restores it at b on overlays on the
# point.  The guest is restored, not rebooted: its uptime goes on and a
# value it holds in RAM (tmpfs) survives; its disk data is intact; b
# protects it back to a at once, its first point (incremental from the
# checkpoint made at the restore) ships at most 1 MiB; and back again.
# Faults while the state ships: the tunnel cut, the destination gateway
# killed, the source gateway killed (its restart restores the guest), a
# cancel.  After each the guest runs at its source (restored from its
# state) with its data and RAM value, the other site is clean, and a retry
# succeeds.
. "$(dirname "$0")/tlib.sh"
lt_init move-replicated
V() { lab_vmgw a "$@"; }
W() { lab_vmgw b "$@"; }
AR=$LAB/site-a/lib/images/vmgw-replica/web1
BR=$LAB/site-b/lib/images-b/vmgw-replica/web1
MiB=$((1024 * 1024))
uptime_of() { lab_guest_exec "$1" 'cut -d. -f1 /proc/uptime' 2>/dev/null | tr -dc 0-9; }
ram_of() { lab_guest_exec "$1" 'cat /run/vmgw-ram' 2>/dev/null | tr -dc 0-9a-f; }
phase() {	# until the background move prints phase $1 on a line of its own
	local i
	for i in $(seq 1 600); do
		grep -qx "$1" "$LT_DIR/last.out" 2>/dev/null && return 0
		kill -0 "$LT_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
first_bytes() {	# SITE FROM: bytes of the first point SITE's log shows after line FROM
	sed -n "$2,\$p" "$LAB/site-$1/vmgwd.log" | sed -n 's/.*web1: point p[0-9]* ([a-z]*) complete at site-[ab]: \([0-9]*\) bytes shipped.*/\1/p' | head -1 | grep . || echo -1
}

cleanup() {
	V unprotect web1 --keep-replica >/dev/null 2>&1
	W unprotect web1 --keep-replica >/dev/null 2>&1
	lab_site_clean b >/dev/null 2>&1
	rm -rf "$AR" "$BR"
	# what a failed run of this test may have left: move overlays, states
	rm -f "$LAB"/site-[ab]/lib/images*/web1*.vmgw-*
}
cleanup
lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null
check "web1 runs at site a" lt_guest_at a
V migrate web1 --to site-b --replicated >"$LT_DIR/np" 2>&1; r=$?
check_eq "--replicated without protection is refused (exit 6)" 6 "$r"
check_grep "... saying why" 'has no replica at site-b' "$LT_DIR/np"
check "protect web1 to site-b" V protect web1 --to site-b --rpo 300s --keep 3
check "a point (sync)" V sync web1
RAM=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
lab_guest_exec a "echo $RAM > /run/vmgw-ram" >/dev/null
data=$(lt_write a)
lab_guest_http a '/cgi-bin/mark?2' >/dev/null
up0=$(uptime_of a)

# --- a -> b
lab_vmgw a -j migrate web1 --to site-b --replicated >"$LT_DIR/mv.json" 2>"$LT_DIR/mv.err"; r=$?
tail -1 "$LT_DIR/mv.json" >"$LT_DIR/mv"
tap_log "$(cat "$LT_DIR/mv" "$LT_DIR/mv.err")"
check_eq "vmgw migrate web1 --to site-b --replicated (exit 0)" 0 "$r"
check "web1 runs at b only" lt_guest_at b
up1=$(uptime_of b)
tap_log "uptime before ${up0}s, after ${up1}s; downtime $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["downtime_ms"])' "$LT_DIR/mv" 2>/dev/null) ms"
check "restored, not rebooted: its uptime went on ($up0 -> $up1)" [ -n "$up1" -a "${up1:-0}" -ge "${up0:-1}" ]
check_eq "the value it held in RAM is there" "$RAM" "$(ram_of b)"
check_eq "its disk data is intact" "$data" "$(lt_read b)"
lab_guest_http b /cgi-bin/markers >"$LT_DIR/m1" 2>&1
check_grep "marker 2 is at b" 'marker 2 present' "$LT_DIR/m1"
check_grep "b records that web1 runs on the chain, with its checkpoint" '"checkpoint": "vmgw-moved-' "$BR/failover.json"
check "a's old copy is the base of the replica from b" test -f "$AR/vda-base.qcow2"
check "b protects it to a: a point completes (sync at b)" lab__wait 60 2 W sync web1
fb=$(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(m["points"][0]["bytes"])' "$AR/manifest.json" 2>/dev/null || echo -1)
tap_log "b's first point shipped $fb bytes"
check "b's first point shipped at most 1 MiB ($fb)" [ "$fb" -ge 0 -a "$fb" -le "$MiB" ]
W replication web1 >"$LT_DIR/rep-b" 2>&1
check_grep "vmgw replication at b: to site-a, ok" '^web1 +site-a +ok ' "$LT_DIR/rep-b"

# --- and back: b -> a
data2=$(lt_write b)
LA=$(wc -l <"$LAB/site-a/vmgwd.log")
lt_migrate b a --replicated
check "back: vmgw migrate web1 --to site-a --replicated" [ $? = 0 ]
check "web1 runs at a only" lt_guest_at a
check_eq "... the RAM value came back with it" "$RAM" "$(ram_of a)"
check_eq "... and b's writes" "$data2" "$(lt_read a)"
check "b's old copy is a point of its replica from a" bash -c "grep -q 'until it moved' '$BR/manifest.json'"
check "a protects it to b: a point completes" lab__wait 60 2 V sync web1
fa=$(first_bytes a "$LA")
check "a's first point shipped at most 1 MiB ($fa)" [ "$fa" -ge 0 -a "$fa" -le "$MiB" ]

# --- faults while the state ships (4 MB/s: the copy takes seconds)
# 1. the tunnel cut
lt_migrate_bg a b --replicated --bandwidth 4M
check "cut: the state copy starts" phase "state copy"
lab_wan_block reject >/dev/null
wait $LT_PID; rc=$?
lab_wan_unblock >/dev/null
check_eq "cut: vmgw migrate exits 1" 1 "$rc"
check_grep "cut: the job says why" "failed: .*(tunnel|state)" "$LT_DIR/last.out"
lt_check_undone a b "$data2" "cut" 60
check_eq "cut: the RAM value is there (restored at a)" "$RAM" "$(ram_of a)"
lt_wait_tunnel a site-b
lt_migrate a b --replicated
check "cut: a retry succeeds" [ $? = 0 ]
check_eq "cut: ... with the data" "$data2" "$(lt_read b)"
check_eq "cut: ... and the RAM value" "$RAM" "$(ram_of b)"
# the move back rides on a's replica: wait until b's protection to a has
# put a point there (a move started at once is refused: no replica yet)
check "cut: b protects it to a again (sync at b)" lab__wait 60 2 W sync web1

# 2. the destination gateway killed (b -> a, a's vmgwd)
lt_migrate_bg b a --replicated --bandwidth 4M
check "kill: the state copy starts" phase "state copy"
lab_vmgwd_kill a
wait $LT_PID; rc=$?
check_eq "kill: vmgw migrate exits 1" 1 "$rc"
lab_vmgwd_start a >/dev/null
lt_check_undone b a "$data2" "kill" 60
check_eq "kill: the RAM value is there (restored at b)" "$RAM" "$(ram_of b)"
lt_wait_tunnel b site-a
lt_migrate b a --replicated
check "kill: a retry succeeds" [ $? = 0 ]
check_eq "kill: ... with the data" "$data2" "$(lt_read a)"
check "kill: a protects it to b again (sync at a)" lab__wait 60 2 V sync web1

# 3. the source gateway SIGKILLed while the state ships: restarted, it
# restores the guest from its state (its job record keeps the file)
lt_migrate_bg a b --replicated --bandwidth 4M
check "src kill: the state copy starts" phase "state copy"
lab_vmgwd_kill a
wait $LT_PID
lab_vmgwd_start a >/dev/null
at_a() { [ "$(lab_guest_where)" = a ] && [ "$(ram_of a)" = "$RAM" ]; }
no_tops() { ! ls "$LAB"/site-a/lib/images/*.vmgw-move-* >/dev/null 2>&1; }
check "src kill: the restarted gateway restores web1 at a, RAM and all" lab__wait 90 1 at_a
check_eq "src kill: its disk data is intact" "$data2" "$(lt_read a)"
check "src kill: site b is clean" lt_wait_clean b 60
check "src kill: a's disks are back on their images" lab__wait 90 1 no_tops
# the restarted gateway takes up web1's protection again: the retry rides
# on the replica once a's point is at b (a move started before that is
# refused, as in 2)
check "src kill: a protects it to b again (sync at a)" lab__wait 60 2 V sync web1
lt_wait_tunnel a site-b
lt_migrate a b --replicated
check "src kill: a retry succeeds" [ $? = 0 ]
check_eq "src kill: ... with the data" "$data2" "$(lt_read b)"
check "src kill: b protects it to a again (sync at b)" lab__wait 60 2 W sync web1

# 4. cancel (b -> a)
lt_migrate_bg b a --replicated --bandwidth 4M
check "cancel: the state copy starts" phase "state copy"
lab_vmgw b cancel "$(lt_job_id)" >/dev/null
wait $LT_PID; rc=$?
check_eq "cancel: vmgw migrate exits 5" 5 "$rc"
lt_check_undone b a "$data2" "cancel" 60
check_eq "cancel: the RAM value is there" "$RAM" "$(ram_of b)"

cleanup
lab_site_clean a >/dev/null 2>&1
rm -rf "$AR"
tap_done
