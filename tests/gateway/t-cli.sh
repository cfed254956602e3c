#!/bin/bash
# The CLI and config as an operator meets them: keygen and pubkey, vmgwd -n
# on good and bad configs (exit 2, FILE:LINE:COL message, nothing started),
# a CLI without a daemon (exit 3).
. "$(dirname "$0")/lib.sh"
gt_init cli
gt_site a 1
gt_site b 2
gt_config a "b"
check "keygen wrote a 0600 key" [ "$(stat -c %a "$GT_DIR/a.key")" = 600 ]
check "pubkey prints what keygen printed" [ "$("$VMGW" pubkey "$GT_DIR/a.key")" = "$(gt_pub a)" ]
"$VMGW" keygen "$GT_DIR/a.key" >"$GT_DIR/kg.out" 2>&1
check "keygen refuses to overwrite (exit 1)" [ $? = 1 ]
check_grep "and says so" 'exists; refusing to overwrite' "$GT_DIR/kg.out"
chmod 644 "$GT_DIR/b.key"
"$VMGW" pubkey "$GT_DIR/b.key" >"$GT_DIR/pk.out" 2>&1
check "pubkey refuses a world-readable key" [ $? = 1 ]
check_grep "naming the mode" 'mode 0644 is group/world-accessible' "$GT_DIR/pk.out"
chmod 600 "$GT_DIR/b.key"

check "vmgwd -n: good config" "$VMGWD" -n -c "$(gt_conf a)"
printf 'site: a\nprivate_key: a.key\nlisten: 10.77.0.1:7400\npeers:\n  b:\n    public_key: "short"\n' >"$GT_DIR/bad.yaml"
"$VMGWD" -n -c "$GT_DIR/bad.yaml" >"$GT_DIR/n.out" 2>&1
check "vmgwd -n: bad config exits 2" [ $? = 2 ]
check_grep "with FILE:LINE:COL: key.path: what" "bad.yaml:6:17: peers.b.public_key: not 32 bytes of base64" "$GT_DIR/n.out"
"$VMGWD" -d -c "$GT_DIR/bad.yaml" >"$GT_DIR/d.out" 2>&1
check "vmgwd with a bad config does not start (exit 2)" [ $? = 2 ]
check "and left no control socket" [ ! -e "$GT_DIR/a.sock" ]
gt_vmgw a status >"$GT_DIR/nod.out" 2>&1
check "the CLI without a daemon exits 3" [ $? = 3 ]
check_grep "naming the socket" "cannot reach vmgwd at $GT_DIR/a.sock" "$GT_DIR/nod.out"
"$VMGW" frobnicate >"$GT_DIR/u.out" 2>&1
check "an unknown command exits 2" [ $? = 2 ]
"$VMGW" -c /nonexistent.yaml status >"$GT_DIR/nc.out" 2>&1
check "a missing config is exit 2" [ $? = 2 ]
check_grep "named" '/nonexistent.yaml: cannot read' "$GT_DIR/nc.out"
gt_done
