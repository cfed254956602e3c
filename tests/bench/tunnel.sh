#!/bin/bash
# tests/bench/tunnel.sh - vmgw's tunnel against the alternatives, one run.
#
# Carries the same BYTES over loopback, in one network namespace of its own,
# split over STREAMS parallel TCP connections (each value of STREAMS is a
# table of its own), through:
#   vmgw    vmgw forward: client -> vmgwd A -> Noise tunnel -> vmgwd B -> sink,
#           with connections: 1 (vmgw) and with connections: 2 (vmgw2: a
#           data connection beside the tunnel, on a thread of its own, so a
#           second stream goes on a second TCP connection and core)
#   ssh     ssh -L, cipher aes256-gcm@openssh.com, to a private sshd
#   stunnel stunnel client -> TLS 1.3 -> stunnel server -> sink
#   socat   two plain socat relays (256 KiB buffers) with the site-to-site
#           hop between them: the tunnel's three hops, no encryption (the
#           ceiling)
# Each method runs ROUNDS times, interleaved; the median counts.  Prints MB/s
# and CPU seconds per GiB side by side (CPU: utime + stime, with reaped
# children, of the tunnel's endpoints, from /proc/PID/stat before and after
# each transfer: the two gateways; ssh + sshd; the stunnel process, which
# is both ends; the two relays), vmgw's ratio to each, and the gateways'
# peak RSS.  vmgw runs with compress: off (the data is /dev/zero, and ssh
# runs without compression too).
#
# Usage: sudo tests/bench/tunnel.sh [BYTES] [ROUNDS] [STREAMS...]
#        (default 4G 3 1 2)
# Not a test: nothing here fails on a slow machine, and figures on a shared
# machine are noisy.  Targets (issue 11): vmgw >= 0.6x the relay pair,
# >= 1.5x ssh -L, >= 2x stunnel, gateway CPU/GiB <= 0.6x ssh + sshd's,
# gateway RSS < 64 MiB carrying 4 GiB.
set -euo pipefail

BYTES=${1:-4G}
ROUNDS=${2:-3}
STREAMS=(1 2)
[ $# -gt 2 ] && STREAMS=("${@:3}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${VMGW_BUILD_DIR:-$SRC/build}
NS=vmgwbench$$
D=$(mktemp -d /tmp/vmgw-bench.XXXXXX)

[ "$(id -u)" = 0 ] || { echo "run as root (network namespace, sshd)" >&2; exit 2; }
need=()
for p in socat openssh-server openssh-client stunnel4 openssl python3; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}" >&2
	[ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; PRC=1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	[ -n "${PRC:-}" ] && rm -f /usr/sbin/policy-rc.d
fi
[ -x "$BUILD/gateway/vmgwd" ] || { echo "build first: cmake -S $SRC -B $BUILD && cmake --build $BUILD" >&2; exit 2; }
N=$(python3 -c "import sys; s=sys.argv[1]; m={'K':1<<10,'M':1<<20,'G':1<<30}; print(int(s[:-1])*m[s[-1]] if s[-1] in m else int(s))" "$BYTES")

cleanup() {
	ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null || true
	sleep 0.3
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$D"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
nsx() { nsenter --net=/run/netns/"$NS" -- "$@"; }

# --- vmgw: two gateways on loopback
VMGW=$BUILD/gateway/vmgw
PA=$("$VMGW" keygen "$D/a.key"); PB=$("$VMGW" keygen "$D/b.key")
cat >"$D/a.yaml" <<EOF
site: a
private_key: $D/a.key
listen: 127.0.0.1:7401
control: $D/a.sock
state_dir: $D/state-a
peers:
  b: { endpoint: "127.0.0.1:7402", public_key: "$PB", compress: off }
EOF
cat >"$D/b.yaml" <<EOF
site: b
private_key: $D/b.key
listen: 127.0.0.1:7402
control: $D/b.sock
state_dir: $D/state-b
peers:
  a: { endpoint: "127.0.0.1:7401", public_key: "$PA", compress: off }
forward_targets: [ "127.0.0.1:9000" ]
EOF
# the same pair with connections: 2, on other ports
sed -e 's/7401/7411/; s/7402/7412/; s/a.sock/a2.sock/; s/state-a/state-a2/' \
    -e 's/compress: off/compress: off, connections: 2/' "$D/a.yaml" >"$D/a2.yaml"
sed -e 's/7401/7411/; s/7402/7412/; s/b.sock/b2.sock/; s/state-b/state-b2/' \
    -e 's/compress: off/compress: off, connections: 2/' "$D/b.yaml" >"$D/b2.yaml"
# nsenter execs vmgwd, so $! is the daemon's pid (for its peak RSS)
nsenter --net=/run/netns/"$NS" -- "$BUILD/gateway/vmgwd" -d -c "$D/a.yaml" 2>"$D/a.log" & GA=$!
nsenter --net=/run/netns/"$NS" -- "$BUILD/gateway/vmgwd" -d -c "$D/b.yaml" 2>"$D/b.log" & GB=$!
nsenter --net=/run/netns/"$NS" -- "$BUILD/gateway/vmgwd" -d -c "$D/a2.yaml" 2>"$D/a2.log" & GA2=$!
nsenter --net=/run/netns/"$NS" -- "$BUILD/gateway/vmgwd" -d -c "$D/b2.yaml" 2>"$D/b2.log" & GB2=$!
sleep 1
"$VMGW" -c "$D/a.yaml" forward --to b --listen 127.0.0.1:5001 --connect 127.0.0.1:9000 >"$D/fwd.log" 2>&1 &
"$VMGW" -c "$D/a2.yaml" forward --to b --listen 127.0.0.1:5011 --connect 127.0.0.1:9000 >"$D/fwd2.log" 2>&1 &
SUITE=$("$VMGW" -c "$D/a.yaml" check b | sed -n 's/ *suite *//p')
for _ in $(seq 50); do
	"$VMGW" -c "$D/a2.yaml" -j status | python3 -c 'import json,sys; c=json.load(sys.stdin)["peers"][0]["connections"]; sys.exit(0 if len(c) == 2 and c[1]["connected"] else 1)' && break
	sleep 0.1
done

# --- ssh -L with aes256-gcm to a private sshd
ssh-keygen -q -t ed25519 -N '' -f "$D/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$D/userkey"
cp "$D/userkey.pub" "$D/authorized_keys"
chmod 700 "$D"
mkdir -p /run/sshd
cat >"$D/sshd_config" <<EOF
Port 2222
ListenAddress 127.0.0.1
HostKey $D/hostkey
AuthorizedKeysFile $D/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
StrictModes no
UsePAM no
Ciphers aes256-gcm@openssh.com
AllowTcpForwarding yes
PidFile $D/sshd.pid
EOF
nsx /usr/sbin/sshd -f "$D/sshd_config" -E "$D/sshd.log"
sleep 0.5
nsx ssh -N -i "$D/userkey" -p 2222 -c aes256-gcm@openssh.com -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o Compression=no \
    -L 127.0.0.1:5002:127.0.0.1:9000 root@127.0.0.1 &

# --- stunnel with TLS 1.3
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=bench -keyout "$D/tls.key" -out "$D/tls.crt" 2>/dev/null
cat "$D/tls.key" "$D/tls.crt" >"$D/tls.pem"
cat >"$D/stunnel.conf" <<EOF
foreground = yes
pid =
sslVersionMin = TLSv1.3
[client]
client = yes
accept = 127.0.0.1:5003
connect = 127.0.0.1:5004
[server]
accept = 127.0.0.1:5004
connect = 127.0.0.1:9000
cert = $D/tls.pem
EOF
nsx stunnel4 "$D/stunnel.conf" >"$D/stunnel.log" 2>&1 &

# --- two plain relays, the site-to-site hop between them
nsenter --net=/run/netns/"$NS" -- socat -b 262144 TCP-LISTEN:5005,bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:5006 & R1=$!
nsenter --net=/run/netns/"$NS" -- socat -b 262144 TCP-LISTEN:5006,bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:9000 & R2=$!
sleep 1.5

# the tunnel endpoints of each method, for their CPU time
ENDS_vmgw="$GA $GB"
ENDS_vmgw2="$GA2 $GB2"
ENDS_ssh=$(for p in $(ip netns pids "$NS"); do
	case $(cat /proc/"$p"/comm 2>/dev/null) in ssh|sshd) echo "$p";; esac; done | xargs)
ENDS_stunnel=$(for p in $(ip netns pids "$NS"); do
	case $(cat /proc/"$p"/comm 2>/dev/null) in stunnel*) echo "$p";; esac; done | xargs)
ENDS_socat="$R1 $R2"
HZ=$(getconf CLK_TCK)
# utime + stime + the reaped children's (a forking relay's connection)
ticks() {
	local p t=0
	for p in "$@"; do
		[ -r /proc/"$p"/stat ] || continue
		t=$((t + $(sed 's/.*) //' /proc/"$p"/stat | awk '{print $12 + $13 + $14 + $15}')))
	done
	echo $t
}

# the sink: takes S connections, reads each to its end, says how much came
cat >"$D/sink.py" <<'PY'
import selectors, socket, sys
want, n, done = int(sys.argv[1]), 0, 0
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 9000))
ls.listen(16)
sel = selectors.DefaultSelector()
sel.register(ls, selectors.EVENT_READ)
buf = bytearray(1 << 20)
while done < want:
    for k, _ in sel.select():
        if k.fileobj is ls:
            c, _ = ls.accept()
            sel.register(c, selectors.EVENT_READ)
            continue
        r = k.fileobj.recv_into(buf)
        n += r
        if r == 0:
            sel.unregister(k.fileobj)
            k.fileobj.close()
            done += 1
print(n)
PY

# threads PID: CPU ticks of the daemon's main thread and of its lanes (the
# threads named "vmgw PEER#K")
threads() {
	local t main=0 lane=0 v
	for t in /proc/"$1"/task/*; do
		v=$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}') || continue
		case $(cat "$t/comm" 2>/dev/null) in
		vmgw\ *) lane=$((lane + v)) ;;
		*) main=$((main + v)) ;;
		esac
	done
	echo "$main $lane"
}

# one transfer: start a sink, send N bytes over S streams at once, time
# until the sink has them all; prints MB/s and the endpoints' CPU seconds
# per GiB
xfer() {
	local port=$1 s=$2 t0 t1 c0 c1 i got; shift 2
	nsx python3 "$D/sink.py" "$s" >"$D/sink.out" &
	local sink=$!
	for _ in $(seq 100); do nsx ss -Hltn 'sport = :9000' | grep -q . && break; sleep 0.02; done
	c0=$(ticks "$@")
	read -r tm0 tl0 < <(threads "$GA2")
	t0=$(date +%s.%N)
	for i in $(seq "$s"); do
		nsx socat -u -b 262144 OPEN:/dev/zero,readbytes=$((N / s)) TCP:127.0.0.1:"$port" &
	done
	wait $sink
	t1=$(date +%s.%N)
	got=$(cat "$D/sink.out")
	[ "$got" = $((N / s * s)) ] || echo "short transfer: $got of $((N / s * s)) bytes" >&2
	sleep 0.3	# a forked relay exits and is reaped
	c1=$(ticks "$@")
	read -r tm1 tl1 < <(threads "$GA2")
	# gateway A with 2 connections: its main thread's and its lane's share
	echo "$((tm1 - tm0)) $((tl1 - tl0))" >"$D/threads.out"
	python3 -c "print('%.1f %.2f' % ($N / ($t1 - $t0) / 1e6, ($c1 - $c0) / $HZ / ($N / 2**30)))"
}

declare -A R C TH
METHODS="vmgw:5001 vmgw2:5011 ssh:5002 stunnel:5003 socat:5005"
for s in "${STREAMS[@]}"; do
	for r in $(seq "$ROUNDS"); do
		for m in $METHODS; do
			k=${m%%:*}
			eval "ends=\$ENDS_$k"
			# shellcheck disable=SC2086
			read -r v c <<<"$(xfer "${m#*:}" "$s" $ends)"
			R[$k.$s]+="$v "
			C[$k.$s]+="$c "
			if [ "$k" = vmgw2 ]; then
				read -r tm tl <"$D/threads.out"
				TH[$s]+="$(python3 -c "print('%.2f/%.2f' % ($tm / $HZ, $tl / $HZ))") "
			fi
			echo "$s stream(s), round $r $k: $v MB/s, $c CPU-s/GiB" >&2
		done
	done
done
med() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rss() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

printf '\nvmgw tunnel benchmark: %s over loopback, %s rounds, medians (all rounds)\n' "$BYTES" "$ROUNDS"
printf '  machine: %s, %s cores, kernel %s, %s\n' "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$(nproc)" "$(uname -r)" "$(date +%F)"
for s in "${STREAMS[@]}"; do
	printf '\n  %s stream%s at once\n' "$s" "$([ "$s" = 1 ] || echo s)"
	printf '  %-42s %8s %10s  %-22s %-22s %s\n' method MB/s CPU-s/GiB "MB/s rounds" "CPU-s/GiB rounds" "vmgw (its better row) is"
	V=$(echo "${R[vmgw.$s]}" | med) VC=$(echo "${C[vmgw.$s]}" | med)
	V2=$(echo "${R[vmgw2.$s]}" | med) VC2=$(echo "${C[vmgw2.$s]}" | med)
	if python3 -c "import sys; sys.exit(0 if $V2 > $V else 1)"; then V=$V2 VC=$VC2; fi
	for m in vmgw vmgw2 ssh stunnel socat; do
		x=$(echo "${R[$m.$s]}" | med)
		c=$(echo "${C[$m.$s]}" | med)
		case $m in
		vmgw)    name="vmgw forward (${SUITE#Noise_IK_25519_}, 1 conn)";;
		vmgw2)   name="vmgw forward (${SUITE#Noise_IK_25519_}, 2 conns)";;
		ssh)     name="ssh -L (aes256-gcm@openssh.com)";;
		stunnel) name="stunnel (TLS 1.3)";;
		socat)   name="socat relay pair (no encryption)";;
		esac
		ratio=$(python3 -c "print('%.2fx MB/s, %.2fx CPU/GiB' % ($V / $x, $VC / $c if $c > 0 else 0))")
		case $m in vmgw*) ratio=-;; esac
		printf '  %-42s %8s %10s  %-22s %-22s %s\n' "$name" "$x" "$c" "${R[$m.$s]}" "${C[$m.$s]}" "$ratio"
	done
done
printf '\n  gateway A with 2 conns, CPU seconds of its main thread / its data connection'"'"'s thread per round:\n'
for s in "${STREAMS[@]}"; do
	printf '    %s stream%s: %s\n' "$s" "$([ "$s" = 1 ] || echo s)" "${TH[$s]}"
done
printf '\n  vmgwd peak RSS: A %s KiB, B %s KiB; with 2 conns A %s KiB, B %s KiB (target < 65536 KiB)\n' \
    "$(rss $GA)" "$(rss $GB)" "$(rss $GA2)" "$(rss $GB2)"
printf '  targets: vmgw >= 0.6x the relay pair, >= 1.5x ssh -L, >= 2x stunnel (MB/s); CPU/GiB <= 0.6x ssh + sshd\n'
printf '  (figures on a shared machine are noisy: other work on the same cores shows in every row)\n'
