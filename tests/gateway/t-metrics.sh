#!/bin/bash
# The metrics endpoint (metrics: HOST:PORT), scraped from live gateways and
# parsed with the Prometheus client library's parser: every family with its
# type, the tunnel's series (up, bytes, handshakes, rekeys, round trip), a
# tunnel closed for a tampered record counted under reason="auth", the jobs
# by kind and state and the migration histograms there with zero counts
# (a gateway test cannot migrate), bad requests answered 404/405, and a
# reload that moves the endpoint.
. "$(dirname "$0")/lib.sh"
gt_init metrics
gt_site a 1
gt_site b 2
RELAY=10.77.0.254:7500
gt_config a "b" "metrics: 127.0.0.1:9100
tunnel: { rekey_bytes: 1M, keepalive: 1 }"
sed -i "s|endpoint: $(gt_ip b):7400|endpoint: $RELAY|" "$(gt_conf a)"	# a -> relay -> b
gt_config b "a@" "metrics: 127.0.0.1:9100"
FLIP=$((12 * 1024 * 1024 + 4321))
gt_nsx w python3 "$TOOLS/tcprelay.py" --listen "$RELAY" --connect "$(gt_ip b):7400" \
    --flip-offset $FLIP --flip-dir c2s --log "$GT_DIR/relay.log" &
sleep 0.5
gt_start a && gt_start b
check "tunnel up through the relay" gt_wait_connected a b
check_grep "a serves its metrics" 'metrics: serving http://127.0.0.1:9100/metrics' "$GT_DIR/a.log"
# Debian's python3 has python3-prometheus-client (another python3 may be first on PATH)
PROMPY=/usr/bin/python3
"$PROMPY" -c "import prometheus_client" 2>/dev/null || { echo "1..0 # SKIP no python3-prometheus-client"; exit 77; }
# q SITE EXPR [PORT]
q() { gt_nsx "$1" "$PROMPY" "$TOOLS/promq.py" "http://127.0.0.1:${3:-9100}/metrics" "$2"; }

check "the scrape parses" q a 'len(fams) > 10'
for f in vmgw_tunnel_up:gauge vmgw_tunnel_bytes:counter vmgw_tunnel_handshakes:counter \
    vmgw_tunnel_rekeys:counter vmgw_tunnel_dropped_records:counter vmgw_tunnel_rtt_seconds:gauge \
    vmgw_tunnel_channels:gauge vmgw_jobs:gauge vmgw_migration_duration_seconds:histogram \
    vmgw_migration_downtime_seconds:histogram vmgw_build_info:gauge vmgw_config_info:gauge \
    vmgw_config_reloads:counter vmgw_start_time_seconds:gauge; do
	check_eq "family ${f%:*} is a ${f#*:}" "${f#*:}" "$(q a "typ('${f%:*}')")"
done
check_eq "vmgw_tunnel_up{peer=b} 1" 1.0 "$(q a 'val("vmgw_tunnel_up", peer="b")')"
check_eq "vmgw_tunnel_handshakes_total{peer=b} 1" 1.0 "$(q a 'val("vmgw_tunnel_handshakes_total", peer="b")')"
check "a round trip is there" q a 'val("vmgw_tunnel_rtt_seconds", peer="b") > 0'
n=$(q a 'sum(1 for s in samples("vmgw_jobs") if s.labels["kind"] == "migration" and s.value == 0)')
check_eq "vmgw_jobs: all 9 states of kind migration, at 0" 9 "$n"
check_eq "vmgw_jobs{kind=migration,state=done} 0" 0.0 "$(q a 'val("vmgw_jobs", kind="migration", state="done")')"
check_eq "migration durations: none yet" 0.0 "$(q a 'val("vmgw_migration_duration_seconds_count")')"
check_eq "... +Inf bucket 0" 0.0 "$(q a 'val("vmgw_migration_duration_seconds_bucket", le="+Inf")')"
check_eq "migration downtimes: none yet" 0.0 "$(q a 'val("vmgw_migration_downtime_seconds_count")')"
check "... with its buckets" q a 'has("vmgw_migration_downtime_seconds_bucket", le="0.1")'
hash=$(gt_vmgw a -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["hash"])')
check "vmgw_config_info carries the status hash ($hash)" q a "val('vmgw_config_info', path='$(gt_conf a)', hash='$hash') == 1"

# traffic a -> b until the relay flips a bit: b counts a tunnel dropped for auth
out0=$(q a 'val("vmgw_tunnel_bytes_total", peer="b", direction="out")')
gt_vmgw a bench b --bytes 32M >"$GT_DIR/bench.out" 2>&1
check_grep "the relay flipped a bit" 'c2s: flipped one bit' "$GT_DIR/relay.log"
check_grep "b closed the tunnel for it" 'a: tunnel from .* closed: bad record at byte offset [0-9]+: authentication failed' "$GT_DIR/b.log"
check_eq "b: vmgw_tunnel_dropped_records_total{peer=a,reason=auth} 1" 1.0 \
    "$(q b 'val("vmgw_tunnel_dropped_records_total", peer="a", reason="auth")')"
check_eq "b: ... reason=length 0" 0.0 "$(q b 'val("vmgw_tunnel_dropped_records_total", peer="a", reason="length")')"
check "a-b comes back" gt_wait_connected a b 30
gt_vmgw a bench b --bytes 8M >>"$GT_DIR/bench.out" 2>&1
check "a: bytes out grew by more than the flip offset" q a "val('vmgw_tunnel_bytes_total', peer='b', direction='out') > $out0 + $FLIP"
check "a: bytes in counted too" q a 'val("vmgw_tunnel_bytes_total", peer="b", direction="in") > 0'
check "a: rekeys counted (rekey_bytes 1M)" q a 'val("vmgw_tunnel_rekeys_total", peer="b") >= 10'
check "b: two handshakes with a" q b 'val("vmgw_tunnel_handshakes_total", peer="a") == 2'

# HTTP: only GET /metrics
code() { gt_nsx a curl -s -o /dev/null -w '%{http_code}' "$@"; }
check_eq "GET / is 404" 404 "$(code http://127.0.0.1:9100/)"
check_eq "POST /metrics is 405" 405 "$(code -X POST -d x=1 http://127.0.0.1:9100/metrics)"
check "the content type is the text format 0.0.4" eval "gt_nsx a curl -sI http://127.0.0.1:9100/metrics | grep -qi '^content-type: text/plain; version=0.0.4'"
for i in $(seq 20); do q a 'len(fams)' >/dev/null || break; done
check "20 scrapes in a row" [ "$i" = 20 ]

# a reload moves the endpoint
sed -i 's/^metrics: .*/metrics: 127.0.0.1:9101/' "$(gt_conf a)"
kill -HUP "$(cat "$GT_DIR/a.pid")"
for i in $(seq 50); do grep -q 'serving http://127.0.0.1:9101' "$GT_DIR/a.log" && break; sleep 0.1; done
check_grep "a serves on the new address" 'metrics: serving http://127.0.0.1:9101/metrics' "$GT_DIR/a.log"
check "the new address answers" q a 'val("vmgw_config_reloads_total", result="applied") == 1' 9101
check "the old one is closed" eval "! gt_nsx a curl -s -o /dev/null http://127.0.0.1:9100/metrics"
gt_done
