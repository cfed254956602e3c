#!/bin/bash
# Failover test (DR part 2, issue 9 item 2): web1 protected a -> b, a point
# with marker 1; `vmgw failover web1 --test --check-tcp 80` at b starts a
# copy web1-test there on an isolated network while web1 keeps running at
# a: the client still reaches web1 at a, the copy answers only inside the
# isolated network (from a namespace of the test's own on its bridge, not
# from site b's namespace), has marker 1 on its disks, replication goes on
# (vmgw sync, a new point) and the tested point is pinned.  vmgwd at b is
# restarted; `--test --end` then removes the copy, its overlays and the
# network, lifts the pin and marks the point tested.  And the refusals:
# --end with no test, a point that does not exist, a second test, a real
# failover during the test.
. "$(dirname "$0")/tlib.sh"
lt_init test-failover
# the probe namespace belongs to a helper in a user namespace of its own:
# b's gateway has no CAP_SYS_ADMIN (CapEff net_admin, net_raw, dac_override)
check_eq "b's vmgwd runs as vmgw without CAP_SYS_ADMIN" "vmgw 0000000000003002" \
	"$(ps -o user= -p "$(lab_vmgwd_pid b)") $(awk '/^CapEff/ { print $2 }' "/proc/$(lab_vmgwd_pid b)/status")"
V() { lab_vmgw a "$@"; }
W() { lab_vmgw b "$@"; }
B=$LAB/site-b/lib/images-b/vmgw-replica/web1
BIN=/var/lib/libvirt/images-b/vmgw-replica/web1	# the same, inside site b
TP=$LAB_PREFIX-tp		# the test's own namespace on the isolated bridge
COPY=web1-test
no_dom() { ! lab_virsh b dominfo "$1" >/dev/null 2>&1; }
no_net() { ! lab_virsh b net-info "$1" >/dev/null 2>&1; }
no_link() { ! lab_nsx b ip link show "$1" >/dev/null 2>&1; }
no_vmgw_links() { ! lab_nsx b ip -o link show | grep -qE ': vmgw[pt][0-9a-f]{8}[:@]'; }
PY() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }

cleanup() {
	W failover web1 --test --end >/dev/null 2>&1
	ip netns del "$TP" 2>/dev/null
	V unprotect web1 >/dev/null 2>&1
	W unprotect web1 >/dev/null 2>&1
	lab_site_clean b >/dev/null 2>&1
	rm -rf "$B" "$LAB/site-a/lib/images/vmgw-replica"
}
cleanup
lt_guest_at a >/dev/null 2>&1 || { lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null; }
check "web1 runs at site a" lt_guest_at a
prod_boot=$(lab_guest_http a /cgi-bin/status | awk '$1 == "boot_id" {print $2}')
check "protect web1 to site-b" V protect web1 --to site-b --rpo 60s --keep 3
lab_guest_http a '/cgi-bin/mark?1' >/dev/null
check "a point with marker 1 (sync)" V sync web1

# refusals before any test
W failover web1 --test --end >"$LT_DIR/noend" 2>&1; r=$?
check_eq "--test --end with no test running is refused (exit 6)" 6 "$r"
check_grep "... saying that no test runs" 'no failover test runs at site-b' "$LT_DIR/noend"
W failover web1 --test --point p999999 >"$LT_DIR/nopoint" 2>&1; r=$?
check_eq "--test on a point that does not exist is refused (exit 6)" 6 "$r"
check_grep "... naming the point" 'no point p999999 at site-b' "$LT_DIR/nopoint"
check "... and leaves no record, copy or pin" bash -c \
    "[ ! -e '$B/test.json' ] && [ ! -e '$B/test' ] && ! grep -q '\"pinned\": true' '$B/manifest.json'"
check "... nor a domain $COPY" no_dom $COPY

# the test
W failover web1 --test --check-tcp 80 --check-timeout 60s -j >"$LT_DIR/tf.json" 2>"$LT_DIR/tf.err"; r=$?
check_eq "vmgw failover web1 --test --check-tcp 80 at b (exit 0)" 0 "$r"
[ "$r" = 0 ] || cat "$LT_DIR/tf.err" >&2
point=$(PY 'd["point"]' "$LT_DIR/tf.json" 2>/dev/null)
net=$(PY 'd["network"]["name"]' "$LT_DIR/tf.json" 2>/dev/null)
br=$(PY 'd["network"]["bridge"]' "$LT_DIR/tf.json" 2>/dev/null)
pif=$(PY 'd["probe"]["interface"]' "$LT_DIR/tf.json" 2>/dev/null)
uuid=$(PY 'd["uuid"]' "$LT_DIR/tf.json" 2>/dev/null)
tap_log "test: point $point network $net bridge $br probe if $pif: $(tr -d '\n' <"$LT_DIR/tf.json" | head -c 900)"
check_eq "the report names the copy" "$COPY" "$(PY 'd["copy"]' "$LT_DIR/tf.json" 2>/dev/null)"
check "the report has point_start, achieved_rpo_s and rto_s" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["point_start"] > 0 and d["achieved_rpo_s"] >= 0 and d["rto_s"] > 0 else 1)' "$LT_DIR/tf.json"
check_eq "the copy answered its probe (from the isolated network)" True "$(PY 'd["reach"]["ok"]' "$LT_DIR/tf.json" 2>/dev/null)"
check_eq "the TCP check on port 80 passed" True "$(PY 'd["check"]["ok"]' "$LT_DIR/tf.json" 2>/dev/null)"
check_eq "the network is one vmgw made (no test_networks in the lab)" True "$(PY 'd["network"]["made"]' "$LT_DIR/tf.json" 2>/dev/null)"
check_eq "the copy runs at b under its own name" running "$(lab_virsh b domstate $COPY 2>/dev/null | head -1)"
check "web1 itself is not defined at b" no_dom web1
check "the copy has its own UUID" [ -n "$uuid" -a "$uuid" != "$GUEST_UUID" ]
check_eq "web1 still runs at a" running "$(lab__guest_state a)"
lab_client_http /cgi-bin/status >"$LT_DIR/client" 2>&1
check_grep "the client still reaches the production guest at a" "^boot_id $prod_boot" "$LT_DIR/client"
lab_virsh b net-dumpxml "$net" >"$LT_DIR/net.xml" 2>&1
check "the isolated network has no forward mode and no address" \
    bash -c "grep -q '<bridge' '$LT_DIR/net.xml' && ! grep -qE '<forward|<ip' '$LT_DIR/net.xml'"
lab_virsh b dumpxml $COPY >"$LT_DIR/copy.xml" 2>&1
check "the copy's only interface is on it" bash -c \
    "[ \"\$(grep -c '<interface' '$LT_DIR/copy.xml')\" = 1 ] && grep -q \"<source network='$net'\" '$LT_DIR/copy.xml'"
check "its disks are overlays in the chain's test dir" bash -c \
    "grep -q \"file='$BIN/test/vda.qcow2'\" '$LT_DIR/copy.xml' && [ -f '$B/test/vda.qcow2' ]"
check "the production disk path at b is left alone" [ ! -e "$LAB/site-b/lib/images-b/web1.qcow2" ]
check "vmgw's probe namespace went after the probe (no $pif at b)" no_link "$pif"

# the test's own look at the isolated network: a namespace on its bridge
ip netns add "$TP" &&
	ip link add vtf-p netns "$NS_B" type veth peer name vtf-q netns "$TP" &&
	lab_nsx b ip link set vtf-p master "$br" up &&
	ip netns exec "$TP" ip addr add 10.99.1.77/24 dev vtf-q &&
	ip netns exec "$TP" ip link set vtf-q up && ip netns exec "$TP" ip link set lo up
check "a probe namespace of the test's own on $br" [ $? = 0 ]
for i in $(seq 1 30); do
	ip netns exec "$TP" curl -sS --fail -m 3 "http://$GUEST_IP/cgi-bin/status" >"$LT_DIR/iso" 2>&1 && break
	sleep 1
done
copy_boot=$(awk '$1 == "boot_id" {print $2}' "$LT_DIR/iso")
check "the copy answers HTTP inside the isolated network" [ -n "$copy_boot" ]
check "... and it is not the production guest (another boot)" [ "$copy_boot" != "$prod_boot" ]
ip netns exec "$TP" curl -sS --fail -m 10 "http://$GUEST_IP/cgi-bin/markers" >"$LT_DIR/markers" 2>&1
check_grep "the copy's disks hold the point's data (marker 1)" 'marker 1 present' "$LT_DIR/markers"
lab_guest_http b /cgi-bin/status >"$LT_DIR/fromb" 2>&1
check "site b's namespace does not reach the copy through its normal path" \
    bash -c "! grep -q '^boot_id $copy_boot' '$LT_DIR/fromb'"
ip netns del "$TP"

# replication goes on; the tested point is pinned
check "the tested point is pinned" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
p = [p for p in m["points"] if p["id"] == sys.argv[2]][0]
sys.exit(0 if p["pinned"] and p["pin_reason"].startswith("test failover") else 1)' "$B/manifest.json" "$point"
W points web1 >"$LT_DIR/points1" 2>&1
check_grep "vmgw points at b shows it pinned" "^$point .*\(pinned\)" "$LT_DIR/points1"
before=$(W -j points web1 | PY 'd["points"][-1]["seq"]' /dev/stdin)
check "vmgw sync web1 at a succeeds during the test" V sync web1
after=$(W -j points web1 | PY 'd["points"][-1]["seq"]' /dev/stdin)
check "a new point arrived at b during the test" [ "${after:-0}" -gt "${before:-0}" ]

# refusals during the test
W failover web1 --test >"$LT_DIR/second" 2>&1; r=$?
check_eq "a second --test is refused (exit 6)" 6 "$r"
check_grep "... saying that one runs" 'failover test runs at site-b already' "$LT_DIR/second"
W failover web1 >"$LT_DIR/real" 2>&1; r=$?
check_eq "a real failover during the test is refused (exit 6)" 6 "$r"
check_grep "... saying to end the test first" 'end it first \(vmgw failover web1 --test --end\)' "$LT_DIR/real"

# the record survives a vmgwd restart
lab_vmgwd_stop b && lab_vmgwd_start b
check "vmgwd at b restarted during the test" [ $? = 0 ]

W failover web1 --test --end >"$LT_DIR/end" 2>&1; r=$?
check_eq "vmgw failover web1 --test --end after the restart (exit 0)" 0 "$r"
tap_log "end: $(tr '\n' ' ' <"$LT_DIR/end")"
check_grep "it says what it removed" "removed domain $COPY" "$LT_DIR/end"
check "the copy is gone" no_dom $COPY
check "the overlays and the test dir are gone" [ ! -e "$B/test" ]
check "the test record is gone" [ ! -e "$B/test.json" ]
check "the network vmgw made is gone" no_net "$net"
check "its bridge is gone" no_link "$br"
check "no probe interface or bridge of vmgw is left at b" no_vmgw_links
check "the pin is lifted" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
p = [p for p in m["points"] if p["id"] == sys.argv[2]][0]
sys.exit(0 if not p["pinned"] and p["tested_at"] > 0 and p["test_result"].startswith("ok") else 1)' "$B/manifest.json" "$point"
W points web1 >"$LT_DIR/points2" 2>&1
check_grep "vmgw points shows the point tested, with its result" "^$point .*tested at .*: ok: answered in [0-9]+ ms on $net; tcp 80 ok" "$LT_DIR/points2"
check_eq "vmgw points -j has tested_at" yes "$(W -j points web1 | python3 -c 'import json,sys; d=json.load(sys.stdin); print("yes" if [p for p in d["points"] if p["id"] == sys.argv[1]][0]["tested_at"] > 0 else "no")' "$point")"
check_eq "web1 still runs at a" running "$(lab__guest_state a)"
W failover web1 --test --end >"$LT_DIR/end2" 2>&1; r=$?
check_eq "a second --end is refused (exit 6)" 6 "$r"

cleanup
tap_done
