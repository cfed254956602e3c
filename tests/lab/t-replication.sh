#!/bin/bash
# Replication (DR part 1) with real libvirt, QEMU, qemu-nbd and libnbd:
# protect web1 at site-a to site-b, seed, write, sync: the chain at b
# equals the source disk (qemu-img compare, force-share); ten cycles with
# writes, three of them checked against a copy of the source taken at that
# point; retention merges the oldest and the kept points still compare
# equal; a WAN cut mid-point is resumed with no second full copy; vmgwd at
# a SIGKILLed mid-point: after its restart the point is redone and nothing
# half-shipped is listed; quiesce: app-consistent with the agent, crash-
# consistent with the reason without it.
. "$(dirname "$0")/tlib.sh"
lt_init replication
V() { lab_vmgw a "$@"; }
A=$LAB/site-a/lib/images
B=$LAB/site-b/lib/images-b/vmgw-replica/web1

lab_site_clean b >/dev/null 2>&1
rm -rf "$B" "$LAB/site-a/lib/images/vmgw-replica"
V unprotect web1 --keep-replica >/dev/null 2>&1
lt_guest_at a >/dev/null 2>&1 || { lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null; }
check "web1 runs at site a" lt_guest_at a

# the newest point's overlay of a disk (from `vmgw points -j` at b)
top() { # TARGET
	lab_vmgw b -j points web1 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["points"][-1]
print([d["file"] for d in p["disks"] if d["target"] == sys.argv[1]][0])' "$1" 2>/dev/null
}
file_of() { # POINT TARGET
	lab_vmgw b -j points web1 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin)["points"]:
    if p["id"] == sys.argv[1]:
        print([d["file"] for d in p["disks"] if d["target"] == sys.argv[2]][0])' "$1" "$2" 2>/dev/null
}
host() { echo "$LAB/site-b/lib/${1#/var/lib/libvirt/}"; }	# b's path on the host
same() { # IMAGE-AT-B SOURCE: qemu-img compare, chains followed
	qemu-img compare -U "$(host "$1")" "$2" >"$LT_DIR/cmp" 2>&1
}
# a point of the paused guest, so that the source holds still
paused_sync() {
	lab_virsh a suspend web1 >/dev/null
	V sync web1 >"$LT_DIR/sync" 2>&1; local r=$?
	[ -n "${1:-}" ] && { qemu-img convert -U -O qcow2 "$A/web1.qcow2" "$LT_DIR/$1-vda.qcow2"
		qemu-img convert -U -O qcow2 "$A/web1-data.qcow2" "$LT_DIR/$1-vdb.qcow2"; }
	lab_virsh a resume web1 >/dev/null
	return $r
}

# --- protect, seed, write, sync
check "protect web1 --to site-b" V protect web1 --to site-b --rpo 60s --keep 24
check "the seed completes (sync)" paused_sync
check_grep "sync names the point and its consistency" 'point p[0-9]+ complete, crash-consistent' "$LT_DIR/sync"
lab_guest_http a '/cgi-bin/mark?1' >/dev/null
lab_guest_http a '/cgi-bin/data?write=f1&mib=2' >/dev/null
check "a point after writes (sync)" paused_sync now
check_grep "the point shipped what changed (4 MiB marker + 2 MiB file)" 'shipped \(([6-9]|1[0-9])\.[0-9] MiB changed\)' "$LT_DIR/sync"
check "vda: the chain at b equals the source" same "$(top vda)" "$LT_DIR/now-vda.qcow2"
check "vdb: the chain at b equals the source" same "$(top vdb)" "$LT_DIR/now-vdb.qcow2"
V replication web1 >"$LT_DIR/rep" 2>&1
check_grep "replication: ok, with the target RPO" '^web1 +site-b +ok +[0-9]+s +60s' "$LT_DIR/rep"
V points web1 >"$LT_DIR/points-a" 2>&1
check_grep "points at the home site come from the backup site" 'p[0-9]+ .* crash ' "$LT_DIR/points-a"

# --- ten cycles with writes between them; three checked
ids=()
for i in $(seq 1 10); do
	lab_guest_http a "/cgi-bin/disk-random?off=$((40 + i * 2))&mib=1" >/dev/null
	snap=""; case $i in 3|6|10) snap=c$i ;; esac
	paused_sync "$snap" || not_ok "cycle $i: $(cat "$LT_DIR/sync")"
	ids[$i]=$(sed -n 's/.*point \(p[0-9]*\) complete.*/\1/p' "$LT_DIR/sync")
done
check "ten cycles, ten points" [ -n "${ids[10]}" ]
for i in 3 6 10; do
	check "cycle $i: point ${ids[$i]} equals the source as of that point (vda)" \
	    same "$(file_of "${ids[$i]}" vda)" "$LT_DIR/c$i-vda.qcow2"
done
check "cycle 6: vdb too" same "$(file_of "${ids[6]}" vdb)" "$LT_DIR/c6-vdb.qcow2"

# --- retention: keep 3; the oldest merge into the base, the kept still equal
check "protect again with keep 3" V protect web1 --to site-b --rpo 60s --keep 3
lab_guest_http a '/cgi-bin/mark?2' >/dev/null
check "a point under keep 3" paused_sync r1
kept() { lab_vmgw b -j points web1 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["points"]))'; }
for i in $(seq 1 60); do [ "$(kept)" = 3 ] && break; sleep 1; done	# merges follow the point
check_eq "three points kept" 3 "$(kept)"
check "the newest kept point equals the source" same "$(top vda)" "$LT_DIR/r1-vda.qcow2"
check "point ${ids[10]} (kept, older) still equals its source" same "$(file_of "${ids[10]}" vda)" "$LT_DIR/c10-vda.qcow2"
check_grep "site b merged the oldest into the base" 'old points? merged into the base' "$LAB/site-b/vmgwd.log"

# --- a WAN cut mid-point (longer than the tunnel's timeout): resumed
lab_wan_shape 40mbit
lab_guest_http a '/cgi-bin/disk-random?off=48&mib=48' >/dev/null
V sync web1 >"$LT_DIR/cut" 2>&1 &
sp=$!
sleep 5
lab_wan_cut; sleep 11; lab_wan_restore
wait $sp; r=$?
lab_wan_shape off
check "the point completes after the cut" [ $r = 0 ]
check_grep "the home site resumed it" 'resuming from the last acknowledged frame' "$LAB/site-a/vmgwd.log"
check_grep "the backup site went on with it" 'resumes \(' "$LAB/site-b/vmgwd.log"
shipped=$(sed -n 's/.*, \([0-9.]*\) MiB shipped.*/\1/p' "$LT_DIR/cut")
check "no second full copy: $shipped MiB shipped for 48 MiB changed" \
    awk -v s="${shipped:-999}" 'BEGIN { exit !(s < 48 * 1.5) }'

# --- vmgwd at a SIGKILLed mid-point: redone after the restart
lab_wan_shape 40mbit
lab_guest_http a '/cgi-bin/disk-random?off=48&mib=32' >/dev/null
V sync web1 >/dev/null 2>&1 &
sleep 4
lab_vmgwd_kill a; wait 2>/dev/null
before=$(lab_vmgw b -j points web1 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["points"]))')
check "nothing half-shipped is listed at b" [ "$before" = 3 ]
lab_vmgwd_start a >/dev/null
lab_wan_shape off
check "after the restart a point completes (sync)" V sync web1
check_grep "the restarted gateway took protection up again" 'protection to site-b goes on after the restart' "$LAB/site-a/vmgwd.log"
check "and the chain equals the source" paused_sync k
check "vda equal after the kill" same "$(top vda)" "$LT_DIR/k-vda.qcow2"

# --- the source QEMU SIGKILLed (every bitmap lost), the guest restarted:
# resync by comparing block hashes, only the blocks that differ shipped
lab_guest_http a '/cgi-bin/mark?3' >/dev/null
check "a point with marker 3" V sync web1
kill -9 "$(cat "$LAB/site-a/run/libvirt/qemu/web1.pid")"
for i in $(seq 1 30); do [ "$(lab__guest_state a)" = running ] || break; sleep 1; done
lab_virsh a start web1 >/dev/null
check "web1 restarted after the kill" lab_guest_wait_up a 120
lab_guest_http a '/cgi-bin/mark?4' >/dev/null
check "a point after the kill (sync)" paused_sync rs
check_grep "the lost change tracking is seen" 'change tracking lost' "$LT_DIR/sync"
shipped=$(sed -n 's/.*, \([0-9.]*\) \(KiB\|MiB\) shipped.*/\1 \2/p' "$LT_DIR/sync")
check "the resync shipped only what differs ($shipped; the disks hold 160 MiB)" \
    awk -v s="${shipped%% *}" -v u="${shipped##* }" 'BEGIN { exit !(u == "KiB" || s < 40) }'
check_grep "it compared block hashes" 'block hashes of site-b.s copy fetched: comparing' "$LAB/site-a/vmgwd.log"
check "after the resync vda equals the source" same "$(top vda)" "$LT_DIR/rs-vda.qcow2"
check "and vdb" same "$(top vdb)" "$LT_DIR/rs-vdb.qcow2"
check "the next point is incremental again" V sync web1
V replication web1 >"$LT_DIR/rep3" 2>&1
check_grep "state back to ok" '^web1 +site-b +ok ' "$LT_DIR/rep3"

# --- libvirt forgot the checkpoints (as after the guest was undefined with
# --checkpoints-metadata and defined again), the bitmaps stay in the
# images: vmgw defines the newest again from its own copy, and the next
# point stays incremental
for cp in $(lab_virsh a checkpoint-list web1 --name 2>/dev/null); do
	lab_virsh a checkpoint-delete web1 "$cp" --metadata >/dev/null
done
check_eq "libvirt has no checkpoint of web1 left" "" "$(lab_virsh a checkpoint-list web1 --name 2>/dev/null | tr -d '[:space:]')"
lab_guest_http a '/cgi-bin/mark?5' >/dev/null
check "a point after the guest was defined again (sync)" paused_sync rd
check_grep "the checkpoint was defined again from vmgw's copy" "defined again from vmgw's copy" "$LAB/site-a/vmgwd.log"
check_grep "... so the point stayed incremental (the 4 MiB marker)" 'shipped \(4\.[0-9] MiB changed\)' "$LT_DIR/sync"
check "and the chain equals the source" same "$(top vda)" "$LT_DIR/rd-vda.qcow2"

# --- quiesce: app-consistent with the agent
check "protect with --quiesce" V protect web1 --to site-b --rpo 60s --keep 3 --quiesce
V sync web1 >"$LT_DIR/q" 2>&1
check_grep "with the agent: app-consistent" 'app-consistent' "$LT_DIR/q"
# without the agent (qemu-ga stopped in the guest): crash-consistent, why
lab_guest_exec a 'kill $(pidof qemu-ga)' >/dev/null 2>&1
sleep 1
V sync web1 >"$LT_DIR/q2" 2>&1
check_grep "agent gone: crash-consistent, with the reason" 'crash-consistent.*not app-consistent' "$LT_DIR/q2"

# --- a protected guest migrated live: the point being taken ends first,
# the move works, and the protection follows the guest (b protects to a)
lab_wan_shape 40mbit
lab_guest_http a '/cgi-bin/disk-random?off=48&mib=24' >/dev/null
V sync web1 >/dev/null 2>&1 &
sp=$!
sleep 2
check "a protected guest migrates a -> b while a point is taken" lt_migrate a b
wait $sp
lab_wan_shape off
check_grep "the migration waited for the point" 'a migration waits for point' "$LAB/site-a/vmgwd.log"
check "web1 runs at b only" lt_guest_at b
check_grep "a handed its protection to b" 'moved to site-b: it protects it to site-a' "$LAB/site-a/vmgwd.log"
check_grep "a's old copy stays: it is the replica of web1 from b now" \
    'its old copy here is its replica from site-b now' "$LAB/site-a/vmgwd.log"
lab_vmgw b -j sync web1 >"$LT_DIR/sync-b" 2>&1
check "b protects web1 to a now: a point completes (sync at b)" \
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))["point"]' "$LT_DIR/sync-b"
rb=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"])' "$LT_DIR/sync-b" 2>/dev/null || echo -1)
tap_log "b's first points after the move shipped $rb bytes"
check "... no full copy: b's first point shipped at most 4 MiB ($rb)" \
    [ "$rb" -ge 0 -a "$rb" -le $((4 * 1024 * 1024)) ]
lab_vmgw b replication web1 >"$LT_DIR/rep4" 2>&1
check_grep "vmgw replication at b: to site-a, ok" '^web1 +site-a +ok ' "$LT_DIR/rep4"
V replication >"$LT_DIR/rep5" 2>&1
check "a no longer protects it" bash -c "! grep -q '^web1 ' '$LT_DIR/rep5'"
check "and back b -> a" lt_migrate b a
check "web1 runs at a only" lt_guest_at a
check "a protects it to b again: a point completes" V sync web1
lab_vmgw b unprotect web1 --keep-replica >/dev/null 2>&1

check "unprotect" V unprotect web1
V replication >"$LT_DIR/rep2" 2>&1
check "no longer listed" bash -c "! grep -q '^web1 ' '$LT_DIR/rep2'"
lab_site_clean a >/dev/null 2>&1	# its agent is gone: the next test boots afresh
rm -rf "$B" "$LAB/site-a/lib/images/vmgw-replica"
tap_done
