# tests/tap.sh - TAP output and counted assertions for the shell tests
# (tests/gateway, tests/lab).  Source it, call tap_name NAME, then check...,
# and end with tap_done (its status is the test's).

TAP_PASS=0
TAP_FAIL=0
TAP_NAME=test

tap_name() { TAP_NAME=$1; }
tap_log() { printf '%s [%s] %s\n' "$(date +%T.%3N)" "$TAP_NAME" "$*" >&2; }
ok() { TAP_PASS=$((TAP_PASS + 1)); printf 'ok %d - %s\n' $((TAP_PASS + TAP_FAIL)) "$*"; }
not_ok() {
	TAP_FAIL=$((TAP_FAIL + 1))
	printf 'not ok %d - %s\n' $((TAP_PASS + TAP_FAIL)) "$*"
}
# skip DESCRIPTION REASON: a check this machine cannot make (TAP's SKIP)
skip() {
	TAP_PASS=$((TAP_PASS + 1))
	printf 'ok %d - %s # SKIP %s\n' $((TAP_PASS + TAP_FAIL)) "$1" "$2"
}
# check DESCRIPTION CMD...: ok when CMD succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# check_grep DESCRIPTION ERE FILE: ok when FILE has a line matching ERE
check_grep() {
	if grep -qE -- "$2" "$3"; then ok "$1"; else
		not_ok "$1 (no /$2/ in $3)"; sed 's/^/    | /' "$3" | tail -15 >&2
	fi
}
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$3')"; fi
}
tap_done() {
	echo "1..$((TAP_PASS + TAP_FAIL))"
	echo "# $TAP_NAME: $TAP_PASS passed, $TAP_FAIL failed"
	[ "$TAP_FAIL" = 0 ]
}
