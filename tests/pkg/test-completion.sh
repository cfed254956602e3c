#!/bin/bash
# tests/pkg/test-completion.sh - the bash completion of vmgw(1)
# (packaging/vmgw.bash-completion): commands, options, sites from the
# config's peers, domains from virsh and from `vmgw -j replication`, job
# ids from `vmgw -j jobs`, plan files.  With VMGW_HELP_BIN (a real vmgw:
# packaging/test-deb.sh gives the installed one), the commands completed
# are the commands its --help lists.
#
# Sources the completion into bash twice: alone, and after the
# bash-completion package's framework (when installed), and checks
# COMPREPLY.  virsh and vmgw are stand-ins on PATH; no root, no daemon.
#
# usage: tests/pkg/test-completion.sh [COMPLETION-FILE]
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
COMP=${1:-$SRC/packaging/vmgw.bash-completion}
FRAMEWORK=/usr/share/bash-completion/bash_completion
. "$SRC/tests/tap.sh"
tap_name test-completion

T=$(mktemp -d /tmp/vmgw-comp.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin"
cat >"$T/vmgw.yaml" <<'EOF'
site: site-a
private_key: site-a.key
listen: 192.0.2.10:7400
libvirt: "test:///default"   # the URI the domain list must use
peers:
  site-b:
    endpoint: 198.51.100.20:7400
    networks: { default: default }
    storage:
      /var/lib/libvirt/images: /var/lib/libvirt/images
  # a comment between peers
  "dr-1":
    public_key: "x"
forward_targets: []
guests:
  web1:
    addresses: [ 10.0.0.1 ]
EOF
cat >"$T/other.yaml" <<'EOF'
site: x
peers:
    far: { endpoint: 203.0.113.1:7400 }
EOF
# virsh: answers only for the URI from the config
cat >"$T/bin/virsh" <<EOF
#!/bin/sh
[ "\$*" = "-q -c test:///default list --all --name" ] || exit 1
printf 'web1\nweb2\ndb1\n'
EOF
# vmgw: `-c FILE -j jobs|replication` as vmgwd would answer (cli_print_json)
cat >"$T/bin/vmgw" <<EOF
#!/bin/sh
if [ "\$1 \$2 \$3 \$4" = "-c $T/vmgw.yaml -j replication" ]; then
	cat <<'J'
{
  "guests": [
    {
      "domain": "web1",
      "to": "site-b",
      "state": "ok"
    },
    {
      "domain": "app9",
      "to": "dr-1",
      "state": "seeding"
    }
  ],
  "violated": false
}
J
	exit 0
fi
[ "\$1 \$2 \$3 \$4" = "-c $T/vmgw.yaml -j jobs" ] || exit 3
cat <<'J'
{
  "jobs": [
    {
      "domain": "web1",
      "id": "4f2a9c01d3e5",
      "state": "running"
    },
    {
      "domain": "db1",
      "id": "77b0e1aa0c42",
      "state": "done"
    }
  ]
}
J
EOF
chmod +x "$T/bin/virsh" "$T/bin/vmgw"
: >"$T/site-a.key"
: >"$T/dr.plan.yaml"
CMDS="migrate jobs cancel set-bandwidth protect unprotect replication sync points
failover reprotect clone plan check status forward bench keygen pubkey"

# run_cases MODE: prints "EXPECTED|ACTUAL|LINE" per case (words sorted)
run_cases() {
	# shellcheck disable=SC2097,SC2098  # the inner bash gets them, on purpose
	PATH=$T/bin:$PATH HOME=$T T=$T MODE=$1 COMP=$COMP FRAMEWORK=$FRAMEWORK \
	    CMDS=$CMDS \
	    bash --norc --noprofile <<'EOF'
[ "$MODE" = framework ] && . "$FRAMEWORK"
. "$COMP"
# c EXPECTED LINE: complete LINE (its last word is the one being typed),
# splitting words as readline does (blanks, and "=" on its own)
c() {
	local exp=$1 line=$2 w
	COMP_WORDS=()
	for w in $line; do
		while [[ $w == *=* ]]; do
			[ -n "${w%%=*}" ] && COMP_WORDS+=("${w%%=*}")
			COMP_WORDS+=("=")
			w=${w#*=}
		done
		[ -n "$w" ] && COMP_WORDS+=("$w")
	done
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line COMP_POINT=${#line}
	COMPREPLY=()
	case ${COMP_WORDS[0]} in
	vmgwd) _vmgwd vmgwd ;;
	*) _vmgw vmgw ;;
	esac 2>/dev/null
	printf '%s|%s|%s\n' "$(printf '%s\n' $exp | sort | paste -sd' ')" \
	    "$(printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd' ')" "$line"
}
cd "$T"
C="vmgw -c $T/vmgw.yaml"
c "$CMDS" "vmgw "
c "set-bandwidth status sync" "vmgw s"
c "-V -c -h -j -s" "vmgw -"
c "set-bandwidth status sync" "vmgw -j -c $T/vmgw.yaml s"
c "points protect pubkey plan" "vmgw p"
c "reprotect replication" "vmgw rep"
c "db1 web1 web2" "$C protect "
c "dr-1 site-b" "$C protect web1 --to "
c "--rpo= --keep= --quiesce --bandwidth= --json --to=" "$C protect web1 --"
c "" "$C protect web1 --to site-b --rpo "
c "--quiesce" "$C protect web1 -t site-b --q"
c "app9 web1" "$C unprotect "
c "--keep-replica" "$C unprotect web1 --"
c "app9 web1" "$C replication "
c "web1" "$C sync w"
c "app9 db1 web1 web2" "$C points "
c "app9 db1 web1 web2" "$C failover "
c "latest latest-app" "$C failover web1 --point "
c "latest-app" "$C failover web1 --point=latest-"
c "--test" "$C failover web1 --t"
c "--check-tcp= --check-timeout=" "$C failover web1 --test --check-"
c "" "$C failover web1 --check-tcp "
c "web1 web2" "$C reprotect we"
c "--rpo= --keep= --quiesce --bandwidth= --json" "$C reprotect web1 --"
c "check run end" "$C plan "
c "run" "$C plan r"
c "dr.plan.yaml" "$C plan check dr"
c "dr.plan.yaml" "$C plan run --test dr"
c "--test --failover --migrate --continue --parallel= --json" "$C plan run dr.plan.yaml --"
c "" "$C plan run dr.plan.yaml --parallel "
c "other.yaml" "vmgw -c oth"
c "dr-1 site-b" "$C check "
c "site-b" "$C bench s"
c "--bytes=" "$C bench site-b --by"
c "far" "vmgw -c $T/other.yaml check "
c "far" "vmgw -c$T/other.yaml check f"
c "db1 web1 web2" "$C migrate "
c "web1 web2" "$C migrate we"
c "--dry-run" "$C migrate web1 --d"
c "--keep-source" "$C migrate web1 --to site-b --k"
c "--full-copy" "$C migrate web1 --to site-b --f"
c "--replicated" "$C migrate web1 --to site-b --r"
c "dr-1 site-b" "$C migrate web1 --to "
c "site-b" "$C migrate web1 --to=s"
c "dr-1 site-b" "$C migrate web1 --to="
c "" "$C migrate web1 --to site-b --bandwidth "
c "" "$C migrate web1 --to site-b "
c "dr-1 site-b" "$C forward --to "
c "--connect= --listen= --to=" "$C forward --"
c "4f2a9c01d3e5 77b0e1aa0c42" "$C cancel "
c "77b0e1aa0c42" "$C set-bandwidth 7"
c "" "$C set-bandwidth 77b0e1aa0c42 "
c "" "$C status "
c "site-a.key" "vmgw keygen site"
c "-V -c -d -n -v" "vmgwd "
c "vmgw.yaml" "vmgwd -c vmgw"
EOF
}

# the commands are the ones a real vmgw lists
if [ -n "${VMGW_HELP_BIN-}" ]; then
	check_eq "the commands are those of $VMGW_HELP_BIN --help" \
	    "$(printf '%s\n' $CMDS | sort | paste -sd' ')" \
	    "$("$VMGW_HELP_BIN" --help | sed -n '/^commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' |
	    sort | paste -sd' ')"
fi
for mode in plain framework; do
	if [ "$mode" = framework ] && [ ! -r "$FRAMEWORK" ]; then
		ok "# SKIP with bash-completion: $FRAMEWORK not installed"
		continue
	fi
	while IFS='|' read -r exp got line; do
		check_eq "$mode: '$line'" "$exp" "$got"
	done < <(run_cases "$mode")
done
tap_done
