#!/bin/bash
# Replication when the backup site's disk is full: the replica directory of
# web1 at site b is a small ext4 of its own (loop-mounted inside site b's
# mount namespace before protecting), seeded, then nearly filled with a
# file; a point larger than the space left fails with a clear error (the
# file, "No space"), `vmgw replication` says error (exit 1), the source is
# unharmed (web1 runs at a, answers, its data reads back), no half-shipped
# point is listed; once the file is deleted the next point completes and
# the chain equals the source (qemu-img compare -U, the guest suspended).
. "$(dirname "$0")/tlib.sh"
lt_init replication-faults
V() { lab_vmgw a "$@"; }
A=$LAB/site-a/lib/images
BS=/var/lib/libvirt/images-b/vmgw-replica/web1	# as site b sees it
B=$LAB/site-b/lib${BS#/var/lib/libvirt}		# the mount point, on the host
FS_MIB=160

bye() {
	V unprotect web1 --keep-replica >/dev/null 2>&1
	sleep 1
	lab_dr_umount b "$BS" >/dev/null 2>&1
	rm -rf "$B" "$LT_DIR/replica.ext4"
}
bye
trap 'bye; lt_exit' EXIT	# a test that stops half-way leaves no mount behind
lt_guest_at a >/dev/null 2>&1 || { lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null; }
check "web1 runs at site a" lt_guest_at a
check "the replica directory at b is a ${FS_MIB} MiB filesystem of its own" \
    lab_dr_mount_small b "$BS" "$FS_MIB" "$LT_DIR/replica.ext4"
check "... mounted where site b's vmgwd looks" lab_site_exec b mountpoint -q "$BS"

npoints() { lab_vmgw b -j points web1 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["points"]))' 2>/dev/null || echo 0; }
newest() { lab_vmgw b -j points web1 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["points"][-1]["id"])' 2>/dev/null; }
top() { # TARGET: the newest point's file of that disk, as b sees it
	lab_vmgw b -j points web1 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["points"][-1]
print([d["file"] for d in p["disks"] if d["target"] == sys.argv[1]][0])' "$1" 2>/dev/null
}
# the chain is seen only inside site b (the mount is there): compare there
same() { # IMAGE-AT-B SOURCE-COPY
	lab_site_exec b qemu-img compare -U "$1" "$2" >"$LT_DIR/cmp" 2>&1
}
paused_sync() { # [NAME]: a point of the suspended guest, the source copied as NAME-vd?.qcow2
	lab_virsh a suspend web1 >/dev/null
	V sync web1 >"$LT_DIR/sync" 2>&1; local r=$?
	[ -n "${1:-}" ] && { qemu-img convert -U -O qcow2 "$A/web1.qcow2" "$LT_DIR/$1-vda.qcow2"
		qemu-img convert -U -O qcow2 "$A/web1-data.qcow2" "$LT_DIR/$1-vdb.qcow2"; }
	lab_virsh a resume web1 >/dev/null
	return $r
}

# --- protect and seed on the small filesystem
check "protect web1 --to site-b" V protect web1 --to site-b --rpo 1h --keep 3
check "the seed completes (sync)" V sync web1
check "the chain is on the small filesystem" lab_site_exec b test -f "$BS/manifest.json"
before=$(npoints) last=$(newest)
check "points listed before the fault" [ "$before" -ge 1 ]

# --- fill it: 8 MiB left, then a 32 MiB point
free=$(lab_dr_df b "$BS")
check "a file fills all but 8 MiB" lab_site_exec b fallocate -l $(( free - (8 << 20) )) "$BS/filler"
md5=$(lab_guest_http a '/cgi-bin/disk-random?off=64&mib=32' | awk '/^md5/ {print $2}')
check "the guest wrote 32 MiB" [ -n "$md5" ]
t0=$(date +%s)
V sync web1 >"$LT_DIR/full" 2>&1; r=$?
tap_log "sync on a full disk, after $(( $(date +%s) - t0 ))s: $(tr '\n' ' ' <"$LT_DIR/full")"
check_eq "sync fails (exit 1)" 1 "$r"
check_grep "the error says the disk is full" 'No space|disk full' "$LT_DIR/full"
check_grep "the error names the file" 'vmgw-replica/web1/vd[ab]-p[0-9]+\.qcow2' "$LT_DIR/full"
V replication web1 >"$LT_DIR/rep" 2>&1; r=$?
tap_log "replication: $(tail -1 "$LT_DIR/rep")"
check_eq "vmgw replication exits 1" 1 "$r"
check_grep "vmgw replication: state error" '^web1 +site-b +error ' "$LT_DIR/rep"
V -j replication web1 >"$LT_DIR/rep.json" 2>&1
check_grep "its reason says why" '"reason": ".*(No space|disk full)' "$LT_DIR/rep.json"
# the source is unharmed
check_eq "web1 still runs at site a only" a "$(lab_guest_where)"
check "web1 answers HTTP" lab_guest_http a /cgi-bin/status
check_eq "its disk data reads back" "$md5" "$(lab_guest_http a '/cgi-bin/disk-random?off=64&mib=32&read=1' | awk '/^md5/ {print $2}')"
lab_virsh a domjobinfo web1 >"$LT_DIR/job" 2>&1
check_grep "no backup job left running at a" 'Job type: +None' "$LT_DIR/job"
# nothing half-shipped
check_eq "no new point listed at b" "$before" "$(npoints)"
check_eq "the newest point is still $last" "$last" "$(newest)"
V points web1 >"$LT_DIR/points" 2>&1
check "vmgw points at a lists no half-shipped point" bash -c "! grep -q \"^p0*$(( 10#${last#p} + 1 )) \" '$LT_DIR/points'"

# --- room again: the next point completes, the chain equals the source
check "the filler goes" lab_site_exec b rm -f "$BS/filler"
check "a point completes once there is room (sync)" paused_sync now
tap_log "$(cat "$LT_DIR/sync")"
V replication web1 >"$LT_DIR/rep2" 2>&1; r=$?
check_eq "vmgw replication exits 0 again" 0 "$r"
check_grep "replication: ok again" '^web1 +site-b +ok ' "$LT_DIR/rep2"
check "vda: the chain at b equals the source" same "$(top vda)" "$LT_DIR/now-vda.qcow2"
check "vdb: the chain at b equals the source" same "$(top vdb)" "$LT_DIR/now-vdb.qcow2"
check "no partial record left" lab_site_exec b test ! -e "$BS/partial.json"

# --- clean up
check "unprotect" V unprotect web1
sleep 1
check "the small filesystem unmounted" lab_dr_umount b "$BS"
rm -rf "$B" "$LT_DIR/replica.ext4"
lab_site_clean a >/dev/null 2>&1
tap_done
