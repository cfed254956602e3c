#!/bin/bash
# connections: 2 - a data connection beside the tunnel, on its own thread:
# both come up and vmgw status shows each; two streams go on the two
# connections, each thread doing the work of its own; a data connection
# killed mid-stream (ss -K) fails only the stream on it, the other arrives
# intact, and it comes back on its own; the same for the tunnel itself;
# each connection rekeys on its own; a peer that takes fewer connections
# refuses the rest with a reason; a reload changes the count.
. "$(dirname "$0")/lib.sh"
gt_init conns
gt_site a 1
gt_site b 2
TUN=$'tunnel:\n  rekey_bytes: 1M\n  keepalive: 2\n  timeout: 8'
gt_config a "b" "$TUN"
gt_config b "a@" "forward_targets: [ \"127.0.0.1:9000\", \"127.0.0.1:9001\" ]
$TUN"
sed -i 's/^    public_key: .*/&\n    connections: 2/' "$(gt_conf a)" "$(gt_conf b)"
gt_start a && gt_start b
check "tunnel up" gt_wait_connected a b

# conns SITE: "index:connected:channels:handshakes ..." of its peer's connections
conns() {
	gt_vmgw "$1" -j status 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["peers"][0]
print(" ".join("%d:%d:%d:%d" % (c["index"], c["connected"], c.get("channels", 0),
    c.get("handshakes", 0)) for c in p.get("connections", [])))'
}
# conn_field SITE INDEX FIELD
conn_field() {
	gt_vmgw "$1" -j status 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["peers"][0]
c = [c for c in p["connections"] if c["index"] == int(sys.argv[1])][0]
print(c.get(sys.argv[2], ""))' "$2" "$3"
}
wait_conns() {	# wait_conns SITE REGEX [SECONDS]
	local i
	for i in $(seq 1 $(( ${3:-15} * 10 ))); do
		conns "$1" | grep -qE "$2" && return 0
		sleep 0.1
	done
	gt_log "$1: connections $(conns "$1"), wanted /$2/"
	return 1
}
check "a: both connections up" wait_conns a '^0:1:0:[0-9]+ 1:1:0:1$'
check "b: both connections up" wait_conns b '^0:1:0:[0-9]+ 1:1:0:1$'
check "a dialled the data connection" [ "$(conn_field a 1 dialled)" = True ]
check "vmgw status prints it" eval "gt_vmgw a status | grep -qE '^  connection #1 10.77.0.2:7400 \(dialled\)'"
pid_b=$(cat "$GT_DIR/b.pid")
check "b runs the data connection on a thread of its own" \
    eval "grep -q 'vmgw a#1' /proc/$pid_b/task/*/comm"

# sink_at PORT NAME: b's sink on PORT, into NAME.bin; its exit status in NAME.rc
sink_at() {
	( gt_nsx b python3 "$TOOLS/sink.py" "127.0.0.1:$1" "$GT_DIR/$2.bin" \
	    >"$GT_DIR/$2.out" 2>&1; echo $? >"$GT_DIR/$2.rc" ) &
	gt_wait_listen b "$1"
}
# send PORT FILE RATE: FILE to a's forward on PORT at RATE bytes/s (0: as fast as it goes)
send() {
	gt_nsx a python3 - "$1" "$2" "$3" <<'PY'
import socket, sys, time
port, path, rate = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
t0, n = time.time(), 0
with open(path, "rb") as f:
    while True:
        b = f.read(262144)
        if not b:
            break
        try:
            s.sendall(b)
        except OSError:
            sys.exit(3)
        n += len(b)
        if rate:
            d = n / rate - (time.time() - t0)
            if d > 0:
                time.sleep(d)
s.shutdown(socket.SHUT_WR)
s.recv(1)
PY
}
fwd() {	# fwd LOCALPORT TARGETPORT
	gt_vmgw a forward --to b --listen "127.0.0.1:$1" --connect "127.0.0.1:$2" \
	    >"$GT_DIR/fwd$1.out" 2>&1 &
	local i
	for i in $(seq 50); do grep -q forwarding "$GT_DIR/fwd$1.out" && break; sleep 0.1; done
}
fwd 5000 9000
fwd 5001 9001

# --- two streams, one on each connection, each thread doing its part
head -c 256M /dev/urandom >"$GT_DIR/s1"
head -c 256M /dev/urandom >"$GT_DIR/s2"
cpu() {	# cpu PID: "main-thread-ticks lane-thread-ticks"
	local t main=0 lane=0 v
	for t in /proc/$1/task/*; do
		v=$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null) || continue
		case $(cat "$t/comm") in
		vmgw\ *) lane=$((lane + v)) ;;
		vmgwd) main=$((main + v)) ;;
		esac
	done
	echo "$main $lane"
}
pid_a=$(cat "$GT_DIR/a.pid")
read -r a0m a0l < <(cpu "$pid_a")
read -r b0m b0l < <(cpu "$pid_b")
sink_at 9000 r1
sink_at 9001 r2
send 5000 "$GT_DIR/s1" $((96 << 20)) &
S1=$!
check "the first stream goes on the data connection" wait_conns a '^0:1:0:[0-9]+ 1:1:1:1$'
send 5001 "$GT_DIR/s2" $((96 << 20)) &
S2=$!
wait $S1 $S2
for i in $(seq 100); do [ -s "$GT_DIR/r1.rc" ] && [ -s "$GT_DIR/r2.rc" ] && break; sleep 0.1; done
check "stream 1 arrived intact" cmp -s "$GT_DIR/s1" "$GT_DIR/r1.bin"
check "stream 2 arrived intact" cmp -s "$GT_DIR/s2" "$GT_DIR/r2.bin"
read -r a1m a1l < <(cpu "$pid_a")
read -r b1m b1l < <(cpu "$pid_b")
gt_log "CPU ticks for 2 x 256 MiB: a main $((a1m - a0m)) lane $((a1l - a0l)), b main $((b1m - b0m)) lane $((b1l - b0l))"
check "a: the data connection's thread did its share ($((a1l - a0l)) ticks)" [ $((a1l - a0l)) -ge 5 ]
check "a: the main thread did the other stream ($((a1m - a0m)) ticks)" [ $((a1m - a0m)) -ge 5 ]
check "b: both threads worked ($((b1m - b0m)), $((b1l - b0l)) ticks)" [ $((b1l - b0l)) -ge 5 ] && [ $((b1m - b0m)) -ge 5 ]
out0=$(conn_field a 0 bytes_out) out1=$(conn_field a 1 bytes_out)
check "each connection carried one stream ($out0, $out1 bytes)" \
    [ "$out0" -gt $((250 << 20)) ] && [ "$out1" -gt $((250 << 20)) ]
rk0=$(conn_field a 0 rekeys) rk1=$(conn_field a 1 rekeys)
check "each connection rekeyed on its own ($rk0, $rk1)" [ "$rk0" -gt 100 ] && [ "$rk1" -gt 100 ]
rm -f "$GT_DIR"/r[12].*

# --- kill the data connection mid-stream
head -c 96M /dev/urandom >"$GT_DIR/s1"
head -c 96M /dev/urandom >"$GT_DIR/s2"
# kill_conn INDEX: kill that connection's TCP socket at b (ss -K)
kill_conn() {
	local addr port
	addr=$(conn_field b "$1" address)
	port=${addr##*:}
	gt_nsx b ss -K -tn "dst $(gt_ip a) and dport = :$port" >/dev/null
}
mid_stream_kill() {	# mid_stream_kill INDEX: streams on both, kill INDEX
	rm -f "$GT_DIR"/r[12].*
	sink_at 9000 r1
	sink_at 9001 r2
	send 5000 "$GT_DIR/s1" $((8 << 20)) &
	S1=$!
	wait_conns a '^0:1:0:[0-9]+ 1:1:1:[0-9]+$' 5
	send 5001 "$GT_DIR/s2" $((8 << 20)) &
	S2=$!
	wait_conns a '^0:1:1:[0-9]+ 1:1:1:[0-9]+$' 5
	sleep 1
	kill_conn "$1"
	wait $S1 $S2
	for i in $(seq 150); do [ -s "$GT_DIR/r1.rc" ] && [ -s "$GT_DIR/r2.rc" ] && break; sleep 0.1; done
}
hs1=$(conn_field a 1 handshakes)
mid_stream_kill 1
check "the stream on the killed data connection failed: its sink saw a reset ($(cat "$GT_DIR/r1.out"))" \
    [ "$(cat "$GT_DIR/r1.rc")" = 3 ]
check "the stream on the tunnel went on and arrived intact" cmp -s "$GT_DIR/s2" "$GT_DIR/r2.bin"
check "the tunnel stayed up" gt_connected a b
check_grep "a says which connection closed" 'b: connection 1 to 10.77.0.2:7400 closed: ' "$GT_DIR/a.log"
check "the data connection came back by itself" wait_conns a "^0:1:0:[0-9]+ 1:1:0:$((hs1 + 1))$" 15
check "and carries a new stream" eval 'rm -f "$GT_DIR"/r1.*; sink_at 9000 r1; send 5000 "$GT_DIR/s1" 0; for i in $(seq 100); do [ -s "$GT_DIR/r1.rc" ] && break; sleep 0.1; done; cmp -s "$GT_DIR/s1" "$GT_DIR/r1.bin"'

# --- kill the tunnel itself mid-stream
mid_stream_kill 0
check "the stream on the killed tunnel failed ($(cat "$GT_DIR/r2.out"))" [ "$(cat "$GT_DIR/r2.rc")" = 3 ]
check "the stream on the data connection went on and arrived intact" cmp -s "$GT_DIR/s1" "$GT_DIR/r1.bin"
check "the tunnel came back" wait_conns a '^0:1:0:[0-9]+ 1:1:0:[0-9]+$' 15

# --- a peer that takes one connection
sed -i 's/^    connections: 2/    connections: 1/' "$(gt_conf b)"
kill -HUP "$pid_b"
check "b closes the data connection on a reload to 1" wait_conns b '^0:1:0:[0-9]+( 1:0:0:[0-9]+)?$' 10
wait_log() {	# wait_log SITE REGEX SECONDS
	local i
	for i in $(seq 1 $(( $3 * 10 ))); do
		grep -qE -- "$2" "$GT_DIR/$1.log" && return 0
		sleep 0.1
	done
	return 1
}
check "b refuses a's data connection with a reason" wait_log b \
    'a: data connection 1 refused: b takes 1 connection from a \(its peers.a.connections\)' 10
check "a shows it refused" wait_conns a '^0:1:0:[0-9]+ 1:0:0:[0-9]+$' 5
check "vmgw status says so" eval "gt_vmgw a status | grep -q 'connection #1 down (refused by the peer): b refused the handshake: b takes 1 connection'"
check "streams still go, on the tunnel" eval 'rm -f "$GT_DIR"/r1.*; sink_at 9000 r1; send 5000 "$GT_DIR/s1" 0; for i in $(seq 100); do [ -s "$GT_DIR/r1.rc" ] && break; sleep 0.1; done; cmp -s "$GT_DIR/s1" "$GT_DIR/r1.bin"'
sed -i 's/^    connections: 1/    connections: 2/' "$(gt_conf b)"
kill -HUP "$pid_b"
# a dials a refused index again with a growing backoff (the new tunnel
# below dials it at once)
kill_conn 0
check "after b's reload to 2 and a new tunnel, both are up again" wait_conns a '^0:1:0:[0-9]+ 1:1:0:[0-9]+$' 20
rm -f "$GT_DIR"/s[12] "$GT_DIR"/r[12].*
gt_done
