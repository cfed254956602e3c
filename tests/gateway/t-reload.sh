#!/bin/bash
# SIGHUP reloads the configuration without dropping anything.  Three sites:
# a dials b (b never dials a) and at first does not know c.
#  - a good reload adds c while a stream runs through a-b: c comes up, the
#    stream ends intact, and a-b's tunnel is the same one (handshake count,
#    connected-since, address unchanged; its byte counters only grew);
#    `vmgw status` shows the new file's hash (BLAKE2b) and load time;
#  - a bad reload (an unknown key; then a changed listen and site, two
#    errors) is refused with every error logged, and nothing changes;
#  - a changed endpoint re-handshakes at once, a-c untouched;
#  - a changed key closes the tunnel (the old key is no longer trusted),
#    and the tunnel comes back once b runs with that key;
#  - removing c closes a-c and a refuses c from then on.
. "$(dirname "$0")/lib.sh"
gt_init reload
gt_site a 1
gt_site b 2
gt_site c 3
gt_config a "b"
gt_config b "a@" "forward_targets: [ \"127.0.0.1:9000\" ]"
sed -i 's/^listen: .*/listen: 0.0.0.0:7400/' "$(gt_conf b)"	# b: two addresses
gt_nsx b ip addr add 10.77.0.12/24 dev "${GT_P}b"
gt_config c "a"
gt_start a && gt_start b && gt_start c
check "a-b up" gt_wait_connected a b

# st SITE PEER FIELD: a field of SITE's status of PEER ("-" when absent)
st() {
	gt_vmgw "$1" -j status | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = [p for p in d["peers"] if p["site"] == sys.argv[1]]
print(p[0].get(sys.argv[2], "-") if p else "-")' "$2" "$3"
}
# cf SITE FIELD: a field of SITE's status "config"
cf() { gt_vmgw "$1" -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"][sys.argv[1]])' "$2"; }
blake() { python3 -c 'import hashlib,sys; print(hashlib.blake2b(open(sys.argv[1],"rb").read(), digest_size=32).hexdigest()[:16])' "$1"; }
# hup SITE: SIGHUP, and wait until SITE's log says how the reload ended
hup() {
	local log=$GT_DIR/$1.log n i
	n=$(grep -cE 'configuration reloaded|reload refused' "$log")
	kill -HUP "$(cat "$GT_DIR/$1.pid")"
	for i in $(seq 100); do
		[ "$(grep -cE 'configuration reloaded|reload refused' "$log")" -gt "$n" ] && return 0
		sleep 0.05
	done
	return 1
}

check "the hash at start is the file's BLAKE2b" [ "$(cf a hash)" = "$(blake "$(gt_conf a)")" ]
check "no reload yet" [ "$(cf a reloads)" = 0 ]
sleep 1.5
check_grep "a refuses c while c is not configured" 'handshake from unknown key' "$GT_DIR/a.log"
hs_ab=$(st a b handshakes); since_ab=$(st a b since); addr_ab=$(st a b address)
out_ab=$(st a b bytes_out)
loaded0=$(cf a loaded)

# a stream through a-b across the reload
gt_nsx b socat -u -b 65536 TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr - 2>/dev/null \
    | sha256sum | cut -d' ' -f1 >"$GT_DIR/sink.sum" &
gt_wait_listen b 9000
gt_vmgw a forward --to b --listen 127.0.0.1:5000 --connect 127.0.0.1:9000 \
    >"$GT_DIR/fwd.out" 2>&1 &
for i in $(seq 50); do grep -q forwarding "$GT_DIR/fwd.out" && break; sleep 0.1; done
head -c 32M /dev/urandom >"$GT_DIR/src.bin"
sha256sum <"$GT_DIR/src.bin" | cut -d' ' -f1 >"$GT_DIR/src.sum"
( for i in $(seq 0 31); do dd if="$GT_DIR/src.bin" bs=1M skip="$i" count=1 status=none; sleep 0.1; done ) \
    | gt_nsx a socat -u -b 65536 - TCP:127.0.0.1:5000 &
SENDER=$!
sleep 1
gt_config a "b c"
lines0=$(wc -l <"$GT_DIR/a.log")	# (a dial before b listened may have failed)
hup a
check_grep "a: the good reload is applied" 'configuration reloaded \(hash [0-9a-f]{16}, 2 peers\)' "$GT_DIR/a.log"
check_grep "a: c added" 'c: added' "$GT_DIR/a.log"
check "a-c comes up after the reload" gt_wait_connected a c 15
wait $SENDER; rc=$?
check "the stream through a-b did not notice the reload" [ $rc = 0 ]
for i in $(seq 100); do [ -s "$GT_DIR/sink.sum" ] && break; sleep 0.1; done
check "... and arrived whole (same SHA-256)" cmp -s "$GT_DIR/src.sum" "$GT_DIR/sink.sum"
check_eq "a-b: no new handshake" "$hs_ab" "$(st a b handshakes)"
check_eq "a-b: connected since the same time" "$since_ab" "$(st a b since)"
check_eq "a-b: the same address" "$addr_ab" "$(st a b address)"
out2=$(st a b bytes_out)
check "a-b: its bytes only grew, by the stream ($out_ab -> $out2)" [ "$out2" -gt $((out_ab + 32 * 1024 * 1024)) ]
check "no a-b tunnel closed at a since the reload" eval "! tail -n +$((lines0 + 1)) '$GT_DIR/a.log' | grep -q 'b: tunnel .* closed'"
check "status: the new file's hash" [ "$(cf a hash)" = "$(blake "$(gt_conf a)")" ]
check "status: one reload" [ "$(cf a reloads)" = 1 ]
check "status: a new load time" [ "$(cf a loaded)" -ge "$loaded0" ]
hash1=$(cf a hash)
hs_ac=$(st a c handshakes)

# bad reloads: refused, every error logged, nothing changes
cp "$(gt_conf a)" "$GT_DIR/a.good"
echo "colour: blue" >>"$(gt_conf a)"
hup a
n=$(wc -l <"$GT_DIR/a.good")
check_grep "the YAML error is logged with its place" "a.yaml:$((n + 1)):1: unknown key 'colour'" "$GT_DIR/a.log"
check_grep "the reload is refused, the old config stays" "reload refused \(1 error\): the configuration loaded .* \(hash $hash1\) stays" "$GT_DIR/a.log"
sed -e 's/^listen: .*/listen: 10.77.0.1:7401/' -e 's/^site: a/site: a2/' "$GT_DIR/a.good" >"$(gt_conf a)"
hup a
check_grep "error 1 of 2: listen" "reload: listen: '10.77.0.1:7400' -> '10.77.0.1:7401': restart vmgwd to change it" "$GT_DIR/a.log"
check_grep "error 2 of 2: site" "reload: site: 'a' -> 'a2': restart vmgwd to change it" "$GT_DIR/a.log"
check_grep "... refused with both counted" 'reload refused \(2 errors\)' "$GT_DIR/a.log"
check_eq "status: the hash did not change" "$hash1" "$(cf a hash)"
check_eq "status: still one reload" 1 "$(cf a reloads)"
check "a-b still up" gt_connected a b
check "a-c still up" gt_connected a c
check_eq "a-b: still no new handshake" "$hs_ab" "$(st a b handshakes)"

# a changed endpoint: a new handshake at once, to the new address
sed 's/endpoint: 10.77.0.2:7400/endpoint: 10.77.0.12:7400/' "$GT_DIR/a.good" >"$(gt_conf a)"
hup a
check_grep "a says b's endpoint changed" 'b: endpoint changed in the configuration: new handshake' "$GT_DIR/a.log"
for i in $(seq 100); do [ "$(st a b address)" = 10.77.0.12:7400 ] && break; sleep 0.1; done
check_eq "a-b re-handshaken to the new endpoint" 10.77.0.12:7400 "$(st a b address)"
check_eq "a-b: one more handshake" $((hs_ab + 1)) "$(st a b handshakes)"
check_eq "a-c untouched" "$hs_ac" "$(st a c handshakes)"

# a changed key: the tunnel closes; it comes back once b has that key
"$VMGW" keygen "$GT_DIR/b2.key" >"$GT_DIR/b2.pub"
cp "$(gt_conf a)" "$GT_DIR/a.ep"
python3 - "$(gt_conf a)" "$(gt_pub b)" "$(cat "$GT_DIR/b2.pub")" <<'PY'
import sys
p, old, new = sys.argv[1:]
s = open(p).read()
assert old in s
open(p, "w").write(s.replace(old, new))
PY
hup a
check_grep "a says b's key changed" 'b: public_key changed in the configuration: new handshake' "$GT_DIR/a.log"
check_grep "... and closed the tunnel of the old key" 'b: tunnel to 10.77.0.12:7400 closed: peers.b: public_key changed in the configuration' "$GT_DIR/a.log"
sleep 1
check "a-b is down: b still has the old key" eval "! gt_connected a b"
check_eq "a-c untouched" "$hs_ac" "$(st a c handshakes)"
gt_stop b
sed -i 's/^private_key: .*/private_key: b2.key/' "$(gt_conf b)"
gt_start b
check "a-b back once b runs with the new key" gt_wait_connected a b 40

# removing c
sed -i '/^  c:$/,$d' "$(gt_conf a)"
hup a
check_grep "a: c removed" 'c: removed from the configuration' "$GT_DIR/a.log"
check_grep "... its tunnel closed" 'c: tunnel .* closed: c was removed from the configuration' "$GT_DIR/a.log"
check_eq "c is no longer in a's status" - "$(st a c site)"
check "a-b stays up" gt_connected a b
sleep 2
check "c's tunnel to a stays down" eval "! gt_connected c a"
check_eq "status: four reloads applied" 4 "$(cf a reloads)"
gt_done
