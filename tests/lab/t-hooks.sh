#!/bin/bash
# Hooks of the network plan: the environment a hook sees, a failing
# pre-move hook stopping the move with the guest untouched, post-move at
# both sites, and rollback at both sites when the guest does not answer at
# its new site (the plan probes a TCP port nothing listens on).
. "$(dirname "$0")/tlib.sh"
lt_init hooks
lt_guest_at a || exit 1
data=$(lt_write a)
for s in a b; do
	cp "$(lab_vmgw_config "$s")" "$LT_DIR/$s.yaml.orig"
	mkdir -p "$LT_DIR/hooks-$s"
	cat >"$LT_DIR/hooks-$s/10-env" <<EOS
#!/bin/sh
{ echo "\$1"; env | grep '^VMGW_' | sort; echo; } >>"$LT_DIR/env-$s"
echo "10-env saw \$VMGW_HOOK for \$VMGW_GUEST"
EOS
	chmod 755 "$LT_DIR/hooks-$s/10-env"
done
restore() {
	for s in a b; do
		cp "$LT_DIR/$s.yaml.orig" "$(lab_vmgw_config "$s")"
		lab_vmgwd_stop "$s"; lab_vmgwd_start "$s"
	done
}
with_plan() { # with_plan PORT: plan none + hooks + a TCP probe on PORT
	for s in a b; do
		cp "$LT_DIR/$s.yaml.orig" "$(lab_vmgw_config "$s")"
		sed -i "s|^forward_targets: \[\]|    plan: { mode: none, hooks: $LT_DIR/hooks-$s, probe_port: $1, probe_timeout: 3000 }\nforward_targets: []\nguests:\n  web1: { addresses: [ $GUEST_IP ] }|" "$(lab_vmgw_config "$s")"
		lab_vmgwd_stop "$s"; lab_vmgwd_start "$s"
	done
	lt_wait_tunnel a site-b
}

# 1. a move with hooks: pre-move at a, post-move at a and b, and what they saw
with_plan 80
lt_migrate a b
check "with hooks, a -> b succeeds" [ $? = 0 ]
check_grep "pre-move ran at site-a" '^pre-move$' "$LT_DIR/env-a"
check_grep "post-move ran at site-a" '^post-move$' "$LT_DIR/env-a"
check_grep "post-move ran at site-b" '^post-move$' "$LT_DIR/env-b"
check_grep "the hook sees the guest" '^VMGW_GUEST=web1$' "$LT_DIR/env-a"
check_grep "... its UUID" "^VMGW_UUID=$GUEST_UUID\$" "$LT_DIR/env-a"
check_grep "... its MACs" "^VMGW_MACS=$GUEST_MAC\$" "$LT_DIR/env-a"
check_grep "... its addresses" "^VMGW_ADDRESSES=$GUEST_IP\$" "$LT_DIR/env-a"
check_grep "... both sites" '^VMGW_FROM=site-a$' "$LT_DIR/env-b"
check_grep "... both sites (to)" '^VMGW_TO=site-b$' "$LT_DIR/env-b"
check_grep "... which site runs it" '^VMGW_SITE=site-b$' "$LT_DIR/env-b"
check_grep "... the job" '^VMGW_JOB=j[0-9a-f]+$' "$LT_DIR/env-a"
check_grep "hook output goes to the job's log" "job j[0-9a-f]+: hook 10-env: 10-env saw pre-move for web1" "$LAB/site-a/vmgwd.log"
check_grep "the summary says the guest answered" "reachable +from site-b after [0-9]+ ms" "$LT_DIR/last.out"

# 2. a failing pre-move hook stops the move before anything moves
printf '#!/bin/sh\n[ "$1" = pre-move ] || exit 0\necho "maintenance window closed" >&2\nexit 4\n' >"$LT_DIR/hooks-b/20-gate"
chmod 755 "$LT_DIR/hooks-b/20-gate"
: >"$LT_DIR/env-b"
lt_migrate b a
rc=$?
check_eq "a failing pre-move hook refuses the move (exit 6)" 6 "$rc"
check_grep "... naming the hook and its words" "refused: hook pre-move 20-gate exited 4: maintenance window closed" "$LT_DIR/last.out"
check_eq "... web1 still runs at site-b" b "$(lab_guest_where)"
check_eq "... untouched" "$data" "$(lt_read b)"
check "... and site-a got nothing" lt_is_clean a
check "... no rollback: nothing had moved" eval "! grep -q '^rollback$' '$LT_DIR/env-b'"
rm -f "$LT_DIR/hooks-b/20-gate"

# 3. the guest does not answer at its new site: loud failure, rollback hooks
with_plan 81		# nothing listens on 81 in the guest
: >"$LT_DIR/env-a"; : >"$LT_DIR/env-b"
lt_migrate b a
rc=$?
check_eq "an unanswered probe fails the job (exit 1)" 1 "$rc"
check_grep "... saying what did not answer" "web1 did not answer at $GUEST_IP \(ICMP and TCP\) from site-a within 3000 ms" "$LT_DIR/last.out"
check_eq "... while web1 runs at site-a (it moved)" a "$(lab_guest_where)"
check_grep "rollback ran at site-a" '^rollback$' "$LT_DIR/env-a"
check_grep "rollback ran at site-b" '^rollback$' "$LT_DIR/env-b"
check "no post-move at site-a" eval "! grep -q '^post-move$' '$LT_DIR/env-a'"
restore
lt_done
