#!/bin/bash
# Two gateways find each other: `vmgw check` both ways proves each pinned
# key now; `vmgw status` shows the tunnel; `vmgwd -n` checks a config.
. "$(dirname "$0")/lib.sh"
gt_init check
gt_site a 1
gt_site b 2
gt_config a "b"
gt_config b "a"
check "vmgwd -n accepts a's config" "$VMGWD" -n -c "$(gt_conf a)"
gt_start a && gt_start b
check "a's tunnel to b comes up" gt_wait_connected a b
check "b's tunnel to a comes up" gt_wait_connected b a

gt_vmgw a check b >"$GT_DIR/check-ab.out" 2>&1
check "vmgw check b from a exits 0" [ $? = 0 ]
check_grep "check names the site and says authenticated" '^b: authenticated' "$GT_DIR/check-ab.out"
check_grep "check shows b's public key" "$(gt_pub b | sed 's/[+/]/./g')" "$GT_DIR/check-ab.out"
check_grep "check shows the suite" 'suite +Noise_IK_25519_(AESGCM_SHA256|ChaChaPoly_BLAKE2b)' "$GT_DIR/check-ab.out"
check_grep "check shows a round trip" 'round trip +[0-9.]+ ms' "$GT_DIR/check-ab.out"
gt_vmgw b check a >"$GT_DIR/check-ba.out" 2>&1
check "vmgw check a from b exits 0" [ $? = 0 ]
check_grep "check from b shows a's key" "$(gt_pub a | sed 's/[+/]/./g')" "$GT_DIR/check-ba.out"

gt_vmgw a status >"$GT_DIR/status.out" 2>&1
check_grep "status: b connected" '^peer b: connected since' "$GT_DIR/status.out"
check_grep "status: bytes each way" 'bytes +[0-9.]+ [KMG]?i?B in, [0-9.]+ [KMG]?i?B out' "$GT_DIR/status.out"
check_grep "status: channels open" 'channels open +0' "$GT_DIR/status.out"
check_grep "status: last handshake" 'last handshake +20[0-9-]+ ' "$GT_DIR/status.out"

gt_vmgw a check nosuch >"$GT_DIR/check-bad.out" 2>&1
check "check of an unknown site exits 2" [ $? = 2 ]
check_grep "check of an unknown site says so" 'nosuch: not a peer of a' "$GT_DIR/check-bad.out"
gt_vmgw a bench b --bytes 64M >"$GT_DIR/bench.out" 2>&1
check "vmgw bench b exits 0" [ $? = 0 ]
check_grep "bench reports MB/s" '^b: 64.0 MiB in [0-9.]+ s: [0-9]+ MB/s' "$GT_DIR/bench.out"
check "the probes did not replace the tunnel" gt_connected a b
gt_done
