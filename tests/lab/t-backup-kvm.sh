#!/bin/bash
# kvm/backup.c on the real guest, through tests/tools/kvm-backup-probe (no
# vmgw): at site a, a full pull backup creating c1, an incremental one from
# c1 whose dirty map is exactly the marker written between the two points
# and whose export holds that marker, the guest agent's freeze / thaw,
# backup_running / backup_end (idempotent), the checkpoints after QEMU is
# SIGKILLed (unusable, the backup refused), redefinition from saved XML
# after undefine + define, and a failover start with a checkpoint before
# the guest runs.  Leaves site a clean.
. "$(dirname "$0")/tlib.sh"
lt_init backup-kvm
P=${VMGW_KVM_BACKUP_PROBE:-$VMGW_BUILD_DIR/tests/tools/kvm-backup-probe}
[ -x "$P" ] || { echo "Bail out! no $P (build the project)"; exit 1; }
U="qemu+unix:///system?socket=$(lab_libvirt_sock a)"
probe() { "$P" "$U" "$GUEST" "$@"; }
IMG=${LAB_POOL_DIR[a]}
DISKS="vda=$IMG/$GUEST.vda.scratch vdb=$IMG/$GUEST.vdb.scratch"
DR=$LAB/site-a/run/vmgw-kvmtest	# /run/vmgw-kvmtest inside site a
# QEMU (libvirt's user, not root) makes the export's socket here
mkdir -p "$DR" && chown "$(lab_qemu_user)" "$DR" && chmod 0700 "$DR"
MIB=1048576
# the dirty extents of the export on SOCK (host path) for DISK: "OFF LEN" lines
dirty() { nbdinfo --map="qemu:dirty-bitmap:backup-$2" "nbd+unix:///$2?socket=$1" | awk '$4 == "dirty" { print $1, $2 }'; }
# md5 of LEN MiB at OFF MiB of DISK in the export on SOCK
export_md5() { nbdcopy "nbd+unix:///$2?socket=$1" - | dd bs=1M iflag=fullblock skip="$3" count="$4" 2>/dev/null | md5sum | cut -d' ' -f1; }
marker_md5() { yes "vmgw-marker-$1" | head -c $((4 * MIB)) | md5sum | cut -d' ' -f1; }
crash() { kill -9 "$(cat "$LAB/site-a/run/libvirt/qemu/$GUEST.pid")"; lab__wait 10 0.2 eval '[ "$(lab__guest_state a)" = "shut off" ]'; }

lab_site_clean a >/dev/null 2>&1
lt_guest_at a || exit 1
check "the guest agent answers" lab_guest_agent_wait a
check_eq "kvm_agent_connected: connected" connected "$(probe agent)"
check_eq "kvm_fs_freeze: /data frozen" "frozen 1" "$(probe freeze)"
check_eq "kvm_fs_thaw: thawed" "thawed 1" "$(probe thaw)"
check_eq "nothing to thaw afterwards" "thawed 0" "$(probe thaw)"

# a full point, c1
probe begin /run/vmgw-kvmtest/t1.sock - c1 $DISKS >"$LT_DIR/begin.out" 2>&1
check "full pull backup creating c1" [ $? = 0 ]
check "the export socket exists" [ -S "$DR/t1.sock" ]
check_eq "kvm_backup_running: running" running "$(probe running)"
check_grep "the export has vda and vdb" 'export="vdb"' <(nbdinfo --list "nbd+unix:///?socket=$DR/t1.sock")
check "kvm_backup_end" probe end
check "the export socket is gone when it returns" [ ! -e "$DR/t1.sock" ]
probe running >/dev/null; check_eq "kvm_backup_running after the end: exit 3 (none)" 3 $?
check "kvm_backup_end again: nothing to end, fine" probe end
check "the scratch files are gone" eval "! ls $LAB/site-a/lib/images/$GUEST.vd?.scratch 2>/dev/null | grep -q ."

# an incremental point, c1 -> c2, after marker 1 (36..40 MiB of vda)
check_eq "marker 1 written" "marked 1" "$(lab_guest_http a '/cgi-bin/mark?1')"
probe begin /run/vmgw-kvmtest/t2.sock c1 c2 $DISKS >"$LT_DIR/begin2.out" 2>&1
check "incremental pull backup from c1 creating c2" [ $? = 0 ]
check_eq "vda's dirty blocks are exactly marker 1" "$((36 * MIB)) $((4 * MIB))" "$(dirty "$DR/t2.sock" vda)"
check_eq "the export holds marker 1 there" "$(marker_md5 1)" "$(export_md5 "$DR/t2.sock" vda 36 4)"
check_grep "checkpoints: c1 a root, c2 its child" '^c2 c1 [0-9]+$' <(probe list)
check_eq "c2 is usable" usable "$(probe usable c2)"
probe xml c2 >"$LT_DIR/c2.xml"
check_grep "c2's saved XML carries the domain" '<domain type=' "$LT_DIR/c2.xml"
check "end the incremental backup" probe end

# QEMU killed: the bitmaps are lost, the checkpoints stay as metadata
crash
lab_virsh a start "$GUEST" >/dev/null && lab_guest_wait_up a >/dev/null 2>&1
check_grep "after a SIGKILL the metadata is still there" '^c2 c1 ' <(probe list)
out=$(probe usable c2); rc=$?
check_eq "... but c2 is unusable (exit 3)" 3 "$rc"
check_grep "... and says why" 'unusable: checkpoint c2: disk vd[ab]: bitmap missing or inconsistent' <(echo "$out")
check_eq "... c1 too" 3 "$(probe usable c1 >/dev/null; echo $?)"
probe begin /run/vmgw-kvmtest/t3.sock c2 c3 $DISKS >"$LT_DIR/begin3.out" 2>&1
check "an incremental backup from c2 is refused" [ $? = 1 ]
check_grep "... by libvirt: checkpoint inconsistent" "web1: backup begin \(incremental from c2, checkpoint c3\): checkpoint inconsistent: missing or broken bitmap 'c2' for disk 'vda'" "$LT_DIR/begin3.out"
check "the lost checkpoints go with metadata only" eval 'probe delete c2 metadata && probe delete c1 metadata'
check_eq "no checkpoints left" "" "$(probe list)"

# a fresh chain, kept across undefine + define by its saved XML
probe begin /run/vmgw-kvmtest/t4.sock - c3 $DISKS >/dev/null && probe end
probe xml c3 >"$LT_DIR/c3.xml"
lab_virsh a dumpxml --inactive "$GUEST" >"$LT_DIR/dom.xml"
lab_virsh a destroy "$GUEST" --graceful >/dev/null
lab_virsh a undefine "$GUEST" --checkpoints-metadata >/dev/null
lab_virsh a define "$LT_DIR/dom.xml" >/dev/null
check_eq "undefine + define: no checkpoints" "" "$(probe list)"
probe redefine "$LT_DIR/c3.xml" validate >"$LT_DIR/redef.out" 2>&1
check "redefine with validation refused while shut off" [ $? = 1 ]
check_grep "... libvirt: domain is not running" 'redefine checkpoint c3: Requested operation is not valid: domain is not running' "$LT_DIR/redef.out"
check "redefine c3 from its saved XML" probe redefine "$LT_DIR/c3.xml"
lab_virsh a start "$GUEST" >/dev/null && lab_guest_wait_up a >/dev/null 2>&1
check "redefine with validation once running" probe redefine "$LT_DIR/c3.xml" validate
check_eq "c3 is usable after a clean stop" usable "$(probe usable c3)"
lab_guest_http a '/cgi-bin/mark?2' >/dev/null
probe begin /run/vmgw-kvmtest/t5.sock c3 c4 $DISKS >/dev/null
check_eq "incremental from the redefined c3: exactly marker 2" "$((40 * MIB)) $((4 * MIB))" "$(dirty "$DR/t5.sock" vda)"
probe end

# failover: a checkpoint before the guest first runs
lab_virsh a destroy "$GUEST" --graceful >/dev/null
probe create c9 vda >"$LT_DIR/create.out" 2>&1
check "kvm_checkpoint_create refuses a shut-off domain" [ $? = 1 ]
check_grep "... libvirt: inactive domain" 'create checkpoint c9: Operation not supported: cannot create checkpoint for inactive domain' "$LT_DIR/create.out"
check "kvm_start_with_checkpoint c5" probe start-cp c5 vda vdb
lab_guest_wait_up a >/dev/null 2>&1
lab_guest_http a '/cgi-bin/mark?3' >/dev/null
probe begin /run/vmgw-kvmtest/t6.sock c5 c6 $DISKS >/dev/null
check_eq "everything written since that start: exactly marker 3" "$((44 * MIB)) $((4 * MIB))" "$(dirty "$DR/t6.sock" vda)"
probe end

lab_site_clean a >/dev/null 2>&1
check "site a cleaned" lt_is_clean a
lt_done
