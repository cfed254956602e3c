#!/bin/bash
# Recovery plans: web1, web2, web3 protected a -> b and synced; `vmgw plan
# check` at b passes, and names a guest that is not protected (and a plan
# run at the wrong site); the disaster (site a's QEMUs, libvirtd and vmgwd
# SIGKILLed); `vmgw plan run --failover` at b brings all three up there,
# group after group (the report's timestamps), with the post script run
# with the hooks' environment and the report kept under state_dir/plans/;
# a second run stops at its first guest (defined at b already), naming it,
# and starts nothing after it.  Never asserts timing (TCG guests).
. "$(dirname "$0")/tlib.sh"
lt_init plan
V() { lab_vmgw a "$@"; }
W() { lab_vmgw b "$@"; }
ALL="web1 $LAB_EXTRA_GUESTS"
RB=$LAB/site-b/lib/images-b/vmgw-replica

cleanup() {
	local g
	for g in $ALL; do
		V unprotect "$g" >/dev/null 2>&1
		W unprotect "$g" >/dev/null 2>&1
		rm -rf "${RB:?}/$g"
	done
	lab_site_clean b >/dev/null 2>&1
	for g in $LAB_EXTRA_GUESTS; do lab_extra_guest_clean b "$g" >/dev/null 2>&1; done
	rm -rf "$LAB/site-a/lib/images/vmgw-replica"
}
cleanup
lt_guest_at a >/dev/null 2>&1 || { lab_site_clean a >/dev/null 2>&1; lab_guest_boot a >/dev/null; }
check "web1 runs at site a" lt_guest_at a
for g in $LAB_EXTRA_GUESTS; do
	check "$g boots at site a" lab_extra_guest_boot a "$g"
done
for g in $ALL; do
	check "protect $g to site-b" V protect "$g" --to site-b --rpo 60s --keep 3
done
for g in $ALL; do
	check "a point of $g at b (sync)" V sync "$g"
done

# the plan: web1 first, then web2 and web3 together, with a post script
cat >"$LT_DIR/post.sh" <<EOS
#!/bin/sh
env | grep '^VMGW_' | sort >"$LT_DIR/post.env"
echo "post for \$VMGW_GROUP: \$VMGW_GUEST"
EOS
chmod 0755 "$LT_DIR/post.sh"
cat >"$LT_DIR/shop.yaml" <<EOF
plan: shop
from: site-a
to: site-b
parallel: 2
groups:
  - name: data
    guests: [web1]
    check: { tcp: 80, timeout: 120s }
  - name: front
    guests: [web2, web3]
    check: { tcp: 80, timeout: 120s }
    post: $LT_DIR/post.sh
EOF
sed 's/guests: \[web2, web3\]/guests: [web2, web9]/' "$LT_DIR/shop.yaml" >"$LT_DIR/web9.yaml"

W plan check "$LT_DIR/shop.yaml" >"$LT_DIR/check" 2>&1; r=$?
check_eq "vmgw plan check at b passes (exit 0)" 0 "$r"
check_grep "... and names each guest's point" '^  web3 +group front +point p[0-9]+' "$LT_DIR/check"
W plan check "$LT_DIR/web9.yaml" >"$LT_DIR/check9" 2>&1; r=$?
check_eq "a plan naming an unprotected guest fails the check (exit 1)" 1 "$r"
check_grep "... naming it" 'web9 \(group front\): not protected to site-b: no replica here' "$LT_DIR/check9"
V plan check "$LT_DIR/shop.yaml" >"$LT_DIR/checka" 2>&1; r=$?
check_eq "checked at site a (not its to) it fails (exit 1)" 1 "$r"
check_grep "... saying where it runs" 'to: site-b is not this site \(site-a\)' "$LT_DIR/checka"
printf 'plan: shop\nfrom: site-a\nto: site-b\ngroups: []\n' >"$LT_DIR/bad.yaml"
W plan check "$LT_DIR/bad.yaml" >"$LT_DIR/bad" 2>&1; r=$?
check_eq "a bad file is exit 2" 2 "$r"
check_grep "... with FILE:LINE:COL" 'bad.yaml:4:9: groups: no group: a plan needs one' "$LT_DIR/bad"

# the disaster: a's QEMUs, libvirtd and vmgwd SIGKILLed
for g in $ALL; do
	kill -9 "$(cat "$LAB/site-a/run/libvirt/qemu/$g.pid")" 2>/dev/null
done
lab__stop libvirtd-a KILL 5
lab_vmgwd_kill a
W plan run "$LT_DIR/shop.yaml" --failover >"$LT_DIR/run" 2>&1; r=$?
check_eq "vmgw plan run --failover at b (exit 0)" 0 "$r"
check_grep "the live view has a line per step" '^[0-9:]{8}  data +web1 +(start|network|probe)' "$LT_DIR/run"
check_grep "it reports the RTO" 'RTO [0-9.]+s \(plan start until the last check was green\)' "$LT_DIR/run"
check_eq "web1 runs at b" running "$(lab__guest_state b)"
for g in $LAB_EXTRA_GUESTS; do
	check_eq "$g runs at b" running "$(lab_extra_guest_state b "$g")"
done
check "web3 answers HTTP at b" lab_extra_guest_http b web3 /cgi-bin/status
rep=$(sed -n 's/^  report: //p' "$LT_DIR/run")
check "the report is kept under state_dir/plans/" \
    bash -c "[[ '$rep' == $LAB/site-b/state/plans/shop-*.json ]] && [ -s '$rep' ]"
python3 - "$rep" >"$LT_DIR/order" 2>&1 <<'EOPY'
import json, sys
r = json.load(open(sys.argv[1]))
g = r["groups"]
print("times", g[0]["started"], g[0]["ended"], g[1]["started"], g[1]["ended"])
assert r["result"] == "ok" and r["mode"] == "failover", r["result"]
assert isinstance(r["rto_s"], float), r["rto_s"]
assert g[0]["ended"] <= g[1]["started"], "group order"
assert g[0]["end_s"] <= g[1]["start_s"]
for grp in g:
    for u in grp["guests"]:
        assert u["result"] == "ok" and u["point"].startswith("p"), u
        assert u["rpo_s"] is not None and u["steps"], u
        assert u["check"] == {"tcp": 80, "timeout_s": 120}, u["check"]
assert g[1]["post"]["result"] == "ok", g[1]["post"]
assert r["rto_s"] <= r["seconds"]
print("ok")
EOPY
check_grep "the report: every guest ok with its point and RPO; front started after data ended" '^ok$' "$LT_DIR/order"
tap_log "$(head -1 "$LT_DIR/order")"
check_grep "the post script ran with the hooks' environment" '^VMGW_GUEST=web2 web3$' "$LT_DIR/post.env"
check_grep "... and the plan's" '^VMGW_RECOVERY_PLAN=shop$' "$LT_DIR/post.env"
check_grep "... and the site" '^VMGW_SITE=site-b$' "$LT_DIR/post.env"

# a run that fails: web1 is defined at b now, the plan stops there
W plan run "$LT_DIR/shop.yaml" --failover >"$LT_DIR/run2" 2>&1; r=$?
check_eq "a run whose first guest fails exits 1" 1 "$r"
check_grep "... naming the guest and its check" 'did not come up: web1 \(group data, check tcp 80 within 120s\): .*defined here already' "$LT_DIR/run2"
check_grep "... and what it did not start" 'did not come up: web2 \(group front\): not started' "$LT_DIR/run2"
# TODO(testfo): a check on a closed port (check: { tcp: 81 }) failing the
# plan, and `plan run --test` + `plan end`, once the failover takes "check"
# and "test" (CTL_FAILOVER_TEST).

cleanup
lab_libvirtd_start a >/dev/null
lab_vmgwd_start a >/dev/null
lab_site_clean a >/dev/null 2>&1
for g in $LAB_EXTRA_GUESTS; do lab_extra_guest_clean a "$g" >/dev/null 2>&1; done
tap_done
