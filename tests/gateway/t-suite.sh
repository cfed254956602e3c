#!/bin/bash
# Suites: ChaChaPoly on both sides gives Noise_IK_25519_ChaChaPoly_BLAKE2b;
# sides that accept no common suite refuse each other with a clear reason.
. "$(dirname "$0")/lib.sh"
gt_init suite
gt_site a 1
gt_site b 2
gt_config a "b" $'tunnel:\n  suite: chachapoly'
gt_config b "a" $'tunnel:\n  suite: chachapoly'
gt_start a && gt_start b
check "chachapoly tunnel up" gt_wait_connected a b
check_grep "check shows ChaChaPoly" 'suite +Noise_IK_25519_ChaChaPoly_BLAKE2b' <(gt_vmgw a check b)
gt_stop a; gt_stop b
if grep -qw aes /proc/cpuinfo; then
	gt_config a "b" $'tunnel:\n  suite: aesgcm'
	gt_start a && gt_start b
	gt_vmgw a check b >"$GT_DIR/check.out" 2>&1
	check "aesgcm against chachapoly-only is refused (exit 4)" [ $? = 4 ]
	check_grep "with the reason from b" 'b refused the handshake: suite AESGCM not accepted here; use ChaChaPoly' "$GT_DIR/check.out"
else
	ok "# SKIP no AES-NI: aesgcm not testable"
fi
gt_done
