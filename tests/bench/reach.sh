#!/bin/bash
# tests/bench/reach.sh - what a client sees of a guest that vmgw moves, per
# network plan.
#
# For each plan P (default: route l2) it writes the lab's vmgw configs with
#   peers.<peer>.plan: { mode: P, bridge: vmbr0, table: 100 }
# (LAB_VMGW_PLAN=P, see lab__write_config), restarts both gateways, boots web1
# fresh at site-a (its /32 in a's table 100, carried to the router by BIRD),
# then moves it a -> b and back b -> a with `vmgw migrate`.  Around each move
# the client probes run (lab_probes_start: ping every 10 ms and one TCP echo
# session, both through the router; for l2 also a ping from the L2 neighbour
# on site-a's vmbr0); they stop 4 s after vmgw migrate returns.
#
# Per plan and direction it prints QEMU's downtime (vmgw migrate's summary),
# the client-observed outage (longest gap between ping replies, and between
# TCP echoes), lost pings, whether the TCP session survived, where the router
# sends the guest's packets afterwards, how many client packets the OLD site
# still routed to the guest after vmgw migrate returned (should be 0), and
# the target: outage <= downtime + 100 ms.  The gaps include the probes' own
# spacing (10 ms ping, 50 ms TCP); a lost TCP segment costs at least one
# retransmission timeout (200 ms and more), so the target is judged on ping.
#
# usage: sudo tests/bench/reach.sh [PLAN...]      (PLAN: route, l2, none)
# environment: REACH_SETTLE_S (4) seconds of probing after the move,
#   REACH_MIGRATE_TIMEOUT (180) seconds for one vmgw migrate,
#   REACH_OUT (a new /tmp/vmgw-bench-reach.XXXXXX) where the outputs stay.
# Every wait is bounded.  At the end the gateways get back their plan-less
# configs (LAB_VMGW_PLAN=none).  Not a test: exit 0 when every move completed
# and met the target, 1 otherwise, 2 when the lab cannot be set up.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
export VMGW_BUILD_DIR=${VMGW_BUILD_DIR:-$SRC/build}
[ -x "$VMGW_BUILD_DIR/gateway/vmgwd" ] || "$SRC/tests/build.sh" release || exit 2
# shellcheck source=tests/lab/lib.sh
. "$SRC/tests/lab/lib.sh"
PLANS=${*:-route l2}
SETTLE=${REACH_SETTLE_S:-4}
MIG_TO=${REACH_MIGRATE_TIMEOUT:-180}
for p in $PLANS; do
	case $p in route|l2|none) ;; *) echo "reach.sh: unknown plan '$p' (route, l2, none)" >&2; exit 2 ;; esac
done
W=${REACH_OUT:-$(mktemp -d /tmp/vmgw-bench-reach.XXXXXX)}
mkdir -p "$W" || exit 2
RES=$W/results.txt
: >"$RES"
log() { printf '%(%T)T reach: %s\n' -1 "$*" >&2; }

lab_is_up || lab_up || exit 2
lab_routing_up || exit 2

gateways() { lab_vmgw_plan "$1"; }

restore() {
	lab_probes_stop "$W/cleanup" >/dev/null 2>&1
	log "restoring the plan-less gateway configs (LAB_VMGW_PLAN=none)"
	gateways none >/dev/null 2>&1 || log "WARNING: could not restore the gateways: run 'tests/lab/lab.sh keys' and restart vmgwd"
	log "outputs in $W"
}
trap restore EXIT

kv() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# move PLAN FROM TO: one vmgw migrate with the probes around it; appends a
# line "key=value ..." to $RES
move() {
	local plan=$1 from=$2 to=$3 D=$W/$1-$2$3 rc=0 out nb="" a dt reach path old
	mkdir -p "$D"
	[ "$plan" = l2 ] && nb=--neighbour
	if ! lab_probes_start "$D" $nb; then
		lab_probes_stop "$D" >/dev/null 2>&1
		echo "plan=$plan move=$from$to result=no-probes" >>"$RES"; return 1
	fi
	sleep 1                               # a baseline before the move
	log "$plan: vmgw migrate web1 site-$from -> site-$to"
	timeout -k 10 "$MIG_TO" "$VMGW" -c "$(lab_vmgw_config "$from")" migrate "$GUEST" \
		--to "${LAB_SITE_NAME[$to]}" >"$D/migrate.out" 2>&1 || rc=$?
	lab_fwd_zero                          # from here on the old site should route nothing to web1
	sleep "$SETTLE"
	lab_probes_stop "$D"
	old=$(lab_fwd_count "$from") || old="?"
	path=$(lab_router_path)
	a=$(lab_probes_analyze "$D") || a=""
	dt=$(awk '$1 == "downtime" && $2 ~ /^[0-9]+$/ { print $2; exit }' "$D/migrate.out")
	reach=$(sed -n 's/^ *reachable *from .* after \([0-9]*\) ms.*/\1/p' "$D/migrate.out" | head -n 1)
	out="plan=$plan move=$from$to result=$([ "$rc" = 0 ] && echo ok || echo "rc$rc") where=$(lab_guest_where)"
	out+=" downtime_ms=${dt:-?} reach_ms=${reach:-?} r_path=$path old_site_routed=$old $a"
	echo "$out" >>"$RES"
	echo "$out" >"$D/summary"
	if [ "$rc" != 0 ]; then
		log "$plan: vmgw migrate $from -> $to failed (exit $rc):"
		sed 's/^/    /' "$D/migrate.out" | tail -n 8 >&2
		return 1
	fi
}

for plan in $PLANS; do
	log "plan $plan: gateway configs and restart"
	if ! gateways "$plan"; then
		echo "plan=$plan move=ab result=no-gateways" >>"$RES"; continue
	fi
	log "plan $plan: web1 boots fresh at site-a"
	lab_site_clean a >/dev/null 2>&1; lab_site_clean b >/dev/null 2>&1
	if ! lab_guest_boot a; then
		echo "plan=$plan move=ab result=no-boot" >>"$RES"; continue
	fi
	move "$plan" a b || continue
	if [ "$(lab_guest_where)" != b ]; then
		echo "plan=$plan move=ba result=skipped(web1-not-at-b)" >>"$RES"; continue
	fi
	move "$plan" b a
done

# the table
echo
echo "vmgw reachability after a move (lab: $(lab_accel), outputs in $W)"
printf '%-5s %-4s %-8s %8s %8s %9s %5s %8s %-8s %3s %8s %9s %8s  %s\n' \
	plan move result qemu_dt vmgw_rch ping_gap lost tcp_gap tcp r_to old_rtd neigh_gap target verdict
bad=0
while read -r line; do
	v() { kv "$line" "$1"; }
	res=$(v result) dt=$(v downtime_ms) pg=$(v ping_max_gap_ms) tg=$(v tcp_max_gap_ms)
	target=- verdict=n/a
	if [ "$res" = ok ] && [[ $dt =~ ^[0-9]+$ ]] && [[ $pg =~ ^[0-9]+$ ]]; then
		target=$((dt + 100))
		if [ "$pg" -le "$target" ]; then verdict="met"; else verdict="MISSED (ping +$((pg - target)) ms)"; bad=1; fi
		[[ $tg =~ ^[0-9]+$ ]] && [ "$tg" -gt "$target" ] && verdict+=", tcp +$((tg - target)) ms"
		[ "$(v tcp_session)" = survived ] || { verdict+=", TCP session BROKEN"; bad=1; }
		[ "$(v old_site_routed)" = 0 ] || { verdict+=", old site still routes"; bad=1; }
	else
		bad=1
	fi
	mv=$(v move)
	printf '%-5s %-4s %-8s %8s %8s %9s %5s %8s %-8s %3s %8s %9s %8s  %s\n' \
		"$(v plan)" "${mv:0:1}->${mv:1:1}" "$res" "${dt:--} ms" "$(v reach_ms) ms" "${pg:--} ms" "$(v ping_lost)" \
		"${tg:--} ms" "$(v tcp_session)" "$(v r_path)" "$(v old_site_routed)" \
		"$( [ -n "$(v neigh_max_gap_ms)" ] && echo "$(v neigh_max_gap_ms) ms" || echo -)" \
		"$( [ "$target" = - ] && echo - || echo "$target ms")" "$verdict"
done <"$RES"
echo "target: outage (longest gap between ping replies at the client) <= QEMU downtime + 100 ms;"
echo "        the TCP gap is shown beside it (a lost segment waits for a retransmission timeout)."
echo "old_rtd: client packets the old site routed to web1 after vmgw migrate returned (want 0)."
exit "$bad"
