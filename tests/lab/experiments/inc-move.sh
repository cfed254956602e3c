#!/bin/bash
# The experiment of DR-NOTES.md section 9: a live move with --copy-storage-inc
# of a guest put on external overlays, the bases copied to site b first.
# Needs the lab up (tests/lab/lab.sh up); leaves web1 at site b (clean it
# with tests/lab/lab.sh clean b).
# Experiment: live move over a replica with --copy-storage-inc (issue 10 item 2)
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
export VMGW_BUILD_DIR=${VMGW_BUILD_DIR:-$SRC/build} VMGW_SOURCE_DIR=$SRC
. $SRC/tests/lab/tlib.sh
set -x
lab_vmgw a unprotect web1 --keep-replica >/dev/null 2>&1
lab_site_clean b >/dev/null 2>&1
lab_guest_where
d1=$(lt_write a)          # data before the snapshot (4..12 MiB)
lab_guest_http a '/cgi-bin/disk-random?off=64&mib=48' | head -1   # 48 MiB that a full copy would carry
lab_guest_exec a sync
A=$LAB/site-a/lib/images B=$LAB/site-b/lib/images-b
rm -f $A/web1-top.qcow2 $A/web1-data-top.qcow2 $B/web1*.qcow2
lab_virsh a snapshot-create-as web1 --disk-only --no-metadata --atomic \
  --diskspec vda,file=/var/lib/libvirt/images/web1-top.qcow2 \
  --diskspec vdb,file=/var/lib/libvirt/images/web1-data-top.qcow2 || exit 1
lab_virsh a domblklist web1
# the "replica" at b: the frozen bases
qemu-img convert -U -O qcow2 -o compat=1.1 $A/web1.qcow2 $B/web1.qcow2
qemu-img convert -U -O qcow2 -o compat=1.1 $A/web1-data.qcow2 $B/web1-data.qcow2
lab_site_exec b qemu-img create -q -f qcow2 -F qcow2 -b /var/lib/libvirt/images-b/web1.qcow2 /var/lib/libvirt/images-b/web1-top.qcow2
lab_site_exec b qemu-img create -q -f qcow2 -F qcow2 -b /var/lib/libvirt/images-b/web1-data.qcow2 /var/lib/libvirt/images-b/web1-data-top.qcow2
lab_virsh b pool-refresh images-b
d2=$(lt_write a)          # written after the snapshot: into the top overlay
echo "d1=$d1 d2=$d2"
# lab_migrate_plain with --copy-storage-inc
sed -n '/^lab_migrate_plain() {/,/^}/p' $SRC/tests/lab/lib.sh | sed 's/lab_migrate_plain()/lab_migrate_inc()/; s/--copy-storage-all/--copy-storage-inc/g; s/grep -q "file=.${LAB_POOL_DIR\[\$dst\]}\/\$GUEST_VOL." "\$W\/dst-live.xml"/true/' > /tmp/inc-fn.sh
. /tmp/inc-fn.sh
lab_migrate_inc a b; echo "migrate rc=$?"
cat $LAB_LOGS/migrate-ab/cmd
grep -n "source file\|backingStore" $LAB_LOGS/migrate-ab/dst-live.xml
lab_guest_where
echo "read at b: $(lt_read b) (expect d2=$d2)"
lab_virsh b domblklist web1
qemu-img info -U --backing-chain $B/web1-top.qcow2 | grep -E "image:|backing file:|disk size"
