#!/bin/bash
# SIGKILL one gateway mid-stream: the others keep running, the stream's ends
# get an error, the peer redials with backoff until the gateway is back,
# and a third site's tunnel is not disturbed at all.
. "$(dirname "$0")/lib.sh"
gt_init kill
gt_site a 1
gt_site b 2
gt_site c 3
gt_config a "b c"
gt_config b "a c" "forward_targets: [ \"127.0.0.1:9000\" ]"
gt_config c "a b"
gt_start a && gt_start b && gt_start c
check "a-b up" gt_wait_connected a b
check "a-c up" gt_wait_connected a c
hs_ac=$(gt_vmgw a -j status | python3 -c 'import json,sys; print([p["handshakes"] for p in json.load(sys.stdin)["peers"] if p["site"]=="c"][0])')

gt_nsx b socat -u -b 262144 TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr OPEN:/dev/null 2>/dev/null &
gt_wait_listen b 9000
gt_vmgw a forward --to b --listen 127.0.0.1:5000 --connect 127.0.0.1:9000 \
    >"$GT_DIR/fwd.out" 2>&1 &
for i in $(seq 50); do grep -q forwarding "$GT_DIR/fwd.out" && break; sleep 0.1; done
gt_nsx a socat -u -b 65536 OPEN:/dev/zero TCP:127.0.0.1:5000 2>"$GT_DIR/src.err" &
SRC=$!
sleep 2
gt_kill b
gt_log "killed b mid-stream"
for i in $(seq 50); do kill -0 $SRC 2>/dev/null || break; sleep 0.1; done
check "the stream's sender got an error" eval "! kill -0 $SRC 2>/dev/null"
wait $SRC; check "... and not a clean end" [ $? != 0 ]
check "a still runs" gt_alive a
check "c still runs" gt_alive c
check_grep "a says why the tunnel dropped" 'b: tunnel (to|from) .* closed: (closed by the peer|read: Connection reset by peer|connection error)' "$GT_DIR/a.log"
check "a-c is still up" gt_connected a c
sleep 3
check_grep "a keeps redialling b" 'b: tunnel to 10.77.0.2:7400 closed: connect' "$GT_DIR/a.log"
gt_start b
check "a-b comes back after b restarts" gt_wait_connected a b 40
hs_ac2=$(gt_vmgw a -j status | python3 -c 'import json,sys; print([p["handshakes"] for p in json.load(sys.stdin)["peers"] if p["site"]=="c"][0])')
check "a-c was not re-handshaken meanwhile ($hs_ac -> $hs_ac2)" [ "$hs_ac" = "$hs_ac2" ]
check "c's view of b recovers too" gt_wait_connected c b 40
gt_done
