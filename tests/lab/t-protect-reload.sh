#!/bin/bash
# protect: entries on a reload (SIGHUP), and the metrics of a protected
# guest and of a migration, scraped live and parsed with the Prometheus
# client's parser (tests/tools/promq.py).  An entry added to site a's
# config and a reload: web1 is protected with its settings, a point
# completes, the replication series show it; its rpo changed and a
# reload: the new target shows; the entry removed and a reload: web1 stays
# protected and the log says why.  Then, unprotected, web1 moves a -> b ->
# a and each source's histograms and job gauges count the move.
. "$(dirname "$0")/tlib.sh"
lt_init protect-reload
V() { lab_vmgw a "$@"; }
B=$LAB/site-b/lib/images-b/vmgw-replica/web1
LOG=$LAB/site-a/vmgwd.log
PROMPY=/usr/bin/python3
"$PROMPY" -c "import prometheus_client" 2>/dev/null || { echo "1..0 # SKIP no python3-prometheus-client"; exit 77; }
# q SITE EXPR: EXPR over a live scrape of SITE's vmgwd (promq.py)
TOOLS_DIR=$VMGW_SOURCE_DIR/tests/tools
q() { lab_nsx "$1" "$PROMPY" "$TOOLS_DIR/promq.py" "http://127.0.0.1:$LAB_METRICS_PORT/metrics" "$2"; }
# conf YAML: site a's config with YAML appended, then SIGHUP its vmgwd;
# waits for the reload's last log line, then fails when it was refused
R='configuration reloaded|reload refused'
conf() {
	local n; n=$(grep -cE "$R" "$LOG")
	LAB_VMGW_EXTRA_A=$1 lab_vmgw_rewrite a || return 1
	kill -HUP "$(lab_vmgwd_pid a)" || return 1
	lab__wait 20 0.2 bash -c "[ \$(grep -cE '$R' '$LOG') -gt $n ]" || return 1
	! grep -E "$R" "$LOG" | tail -1 | grep -q 'reload refused'
}
# rep KEY: web1's KEY in vmgw -j replication (empty when not protected)
rep() {
	V -j replication 2>/dev/null | python3 -c '
import json, sys
for g in json.load(sys.stdin)["guests"]:
    if g["domain"] == "web1":
        print(g[sys.argv[1]])' "$1" 2>/dev/null
}
cleanup_dr() {
	V unprotect web1 --keep-replica >/dev/null 2>&1
	lab_vmgw b unprotect web1 --keep-replica >/dev/null 2>&1
	rm -rf "$B" "$LAB/site-a/lib/images/vmgw-replica"
}

cleanup_dr
lt_guest_at a >/dev/null 2>&1 || { lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null; }
check "web1 runs at site a" lt_guest_at a
check "a serves its metrics" q a 'len(fams) > 10'

# --- a protect: entry, then SIGHUP
check "reload with protect: web1 (rpo 60s, keep 5)" \
    conf $'protect:\n  web1: { to: site-b, rpo: 60s, keep: 5 }'
check_eq "vmgw replication: web1 protected to site-b" site-b "$(rep to)"
check_eq "... with the entry's target RPO" 60 "$(rep target_rpo_s)"
check_grep "the log: protected by the configuration" \
    'web1: protected to site-b \(rpo 60s, keep 5\)' "$LOG"
check "a point completes (vmgw sync)" eval 'V sync web1 >"$LT_DIR/sync" 2>&1'
check_eq "metric: target RPO of web1" 60.0 \
    "$(q a 'val("vmgw_replication_target_rpo_seconds", guest="web1", to="site-b")')"
check "metric: RPO of web1 is a real age now (>= 0)" \
    q a 'val("vmgw_replication_rpo_seconds", guest="web1", to="site-b") >= 0'
check "metric: the last cycle shipped bytes" \
    q a 'val("vmgw_replication_last_cycle_bytes", guest="web1", to="site-b") > 0'
check "metric: points kept at the backup site >= 1" \
    q a 'val("vmgw_replication_points", guest="web1", to="site-b") >= 1'
check_eq "metric: violations is a counter" counter "$(q a 'typ("vmgw_replication_violations")')"
check "metric: web1's violations are counted (>= 0)" \
    q a 'val("vmgw_replication_violations_total", guest="web1", to="site-b") >= 0'
check "metric: one replication job running" \
    q a 'val("vmgw_jobs", kind="replication", state="running") >= 1'
check "metric: the tunnel to site-b is up" q a 'val("vmgw_tunnel_up", peer="site-b") == 1'

# --- its rpo and keep changed
check "reload with rpo 120s, keep 6" \
    conf $'protect:\n  web1: { to: site-b, rpo: 120s, keep: 6 }'
check_eq "vmgw replication: the new target RPO" 120 "$(rep target_rpo_s)"
check_eq "metric: the new target RPO" 120.0 \
    "$(q a 'val("vmgw_replication_target_rpo_seconds", guest="web1", to="site-b")')"
check_grep "the log says the config updated it" \
    'web1: protection to site-b updated by the configuration: rpo 120s, keep 6' "$LOG"
check "a point completes with the new settings" eval 'V sync web1 >"$LT_DIR/sync" 2>&1'

# --- the entry removed: protection is durable, it goes on
check "reload without the entry" conf ""
check_eq "web1 is still protected to site-b" site-b "$(rep to)"
check_grep "the log says it stays protected until vmgw unprotect" \
    'protect.web1 left the configuration: it stays protected to site-b until vmgw unprotect web1' "$LOG"
check "a point still completes" eval 'V sync web1 >"$LT_DIR/sync" 2>&1'

# --- the migration series (unprotected: a plain move)
check "unprotect --keep-replica" eval 'V unprotect web1 --keep-replica >/dev/null'
check "migrate a -> b" lt_migrate a b
check "metric at a: the migration duration histogram counted it" \
    q a 'val("vmgw_migration_duration_seconds_count") >= 1'
check_eq "metric at a: the histogram is a histogram" histogram \
    "$(q a 'typ("vmgw_migration_duration_seconds")')"
check "metric at a: its downtime was observed" \
    q a 'val("vmgw_migration_downtime_seconds_count") >= 1'
check "metric at a: a migration job done" \
    q a 'val("vmgw_jobs", kind="migration", state="done") >= 1'
check "metric at a: no migration running" \
    q a 'val("vmgw_jobs", kind="migration", state="running") == 0'
check "migrate b -> a" lt_migrate b a
check "metric at b: its move counted" \
    q b 'val("vmgw_migration_duration_seconds_count") >= 1'
check "web1 runs at a only" lt_guest_at a

cleanup_dr
tap_done
