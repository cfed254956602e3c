# tests/gateway/lib.sh - real vmgwd gateways in network namespaces.
#
# Each test sources this file, calls gt_init, adds sites with gt_site, and
# gets: a WAN namespace with a bridge that every site hangs off
# (10.77.0.N/24), one key and config per site, helpers to start, stop, kill
# and talk to each site's vmgwd, and assertions that count.  Names carry a
# random prefix so tests can run in parallel; everything is torn down on
# exit, whatever happens.
#
# Needs root (network namespaces).  VMGW_BUILD_DIR points at the build.

set -u
VMGW_SOURCE_DIR=${VMGW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VMGW_BUILD_DIR=${VMGW_BUILD_DIR:-$VMGW_SOURCE_DIR/build}
# VMGWD_BIN, VMGW_BIN: other programs to test (packaging/test-deb.sh: the
# installed /usr/sbin/vmgwd and /usr/bin/vmgw); default: the build's
VMGWD=${VMGWD_BIN:-$VMGW_BUILD_DIR/gateway/vmgwd}
VMGW=${VMGW_BIN:-$VMGW_BUILD_DIR/gateway/vmgw}
TOOLS=$VMGW_SOURCE_DIR/tests/tools

GT_SITES=()
# shellcheck source=tests/tap.sh
. "$VMGW_SOURCE_DIR/tests/tap.sh"
gt_log() { tap_log "$@"; }

gt_init() {
	GT_NAME=$1
	tap_name "$1"
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 77; }
	[ -x "$VMGWD" ] || { echo "vmgwd not built at $VMGWD" >&2; exit 1; }
	GT_P=vg$(printf '%04x' $((RANDOM % 65536)))
	GT_DIR=$(mktemp -d "/tmp/vmgw-gt-$GT_NAME.XXXXXX")
	trap gt_cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns add "$GT_P-w"
	ip -n "$GT_P-w" link set lo up
	ip -n "$GT_P-w" link add br0 type bridge
	ip -n "$GT_P-w" link set br0 up
	ip -n "$GT_P-w" addr add 10.77.0.254/24 dev br0	# relays in tests
}

gt_cleanup() {
	local s pid i rc=$?
	for s in "${GT_SITES[@]}"; do
		pid=$(cat "$GT_DIR/$s.pid" 2>/dev/null) || continue
		kill "$pid" 2>/dev/null
	done
	# a clean exit lets LeakSanitizer (ASan builds) check the daemon
	for s in "${GT_SITES[@]}"; do
		pid=$(cat "$GT_DIR/$s.pid" 2>/dev/null) || continue
		for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	done
	jobs -p | xargs -r kill 2>/dev/null
	# whatever a test started inside a namespace (sinks, echo servers)
	for s in "${GT_SITES[@]}" w; do
		ip netns pids "$GT_P-$s" 2>/dev/null | xargs -r kill -9 2>/dev/null
	done
	for s in "${GT_SITES[@]}"; do ip netns del "$GT_P-$s" 2>/dev/null; done
	ip netns del "$GT_P-w" 2>/dev/null
	# a sanitizer report in a daemon's log fails the test
	for s in "${GT_SITES[@]}"; do
		if grep -qE 'Sanitizer|runtime error:' "$GT_DIR/$s.log" 2>/dev/null; then
			echo "not ok - sanitizer report in $s's log:"
			grep -E -A12 'Sanitizer|runtime error:' "$GT_DIR/$s.log" | head -40 | sed 's/^/#   /'
			TAP_FAIL=$((TAP_FAIL + 1))
			rc=1
		fi
	done
	if [ "$TAP_FAIL" -gt 0 ] || [ -n "${GT_KEEP:-}" ]; then
		echo "# logs kept in $GT_DIR" >&2
	else
		rm -rf "$GT_DIR"
	fi
	exit $rc
}

# gt_site NAME N: namespace NAME on the WAN at 10.77.0.N, key, no config yet
gt_site() {
	local s=$1 n=$2 ns=$GT_P-$1
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip link add "$GT_P$s" netns "$ns" type veth peer name "$GT_P$s-w" \
	    netns "$GT_P-w"
	ip -n "$GT_P-w" link set "$GT_P$s-w" master br0 up
	ip -n "$ns" addr add "10.77.0.$n/24" dev "$GT_P$s"
	ip -n "$ns" link set "$GT_P$s" up
	eval "GT_IP_$s=10.77.0.$n"
	"$VMGW" keygen "$GT_DIR/$s.key" >"$GT_DIR/$s.pub"
	GT_SITES+=("$s")
}

gt_ip() { eval "echo \$GT_IP_$1"; }
gt_pub() { cat "$GT_DIR/$1.pub"; }
gt_ns() { echo "$GT_P-$1"; }
gt_conf() { echo "$GT_DIR/$1.yaml"; }

# gt_config SITE "PEER [PEER...]" [EXTRA_YAML]: write SITE's config;
# a peer written as PEER@ has no endpoint (it must dial us)
gt_config() {
	local s=$1 peers=$2 extra=${3:-} p name
	{
		echo "site: $s"
		echo "private_key: $s.key"
		echo "listen: $(gt_ip "$s"):7400"
		echo "control: $GT_DIR/$s.sock"
		echo "state_dir: $GT_DIR/state-$s"
		echo "run_dir: $GT_DIR/run-$s"
		echo "peers:"
		for p in $peers; do
			name=${p%@}
			echo "  $name:"
			[ "$p" = "$name" ] && echo "    endpoint: $(gt_ip "$name"):7400"
			echo "    public_key: \"$(gt_pub "$name")\""
		done
		printf '%s\n' "$extra"
	} >"$GT_DIR/$s.yaml"
}

# gt_start SITE [vmgwd options]: start SITE's vmgwd in its namespace
gt_start() {
	local s=$1; shift
	nsenter --net=/run/netns/"$GT_P-$s" -- ${GT_WRAP:-} "$VMGWD" -d "$@" \
	    -c "$GT_DIR/$s.yaml" </dev/null >>"$GT_DIR/$s.log" 2>&1 &
	echo $! >"$GT_DIR/$s.pid"
	local i
	for i in $(seq 1 100); do
		[ -S "$GT_DIR/$s.sock" ] && return 0
		kill -0 "$(cat "$GT_DIR/$s.pid")" 2>/dev/null || break
		sleep 0.05
	done
	gt_log "vmgwd $s did not start"; tail "$GT_DIR/$s.log" >&2
	return 1
}
gt_stop() { kill "$(cat "$GT_DIR/$1.pid")"; wait "$(cat "$GT_DIR/$1.pid")" 2>/dev/null; }
gt_kill() { kill -9 "$(cat "$GT_DIR/$1.pid")"; wait "$(cat "$GT_DIR/$1.pid")" 2>/dev/null; }
gt_alive() { kill -0 "$(cat "$GT_DIR/$1.pid")" 2>/dev/null; }

# gt_vmgw SITE ARGS...: the CLI against SITE's daemon
gt_vmgw() { local s=$1; shift; "$VMGW" -c "$GT_DIR/$s.yaml" "$@"; }
# gt_nsx SITE CMD...: run CMD in SITE's namespace
gt_nsx() { local s=$1; shift; nsenter --net=/run/netns/"$GT_P-$s" -- "$@"; }

# gt_connected SITE PEER: is SITE's tunnel to PEER up?
gt_connected() {
	gt_vmgw "$1" -j status 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(p["site"] == sys.argv[1] and p["connected"] for p in d["peers"]) else 1)' "$2"
}
# gt_wait_connected SITE PEER [SECONDS]
gt_wait_connected() {
	local i n=$(( ${3:-15} * 10 ))
	for i in $(seq 1 $n); do gt_connected "$1" "$2" && return 0; sleep 0.1; done
	return 1
}

gt_done() { tap_done; }

# gt_wait_listen SITE PORT: wait until something listens on TCP PORT in SITE
gt_wait_listen() {
	local i
	for i in $(seq 1 100); do
		gt_nsx "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	gt_log "nothing listens on port $2 at $1"
	return 1
}
