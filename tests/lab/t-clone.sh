#!/bin/bash
# Clones (issue 10 item 4): web1 protected a -> b, marker 1 written and
# synced, marker 2 written and not synced.  At b a linked clone web1-dev of
# that point, started on an isolated network the test makes (no forward, a
# bridge of its own): it runs with its own UUID and MAC, holds marker 1 and
# not marker 2 (seen from a namespace of the test's on that bridge), its
# disk is an overlay on the point, which is pinned "clone web1-dev".  web1
# keeps running at a, the client reaches it, replication goes on.  A full
# clone web1-full, defined and not started: no backing file, no pin of its
# own.  clone --remove of both leaves nothing (domain, disks, pin,
# record).  Refusals: --start without --network, a point that does not
# exist, a name that exists, --to.
. "$(dirname "$0")/tlib.sh"
lt_init clone
V() { lab_vmgw a "$@"; }
W() { lab_vmgw b "$@"; }
B=$LAB/site-b/lib/images-b/vmgw-replica/web1
IMG=$LAB/site-b/lib/images-b			# site b's images, from the host
IMGIN=/var/lib/libvirt/images-b			# the same, inside site b
REC=$LAB/site-b/state/clones			# clone records (state_dir)
NET=clone-dev BR=clonedev0			# the test's isolated network at b
TP=$LAB_PREFIX-cl				# the test's namespace on $BR
DEV=web1-dev FULL=web1-full
no_dom() { ! lab_virsh b dominfo "$1" >/dev/null 2>&1; }
PY() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }
# pin_of POINT -> "pinned REASON" or "unpinned"
pin_of() { python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
p = [p for p in m["points"] if p["id"] == sys.argv[2]][0]
print("pinned " + p["pin_reason"] if p["pinned"] else "unpinned")' "$B/manifest.json" "$1"; }
nothing_of() { # NAME: no domain, disk or record of the clone NAME
	no_dom "$1" && ! ls "$IMG/$1"-* >/dev/null 2>&1 && [ ! -e "$REC/$1.json" ]
}

cleanup() {
	W clone --remove $DEV >/dev/null 2>&1
	W clone --remove $FULL >/dev/null 2>&1
	ip netns del "$TP" 2>/dev/null
	lab_virsh b net-destroy $NET >/dev/null 2>&1
	lab_virsh b net-undefine $NET >/dev/null 2>&1
	V unprotect web1 >/dev/null 2>&1
	W unprotect web1 >/dev/null 2>&1
	lab_site_clean b >/dev/null 2>&1
	rm -rf "$B" "$LAB/site-a/lib/images/vmgw-replica"
}
cleanup
# state_dir may be elsewhere: learn it from the config
sd=$(awk '$1 == "state_dir:" {print $2}' "$(lab_vmgw_config b)" | tr -d '"')
[ -n "$sd" ] && REC=$sd/clones
lt_guest_at a >/dev/null 2>&1 || { lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null; }
check "web1 runs at site a" lt_guest_at a
prod_boot=$(lab_guest_http a /cgi-bin/status | awk '$1 == "boot_id" {print $2}')
check "protect web1 to site-b" V protect web1 --to site-b --rpo 30m --keep 3
# marker 2 off the disk first (web1 may have it from an earlier run)
lab_guest_exec a 'dd if=/dev/zero of=/dev/vda bs=1M seek=40 count=4 oflag=direct conv=notrunc,fsync 2>&1' >/dev/null
check "marker 2 is not on web1's disk before the point" lab__has 'marker 2 absent' lab_guest_http a /cgi-bin/markers
lab_guest_http a '/cgi-bin/mark?1' >/dev/null
V -j sync web1 >"$LT_DIR/sync.json"
check "a point with marker 1 (sync)" [ $? = 0 ]
point=$(PY 'd["point"]' "$LT_DIR/sync.json" 2>/dev/null)
lab_guest_http a '/cgi-bin/mark?2' >/dev/null
check "marker 2 written at a (not synced)" lab__has 'marker 2 present' lab_guest_http a /cgi-bin/markers

# the isolated network of the test: no forward mode, no address
printf "<network><name>%s</name><bridge name='%s' stp='off'/></network>\n" $NET $BR >"$LT_DIR/net.xml"
lab_virsh b net-define "$LT_DIR/net.xml" >/dev/null && lab_virsh b net-start $NET >/dev/null
check "an isolated network $NET (bridge $BR) at b" [ $? = 0 ]

# refusals: nothing made
W clone web1 --name $DEV --point "$point" --linked --start >"$LT_DIR/nonet" 2>&1; r=$?
check_eq "--start without --network is refused (exit 6)" 6 "$r"
check_grep "... saying --start needs --network" 'needs --network' "$LT_DIR/nonet"
W clone web1 --name $DEV --point p999999 --linked --network $NET >"$LT_DIR/nopoint" 2>&1; r=$?
check_eq "a point that does not exist is refused (exit 6)" 6 "$r"
check_grep "... naming the point" 'no point p999999 at site-b' "$LT_DIR/nopoint"
W clone web1 --name $DEV --network no-such-net >"$LT_DIR/nonet2" 2>&1; r=$?
check_eq "a network that does not exist is refused (exit 6)" 6 "$r"
W clone web1 --name $DEV --to site-a >"$LT_DIR/to" 2>&1; r=$?
check_eq "--to (from the running guest at home) is refused (exit 6)" 6 "$r"
check_grep "... saying it is not supported" 'not supported' "$LT_DIR/to"
check "... and the refusals left no domain, disk, record or pin" bash -c \
    "! ls '$IMG/$DEV'-* >/dev/null 2>&1 && [ ! -e '$REC/$DEV.json' ] && ! grep -q '\"pinned\": true' '$B/manifest.json'"
check "... nor a domain $DEV" no_dom $DEV

# the linked clone, started on the isolated network
W -j clone web1 --name $DEV --point "$point" --linked --network $NET --start >"$LT_DIR/dev.json" 2>"$LT_DIR/dev.err"; r=$?
check_eq "vmgw clone web1 --name $DEV --linked --network $NET --start (exit 0)" 0 "$r"
[ "$r" = 0 ] || cat "$LT_DIR/dev.err" >&2
tap_log "clone: $(tr -d '\n' <"$LT_DIR/dev.json" | head -c 900)"
uuid=$(PY 'd["uuid"]' "$LT_DIR/dev.json" 2>/dev/null)
check_eq "the report: name" $DEV "$(PY 'd["name"]' "$LT_DIR/dev.json" 2>/dev/null)"
check_eq "the report: point" "$point" "$(PY 'd["point"]' "$LT_DIR/dev.json" 2>/dev/null)"
check_eq "the report: linked, started, network" "True True $NET" \
    "$(PY 'd["linked"], d["started"], d["network"]' "$LT_DIR/dev.json" 2>/dev/null | tr -d "(),'")"
check_eq "the report: vda at $IMGIN/$DEV-vda.qcow2" "$IMGIN/$DEV-vda.qcow2" \
    "$(PY '[x["file"] for x in d["disks"] if x["target"] == "vda"][0]' "$LT_DIR/dev.json" 2>/dev/null)"
check_eq "$DEV runs at b" running "$(lab_virsh b domstate $DEV 2>/dev/null | head -1)"
check "it has its own UUID" [ -n "$uuid" -a "$uuid" != "$GUEST_UUID" ]
check_eq "... as libvirt says" "$uuid" "$(lab_virsh b domuuid $DEV 2>/dev/null | head -1)"
lab_virsh b dumpxml $DEV >"$LT_DIR/dev.xml" 2>&1
mac=$(sed -n "s/.*<mac address='\([^']*\)'.*/\1/p" "$LT_DIR/dev.xml" | head -1)
check "it has its own MAC ($mac)" [ -n "$mac" -a "$mac" != "$GUEST_MAC" ]
check "its only interface is on $NET" bash -c \
    "[ \"\$(grep -c '<interface' '$LT_DIR/dev.xml')\" = 1 ] && grep -q \"<source network='$NET'\" '$LT_DIR/dev.xml'"
check "its serial console is not the original's file" bash -c "! grep -q \"<serial type='file'\" '$LT_DIR/dev.xml'"
lab_site_exec b qemu-img info -U "$IMGIN/$DEV-vda.qcow2" >"$LT_DIR/dev.info" 2>&1
check_grep "its vda is an overlay on the point's file in the chain" "^backing file: $IMGIN/vmgw-replica/web1/vda-" "$LT_DIR/dev.info"
check_eq "the point is pinned for it" "pinned clone $DEV" "$(pin_of "$point")"
check "web1 itself is not defined at b" no_dom web1

# its disks hold the point: from a namespace of the test's on $BR
ip netns add "$TP" &&
	ip link add vcl-p netns "$NS_B" type veth peer name vcl-q netns "$TP" &&
	lab_nsx b ip link set vcl-p master $BR up &&
	ip netns exec "$TP" ip addr add 10.99.1.77/24 dev vcl-q &&
	ip netns exec "$TP" ip link set vcl-q up && ip netns exec "$TP" ip link set lo up
check "a namespace of the test's on $BR" [ $? = 0 ]
for i in $(seq 1 300); do
	ip netns exec "$TP" curl -sS --fail -m 3 "http://$GUEST_IP/cgi-bin/status" >"$LT_DIR/iso" 2>&1 && break
	sleep 1
done
dev_boot=$(awk '$1 == "boot_id" {print $2}' "$LT_DIR/iso")
check "the clone answers HTTP on $NET" [ -n "$dev_boot" ]
check "... and it is not the production guest (another boot)" [ "$dev_boot" != "$prod_boot" ]
ip netns exec "$TP" curl -sS --fail -m 20 "http://$GUEST_IP/cgi-bin/markers" >"$LT_DIR/markers" 2>&1
check_grep "the clone holds marker 1 (in the point)" 'marker 1 present' "$LT_DIR/markers"
check_grep "... and not marker 2 (written after it)" 'marker 2 absent' "$LT_DIR/markers"
ip netns del "$TP"

# production and replication go on
check_eq "web1 still runs at a" running "$(lab__guest_state a)"
lab_client_http /cgi-bin/status >"$LT_DIR/client" 2>&1
check_grep "the client still reaches web1 at a" "^boot_id $prod_boot" "$LT_DIR/client"
check "vmgw sync web1 at a succeeds with the clone running" V sync web1
check_eq "... and the clone's point stays pinned" "pinned clone $DEV" "$(pin_of "$point")"

# an existing name
W clone web1 --name $DEV --point "$point" --network $NET >"$LT_DIR/exists" 2>&1; r=$?
check_eq "a clone under an existing name is refused (exit 6)" 6 "$r"
check_grep "... saying the domain exists" "$DEV: a domain of that name exists" "$LT_DIR/exists"
check_eq "... and $DEV still runs" running "$(lab_virsh b domstate $DEV 2>/dev/null | head -1)"

# a full clone, defined only
W clone web1 --name $FULL --point "$point" >"$LT_DIR/full" 2>&1; r=$?
check_eq "vmgw clone web1 --name $FULL (full, not started; exit 0)" 0 "$r"
tap_log "full: $(tr '\n' ' ' <"$LT_DIR/full")"
check_grep "the output says it is defined, not started" 'defined, not started' "$LT_DIR/full"
check_eq "$FULL is defined, shut off" "shut off" "$(lab_virsh b domstate $FULL 2>/dev/null | head -1)"
fuuid=$(lab_virsh b domuuid $FULL 2>/dev/null | head -1)
check "it has its own UUID ($fuuid)" [ -n "$fuuid" -a "$fuuid" != "$GUEST_UUID" -a "$fuuid" != "$uuid" ]
lab_site_exec b qemu-img info -U "$IMGIN/$FULL-vda.qcow2" >"$LT_DIR/full.info" 2>&1
check_grep "its vda is a qcow2" '^file format: qcow2' "$LT_DIR/full.info"
check "... with no backing file" bash -c "! grep -q '^backing file' '$LT_DIR/full.info'"
check_eq "no pin of its own (the point's is still $DEV's)" "pinned clone $DEV" "$(pin_of "$point")"

# removal
W clone --remove $DEV >"$LT_DIR/rm1" 2>&1; r=$?
check_eq "vmgw clone --remove $DEV (exit 0)" 0 "$r"
tap_log "remove: $(tr '\n' ' ' <"$LT_DIR/rm1")"
check "nothing of $DEV is left (domain, disks, record)" nothing_of $DEV
check_eq "its pin is lifted" unpinned "$(pin_of "$point")"
W clone --remove $FULL >"$LT_DIR/rm2" 2>&1; r=$?
check_eq "vmgw clone --remove $FULL (exit 0)" 0 "$r"
check "nothing of $FULL is left" nothing_of $FULL
W clone --remove $FULL >"$LT_DIR/rm3" 2>&1; r=$?
check_eq "a second --remove is refused (exit 6)" 6 "$r"
check_eq "web1 still runs at a" running "$(lab__guest_state a)"

cleanup
tap_done
