#!/bin/bash
# tests/bench/soak.sh - move web1 between site-a and site-b MOVES times
# (default 200) while the lab's client pings it, and watch both gateways
# for anything that grows (issue 12, item 4).
#
# Every move is a plain `vmgw migrate web1 --to SITE` (live, storage copied,
# with the route plan, so that vmgw moves the guest's /32 at the
# switchover), its result and downtime printed as it ends; the client's
# ping (every 10 ms, through the router) measures the outage too.  Before the first
# move and every EVERY moves (default 10) both vmgwd's RSS (VmRSS), open
# file descriptors (/proc/PID/fd) and threads (/proc/PID/status) are
# sampled.  At the end: the table of samples, the trend of each (the last
# sample against the one after the first EVERY moves, once the daemons'
# caches are warm), the downtime's min / median / max, the ping's losses,
# and the failed moves.  Verdict: every move correct, and no figure grown
# beyond noise (RSS by more than 4 MiB and 10 %, fds by more than 2,
# threads by more than 2).  Exit 1 when that fails.
#
# usage: sudo tests/bench/soak.sh [MOVES] [EVERY]
# Not a CI test: 200 moves take about 40 minutes under TCG here.
set -uo pipefail
MOVES=${1:-200}
EVERY=${2:-10}
case "$MOVES" in -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
case "$MOVES$EVERY" in *[!0-9]*) echo "usage: tests/bench/soak.sh [MOVES] [EVERY]" >&2; exit 2 ;; esac
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
export VMGW_BUILD_DIR=${VMGW_BUILD_DIR:-$SRC/build} VMGW_SOURCE_DIR=$SRC
[ -x "$VMGW_BUILD_DIR/gateway/vmgwd" ] || "$SRC/tests/build.sh" release || exit 1
# shellcheck source=tests/lab/lib.sh
. "$SRC/tests/lab/lib.sh"
lab_is_up || lab_up || exit 1
for s in a b; do lab_vmgwd_pid "$s" >/dev/null || lab_vmgwd_start "$s" || exit 1; done
lab_routing_up || exit 1
# the route plan: vmgw moves the guest's /32 at each switchover, so the
# client's ping measures vmgw's outage (the lab's default plan, restored at
# the end, is none)
PLAN0=${LAB_VMGW_PLAN:-none}
lab_vmgw_plan route >/dev/null || exit 1
trap 'lab_vmgw_plan "$PLAN0" >/dev/null 2>&1' EXIT
W=$(mktemp -d /tmp/vmgw-soak.XXXXXX)
say() { printf '%(%T)T %s\n' -1 "$*" >&2; }

# where web1 runs now; boot it at a if nowhere
at=$(lab_guest_where)
case $at in a|b) ;; *) lab_site_clean a >/dev/null 2>&1; lab_site_clean b >/dev/null 2>&1
	lab_guest_boot a >/dev/null || { say "cannot boot web1"; exit 1; }; at=a ;; esac
lab_guest_route "$at" >/dev/null	# vmgw's plan moves it from now on
data=$(lab_guest_http "$at" "/cgi-bin/disk-write?seed=$RANDOM" | awk '/^md5/ {print $2}')

# sample N: "N a_rss_kib a_fds a_threads b_rss_kib b_fds b_threads"
sample() {
	local n=$1 s p line="$1"
	for s in a b; do
		p=$(lab_vmgwd_pid "$s") || { line="$line - - -"; continue; }
		line="$line $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status") $(ls "/proc/$p/fd" | wc -l) $(awk '/^Threads:/ {print $2}' "/proc/$p/status")"
	done
	echo "$line" >>"$W/samples"
	say "sample after $n moves: $line"
}

lab_probes_start "$W/probes" || exit 1
sample 0
fails=0
for i in $(seq 1 "$MOVES"); do
	to=$([ "$at" = a ] && echo b || echo a)
	t0=$(date +%s.%N)
	if lab_vmgw "$at" -j migrate web1 --to "site-$to" >"$W/m.json" 2>"$W/m.err"; then
		t1=$(date +%s.%N)
		r=$(tail -1 "$W/m.json" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("downtime_ms", ""))' 2>/dev/null)
		where=$(lab_guest_where)
		if [ "$where" = "$to" ]; then
			got=$(lab_guest_http "$to" /cgi-bin/disk-read | awk '/^md5/ {print $2}')
			if [ "$got" = "$data" ]; then res=ok; else res="data differs"; fi
		else
			res="runs at $where"
		fi
		at=$where
	else
		t1=$(date +%s.%N); r=""
		res="failed: $(tr '\n' ' ' <"$W/m.err" | cut -c1-200)"
		at=$(lab_guest_where)
	fi
	[ "$res" = ok ] || fails=$((fails + 1))
	printf '%4d %s -> %s  %5.1f s  downtime %5s ms  %s\n' "$i" "$([ "$to" = a ] && echo b || echo a)" "$to" \
	    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "${r:-?}" "$res" | tee -a "$W/moves"
	[ -n "$r" ] && echo "$r" >>"$W/downtimes"
	case $at in a|b) ;; *) say "web1 runs at '$at': stopping"; break ;; esac
	[ $((i % EVERY)) = 0 ] && sample "$i"
done
lab_probes_stop "$W/probes"
probes=$(lab_probes_analyze "$W/probes")

echo
echo "== gateways, every $EVERY moves (RSS KiB, open fds, threads)"
printf '%6s %10s %5s %4s   %10s %5s %4s\n' moves a_rss a_fds a_thr b_rss b_fds b_thr
awk '{ printf "%6s %10s %5s %4s   %10s %5s %4s\n", $1, $2, $3, $4, $5, $6, $7 }' "$W/samples"
verdict=0
# the baseline: the sample after the first EVERY moves (warm caches), else the first
base=$(sed -n 2p "$W/samples"); [ -n "$base" ] || base=$(head -1 "$W/samples")
last=$(tail -1 "$W/samples")
echo
echo "== trend (last sample against the one after $(echo "$base" | cut -d' ' -f1) moves)"
read -r -a B <<<"$base"; read -r -a L <<<"$last"
for k in 1 2 3 4 5 6; do
	site=$([ $k -le 3 ] && echo a || echo b)
	case $(( (k - 1) % 3 )) in 0) what=rss_kib ;; 1) what=fds ;; 2) what=threads ;; esac
	b=${B[$k]:-0} l=${L[$k]:-0} d=$(( ${L[$k]:-0} - ${B[$k]:-0} ))
	grown=no
	case $what in
	rss_kib) [ "$d" -gt 4096 ] && [ $((d * 10)) -gt "$b" ] && grown=yes ;;
	*) [ "$d" -gt 2 ] && grown=yes ;;
	esac
	[ $grown = yes ] && verdict=1
	printf '  site-%s %-8s %10s -> %10s  (%+d)%s\n' "$site" "$what" "$b" "$l" "$d" "$([ $grown = yes ] && echo "  GROWN")"
done
echo
echo "== moves: $(wc -l <"$W/moves") made, $fails not correct"
[ "$fails" = 0 ] || { verdict=1; grep -v ' ok$' "$W/moves"; }
if [ -s "$W/downtimes" ]; then
	sort -n "$W/downtimes" | awk '{ v[NR] = $1 } END { printf "   downtime ms: min %d  median %d  max %d  (%d moves)\n", v[1], v[int((NR + 1) / 2)], v[NR], NR }'
fi
echo "   client probes: $probes"
echo "   (all figures in $W)"
[ "$verdict" = 0 ] && echo "== soak: nothing grew beyond noise, every move correct" || echo "== soak: FAILED (see above)"
exit "$verdict"
