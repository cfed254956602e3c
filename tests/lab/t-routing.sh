#!/bin/bash
# The lab's routing, without vmgw: BIRD carries web1's /32 from a site's
# table 100 to the router r by eBGP, so the client reaches web1 through r.
# Moving just the /32 by hand (no migration: web1 stays at site-a) moves r's
# route within well under a second; the client probes see the outage while
# the route points at the wrong site, and their TCP session survives it; the
# forwarding counters show which site routed the client's packets; the L2
# neighbour on site-a's vmbr0 pings web1 over the bridge.
. "$(dirname "$0")/tlib.sh"
lt_init routing
quiet() { "$@" >>"$LT_DIR/quiet.out" 2>&1; }
lt_guest_at a || exit 1
# an already running web1 keeps whatever route it had: place it (initial state)
check "web1's /32 placed at site-a (lab_guest_route a)" lab_guest_route a

check "BGP a-r is Established" lab__bgp_up a
check "BGP b-r is Established" lab__bgp_up b
check "r's BGP sessions to a and b are Established" lab__bgp_up r
check_eq "r routes web1 via site-a" a "$(lab_router_path)"
lab_nsx r ip -4 route show "$GUEST_IP/32" >"$LT_DIR/r-route" 2>&1
check_grep "r's route to web1 comes from BIRD" "^$GUEST_IP via $RA_IP_A dev $RA_IF_R proto bird" "$LT_DIR/r-route"
check "r has no other route to web1 (no static one)" [ "$(wc -l <"$LT_DIR/r-route")" = 1 ]
lab_bird r show route "$GUEST_IP/32" all >"$LT_DIR/r-bird" 2>&1
check_grep "r's BIRD learnt it from site-a (AS path 65001)" "BGP.as_path: ${LAB_AS[a]}\$" "$LT_DIR/r-bird"
lab_client_http /cgi-bin/status >"$LT_DIR/http" 2>&1
check_grep "the client gets web1's status over HTTP through r" '^boot_id ' "$LT_DIR/http"
lab_fwd_zero
check "the client pings web1 through r" quiet lab_nsx c ping -n -q -c 5 -i 0.1 -W 1 -w 5 "$GUEST_IP"
check "... site-a routed those pings (forwarding counter >= 5)" [ "$(lab_fwd_count a)" -ge 5 ]
check_eq "... site-b routed none of them" 0 "$(lab_fwd_count b)"

# the client probes run through the whole flip a -> b -> a
lab_probes_start "$LT_DIR/probes"
check "client probes (ping, TCP echo) start" [ $? = 0 ]
sleep 0.5

# move_route FROM TO: delete the /32 at FROM, add it at TO (table 100, as
# vmgwd's route plan writes it), then time until r routes web1 to TO;
# sets MS (after the add) and MS_ALL (from before the delete)
move_route() {
	local from=$1 to=$2 t0 t1 end
	t0=$(lab__us)
	lab_nsx "$from" ip route del "$GUEST_IP/32" dev "$BRIDGE" table "$LAB_RT_TABLE" proto "$LAB_RT_PROTO" &&
	lab_nsx "$to" ip route add "$GUEST_IP/32" dev "$BRIDGE" table "$LAB_RT_TABLE" proto "$LAB_RT_PROTO" || return 1
	t1=$(lab__us) end=$((t1 + 5000000))
	while [ "$(lab_router_path)" != "$to" ]; do
		[ "$(lab__us)" -lt "$end" ] || { MS=timeout MS_ALL=timeout; return 1; }
	done
	MS=$((($(lab__us) - t1) / 1000)) MS_ALL=$((($(lab__us) - t0) / 1000))
}

below_1s() { [ "$1" != timeout ] && [ "$1" -lt 1000 ]; }

lab_fwd_zero
move_route a b
check "the /32 moved by hand from site-a's table 100 to site-b's" [ $? = 0 ]
tap_log "r routes web1 via site-b ${MS} ms after the add at b (${MS_ALL} ms after the delete at a began)"
echo "# BGP convergence a -> b: ${MS} ms (${MS_ALL} ms including the two ip commands)"
check "r follows within 1 s (${MS} ms)" below_1s "$MS"
check_eq "r routes web1 via site-b" b "$(lab_router_path)"
quiet lab_nsx c ping -n -q -c 3 -i 0.05 -W 0.1 "$GUEST_IP"
check "the client's packets now go through site-b (its counter rose)" [ "$(lab_fwd_count b)" -ge 3 ]

t_ab=$MS
move_route b a
check "the /32 moved back to site-a" [ $? = 0 ]
echo "# BGP convergence b -> a: ${MS} ms (${MS_ALL} ms including the two ip commands)"
check "r follows within 1 s (${MS} ms)" below_1s "$MS"
check_eq "r routes web1 via site-a again" a "$(lab_router_path)"
check "the client reaches web1 again (HTTP)" eval 'lab_client_http /cgi-bin/status | grep -q "^boot_id "'
sleep 0.5
lab_probes_stop "$LT_DIR/probes"
res=$(lab_probes_analyze "$LT_DIR/probes")
tap_log "probes: $res"
echo "# probes: $res"
val() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$res"; }
check "the ping probe got replies before and after the flip" [ "$(val ping_replies)" -ge 50 ]
check "the ping probe saw the outage (gap $(val ping_max_gap_ms) ms >= 50 ms)" [ "$(val ping_max_gap_ms)" -ge 50 ]
check_eq "the TCP probe's one session survived it" survived "$(val tcp_session)"
check "the TCP probe saw it too (gap $(val tcp_max_gap_ms) ms > 50 ms)" [ "$(val tcp_max_gap_ms)" -gt 50 ]

# the L2 neighbour on site-a's bridge
lab_fwd_zero
check "the L2 neighbour pings web1 at site-a" quiet lab_neighbour_ping 3
check "... bridged by site-a (bridged counter >= 3)" [ "$(lab_fwd_count a bridged)" -ge 3 ]
check_eq "... not routed by it" 0 "$(lab_fwd_count a)"
echo "# BGP convergence after a change in a site's table 100: a->b ${t_ab} ms, b->a ${MS} ms"
lt_done
