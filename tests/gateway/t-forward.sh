#!/bin/bash
# vmgw forward carries 1 GiB whose digest matches at the far end; many
# connections at once (TCP and unix: targets); a target not in the far
# gateway's forward_targets is refused with a clear error at this side.
. "$(dirname "$0")/lib.sh"
gt_init forward
gt_site a 1
gt_site b 2
gt_config a "b"
gt_config b "a" "forward_targets: [ \"127.0.0.1:9000\", \"unix:$GT_DIR/echo.sock\" ]"
gt_start a && gt_start b
check "tunnel up" gt_wait_connected a b

# sink at b: hashes what arrives
gt_nsx b socat -u -b 262144 TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr - 2>"$GT_DIR/sink.err" \
    | sha256sum | cut -d' ' -f1 >"$GT_DIR/sink.sum" &
gt_wait_listen b 9000
gt_vmgw a forward --to b --listen 127.0.0.1:5000 --connect 127.0.0.1:9000 \
    >"$GT_DIR/fwd.out" 2>&1 &
for i in $(seq 50); do grep -q forwarding "$GT_DIR/fwd.out" && break; sleep 0.1; done
check_grep "forward is listening" '^forwarding 127.0.0.1:5000 -> b:127.0.0.1:9000' "$GT_DIR/fwd.out"
head -c 1G /dev/urandom >"$GT_DIR/src.bin"
sha256sum <"$GT_DIR/src.bin" | cut -d' ' -f1 >"$GT_DIR/src.sum"
t0=$(date +%s.%N)
gt_nsx a socat -u -b 262144 OPEN:"$GT_DIR/src.bin" TCP:127.0.0.1:5000
check "the sender finished cleanly" [ $? = 0 ]
for i in $(seq 100); do [ -s "$GT_DIR/sink.sum" ] && break; sleep 0.1; done
gt_log "1 GiB in $(echo "$(date +%s.%N) - $t0" | bc) s"
check "1 GiB arrived with the same SHA-256" cmp -s "$GT_DIR/src.sum" "$GT_DIR/sink.sum"
rm -f "$GT_DIR/src.bin"
check_grep "the forward reports the connection closed with 1.0 GiB" 'closed \(1.0 GiB sent, 0 B received\)' "$GT_DIR/fwd.out"

# 32 concurrent connections through an echo service on a unix socket at b
gt_nsx b socat UNIX-LISTEN:"$GT_DIR/echo.sock",fork EXEC:cat 2>/dev/null &
gt_vmgw a forward --to b --listen 127.0.0.1:5001 --connect "unix:$GT_DIR/echo.sock" \
    >"$GT_DIR/fwd2.out" 2>&1 &
for i in $(seq 50); do grep -q forwarding "$GT_DIR/fwd2.out" && break; sleep 0.1; done
one() {
	local f=$GT_DIR/c$1
	head -c 4M /dev/urandom >"$f.in"
	gt_nsx a socat -b 65536 -t 10 - TCP:127.0.0.1:5001 <"$f.in" >"$f.out" 2>/dev/null
	cmp -s "$f.in" "$f.out" && echo ok >"$f.res"
}
export -f one gt_nsx; export GT_DIR GT_P
seq 1 32 | xargs -P 32 -I{} bash -c 'one {}'
n=$(ls "$GT_DIR"/c*.res 2>/dev/null | wc -l)
check "32 concurrent echo connections came back intact ($n/32)" [ "$n" = 32 ]

# a target b does not allow
gt_vmgw a forward --to b --listen 127.0.0.1:5002 --connect 127.0.0.1:22 \
    >"$GT_DIR/fwd3.out" 2>&1
check "a forbidden target exits 6" [ $? = 6 ]
check_grep "and says why" "b: target 127.0.0.1:22 is not in b's forward_targets" "$GT_DIR/fwd3.out"
check "a forbidden target is not listening" eval "! gt_nsx a socat -u /dev/null TCP:127.0.0.1:5002 2>/dev/null"
gt_vmgw a forward --to nosuch --listen 127.0.0.1:5003 --connect 127.0.0.1:9000 \
    >"$GT_DIR/fwd4.out" 2>&1
check "an unknown site exits 2" [ $? = 2 ]
gt_vmgw a forward --to b --listen 127.0.0.1:5004 --connect nonsense \
    >"$GT_DIR/fwd5.out" 2>&1
check "a malformed target exits 2" [ $? = 2 ]
check_grep "and quotes it" "connect nonsense: expected HOST:PORT or unix:/PATH" "$GT_DIR/fwd5.out"
check "b was never asked to connect to :22" eval "! grep -q 'forward to 127.0.0.1:22' '$GT_DIR/b.log' || grep -q refused '$GT_DIR/b.log'"
gt_done
