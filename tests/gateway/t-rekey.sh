#!/bin/bash
# Rekeying by bytes and by time: with rekey_bytes 64K and rekey_seconds 10
# a stream keeps flowing across many key changes and arrives intact.
. "$(dirname "$0")/lib.sh"
gt_init rekey
gt_site a 1
gt_site b 2
TUN=$'tunnel:\n  rekey_bytes: 64K\n  rekey_seconds: 10\n  keepalive: 2\n  timeout: 8'
gt_config a "b" "$TUN"
gt_config b "a" "forward_targets: [ \"127.0.0.1:9000\" ]
$TUN"
gt_start a && gt_start b
check "tunnel up" gt_wait_connected a b
head -c 32M /dev/urandom >"$GT_DIR/src.bin"
gt_nsx b python3 "$TOOLS/sink.py" 127.0.0.1:9000 "$GT_DIR/sink.bin" >"$GT_DIR/sink.out" 2>&1 &
SINK=$!
gt_wait_listen b 9000
gt_vmgw a forward --to b --listen 127.0.0.1:5000 --connect 127.0.0.1:9000 >"$GT_DIR/fwd.out" 2>&1 &
for i in $(seq 50); do grep -q forwarding "$GT_DIR/fwd.out" && break; sleep 0.1; done
gt_nsx a socat -u OPEN:"$GT_DIR/src.bin" TCP:127.0.0.1:5000
wait $SINK
check "32 MiB arrive intact across rekeys" cmp -s "$GT_DIR/src.bin" "$GT_DIR/sink.bin"
rk=$(gt_vmgw a -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"][0].get("rekeys",0))')
check "hundreds of key changes happened ($rk)" [ "$rk" -gt 200 ]
sleep 12
rk2=$(gt_vmgw a -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"][0].get("rekeys",0))')
check "an idle tunnel rekeys by time ($rk -> $rk2)" [ "$rk2" -gt "$rk" ]
check "and stays up" gt_connected a b
gt_done
