#!/bin/bash
# tests/fuzz/run.sh - fuzz every harness of tests/fuzz with libFuzzer.
#
# usage: tests/fuzz/run.sh [SECONDS] [TARGET...]   (default 60 s, all targets)
#        VMGW_FUZZ_RUNS=N tests/fuzz/run.sh 0 [TARGET...]
#                                  (N executions per target, however long)
#
# Builds build-fuzz/ (clang, -DVMGW_FUZZ=ON: libFuzzer, ASan, UBSan), then
# runs each target for SECONDS on one core, starting from its seeds
# (tests/fuzz/corpus/NAME, read only) and its own growing corpus
# (build-fuzz/fuzz/NAME/corpus), with tests/fuzz/NAME.dict if there is one.
# Prints per target the executions and libFuzzer's final coverage (cov:
# edges, ft: features), and any crash, leak or timeout with the file that
# reproduces it (build-fuzz/fuzz/NAME/crashes/).  Exit 1 if a target found
# one, 2 if the build failed, 3 if a run was interrupted (kill -INT) with
# nothing found.
#
# A finding becomes a seed: fix the code, copy the crash file into
# tests/fuzz/corpus/NAME/ (a descriptive name), and the unit test
# unit/fuzz_NAME replays it in every build from then on.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$SRC/build-fuzz
SECS=${1:-60}
shift || true
case $SECS in
''|*[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
    >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || { echo "run.sh: libFuzzer missing; as root: apt-get install clang libclang-rt-dev" >&2; exit 2; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    clang libclang-rt-dev >/dev/null
fi

echo "== building $BUILD"
mkdir -p "$BUILD"
if ! { cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMGW_FUZZ=ON >/dev/null &&
    cmake --build "$BUILD" --target fuzz -j"$(nproc)"; } >"$BUILD/build.log" 2>&1; then
	tail -30 "$BUILD/build.log"
	echo "== build FAILED (log: $BUILD/build.log)"
	exit 2
fi

if [ $# -gt 0 ]; then
	targets=("$@")
else
	mapfile -t targets < <(grep -v '^$' "$BUILD/tests/fuzz/fuzz_targets.txt")
fi
# quarantine_size_mb=16: ASan keeps the last 16 MB freed poisoned (default
# 256).  One input frees far less than that, so a use after free within an
# input, or on the next input (fuzz_ctl's freed connection), is still
# caught; the default's 256 MB cycled through the caches and made ctl run
# at 670 exec/s against 1180 with 16 (same corpus, side by side).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1:quarantine_size_mb=16}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

found=0
rows=()
if [ -n "${VMGW_FUZZ_RUNS:-}" ]; then howlong="$VMGW_FUZZ_RUNS runs"; else howlong="${SECS}s"; fi
for t in "${targets[@]}"; do
	bin=$BUILD/tests/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "run.sh: no target $t" >&2; exit 2; }
	work=$BUILD/fuzz/$t
	mkdir -p "$work/corpus" "$work/crashes"
	opts=(-print_final_stats=1 -timeout=10 -rss_limit_mb=2048
	    -artifact_prefix="$work/crashes/")
	if [ -n "${VMGW_FUZZ_RUNS:-}" ]; then
		opts+=(-runs="$VMGW_FUZZ_RUNS")
	else
		opts+=(-max_total_time="$SECS")
	fi
	[ -f "$SRC/tests/fuzz/$t.dict" ] && opts+=(-dict="$SRC/tests/fuzz/$t.dict")
	echo "== fuzzing $t for $howlong"
	rc=0
	t0=$(date +%s)
	(cd "$work" && "$bin" "${opts[@]}" "$work/corpus" \
	    "$SRC/tests/fuzz/corpus/$t") >"$work/log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
	took=$(( $(date +%s) - t0 ))
	last=$(grep -E '^#[0-9]+.* cov: ' "$work/log" | tail -1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
	status=ok
	crashes=("$work"/crashes/*)
	if [ "$rc" != 0 ] && [ ! -e "${crashes[0]}" ] &&
	    grep -q 'libFuzzer: run interrupted' "$work/log"; then
		# stopped by a signal (Ctrl-C, kill -INT): nothing found, the
		# executions so far count; exit 3 unless something else failed
		status=interrupted
		[ "$found" = 1 ] || found=3
	elif [ "$rc" != 0 ] || [ -e "${crashes[0]}" ]; then
		status=FOUND
		found=1
		{ grep -E '^==[0-9]+==ERROR|^SUMMARY|check failed|runtime error|ALARM|out-of-memory' \
		    "$work/log" || true; } | head -5 | sed 's/^/   /'
		for f in "$work"/crashes/*; do
			[ -e "$f" ] && echo "   input: $f"
		done
		echo "   log: $work/log"
	fi
	printf '   %s: %s executions in %s s, cov: %s ft: %s corpus: %s -> %s\n' \
	    "$t" "${execs:-?}" "$took" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$status"
	rows+=("$(printf '%-12s %12s execs %7s s  cov: %-6s ft: %-6s %s' "$t" \
	    "${execs:-?}" "$took" "${cov:-?}" "${ft:-?}" "$status")")
done
echo "== summary ($howlong per target)"
printf '   %s\n' "${rows[@]}"
exit $found
