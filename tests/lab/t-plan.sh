#!/bin/bash
# Recovery plans.  A move first: `vmgw plan run --migrate` at a moves web2
# and web3 (not protected) to b in one group, then vmgw migrate brings them
# back.  Then web1, web2, web3 protected a -> b and synced; `vmgw plan
# check` at b passes, and names a guest that is not protected (and a plan
# run at the wrong site).  A test run: `vmgw plan run --test` at b starts
# test copies group after group (web1, then web2 + web3 with a TCP check)
# while the guests keep running at a; `plan end` removes them and the
# points show tested.  A failing check (a closed port) fails a test run
# naming the guest and the check, and the later group is not started.
# The disaster (site a's QEMUs, libvirtd and vmgwd SIGKILLed); `vmgw plan
# run --failover` at b brings all three up there, group after group (the
# report's timestamps), with the post script run with the hooks'
# environment and the report kept under state_dir/plans/; a second run
# stops at its first guest (defined at b already), naming it, and starts
# nothing after it.  Never asserts timing (TCG guests).
. "$(dirname "$0")/tlib.sh"
lt_init plan
V() { lab_vmgw a "$@"; }
W() { lab_vmgw b "$@"; }
ALL="web1 $LAB_EXTRA_GUESTS"
RB=$LAB/site-b/lib/images-b/vmgw-replica

no_copy() { ! lab_virsh b list --all --name 2>/dev/null | grep -qx -- "$1"; }
no_test_copies() { ! lab_virsh b list --all --name 2>/dev/null | grep -q -- '-test$'; }

cleanup() {
	local g
	for g in $ALL; do
		W failover "$g" --test --end >/dev/null 2>&1
		V unprotect "$g" --keep-replica >/dev/null 2>&1
		W unprotect "$g" --keep-replica >/dev/null 2>&1
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

# --migrate: web2 and web3 (not protected yet) moved a -> b by a plan run
# at a, in one group, then back with vmgw migrate
cat >"$LT_DIR/move.yaml" <<EOF
plan: move
from: site-a
to: site-b
groups:
  - name: front
    guests: [web2, web3]
    check: { tcp: 80 }
EOF
V plan check "$LT_DIR/move.yaml" --migrate >"$LT_DIR/mcheck" 2>&1; r=$?
check_eq "vmgw plan check --migrate at a passes (exit 0)" 0 "$r"
check_grep "... naming each guest, running here" '^  web3 +group front +running here, to site-b' "$LT_DIR/mcheck"
W plan check "$LT_DIR/move.yaml" --migrate >"$LT_DIR/mcheckb" 2>&1; r=$?
check_eq "a --migrate plan checked at b (not its from) fails (exit 1)" 1 "$r"
check_grep "... saying where it runs" 'from: site-a is not this site \(site-b\): a move runs at site-a' "$LT_DIR/mcheckb"
V plan run "$LT_DIR/move.yaml" --migrate >"$LT_DIR/mrun" 2>&1; r=$?
check_eq "vmgw plan run --migrate at a (exit 0)" 0 "$r"
tap_log "$(grep -E 'up at|FAILED|report:' "$LT_DIR/mrun" | tr '\n' ' ')"
check_grep "the live view has the moves' phases" '^[0-9:]{8}  front +web2 +' "$LT_DIR/mrun"
check_grep "... and says the check is not run in --migrate mode" 'group front: check tcp 80 not run in --migrate mode' "$LT_DIR/mrun"
for g in $LAB_EXTRA_GUESTS; do
	check_eq "$g runs at b after the plan's move" running "$(lab_extra_guest_state b "$g")"
	check_eq "... and is gone from a" "" "$(lab_extra_guest_state a "$g")"
done
check "web3 answers HTTP at b" lab_extra_guest_http b web3 /cgi-bin/status
mrep=$(sed -n 's/^  report: //p' "$LT_DIR/mrun")
python3 - "$mrep" >"$LT_DIR/morder" 2>&1 <<'EOPY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "migrate" and r["result"] == "ok", (r["mode"], r["result"])
for u in r["groups"][0]["guests"]:
    assert u["result"] == "ok" and u["steps"] and u["steps"][-1]["step"] == "up", u
    assert u["check"]["ok"] is None and u["check"]["detail"] == "not run in --migrate mode", u["check"]
print("ok")
EOPY
check_grep "the report (kept at a): both moved, the check not run" '^ok$' "$LT_DIR/morder"
check "... under site a's state_dir/plans/" bash -c "[[ '$mrep' == $LAB/site-a/state/plans/move-*.json ]]"
for g in $LAB_EXTRA_GUESTS; do
	W migrate "$g" --to site-a >"$LT_DIR/back-$g" 2>&1
	check "vmgw migrate $g back to a" [ $? = 0 ]
	check_eq "... $g runs at a again" running "$(lab_extra_guest_state a "$g")"
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

# a test run at b while the guests keep running at a
prod_boot=$(lab_guest_http a /cgi-bin/status | awk '$1 == "boot_id" {print $2}')
W plan run "$LT_DIR/shop.yaml" --test >"$LT_DIR/trun" 2>&1; r=$?
check_eq "vmgw plan run --test at b (exit 0)" 0 "$r"
[ "$r" = 0 ] || tap_log "$(tail -20 "$LT_DIR/trun")"
check_eq "web1 still runs at a" running "$(lab__guest_state a)"
for g in $LAB_EXTRA_GUESTS; do
	check_eq "$g still runs at a" running "$(lab_extra_guest_state a "$g")"
done
lab_client_http /cgi-bin/status >"$LT_DIR/client" 2>&1
check_grep "the client still reaches the production web1 at a" "^boot_id $prod_boot" "$LT_DIR/client"
check_eq "the test copies run at b" "web1-test web2-test web3-test" \
    "$(lab_virsh b list --name 2>/dev/null | grep -- '-test$' | sort | tr '\n' ' ' | sed 's/ $//')"
trep=$(sed -n 's/^  report: //p' "$LT_DIR/trun")
check "the report is kept under b's state_dir/plans/" \
    bash -c "[[ '$trep' == $LAB/site-b/state/plans/shop-*.json ]] && [ -s '$trep' ]"
python3 - "$trep" >"$LT_DIR/torder" 2>&1 <<'EOPY'
import json, sys
r = json.load(open(sys.argv[1]))
g = r["groups"]
print("times", g[0]["started"], g[0]["ended"], g[1]["started"], g[1]["ended"])
assert r["result"] == "ok" and r["mode"] == "test", (r["result"], r["mode"])
assert g[0]["ended"] <= g[1]["started"] and g[0]["end_s"] <= g[1]["start_s"], "group order"
for grp in g:
    for u in grp["guests"]:
        assert u["result"] == "ok" and u["point"].startswith("p"), u
        assert u["rpo_s"] is not None, u
        c = u["check"]
        assert c["tcp"] == 80 and c["ok"] is True and c["ms"] >= 0, c
print("ok")
EOPY
check_grep "the report: front started after data ended, every check waited for and ok" '^ok$' "$LT_DIR/torder"
tap_log "$(head -1 "$LT_DIR/torder")"
W plan end "$LT_DIR/shop.yaml" >"$LT_DIR/tend" 2>&1; r=$?
check_eq "vmgw plan end (exit 0)" 0 "$r"
check_grep "... ends each guest's test" '^web3 +test ended' "$LT_DIR/tend"
check "every test copy is gone from b" no_test_copies
for g in $ALL; do
	W points "$g" >"$LT_DIR/points-$g" 2>&1
	check_grep "vmgw points $g shows its point tested" 'tested at .*: ok' "$LT_DIR/points-$g"
done

# a test run whose check fails: a closed port; the later group not started
cat >"$LT_DIR/closed.yaml" <<EOF
plan: closed
from: site-a
to: site-b
groups:
  - name: first
    guests: [web2]
    check: { tcp: 81, timeout: 10s }
  - name: later
    guests: [web3]
EOF
W plan run "$LT_DIR/closed.yaml" --test >"$LT_DIR/frun" 2>&1; r=$?
check_eq "a test run whose check fails exits 1" 1 "$r"
check_grep "... naming the guest and the check" 'did not come up: web2 \(group first, check tcp 81 within 10s\): .*web2.*81' "$LT_DIR/frun"
check_grep "... and the later group's guest as not started" 'did not come up: web3 \(group later\): not started' "$LT_DIR/frun"
frep=$(sed -n 's/^  report: //p' "$LT_DIR/frun")
python3 - "$frep" >"$LT_DIR/fchk" 2>&1 <<'EOPY'
import json, sys
r = json.load(open(sys.argv[1]))
g = r["groups"]
assert r["result"] == "failed" and r["rto_s"] is None, r["result"]
u = g[0]["guests"][0]
assert u["result"] == "failed" and u["check"]["ok"] is False and u["check"]["tcp"] == 81, u
assert g[1]["result"] == "not started" and g[1]["started"] is None, g[1]
assert g[1]["guests"][0]["result"] == "not started", g[1]["guests"][0]
print("ok")
EOPY
check_grep "the report: the check failed, the later group did not start" '^ok$' "$LT_DIR/fchk"
check "web3 has no test copy at b" no_copy web3-test
W plan end "$LT_DIR/closed.yaml" >"$LT_DIR/fend" 2>&1; r=$?
check_eq "vmgw plan end after it (exit 0)" 0 "$r"
check_grep "... web3 had no test" '^web3 +no test running' "$LT_DIR/fend"
check "every test copy is gone from b" no_test_copies

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
        c = u["check"]
        assert c["tcp"] == 80 and c["timeout_s"] == 120 and c["ok"] is True, c
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
# and no test run of guests that failed over here
W plan run "$LT_DIR/shop.yaml" --test >"$LT_DIR/test" 2>&1; r=$?
check_eq "plan run --test after the failover fails (exit 1)" 1 "$r"
check_grep "... saying a test is for a guest running at home" 'web1 \(group data, .*a failover test is for a guest that runs at its home site' "$LT_DIR/test"

cleanup
lab_libvirtd_start a >/dev/null
lab_vmgwd_start a >/dev/null
cleanup		# again, with site a's vmgwd back: its protections end too
lab_site_clean a >/dev/null 2>&1
for g in $LAB_EXTRA_GUESTS; do lab_extra_guest_clean a "$g" >/dev/null 2>&1; done
tap_done
