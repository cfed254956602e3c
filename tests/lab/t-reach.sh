#!/bin/bash
# The guest stays reachable across moves, per network plan.  A client in its
# own namespace reaches web1 only through the router, which learns web1's /32
# by BGP (BIRD) from whichever site holds it: nothing in this test touches a
# route.  With a ping every 10 ms and one TCP session exchanging a line every
# 50 ms running, web1 moves a -> b -> a, with the route plan and with the l2
# plan; each time the TCP session survives, the pings keep coming, the router
# reaches web1 through the new site, and the old site forwards no packet to
# it afterwards.  With l2, a neighbour on site-a's bridge reaches web1 at
# site-b only through vmgw's tunnel: cut the tunnel and it cannot.
. "$(dirname "$0")/tlib.sh"
lt_init reach
trap 'lab_vmgw_plan none >/dev/null 2>&1; lt_exit' EXIT

# one move with the probes around it: FROM TO PLAN
move() {
	local from=$1 to=$2 plan=$3 D=$LT_DIR/$3-$1$2 a old path
	mkdir -p "$D"
	lab_probes_start "$D" $([ "$plan" = l2 ] && echo --neighbour) || return 1
	sleep 1
	lt_migrate "$from" "$to"
	local rc=$?
	lab_fwd_zero
	sleep 3
	old=$(lab_fwd_count "$from")
	path=$(lab_router_path)
	lab_probes_stop "$D"
	a=$(lab_probes_analyze "$D")
	echo "$a" >"$D/analysis"
	tap_log "$plan $from->$to: $a old_site_routed=$old"
	check "$plan $from->$to: vmgw migrate succeeds" [ $rc = 0 ]
	check_eq "$plan $from->$to: web1 runs at $to" "$to" "$(lab_guest_where)"
	check_grep "$plan $from->$to: the summary says it answers there" "reachable +from site-$to after [0-9]+ ms \(plan $plan\)" "$LT_DIR/last.out"
	check_eq "$plan $from->$to: the TCP session survived" survived "$(sed -n 's/.*tcp_session=\([a-zA-Z]*\).*/\1/p' "$D/analysis")"
	check "$plan $from->$to: the pings kept coming (at most 10% lost)" eval \
	    "awk '{for(i=1;i<=NF;i++){split(\$i,k,\"=\"); v[k[1]]=k[2]}} END {exit !(v[\"ping_replies\"] > 0 && v[\"ping_lost\"] * 10 <= v[\"ping_sent\"])}' '$D/analysis'"
	check_eq "$plan $from->$to: the router reaches web1 through site-$to" "$to" "$path"
	check_eq "$plan $from->$to: site-$from forwarded nothing to web1 afterwards" 0 "$old"
}

for plan in route l2; do
	lab_vmgw_plan "$plan" || { not_ok "$plan: gateways"; continue; }
	lab_site_clean a >/dev/null 2>&1; lab_site_clean b >/dev/null 2>&1
	lab_guest_boot a >/dev/null 2>&1 || { not_ok "$plan: boot"; continue; }
	check_eq "$plan: the router learned web1's /32 from site-a" a "$(lab_router_path)"
	move a b "$plan"
	if [ "$plan" = l2 ]; then
		check "l2: the neighbour on site-a's bridge reaches web1 at site-b" lab_neighbour_ping 3
		check_grep "l2: through vmgw's port on site-a's bridge" 'vmgw-site-b' <(lab_nsx a ip -br link show master vmbr0)
		check "l2: no VXLAN or other tunnel on the bridges" eval "! lab_nsx a ip -d link show master vmbr0 | grep -qE 'vxlan|gretap|geneve'"
		lab_wan_block drop >/dev/null
		check "l2: with the tunnel cut the neighbour cannot reach web1" eval "! lab_neighbour_ping 2 >/dev/null 2>&1"
		lab_wan_unblock >/dev/null
		lt_wait_tunnel a site-b
		sleep 1
		check "l2: with the tunnel back it can" lab_neighbour_ping 3
	fi
	move b a "$plan"
done
lt_done
