#!/bin/bash
# Moves over two connections per peer (connections: 2, set by a reload):
# a live move with --parallel 4 spreads QEMU's streams over the tunnel and
# the data connection (the destination connects the main stream first),
# and one without; the data connection killed during the memory copy fails
# the move cleanly (web1 stays at site a with its data, site b is clean),
# the connection comes back by itself, and a retry succeeds.  The lab is
# left at connections: 1.
. "$(dirname "$0")/tlib.sh"
lt_init conns
lt_guest_at a || exit 1

# conns SITE: "index:connected:channels ..." of its peer's connections
conns() {
	lab_vmgw "$1" -j status 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["peers"][0]
print(" ".join("%d:%d:%d" % (c["index"], c["connected"], c.get("channels", 0))
    for c in p.get("connections", [])))'
}
conn_field() {	# conn_field SITE INDEX FIELD
	lab_vmgw "$1" -j status 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["peers"][0]
c = [c for c in p["connections"] if c["index"] == int(sys.argv[1])][0]
print(c.get(sys.argv[2], ""))' "$2" "$3"
}
wait_conns() {	# wait_conns SITE REGEX [SECONDS]
	local i
	for i in $(seq 1 $(( ${3:-20} * 5 ))); do
		conns "$1" | grep -qE "$2" && return 0
		sleep 0.2
	done
	tap_log "site $1: connections $(conns "$1"), wanted /$2/"
	return 1
}
set_conns() {	# set_conns N: both sites' configs, reloaded
	local s
	LAB_VMGW_CONNECTIONS=$1
	for s in a b; do
		lab_vmgw_rewrite "$s" && kill -HUP "$(lab_vmgwd_pid "$s")"
	done
}
trap 'set_conns 1; lt_exit' EXIT

set_conns 2
check "a reload to connections: 2 brings up the data connection at a" wait_conns a '^0:1:[0-9]+ 1:1:[0-9]+$'
check "... and at b" wait_conns b '^0:1:[0-9]+ 1:1:[0-9]+$'
data=$(lt_write a)
check "wrote data to web1's disk at site-a ($data)" [ -n "$data" ]

# --parallel 4: the main stream and four multifd streams, over both
in0=$(conn_field b 0 bytes_in) in1=$(conn_field b 1 bytes_in)
lt_migrate a b --parallel 4
check "--parallel 4 a -> b over two connections exits 0" [ $? = 0 ]
check_eq "web1 runs at site-b only" b "$(lab_guest_where)"
check_eq "its data reads back at site-b" "$data" "$(lt_read b)"
d0=$(( $(conn_field b 0 bytes_in) - in0 )) d1=$(( $(conn_field b 1 bytes_in) - in1 ))
check "both connections carried the move ($((d0 >> 20)) MiB on the tunnel, $((d1 >> 20)) MiB on the data connection)" \
    [ "$d0" -gt $((4 << 20)) ] && [ "$d1" -gt $((4 << 20)) ]
check "site-a is clean" lt_is_clean a

# without --parallel: the memory stream goes on the data connection
in1=$(conn_field a 1 bytes_in)
lt_migrate b a
check "b -> a over two connections exits 0" [ $? = 0 ]
check_eq "web1 runs at site-a only" a "$(lab_guest_where)"
check_eq "the data is still there" "$data" "$(lt_read a)"
d1=$(( $(conn_field a 1 bytes_in) - in1 ))
check "the memory stream came on the data connection ($((d1 >> 20)) MiB)" [ "$d1" -gt $((8 << 20)) ]

# the data connection killed during the memory copy
lt_migrate_bg a b --bandwidth 4M
check "kill: the memory copy starts" lt_wait_phase "memory copy"
check "kill: the memory stream is on the data connection" wait_conns a '^0:1:[0-9]+ 1:1:[1-9][0-9]*$' 5
# the side that accepted it sees the dialler's ephemeral port: kill there
for s in a b; do
	addr=$(conn_field "$s" 1 address)
	[ "${addr##*:}" = "$VMGW_PORT" ] && continue
	lab_nsx "$s" ss -K -tn "dst ${addr%:*} and dport = :${addr##*:}" >/dev/null
	break
done
wait "$LT_PID"
check "kill: vmgw migrate fails" [ $? != 0 ]
cp "$LT_DIR/last.out" "$LT_DIR/kill.out"
check_grep "kill: the job names the connection's loss" 'connection 1 to site-b lost' "$LT_DIR/kill.out"
lt_check_undone a b "$data" kill
check "kill: the tunnel stayed up" lt_wait_tunnel a site-b
check "kill: the data connection came back by itself" wait_conns a '^0:1:[0-9]+ 1:1:[0-9]+$'
lt_check_again a b "$data" kill
lt_migrate b a
check "and back to site-a" [ $? = 0 ]

set_conns 1
check "a reload back to connections: 1 closes the data connection" wait_conns b '^0:1:[0-9]+( 1:0:[0-9]+)?$'
lt_done
