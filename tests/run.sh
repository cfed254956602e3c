#!/bin/bash
# tests/run.sh - vmgw's whole test suite, as root on Debian 12.
#
# Installs what is missing (apt-get), builds twice (release with -Werror, and
# ASan+UBSan), then runs:
#   unit     cmocka tests (config, keys, Noise vectors, records, channels,
#            kvm XML/frames/test driver)              on both builds
#   gateway  two or three real vmgwd in network namespaces
#                                                     on both builds
#   lab      two libvirt sites and a real guest: migrations and faults
#                                                     on the ASan build
#   fuzz     a smoke run of every libFuzzer harness (tests/fuzz/run.sh,
#            VMGW_FUZZ_SECS each, default 10; clang, ASan + UBSan)
# and fails when any test fails or a harness finds something.
#
# usage: sudo tests/run.sh [--no-lab] [--no-asan] [--no-fuzz]
#   VMGW_NOISE_VECTORS=FILE  another Noise vector file (default shared/noise)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
LAB=1 ASAN=1 FUZZ=1
for a in "$@"; do
	case $a in
	--no-lab) LAB=0 ;;
	--no-asan) ASAN=0 ;;
	--no-fuzz) FUZZ=0 ;;
	*) echo "usage: tests/run.sh [--no-lab] [--no-asan] [--no-fuzz]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "tests/run.sh: run as root (network namespaces, libvirt daemons)" >&2; exit 2; }

# --- install what is missing and build (the lab installs its own on `up`)
builds=(build)
[ "$ASAN" = 1 ] && builds+=(build-asan)
kinds=(release)
[ "$ASAN" = 1 ] && kinds+=(asan)
"$SRC/tests/build.sh" "${kinds[@]}"

# --- run
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
fail=0
summary=()
run() { # run BUILD LABEL-REGEX
	local b=$1 l=$2 out
	echo "== $b: $l tests"
	out=$SRC/$b/ctest-${l//|/-}.log
	# -V: every check's TAP line goes to the log (and is counted below)
	(cd "$SRC/$b" && ctest -V -L "^($l)\$" -j2 --timeout 1500) >"$out" 2>&1 || true
	grep -E '^ *[0-9]+/[0-9]+ Test|^[0-9]+: (not ok|# [a-z-]+: )|tests passed|tests failed' \
	    "$out" || true
	summary+=("$b $l: $(grep -Eo '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$out" || echo 'did not run')")
	grep -q ' 0 tests failed' "$out" || fail=1
}
run build "unit|gateway"
[ "$ASAN" = 1 ] && run build-asan "unit|gateway"
if [ "$LAB" = 1 ]; then
	lb=build
	[ "$ASAN" = 1 ] && lb=build-asan
	run "$lb" lab
fi
if [ "$FUZZ" = 1 ]; then
	echo "== fuzz smoke: ${VMGW_FUZZ_SECS:-10} s per harness"
	if "$SRC/tests/fuzz/run.sh" "${VMGW_FUZZ_SECS:-10}" >"$SRC/fuzz-smoke.log" 2>&1; then
		summary+=("fuzz smoke: nothing found ($(grep -c '^== fuzzing' "$SRC/fuzz-smoke.log") harnesses)")
	else
		fail=1
		summary+=("fuzz smoke: FOUND or did not build (log: $SRC/fuzz-smoke.log)")
	fi
	sed -n '/^== summary/,$p' "$SRC/fuzz-smoke.log"
fi
echo
echo "== summary"
printf '   %s\n' "${summary[@]}"
# every check of every shell test, counted
n=$(cat "$SRC"/build*/ctest-*.log 2>/dev/null | grep -cE '^[0-9]+: ok [0-9]+' || true)
f=$(cat "$SRC"/build*/ctest-*.log 2>/dev/null | grep -cE '^[0-9]+: not ok' || true)
u=$(cat "$SRC"/build*/ctest-*.log 2>/dev/null | grep -cE '^[0-9]+: \[       OK \]' || true)
echo "   cmocka tests passed: $u; shell-test checks: $n passed, $f failed"
[ "$fail" = 0 ] && echo "== all tests passed" || echo "== TESTS FAILED"
exit $fail
