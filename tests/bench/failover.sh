#!/bin/bash
# tests/bench/failover.sh - how long a failover takes, beside how long the
# guest itself takes to boot.
#
# In the lab (the route plan as configured; every time from site b's
# network namespace, where a guest at b answers on vmbr0):
#   boot    the baseline: a plain copy of the guest at site b (fresh
#           volumes, the lab's domain XML, `virsh define`), timed from
#           `virsh start` until it answers HTTP; BOOT_ROUNDS rounds for
#           web1 (default 3, the median counts), one each for web2, web3
#   (a)     web1 protected a -> b and synced; site a lost (its QEMUs,
#           libvirtd and vmgwd SIGKILLed); `vmgw failover web1` at b,
#           timed from the command's start until web1 answers HTTP at b
#           (and vmgw's own rto_s, start until its probe was answered).
#           Target: RTO <= boot + 3 s
#   (b)     web1, web2, web3 protected and synced; site a lost; `vmgw plan
#           run --failover` of a plan with two groups (data: web1; front:
#           web2 + web3), each with check { tcp: 80 }: the report's rto_s.
#           Target: the sum over groups of (the slowest guest's boot + its
#           check's time, from the report) + 5 s
#   (c)     reprotect bytes: see tests/bench/reprotect.sh
# Afterwards the lab is as it was: web1 at site a, nothing protected.
#
# usage: sudo tests/bench/failover.sh [a] [b]   (default: both)
# environment: BOOT_ROUNDS (3)
# Not a test: nothing fails on a slow machine.  The guests run under TCG on
# two shared cores, so the boots vary by seconds; read the rounds.
set -uo pipefail
PARTS=()
for a in "$@"; do
	case $a in
	a|b) PARTS+=("$a") ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: tests/bench/failover.sh [a] [b]" >&2; exit 2 ;;
	esac
done
[ ${#PARTS[@]} -gt 0 ] || PARTS=(a b)
BOOT_ROUNDS=${BOOT_ROUNDS:-3}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
export VMGW_BUILD_DIR=${VMGW_BUILD_DIR:-$SRC/build}
[ -x "$VMGW_BUILD_DIR/gateway/vmgwd" ] || "$SRC/tests/build.sh" release || exit 1
# shellcheck source=tests/lab/lib.sh
. "$SRC/tests/lab/lib.sh"
lab_is_up || lab_up || exit 1
for s in a b; do lab_vmgwd_pid "$s" >/dev/null || lab_vmgwd_start "$s" || exit 1; done
W=$(mktemp -d /tmp/vmgw-bench-fo.XXXXXX)
RB=$LAB/site-b/lib/images-b/vmgw-replica
ALL="web1 $LAB_EXTRA_GUESTS"
say() { printf '%(%T)T %s\n' -1 "$*" >&2; }
has() { local p; for p in "${PARTS[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a + b }'; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "?"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a + 0 <= b + 0) ? "met" : "NOT met" }'; }

# the lab back as it was: site a up, web1 there, nothing protected, b clean
reset() {
	local g
	lab_pid libvirtd-a >/dev/null || lab_libvirtd_start a >/dev/null 2>&1
	lab_vmgwd_pid a >/dev/null || lab_vmgwd_start a >/dev/null 2>&1
	for g in $ALL; do
		lab_vmgw a unprotect "$g" --keep-replica >/dev/null 2>&1
		lab_vmgw b unprotect "$g" --keep-replica >/dev/null 2>&1
		rm -rf "${RB:?}/$g"
	done
	rm -rf "$LAB/site-a/lib/images/vmgw-replica"
	lab_site_clean b >/dev/null 2>&1
	for g in $LAB_EXTRA_GUESTS; do
		lab_extra_guest_clean b "$g" >/dev/null 2>&1
		lab_extra_guest_clean a "$g" >/dev/null 2>&1
	done
	[ "$(lab_guest_where)" = a ] || { lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null 2>&1; }
}
cleanup() { reset; rm -rf "$W"; }
trap cleanup EXIT

# the disaster: site a's QEMUs, libvirtd and vmgwd SIGKILLed
lose_a() {
	local g
	for g in $ALL; do
		kill -9 "$(cat "$LAB/site-a/run/libvirt/qemu/$g.pid" 2>/dev/null)" 2>/dev/null
	done
	lab__stop libvirtd-a KILL 5 >/dev/null 2>&1
	lab_vmgwd_kill a >/dev/null 2>&1
}

# (inside lab__extra for web2, web3) a plain copy at b: virsh start ->
# HTTP answer, in seconds; b clean again afterwards
boot_b() {
	local x=$LAB/site-b/$GUEST-bench.xml t0 el
	lab_site_clean b >/dev/null 2>&1
	lab__vol_create b "$GUEST_VOL" "$GUEST_DISK_MIB" >/dev/null || return 1
	if [ "$GUEST_DATA_MIB" != 0 ]; then
		lab__vol_create b "$GUEST_DATA_VOL" "$GUEST_DATA_MIB" >/dev/null || return 1
	fi
	lab_guest_xml b >"$x" || return 1
	lab__virsh_t 30 b define "$x" >/dev/null || return 1
	t0=$(lab__us)
	lab__virsh_t 60 b start "$GUEST" >/dev/null || return 1
	lab_guest_wait_up b >/dev/null || return 1
	el=$(lab__since "$t0")
	lab_site_clean b >/dev/null 2>&1
	echo "$el"
}

protect_all() { # GUESTS...: booted at a (web1 is), protected to b, a point there
	local g
	for g in "$@"; do
		[ "$g" = web1 ] || lab_extra_guest_boot a "$g" >/dev/null || return 1
		lab_vmgw a protect "$g" --to site-b --rpo 60s --keep 3 >/dev/null || return 1
		lab_vmgw a sync "$g" >/dev/null || return 1
	done
}

say "a clean start: web1 at site a, nothing protected"
reset
[ "$(lab_guest_where)" = a ] || { echo "web1 does not run at site a" >&2; exit 1; }

# --- the baselines
B1=()
for ((i = 1; i <= BOOT_ROUNDS; i++)); do
	say "baseline: web1 booted plainly at b, round $i"
	t=$(boot_b) || { echo "the baseline boot of web1 at b failed" >&2; exit 1; }
	B1+=("$t")
done
BOOT1=$(echo "${B1[*]}" | median)
declare -A BOOT=([web1]=$BOOT1)
if has b; then
	for g in $LAB_EXTRA_GUESTS; do
		say "baseline: $g booted plainly at b"
		BOOT[$g]=$(lab__extra "$g" boot_b) || { echo "the baseline boot of $g at b failed" >&2; exit 1; }
	done
fi

# --- (a) one guest's failover
if has a; then
	say "(a) web1 protected, site a lost, vmgw failover web1 at b"
	protect_all web1 || { echo "protecting web1 failed" >&2; exit 1; }
	lose_a
	t0=$(lab__us)
	lab_vmgw b failover web1 -j >"$W/fo.json" 2>"$W/fo.err" &
	fo=$!
	RTO_A=
	while :; do
		if lab_nsx b curl -s --fail -m 1 -o /dev/null "http://$GUEST_IP/cgi-bin/status" 2>/dev/null; then
			RTO_A=$(lab__since "$t0")
			break
		fi
		# the command ended without it answering: 30 s more at most
		kill -0 "$fo" 2>/dev/null || { [ -n "${t_end:-}" ] || t_end=$(lab__us); [ $(( $(lab__us) - t_end )) -lt 30000000 ]; } || break
		sleep 0.2
	done
	wait "$fo"; rc=$?
	CMD_A=$(lab__since "$t0")
	VRTO_A=$(python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["rto_s"])' "$W/fo.json" 2>/dev/null)
	[ "$rc" = 0 ] || say "vmgw failover web1: exit $rc: $(head -c 300 "$W/fo.err")"
	reset
fi

# --- (b) a plan of three guests in two groups
if has b; then
	say "(b) web1, web2, web3 protected, site a lost, vmgw plan run --failover at b"
	cat >"$W/plan.yaml" <<EOF
plan: bench
from: site-a
to: site-b
groups:
  - name: data
    guests: [web1]
    check: { tcp: 80, timeout: 120s }
  - name: front
    guests: [web2, web3]
    check: { tcp: 80, timeout: 120s }
EOF
	protect_all $ALL || { echo "protecting the guests failed" >&2; exit 1; }
	lose_a
	t0=$(lab__us)
	lab_vmgw b plan run "$W/plan.yaml" --failover -j >"$W/plan.json" 2>"$W/plan.err"; rc=$?
	CMD_B=$(lab__since "$t0")
	[ "$rc" = 0 ] || say "vmgw plan run: exit $rc: $(head -c 300 "$W/plan.err")"
	# per group: its slowest guest's boot + that guest's check (ms)
	GROUPS_B=$(python3 - "$W/plan.json" "web1=${BOOT[web1]}" "web2=${BOOT[web2]}" "web3=${BOOT[web3]}" <<'EOPY'
import json, sys
r = json.load(open(sys.argv[1]))
boot = dict(a.split("=") for a in sys.argv[2:])
total = 0.0
print("rto", "%.1f" % r["rto_s"] if r["rto_s"] is not None else "", r["result"])
for g in r["groups"]:
    slow = max(g["guests"], key=lambda u: float(boot[u["guest"]]))
    ck = (slow["check"].get("ms") or 0) / 1000.0 if isinstance(slow["check"], dict) else 0.0
    b = float(boot[slow["guest"]])
    total += b + ck
    print("group", g["name"], slow["guest"], "%.1f" % b, "%.1f" % ck,
          "%.1f" % (g["end_s"] - g["start_s"]) if g["end_s"] is not None else "?")
print("sum", "%.1f" % total)
EOPY
)
	reset
fi

# --- the figures
echo
echo "failover RTO ($(lab_accel) guests; every time from site b's namespace, HTTP)"
printf '  baseline boot at b (virsh start -> HTTP): web1 %s s (rounds: %s)' "$BOOT1" "${B1[*]}"
has b && printf ', web2 %s s, web3 %s s' "${BOOT[web2]}" "${BOOT[web3]}"
echo
printf '\n  %-38s %-12s %-26s %s\n' "case" "measured" "target" "result"
if has a; then
	ta=$(add "$BOOT1" 3)
	printf '  %-38s %-12s %-26s %s\n' "(a) vmgw failover web1: RTO" "${RTO_A:-none} s" \
	    "<= boot + 3 s = $ta s" "$(met "${RTO_A:-}" "$ta")"
	printf '      (the command returned after %s s; vmgw'"'"'s own rto_s, until its probe: %s s)\n' \
	    "$CMD_A" "${VRTO_A:-?}"
fi
if has b; then
	rto=$(awk '$1 == "rto" {print $2}' <<<"$GROUPS_B")
	sum=$(awk '$1 == "sum" {print $2}' <<<"$GROUPS_B")
	tb=$(add "${sum:-0}" 5)
	printf '  %-38s %-12s %-26s %s\n' "(b) plan, 3 guests in 2 groups: RTO" "${rto:-none} s" \
	    "<= sum + 5 s = $tb s" "$(met "${rto:-}" "$tb")"
	awk '$1 == "group" { printf "      group %-6s slowest %s: boot %s s + check %s s (the group took %s s)\n", $2, $3, $4, $5, $6 }' <<<"$GROUPS_B"
	printf '      (plan result %s; the command returned after %s s)\n' \
	    "$(awk '$1 == "rto" {print $3}' <<<"$GROUPS_B")" "$CMD_B"
fi
echo
echo "  (c) reprotect bytes: see tests/bench/reprotect.sh"
echo "  (TCG guests on two shared cores: a boot varies by seconds between rounds;"
echo "   the group of two boots both guests at once, on the same two cores)"
