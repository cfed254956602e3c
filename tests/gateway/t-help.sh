#!/bin/bash
# --help and --version as a new operator tries them: `vmgw --help`, `vmgw
# COMMAND --help` for every command (its usage and options on stdout, exit
# 0, no daemon needed), `vmgwd --help`, the versions; a bad option is still
# exit 2 with the usage on stderr.  No daemon, no namespace.
set -u
VMGW_SOURCE_DIR=${VMGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
VMGW_BUILD_DIR=${VMGW_BUILD_DIR:-$VMGW_SOURCE_DIR/build}
# VMGWD_BIN, VMGW_BIN: other programs to test (packaging/test-deb.sh: the
# installed /usr/sbin/vmgwd and /usr/bin/vmgw); default: the build's
VMGWD=${VMGWD_BIN:-$VMGW_BUILD_DIR/gateway/vmgwd}
VMGW=${VMGW_BIN:-$VMGW_BUILD_DIR/gateway/vmgw}
# shellcheck source=tests/tap.sh
. "$VMGW_SOURCE_DIR/tests/tap.sh"
tap_name help
D=$(mktemp -d /tmp/vmgw-gt-help.XXXXXX)
trap 'rm -rf "$D"' EXIT
ver=$(sed -n 's/^project(vmgw VERSION \([0-9.]*\).*/\1/p' "$VMGW_SOURCE_DIR/CMakeLists.txt")

for o in --help -h; do
	"$VMGW" $o >"$D/out" 2>"$D/err"
	check "vmgw $o exits 0" [ $? = 0 ]
	check_grep "vmgw $o prints the usage on stdout" '^usage: vmgw ' "$D/out"
	check "vmgw $o: nothing on stderr" [ ! -s "$D/err" ]
done
check_grep "vmgw --help lists the commands" '^  set-bandwidth +change a running' "$D/out"
check_grep "vmgw --help gives the exit codes" '^exit status: 0 done' "$D/out"
for o in --version -V; do
	check_eq "vmgw $o" "vmgw $ver" "$("$VMGW" $o 2>&1)"
	check_eq "vmgwd $o" "vmgwd $ver" "$("$VMGWD" $o 2>&1)"
done
"$VMGWD" --help >"$D/out" 2>"$D/err"
check "vmgwd --help exits 0" [ $? = 0 ]
check_grep "vmgwd --help: usage on stdout" '^usage: vmgwd ' "$D/out"
check_grep "vmgwd --help: the options" '^  -n +check the configuration' "$D/out"
"$VMGWD" --bogus >"$D/out" 2>"$D/err"
check "vmgwd --bogus exits 2" [ $? = 2 ]
check_grep "vmgwd --bogus: usage on stderr" '^usage: vmgwd ' "$D/err"
"$VMGW" --bogus >"$D/out" 2>"$D/err"
check "vmgw --bogus exits 2" [ $? = 2 ]
check_grep "vmgw --bogus: usage on stderr" '^usage: vmgw ' "$D/err"

# every command answers --help (the list from vmgw --help itself)
cmds=$("$VMGW" --help | sed -n '/^commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p')
# as many as the command files of the CLI (cmd-*.c)
ncmd=$(ls "$VMGW_SOURCE_DIR"/gateway/cli/cmd-*.c | wc -l)
check "vmgw --help lists its $ncmd commands" [ "$(echo "$cmds" | wc -w)" = "$ncmd" ]
for c in $cmds; do
	"$VMGW" -c /nonexistent.yaml "$c" --help >"$D/out" 2>"$D/err"
	check "vmgw $c --help exits 0 (no config, no daemon needed)" [ $? = 0 ]
	check_grep "vmgw $c --help: its usage" "^usage: vmgw $c" "$D/out"
done
"$VMGW" migrate --help >"$D/out"
for o in --to --dry-run --offline --postcopy --max-downtime --bandwidth \
    --parallel --keep-source --json; do
	check_grep "vmgw migrate --help explains $o" "^  $o[ ,]" "$D/out"
done
check_grep "vmgw forward --help explains --listen" '^  --listen ADDR' <("$VMGW" forward --help)
check_grep "vmgw bench --help explains --bytes" '^  --bytes N' <("$VMGW" bench --help)
"$VMGW" migrate web1 --to site-b --help >"$D/out" 2>&1
check "--help after other arguments: help, nothing moves (exit 0)" [ $? = 0 ]
check_grep "... the usage" '^usage: vmgw migrate' "$D/out"
"$VMGW" jobs -h >"$D/out" 2>&1
check "vmgw jobs -h exits 0" [ $? = 0 ]
"$VMGW" migrate web1 >"$D/out" 2>"$D/err"
check "a usage error still exits 2" [ $? = 2 ]
check_grep "... and points at --help" 'vmgw migrate --help: the options' "$D/err"
"$VMGW" >"$D/out" 2>"$D/err"
check "vmgw without a command exits 2" [ $? = 2 ]
tap_done
