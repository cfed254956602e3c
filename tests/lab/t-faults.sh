#!/bin/bash
# Faults during a move, each ending with web1 running at the source with
# its data intact, the destination clean, and a second vmgw migrate
# succeeding: cancel during the memory copy; the tunnel cut during the disk
# copy; the destination gateway killed with SIGKILL; the destination pool
# too small; a relay that flips one byte of the tunnel traffic.
. "$(dirname "$0")/tlib.sh"
lt_init faults
lt_guest_at a || exit 1
data=$(lt_write a)

# 1. cancel during the memory copy (a -> b, slowed to 4 MB/s)
lt_migrate_bg a b --bandwidth 4M
check "cancel: the memory copy starts" lt_wait_phase "memory copy"
lab_vmgw a cancel "$(lt_job_id)" >/dev/null
wait $LT_PID; rc=$?
check_eq "cancel: vmgw migrate exits 5" 5 "$rc"
check_grep "cancel: it says so" "job j[0-9a-f]+ cancelled: cancelled during memory copy" "$LT_DIR/last.out"
lt_check_undone a b "$data" "cancel"
lt_check_again a b "$data" "cancel"

# 2. the tunnel cut during the disk copy (b -> a at 1 MB/s; TCP resets)
lt_migrate_bg b a --bandwidth 1M
check "cut: the disk copy starts" lt_wait_phase "disk copy"
lab_wan_block reject >/dev/null
wait $LT_PID; rc=$?
lab_wan_unblock >/dev/null
check_eq "cut: vmgw migrate exits 1" 1 "$rc"
check_grep "cut: the job says why, in one line" "failed: tunnel to site-a lost during disk copy" "$LT_DIR/last.out"
lt_check_undone b a "$data" "cut"
lab_vmgw b check site-a >/dev/null 2>&1 || sleep 3
lt_check_again b a "$data" "cut"

# 3. the destination gateway killed with SIGKILL (a -> b); it comes back
lt_migrate_bg a b --bandwidth 4M
check "kill: the memory copy starts" lt_wait_phase "memory copy"
lab_vmgwd_kill b
wait $LT_PID; rc=$?
check_eq "kill: vmgw migrate exits 1" 1 "$rc"
check_grep "kill: the job names the lost tunnel" "failed: tunnel to site-b lost during memory copy" "$LT_DIR/last.out"
lab_vmgwd_start b
check_grep "kill: the restarted gateway reports the interrupted job" "interrupted by a gateway restart" "$LAB/site-b/vmgwd.log"
lt_check_undone a b "$data" "kill"
lt_check_again a b "$data" "kill"

# 4. the destination pool too small (b -> a; a 4 MiB filesystem at a)
lab_site_exec a mount -t tmpfs -o size=4M tmpfs "${LAB_POOL_DIR[a]}"
lab_virsh a pool-refresh "${LAB_POOL[a]}" >/dev/null
lt_migrate b a
rc=$?
lab_site_exec a umount "${LAB_POOL_DIR[a]}"
lab_virsh a pool-refresh "${LAB_POOL[a]}" >/dev/null
check_eq "pool: refused with exit 6" 6 "$rc"
check_grep "pool: the reason in one line" "refused: site-a: pool images: 4.0 MiB free, [0-9.]+ MiB needed" "$LT_DIR/last.out"
lt_check_undone b a "$data" "pool"
lt_check_again b a "$data" "pool"

# 5. a relay between the gateways flips one byte (a -> b)
RELAY_PORT=7500
# nsenter execs python: $! is the relay itself
nsenter --net=/run/netns/"${LAB_NS[a]}" -- python3 "$VMGW_SOURCE_DIR/tests/tools/tcprelay.py" \
    --listen "${LAB_WAN_IP[a]}:$RELAY_PORT" --connect "${LAB_WAN_IP[b]}:$VMGW_PORT" \
    --flip-offset $((30 * 1024 * 1024)) --log "$LT_DIR/relay.log" >/dev/null 2>&1 &
RELAY=$!
sleep 0.5
for s in a b; do lab_vmgwd_stop "$s"; cp "$(lab_vmgw_config "$s")" "$LT_DIR/$s.yaml.orig"; done
sed -i "s|endpoint: ${LAB_WAN_IP[b]}:$VMGW_PORT|endpoint: ${LAB_WAN_IP[a]}:$RELAY_PORT|" "$(lab_vmgw_config a)"
sed -i "/endpoint: ${LAB_WAN_IP[a]}:$VMGW_PORT/d" "$(lab_vmgw_config b)"	# b must not dial around it
lab_vmgwd_start a && lab_vmgwd_start b
check "flip: the tunnel is up through the relay" lt_wait_tunnel a site-b
lt_migrate a b
rc=$?
check_grep "flip: the relay flipped a byte" "flipped one bit of byte" "$LT_DIR/relay.log"
check_eq "flip: vmgw migrate exits 1" 1 "$rc"
check_grep "flip: site-b dropped the tunnel at the bad record" "bad record at byte offset [0-9]+: authentication failed" "$LAB/site-b/vmgwd.log"
lt_check_undone a b "$data" "flip"
check "flip: the tunnel comes back" lt_wait_tunnel a site-b
lt_check_again a b "$data" "flip"
kill $RELAY 2>/dev/null
for s in a b; do lab_vmgwd_stop "$s"; cp "$LT_DIR/$s.yaml.orig" "$(lab_vmgw_config "$s")"; lab_vmgwd_start "$s"; done
lt_done
