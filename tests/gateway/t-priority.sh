#!/bin/bash
# Control traffic goes ahead of bulk: the round trip of a peer message
# (the forward-check that `vmgw forward` asks before it listens) stays
# short while a bulk channel saturates a tunnel capped at 4 MB/s.  Before
# priority and bounded buffering, it waited behind up to 8 MiB of queued
# records there: seconds.  Not a benchmark: the bound (500 ms, the median
# of 5) is generous, what it catches is a control record stuck behind bulk.
. "$(dirname "$0")/lib.sh"
gt_init priority
gt_site a 1
gt_site b 2
gt_config a "b" "    bandwidth: 4M"
gt_config b "a" "forward_targets: [ \"127.0.0.1:9000\" ]"
gt_start a && gt_start b
check "tunnel up" gt_wait_connected a b

# milliseconds from starting `vmgw forward` to its "forwarding" line
rtt() {
	python3 - "$VMGW" "$(gt_conf a)" "$1" <<'PY'
import subprocess, sys, time
vmgw, conf, port = sys.argv[1:4]
t0 = time.monotonic()
p = subprocess.Popen([vmgw, "-c", conf, "forward", "--to", "b", "--listen",
    "127.0.0.1:" + port, "--connect", "127.0.0.1:9000"],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
line = p.stdout.readline()
ms = (time.monotonic() - t0) * 1000
p.terminate(); p.wait()
print("%.0f" % ms if line.startswith("forwarding") else "fail:" + line.strip())
PY
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

idle=""
for i in 1 2 3 4 5; do idle+="$(rtt $((6000 + i))) "; done
gt_log "control round trip, idle tunnel: $idle ms"

# bulk: 64 MiB through a forward, far more than the cap moves meanwhile
gt_nsx b socat -u -b 262144 TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr OPEN:/dev/null &
gt_wait_listen b 9000
gt_vmgw a forward --to b --listen 127.0.0.1:5000 --connect 127.0.0.1:9000 \
    >"$GT_DIR/fwd.out" 2>&1 &
for i in $(seq 50); do grep -q forwarding "$GT_DIR/fwd.out" && break; sleep 0.1; done
head -c 64M /dev/urandom >"$GT_DIR/bulk.bin"
gt_nsx a socat -u -b 262144 OPEN:"$GT_DIR/bulk.bin" TCP:127.0.0.1:5000 &
bulk=$!
sleep 3
busy=""
for i in 1 2 3 4 5; do busy+="$(rtt $((6100 + i))) "; done
gt_log "control round trip, tunnel saturated by bulk: $busy ms"
check "the bulk transfer is still running (the tunnel was saturated)" kill -0 $bulk
out=$(gt_vmgw a -j status | python3 -c '
import json, sys
p = json.load(sys.stdin)["peers"][0]
print(p["channels"], p["bytes_out"])')
gt_log "channels, bytes out while measuring: $out"
kill $bulk 2>/dev/null

m_idle=$(echo "$idle" | median)
m_busy=$(echo "$busy" | median)
echo "# control round trip: idle $m_idle ms, under bulk $m_busy ms (medians of 5)"
check "every round trip answered" eval "! echo '$idle $busy' | grep -q fail"
check "under bulk, the control round trip stays below 500 ms ($m_busy ms)" \
    [ "${m_busy%%[!0-9]*}" -lt 500 ]
gt_done
