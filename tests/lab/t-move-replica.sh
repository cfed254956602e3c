#!/bin/bash
# A live move over the replica (DR part 3, issue 10 item 2): web1 protected
# a -> b holds 48 MiB of random data (shipped in a point: a full copy would
# carry it again) and writes 12 MiB after its newest point.  `vmgw migrate
# web1 --to site-b` takes a final point (the disks on overlays at a, the
# images under them shipped), puts b's disks on overlays on it, and mirrors
# only a's overlays: the WAN carries at most the memory stream and what was
# written since the point (+ 1 MiB, and the tunnel's and TCP's framing).
# The data is intact at b, b protects it back to a from a's old copy, and a
# move back rides on that replica the same way.  A move refused after the
# final point puts a's disks back on their images (committed), and the
# retry succeeds.  --dry-run and --full-copy say what they do.
. "$(dirname "$0")/tlib.sh"
lt_init move-replica
V() { lab_vmgw a "$@"; }
W() { lab_vmgw b "$@"; }
AR=$LAB/site-a/lib/images/vmgw-replica/web1
BR=$LAB/site-b/lib/images-b/vmgw-replica/web1
MiB=$((1024 * 1024))
undefined() { ! lab_virsh "$1" dominfo web1 >/dev/null 2>&1; }
on_images() {	# a runs web1 on its own images: no move overlay in use or left
	! lab_virsh a domblklist web1 2>/dev/null | grep -q vmgw-move &&
	    ! ls "$LAB"/site-a/lib/images/*.vmgw-move-* >/dev/null 2>&1
}
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@" 2>/dev/null; }

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
check "protect web1 to site-b" V protect web1 --to site-b --rpo 300s --keep 3
lab_guest_http a '/cgi-bin/disk-random?off=64&mib=48' >/dev/null
check "a point with 48 MiB of random data (sync)" V sync web1

# --- dry run: the plan says it rides on the replica
V migrate web1 --to site-b --dry-run >"$LT_DIR/dry" 2>&1
check_grep "dry run: over the replica" 'over the replica' "$LT_DIR/dry"
check_grep "... b checks the disks' point" 'site-b +replica +disk vda: over point p0' "$LT_DIR/dry"
check "... nothing made at a" bash -c "! ls $LAB/site-a/lib/images/*.vmgw-move-* 2>/dev/null"

# --- written after the newest point: 8 MiB of data and a 4 MiB marker
data=$(lt_write a)
lab_guest_http a '/cgi-bin/mark?1' >/dev/null
WROTE=$((12 * MiB))

# --- the move
w0=$(lab_wan_bytes)
lab_vmgw a -j migrate web1 --to site-b >"$LT_DIR/mv.json" 2>"$LT_DIR/mv.err"; r=$?
w1=$(lab_wan_bytes)
tail -1 "$LT_DIR/mv.json" >"$LT_DIR/mv"
tap_log "$(cat "$LT_DIR/mv" "$LT_DIR/mv.err")"
check_eq "vmgw migrate web1 --to site-b (exit 0)" 0 "$r"
check "web1 runs at b only" lt_guest_at b
check_eq "the summary names the final point" site-b "$(json "$LT_DIR/mv" 'd["replica"]["site"]')"
mem=$(json "$LT_DIR/mv" 'd["tunnel_streams"]["mig"]')
nbd=$(json "$LT_DIR/mv" 'd["tunnel_streams"].get("nbd", 0)')
fin=$(json "$LT_DIR/mv" 'd["replica"]["final_bytes"]')
wan=$((w1 - w0))
# framing: AEAD records, TCP/IP headers and ACKs, measured at ~4 % here
limit=$(( (mem + WROTE) * 105 / 100 + MiB ))
tap_log "WAN $wan bytes: memory stream $mem, final point $fin, mirror $nbd; written since the point $WROTE; limit $limit; a full copy would add 48 MiB"
check "WAN bytes <= memory + written since the point + 1 MiB (x1.05 framing): $wan <= $limit" \
	[ "$wan" -gt 0 -a "$wan" -le "$limit" ]
check "the final point carried what was written since the point ($fin >= $WROTE)" [ "${fin:-0}" -ge "$WROTE" ]
check "the mirror carried less than 1 MiB ($nbd)" [ "${nbd:-0}" -lt "$MiB" ]
check_eq "the data written after the point is at b" "$data" "$(lt_read b)"
lab_guest_http b /cgi-bin/markers >"$LT_DIR/m1" 2>&1
check_grep "marker 1 is at b" 'marker 1 present' "$LT_DIR/m1"
lab_site_exec b qemu-img info -U /var/lib/libvirt/images-b/web1.qcow2 >"$LT_DIR/info-b" 2>&1
check_grep "b's disk is an overlay on the replica" 'backing file: .*vmgw-replica/web1/vda-p0' "$LT_DIR/info-b"
check_grep "b records that web1 runs on the chain" '"kind": "move"' "$BR/failover.json"
check "a's overlays are gone" bash -c "! ls $LAB/site-a/lib/images/*.vmgw-move-* 2>/dev/null"
check "a's old copy is the base of the replica from b" test -f "$AR/vda-base.qcow2"
check "web1 is no longer defined at a" undefined a

# --- reverse protection: b protects to a, first point from a's old copy
check "b protects web1 to a: a point completes (sync at b)" lab__wait 60 2 W sync web1
W -j sync web1 >"$LT_DIR/sync-b" 2>&1
W replication web1 >"$LT_DIR/rep-b" 2>&1
check_grep "vmgw replication at b: to site-a, ok" '^web1 +site-a +ok ' "$LT_DIR/rep-b"
V replication >"$LT_DIR/rep-a" 2>&1
check "a no longer protects it" bash -c "! grep -q '^web1 ' '$LT_DIR/rep-a'"
first=$(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(m["points"][0]["bytes"])' "$AR/manifest.json" 2>/dev/null || echo -1)
tap_log "b's first point shipped $first bytes"
check "... it compared, and shipped at most 4 MiB ($first)" [ "$first" -ge 0 -a "$first" -le $((4 * MiB)) ]

# --- chain upkeep: the points under the newest are merged (live commit)
depth_is() {	# SITE N: vmgw replication there shows web1 N images deep
	[ "$(lab_vmgw "$1" -j replication web1 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["guests"][0]["chain_depth"])' 2>/dev/null)" = "$2" ]
}
check "b merges the chain under web1: vmgw replication shows depth 3" lab__wait 90 1 depth_is b 3
W replication web1 >"$LT_DIR/rep-b2" 2>&1
check_grep "... in its DEPTH column" '^web1 +site-a +ok .* 3  p0' "$LT_DIR/rep-b2"
check_eq "... the data is intact after the merge" "$data" "$(lt_read b)"
lab_guest_http b /cgi-bin/markers >"$LT_DIR/m1b" 2>&1
check_grep "... marker 1 too" 'marker 1 present' "$LT_DIR/m1b"
check "... and points still complete" W sync web1

# --- back again: b -> a rides on a's replica
data2=$(lt_write b)
check "back: vmgw migrate web1 --to site-a" lt_migrate b a
check_grep "... over site-a's replica" "replica +over site-a's" "$LT_DIR/last.out"
check "web1 runs at a only" lt_guest_at a
check_eq "b's writes are at a" "$data2" "$(lt_read a)"
lab_guest_http a /cgi-bin/markers >"$LT_DIR/m2" 2>&1
check_grep "marker 1 is at a" 'marker 1 present' "$LT_DIR/m2"
check "a protects it to b again: a point completes" lab__wait 60 2 V sync web1
check "b's record of the chain is retired" bash -c "! test -e '$BR/failover.json' && ls '$BR'/failover-ended-*.json"

# --- refused after the final point: a's disks go back on their images
data3=$(lt_write a)
touch "$LAB/site-b/lib/images-b/web1-data.qcow2"
lab_virsh b pool-refresh images-b >/dev/null 2>&1
lt_migrate a b; r=$?
check "a move that b refuses fails" [ "$r" != 0 ]
check_grep "... after the final point" 'already exists' "$LT_DIR/last.out"
check_eq "web1 runs at a" a "$(lab_guest_where)"
check "a's disks are back on their own images" lab__wait 30 0.5 on_images
check_eq "the data is intact at a" "$data3" "$(lt_read a)"
check "protection goes on: a point completes" lab__wait 60 2 V sync web1
rm -f "$LAB/site-b/lib/images-b/web1-data.qcow2"
lab_virsh b pool-refresh images-b >/dev/null 2>&1
check "the retry succeeds" lt_migrate a b
check_eq "... with the data" "$data3" "$(lt_read b)"

# --- --full-copy copies in full
check "--full-copy back to a" lt_migrate b a --full-copy
check_grep "... and says so" 'replica +--full-copy' "$LT_DIR/last.out"
check_eq "... with the data" "$data3" "$(lt_read a)"

cleanup
lab_site_clean a >/dev/null 2>&1
rm -rf "$AR"
tap_done
