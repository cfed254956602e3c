#!/bin/bash
# A recorded first handshake message sent again is refused: the responder
# checks the TAI64N timestamp against the newest it accepted from that peer,
# also after a restart (the guard is persisted in state_dir).
. "$(dirname "$0")/lib.sh"
gt_init replay
gt_site a 1
gt_site b 2
RELAY=10.77.0.254:7500
gt_config a "b"
sed -i "s|endpoint: $(gt_ip b):7400|endpoint: $RELAY|" "$(gt_conf a)"
gt_config b "a@"
# HS_INIT frame: header 10 + e 32 + s 32+16 + payload (1+12+1+1+len("a")) + 16
INIT_LEN=$((10 + 32 + 48 + 16 + 16))
gt_nsx w python3 "$TOOLS/tcprelay.py" --listen "$RELAY" --connect "$(gt_ip b):7400" \
    --record "$GT_DIR/init.bin" --record-bytes $INIT_LEN --log "$GT_DIR/relay.log" &
sleep 0.5
gt_start a && gt_start b
check "tunnel up" gt_wait_connected a b
check "the relay recorded a's first message" [ "$(stat -c %s "$GT_DIR/init.bin" 2>/dev/null)" = $INIT_LEN ]
check "b accepted it the first time" gt_wait_connected b a

r=$(gt_nsx w python3 "$TOOLS/replay.py" "$GT_DIR/init.bin" "$(gt_ip b):7400")
check "the replayed message gets no answer ($r)" [ "$r" = "closed after 0 bytes" ]
check_grep "b logs the replay" 'handshake: a: replayed first message \(timestamp not newer than the last one accepted\)' "$GT_DIR/b.log"
check "the real tunnel was not disturbed" gt_connected b a

gt_stop b
gt_start b
check "tunnel back after b restarts" gt_wait_connected a b 20
r=$(gt_nsx w python3 "$TOOLS/replay.py" "$GT_DIR/init.bin" "$(gt_ip b):7400")
check "after a restart the replay is still refused ($r)" [ "$r" = "closed after 0 bytes" ]
check "the guard is on disk" [ -s "$GT_DIR/state-b/peers/a.ts" ]
gt_done
