#!/bin/bash
# Replication through a hostile WAN, and unprotect.
#
# Site a's dials to site b go through a relay (tests/tools/tcprelay.py, in
# site a's namespace, reached by an iptables REDIRECT of a's connections to
# b's port; site b cannot dial a, so the tunnel is the relayed one) that
# flips one bit of the stream in the middle of a point's chunks.  Site b
# must drop the tunnel as for any bad record, write nothing of it, and the
# point must resume on the next tunnel and equal the source.
#
# Then unprotect: refused while site b does not answer (its replica would
# stay unseen), and protection goes on; with b back, unprotect removes the
# replica at b and vmgw's checkpoints at a.
. "$(dirname "$0")/tlib.sh"
lt_init replication-tamper
V() { lab_vmgw a "$@"; }
A=$LAB/site-a/lib/images
B=$LAB/site-b/lib/images-b/vmgw-replica/web1
RELAY_PORT=7409 MARK=7
FLIP=3000000	# bytes into a's stream to b: inside the point's chunks

relay_off() {
	nsenter --net="/run/netns/${LAB_NS[a]}" -- iptables -w -t nat -F vl-tamper 2>/dev/null
	nsenter --net="/run/netns/${LAB_NS[b]}" -- iptables -w -F vl-tamper 2>/dev/null
	lab__stop tamper-relay TERM 3 >/dev/null 2>&1
	return 0
}
bye() {
	relay_off
	lab_vmgwd_start a >/dev/null 2>&1
	lab_vmgwd_start b >/dev/null 2>&1
	V unprotect web1 --keep-replica >/dev/null 2>&1
	rm -rf "$B"
}
bye
trap 'bye; lt_exit' EXIT
lt_guest_at a >/dev/null 2>&1 || { lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null; }
check "web1 runs at site a" lt_guest_at a

top() { # TARGET: the newest point's file of that disk, as b sees it
	lab_vmgw b -j points web1 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["points"][-1]
print([d["file"] for d in p["disks"] if d["target"] == sys.argv[1]][0])' "$1" 2>/dev/null
}
same() { # IMAGE-AT-B SOURCE-COPY
	qemu-img compare -U "$LAB/site-b/lib/${1#/var/lib/libvirt/}" "$2" >"$LT_DIR/cmp" 2>&1
}
vmgw_checkpoints() { # SITE: vmgw's checkpoints of web1 there
	lab_virsh "$1" checkpoint-list web1 --name 2>/dev/null | grep -c '^vmgw-'
}

check "protect web1 --to site-b" V protect web1 --to site-b --rpo 1h --keep 3
check "the seed completes (sync)" V sync web1
check "a keeps a checkpoint of web1 for the next point" [ "$(vmgw_checkpoints a)" -ge 1 ]

# --- the relay: a -> relay -> b; b cannot dial a
check "a's vmgwd stops (its tunnel goes)" lab_vmgwd_stop a
ns_a=/run/netns/${LAB_NS[a]} ns_b=/run/netns/${LAB_NS[b]}
nsenter --net="$ns_a" -- iptables -w -t nat -N vl-tamper 2>/dev/null
nsenter --net="$ns_a" -- iptables -w -t nat -C OUTPUT -j vl-tamper 2>/dev/null ||
	nsenter --net="$ns_a" -- iptables -w -t nat -I OUTPUT -j vl-tamper
nsenter --net="$ns_b" -- iptables -w -N vl-tamper 2>/dev/null
nsenter --net="$ns_b" -- iptables -w -C OUTPUT -j vl-tamper 2>/dev/null ||
	nsenter --net="$ns_b" -- iptables -w -I OUTPUT -j vl-tamper
check "a's dials to b go to the relay" nsenter --net="$ns_a" -- iptables -w -t nat -A vl-tamper \
	-p tcp -d "$WAN_IP_B" --dport "$VMGW_PORT" -m mark ! --mark $MARK -j REDIRECT --to-ports $RELAY_PORT
check "b cannot dial a" nsenter --net="$ns_b" -- iptables -w -A vl-tamper \
	-p tcp -d "$WAN_IP_A" --dport "$VMGW_PORT" --tcp-flags SYN,ACK SYN -j REJECT --reject-with tcp-reset
lab__spawn tamper-relay "$LT_DIR/relay.out" nsenter --net="$ns_a" -- python3 \
	"$VMGW_SOURCE_DIR/tests/tools/tcprelay.py" --listen "127.0.0.1:$RELAY_PORT" \
	--connect "$WAN_IP_B:$VMGW_PORT" --mark $MARK --flip-offset $FLIP --flip-dir c2s \
	--log "$LT_DIR/relay.log"
check "the relay listens" lab__wait 10 0.1 eval "lab_nsx a ss -ltnH | grep -q '127.0.0.1:$RELAY_PORT '"
check "a's vmgwd starts again" lab_vmgwd_start a
check "the tunnel is up, through the relay" lt_wait_tunnel a site-b
check_grep "... the relay carries it" 'connection' "$LT_DIR/relay.log"

# --- a point of 8 MiB of random data, the guest suspended so that the
# source can be copied as of the point
check "8 MiB of random data in the guest" lab_guest_http a '/cgi-bin/disk-random?off=60&mib=8'
lab_virsh a suspend web1 >/dev/null
V sync web1 >"$LT_DIR/sync" 2>&1; r=$?
qemu-img convert -U -O qcow2 "$A/web1.qcow2" "$LT_DIR/now-vda.qcow2"
qemu-img convert -U -O qcow2 "$A/web1-data.qcow2" "$LT_DIR/now-vdb.qcow2"
lab_virsh a resume web1 >/dev/null
tap_log "$(cat "$LT_DIR/sync")"
check_grep "the relay flipped a bit inside the point" 'c2s: flipped one bit of byte' "$LT_DIR/relay.log"
check_grep "b dropped the tunnel as for any bad record" \
	'tunnel from .* closed: bad record at byte offset [0-9]+: authentication failed' "$LAB/site-b/vmgwd.log"
check "nothing of that record was written: no chunk failed its hash at b" \
	bash -c "! grep -q 'hash: mismatch' '$LAB/site-b/vmgwd.log'"
check_eq "the point still completes (vmgw sync exits 0)" 0 "$r"
check_grep "... on a new tunnel: the point was resumed" 'resum' "$LAB/site-a/vmgwd.log"
check "vda: the chain at b equals the source as of the point" same "$(top vda)" "$LT_DIR/now-vda.qcow2"
check "vdb: the chain at b equals the source as of the point" same "$(top vdb)" "$LT_DIR/now-vdb.qcow2"
check "no partial record left at b" test ! -e "$B/partial.json"
relay_off
check "the tunnel comes back without the relay" lt_wait_tunnel a site-b

# --- unprotect while b does not answer: refused, protection goes on
check "b's vmgwd stops" lab_vmgwd_stop b
V unprotect web1 >"$LT_DIR/unp1" 2>&1; r=$?
tap_log "$(cat "$LT_DIR/unp1")"
check_eq "unprotect is refused (exit 1)" 1 "$r"
check_grep "... naming site-b, and that web1 stays protected" 'site-b.*it stays protected.*--keep-replica' "$LT_DIR/unp1"
V replication >"$LT_DIR/rep1" 2>&1
check_grep "web1 is still protected" '^web1 +site-b ' "$LT_DIR/rep1"
check "the replica is still at b" test -f "$B/manifest.json"
check "b's vmgwd starts again" lab_vmgwd_start b
check "the tunnel is back" lt_wait_tunnel a site-b

# --- unprotect: the replica at b and the checkpoints at a go
V unprotect web1 >"$LT_DIR/unp2" 2>&1; r=$?
tap_log "$(cat "$LT_DIR/unp2")"
check_eq "unprotect succeeds" 0 "$r"
check_grep "... and says the replica is removed" 'replica there is removed' "$LT_DIR/unp2"
check "the replica directory at b is gone" test ! -e "$B"
check_eq "no vmgw checkpoint of web1 left at a" 0 "$(vmgw_checkpoints a)"
V replication >"$LT_DIR/rep2" 2>&1
check "web1 is no longer listed" bash -c "! grep -q '^web1 ' '$LT_DIR/rep2'"
check "web1 still runs at a" lt_guest_at a
V unprotect web1 >"$LT_DIR/unp3" 2>&1; r=$?
check_eq "a second unprotect says it is not protected (exit 2)" 2 "$r"
tap_done
