#!/bin/bash
# A relay between the gateways flips one bit of one record: the receiving
# gateway drops the connection naming the byte offset, the far end gets
# only a correct prefix of the stream (never a wrong byte) and an error,
# and the tunnel comes back for the next stream.
. "$(dirname "$0")/lib.sh"
gt_init tamper
gt_site a 1
gt_site b 2
RELAY=10.77.0.254:7500
gt_config a "b"
sed -i "s|endpoint: $(gt_ip b):7400|endpoint: $RELAY|" "$(gt_conf a)"	# a -> relay -> b
gt_config b "a@" "forward_targets: [ \"127.0.0.1:9000\" ]"		# b never dials a
FLIP=$((24 * 1024 * 1024 + 12345))
gt_nsx w python3 "$TOOLS/tcprelay.py" --listen "$RELAY" --connect "$(gt_ip b):7400" \
    --flip-offset $FLIP --flip-dir c2s --log "$GT_DIR/relay.log" &
sleep 0.5
gt_start a && gt_start b
check "tunnel up through the relay" gt_wait_connected a b

head -c 64M /dev/urandom >"$GT_DIR/src.bin"
gt_nsx b python3 "$TOOLS/sink.py" 127.0.0.1:9000 "$GT_DIR/sink.bin" \
    >"$GT_DIR/sink.out" 2>&1 &
SINK=$!
gt_wait_listen b 9000
gt_vmgw a forward --to b --listen 127.0.0.1:5000 --connect 127.0.0.1:9000 \
    >"$GT_DIR/fwd.out" 2>&1 &
for i in $(seq 50); do grep -q forwarding "$GT_DIR/fwd.out" && break; sleep 0.1; done
gt_nsx a socat -u -b 262144 OPEN:"$GT_DIR/src.bin" TCP:127.0.0.1:5000 2>"$GT_DIR/src.err"
SRC_RC=$?
wait $SINK; SINK_RC=$?
check_grep "the relay flipped a bit" 'c2s: flipped one bit of byte' "$GT_DIR/relay.log"
check_grep "b dropped the tunnel naming the byte offset" \
    'a: tunnel from .* closed: bad record at byte offset [0-9]+: authentication failed' "$GT_DIR/b.log"
size=$(stat -c %s "$GT_DIR/sink.bin")
gt_log "sink got $size of $(stat -c %s "$GT_DIR/src.bin") bytes"
check "the far end got less than the whole stream ($size bytes)" [ "$size" -lt $((64 * 1024 * 1024)) ]
check "what it got is a correct prefix: no wrong byte" cmp -s -n "$size" "$GT_DIR/src.bin" "$GT_DIR/sink.bin"
check "the far end saw a reset, not a clean end (sink exit $SINK_RC)" [ "$SINK_RC" = 3 ]
check "the sender saw an error too" eval "[ $SRC_RC != 0 ] || grep -q 'failed' '$GT_DIR/fwd.out'"
check "the tunnel comes back" gt_wait_connected a b 20

# the next stream goes through whole
gt_nsx b socat -u -b 262144 TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr \
    OPEN:"$GT_DIR/sink2.bin",creat,trunc &
SINK=$!
gt_wait_listen b 9000
gt_nsx a socat -u -b 262144 OPEN:"$GT_DIR/src.bin" TCP:127.0.0.1:5000
wait $SINK
check "after the reconnect 64 MiB arrive intact" cmp -s "$GT_DIR/src.bin" "$GT_DIR/sink2.bin"
check "both gateways still run" eval "gt_alive a && gt_alive b"
gt_done
