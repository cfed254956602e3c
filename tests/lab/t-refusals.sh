#!/bin/bash
# Refusals that can be known in advance happen before anything moves, with
# one clear line and a meaningful exit status: unknown domain, the same
# site, an unknown site, an unreachable peer, a domain of that name already
# at the destination, an unmapped network, an unmapped disk directory,
# --offline for a running guest, a second job for a guest being moved.
. "$(dirname "$0")/tlib.sh"
lt_init refusals
lt_guest_at a || exit 1
data=$(lt_write a)
unmoved() { [ "$(lab_guest_where)" = a ] && lt_is_clean b; }

lab_vmgw a migrate nosuch --to site-b >"$LT_DIR/out" 2>&1; rc=$?
check_eq "unknown domain: exit 6" 6 "$rc"
check_grep "unknown domain: named" "refused: nosuch: no such domain" "$LT_DIR/out"

lab_vmgw a migrate web1 --to site-a >"$LT_DIR/out" 2>&1; rc=$?
check_eq "same site: exit 2" 2 "$rc"
check_grep "same site: said" "site-a: that is this gateway's own site" "$LT_DIR/out"

lab_vmgw a migrate web1 --to site-x >"$LT_DIR/out" 2>&1; rc=$?
check_eq "unknown site: exit 2" 2 "$rc"
check_grep "unknown site: said" "site-x: not a peer of site-a" "$LT_DIR/out"

lt_migrate a b --offline; rc=$?
check_eq "--offline on a running guest: exit 6" 6 "$rc"
check_grep "--offline: said" "web1 is running: --offline moves shut-off guests" "$LT_DIR/last.out"

lab_vmgwd_stop b
lt_migrate a b; rc=$?
lab_vmgwd_start b
check_eq "unreachable peer: exit 4" 4 "$rc"
check_grep "unreachable peer: said" "failed: no tunnel to site-b" "$LT_DIR/last.out"
check "unreachable peer: nothing moved" unmoved

lab_guest_xml b >"$LT_DIR/b.xml"
lab_virsh b define "$LT_DIR/b.xml" >/dev/null
lt_wait_tunnel a site-b
lt_migrate a b; rc=$?
check_eq "domain already at the destination: exit 6" 6 "$rc"
check_grep "already there: said" "refused: site-b: a domain web1 \(.*\) already exists here" "$LT_DIR/last.out"
lab_virsh b undefine web1 >/dev/null
check "already there: nothing moved" unmoved

cfg=$(lab_vmgw_config a)
cp "$cfg" "$LT_DIR/a.yaml"
sed -i 's/networks: { prod: dr-prod }/networks: { other: dr-prod }/' "$cfg"
lab_vmgwd_stop a && lab_vmgwd_start a && lt_wait_tunnel a site-b
lt_migrate a b; rc=$?
check_eq "unmapped network: exit 6" 6 "$rc"
check_grep "unmapped network: named" "no network mapping for 'prod' on site-b \(peers.site-b.networks\)" "$LT_DIR/last.out"
cp "$LT_DIR/a.yaml" "$cfg"
sed -i 's|storage: { /var/lib/libvirt/images: |storage: { /srv/elsewhere: |' "$cfg"
lab_vmgwd_stop a && lab_vmgwd_start a && lt_wait_tunnel a site-b
lt_migrate a b; rc=$?
check_eq "unmapped disk directory: exit 6" 6 "$rc"
check_grep "unmapped directory: named" "web1: disk vda: no storage mapping for /var/lib/libvirt/images/web1.qcow2 on site-b" "$LT_DIR/last.out"
cp "$LT_DIR/a.yaml" "$cfg"
lab_vmgwd_stop a && lab_vmgwd_start a && lt_wait_tunnel a site-b
check "unmapped: nothing moved" unmoved

lt_migrate_bg a b --bandwidth 2M
lt_wait_phase "disk copy" || lt_wait_phase "memory copy"
lab_vmgw a migrate web1 --to site-b >"$LT_DIR/out2" 2>&1; rc=$?
check_eq "a second job for a guest being moved: exit 6" 6 "$rc"
check_grep "second job: said" "web1: job j[0-9a-f]+ is already moving it" "$LT_DIR/out2"
lab_vmgw a set-bandwidth "$(lt_job_id)" 0 >/dev/null
wait $LT_PID
check "the first job then finishes (after set-bandwidth 0)" [ $? = 0 ]
check_eq "and the data moved with it" "$data" "$(lt_read b)"
lt_done
