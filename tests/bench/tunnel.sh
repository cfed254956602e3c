#!/bin/bash
# tests/bench/tunnel.sh - vmgw's tunnel against the alternatives, one run.
#
# Carries the same BYTES over loopback, in one network namespace of its own,
# through:
#   vmgw    vmgw forward: client -> vmgwd A -> Noise tunnel -> vmgwd B -> sink
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
# Usage: sudo tests/bench/tunnel.sh [BYTES] [ROUNDS]   (default 4G 3)
# Not a test: nothing here fails on a slow machine, and figures on a shared
# machine are noisy.  Targets (issue 11): vmgw >= 0.6x the relay pair,
# >= 1.5x ssh -L, >= 2x stunnel, gateway CPU/GiB <= 0.6x ssh + sshd's,
# gateway RSS < 64 MiB carrying 4 GiB.
set -euo pipefail

BYTES=${1:-4G}
ROUNDS=${2:-3}
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
# nsenter execs vmgwd, so $! is the daemon's pid (for its peak RSS)
nsenter --net=/run/netns/"$NS" -- "$BUILD/gateway/vmgwd" -d -c "$D/a.yaml" 2>"$D/a.log" & GA=$!
nsenter --net=/run/netns/"$NS" -- "$BUILD/gateway/vmgwd" -d -c "$D/b.yaml" 2>"$D/b.log" & GB=$!
sleep 1
"$VMGW" -c "$D/a.yaml" forward --to b --listen 127.0.0.1:5001 --connect 127.0.0.1:9000 >"$D/fwd.log" 2>&1 &
SUITE=$("$VMGW" -c "$D/a.yaml" check b | sed -n 's/ *suite *//p')

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

# one transfer: start a one-shot sink, send N bytes, time until the sink has
# them all; prints MB/s and the endpoints' CPU seconds per GiB
xfer() {
	local port=$1 t0 t1 c0 c1; shift
	nsx socat -u -b 262144 TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr OPEN:/dev/null &
	local sink=$!
	for _ in $(seq 100); do nsx ss -Hltn 'sport = :9000' | grep -q . && break; sleep 0.02; done
	c0=$(ticks "$@")
	t0=$(date +%s.%N)
	nsx socat -u -b 262144 OPEN:/dev/zero,readbytes=$N TCP:127.0.0.1:$port
	wait $sink
	t1=$(date +%s.%N)
	sleep 0.3	# a forked relay exits and is reaped
	c1=$(ticks "$@")
	python3 -c "print('%.1f %.2f' % ($N / ($t1 - $t0) / 1e6, ($c1 - $c0) / $HZ / ($N / 2**30)))"
}

declare -A R C
for r in $(seq "$ROUNDS"); do
	for m in vmgw:5001 ssh:5002 stunnel:5003 socat:5005; do
		k=${m%%:*}
		eval "ends=\$ENDS_$k"
		# shellcheck disable=SC2086
		read -r v c <<<"$(xfer "${m#*:}" $ends)"
		R[$k]+="$v "
		C[$k]+="$c "
		echo "round $r $k: $v MB/s, $c CPU-s/GiB" >&2
	done
done
med() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rss() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

V=$(echo "${R[vmgw]}" | med)
VC=$(echo "${C[vmgw]}" | med)
printf '\nvmgw tunnel benchmark: %s over loopback, %s rounds, medians (all rounds)\n' "$BYTES" "$ROUNDS"
printf '  machine: %s, %s cores, kernel %s, %s\n' "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$(nproc)" "$(uname -r)" "$(date +%F)"
printf '  %-36s %8s %10s  %-24s %-24s %s\n' method MB/s CPU-s/GiB "MB/s rounds" "CPU-s/GiB rounds" "vmgw is"
for m in vmgw ssh stunnel socat; do
	x=$(echo "${R[$m]}" | med)
	c=$(echo "${C[$m]}" | med)
	case $m in
	vmgw)    name="vmgw forward (${SUITE#Noise_IK_25519_}, 1 conn)";;
	ssh)     name="ssh -L (aes256-gcm@openssh.com)";;
	stunnel) name="stunnel (TLS 1.3)";;
	socat)   name="socat relay pair (no encryption)";;
	esac
	ratio=$(python3 -c "print('%.2fx MB/s, %.2fx CPU/GiB' % ($V / $x, $VC / $c if $c > 0 else 0))")
	[ $m = vmgw ] && ratio=-
	printf '  %-36s %8s %10s  %-24s %-24s %s\n' "$name" "$x" "$c" "${R[$m]}" "${C[$m]}" "$ratio"
done
printf '  vmgwd peak RSS: A %s KiB, B %s KiB (target < 65536 KiB)\n' "$(rss $GA)" "$(rss $GB)"
printf '  targets: vmgw >= 0.6x the relay pair, >= 1.5x ssh -L, >= 2x stunnel (MB/s); CPU/GiB <= 0.6x ssh + sshd\n'
printf '  (figures on a shared machine are noisy: other work on the same cores shows in every row)\n'
