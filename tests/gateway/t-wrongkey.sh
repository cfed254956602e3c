#!/bin/bash
# A wrong public key is refused on both sides: b holds a wrong key for a
# (c's), so a's handshakes are from a key b does not know, and b's use a
# key a does not have.  No tunnel comes up; each side says why.
. "$(dirname "$0")/lib.sh"
gt_init wrongkey
gt_site a 1
gt_site b 2
gt_site c 3			# only for its key
gt_config a "b"
gt_config b "a"
sed -i "s|$(gt_pub a)|$(gt_pub c)|" "$(gt_conf b)"	# b pins the wrong key for a
gt_start a && gt_start b
sleep 3
check "no tunnel a->b" eval "! gt_connected a b"
check "no tunnel b->a" eval "! gt_connected b a"

gt_vmgw a check b >"$GT_DIR/check-ab.out" 2>&1
check "check b from a fails with exit 4" [ $? = 4 ]
check_grep "a says b closed during the handshake" 'b \(10.77.0.2:7400\): b closed the connection during the handshake: it does not know this gateway.s key' "$GT_DIR/check-ab.out"
check_grep "b logs a handshake from an unknown key" 'connection dropped: handshake from unknown key [0-9a-f:]+ \(.*\): not a configured peer' "$GT_DIR/b.log"

gt_vmgw b check a >"$GT_DIR/check-ba.out" 2>&1
check "check a from b fails with exit 4" [ $? = 4 ]
check_grep "b names the likely cause" 'our peers.a.public_key is not its key' "$GT_DIR/check-ba.out"
check_grep "a logs that b's first message does not authenticate" 'first message does not authenticate' "$GT_DIR/a.log"
check "a is still running" gt_alive a
check "b is still running" gt_alive b
check_grep "a's status shows the last error" 'last error' <(gt_vmgw a status)
gt_done
