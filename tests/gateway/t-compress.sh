#!/bin/bash
# Compression end to end: compressible data through a tunnel capped at
# 20 MB/s arrives intact, with `compress: auto` crossing in fewer bytes
# than it has (vmgw status shows both), and with `compress: off` in
# exactly as many.
. "$(dirname "$0")/lib.sh"
gt_init compress
gt_site a 1
gt_site b 2
gt_config a "b" "$(printf '    bandwidth: 20M\n    compress: auto')"
gt_config b "a" "forward_targets: [ \"127.0.0.1:9000\" ]"
gt_start a && gt_start b
check "tunnel up" gt_wait_connected a b

# 48 MiB that compresses: text with some noise in it
python3 -c '
import random, sys
random.seed(7)
words = [("w%d" % i).encode() * random.randint(1, 4) for i in range(5000)]
out = sys.stdout.buffer
n = 0
while n < 48 << 20:
    line = b" ".join(random.choice(words) for _ in range(12)) + b"\n"
    out.write(line); n += len(line)' | head -c 48M >"$GT_DIR/src.bin"
sha256sum <"$GT_DIR/src.bin" | cut -d' ' -f1 >"$GT_DIR/src.sum"

gt_vmgw a forward --to b --listen 127.0.0.1:5000 --connect 127.0.0.1:9000 \
    >"$GT_DIR/fwd.out" 2>&1 &
for i in $(seq 50); do grep -q forwarding "$GT_DIR/fwd.out" && break; sleep 0.1; done

send() {
	rm -f "$GT_DIR/sink.sum"
	gt_nsx b socat -u -b 262144 TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr - \
	    | sha256sum | cut -d' ' -f1 >"$GT_DIR/sink.sum" &
	gt_wait_listen b 9000
	local t0=$(date +%s.%N)
	gt_nsx a socat -u -b 262144 OPEN:"$GT_DIR/src.bin" TCP:127.0.0.1:5000
	for i in $(seq 100); do [ -s "$GT_DIR/sink.sum" ] && break; sleep 0.1; done
	gt_log "48 MiB in $(echo "$(date +%s.%N) - $t0" | bc) s"
}
zstat() {
	gt_vmgw "$1" -j status | python3 -c '
import json, sys
z = json.load(sys.stdin)["peers"][0]["compress"]
print(z["mode"], z["sent_data"], z["sent_compressed"], z["received_compressed"], z["received_data"])'
}

send
check "compressed: the 48 MiB arrived with the same SHA-256" cmp -s "$GT_DIR/src.sum" "$GT_DIR/sink.sum"
read -r mode sd sc _ _ <<<"$(zstat a)"
read -r _ _ _ rc rd <<<"$(zstat b)"
gt_log "a sent $sd bytes of data as $sc ($mode); b received $rc as $rd"
check_eq "a compresses in mode auto" auto "$mode"
check "a sent the data in less than half its size ($sc of $sd)" [ $((sc * 2)) -lt "$sd" ]
check_eq "b received as many bytes as a sent" "$sc" "$rc"
check_eq "b decompressed them back to the data" "$sd" "$rd"
gt_vmgw a status >"$GT_DIR/status.out"
check_grep "vmgw status shows both" '^  compress        auto: sent [0-9.]+ [KMG]?i?B as [0-9.]+ [KMG]?i?B, received' "$GT_DIR/status.out"

# compress: off: the same bytes cross as they are
gt_stop a
gt_config a "b" "$(printf '    bandwidth: 20M\n    compress: off')"
gt_start a
check "tunnel up again" gt_wait_connected a b
gt_vmgw a forward --to b --listen 127.0.0.1:5000 --connect 127.0.0.1:9000 \
    >"$GT_DIR/fwd2.out" 2>&1 &
for i in $(seq 50); do grep -q forwarding "$GT_DIR/fwd2.out" && break; sleep 0.1; done
send
check "raw: the 48 MiB arrived with the same SHA-256" cmp -s "$GT_DIR/src.sum" "$GT_DIR/sink.sum"
read -r mode sd sc _ _ <<<"$(zstat a)"
check_eq "compress off: sent as many bytes as the data" "$sd" "$sc"
gt_done
