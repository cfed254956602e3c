#!/bin/bash
# More faults during a live move (issue 12, item 3), each ending with web1
# running at exactly one site with its data intact, nothing of the job left
# at the other site, `vmgw jobs` at both sites saying what happened, and a
# second vmgw migrate succeeding: the source gateway SIGKILLed during the
# memory copy; the destination's libvirtd killed during the copy; the
# tunnel reset at the switchover (held open by a post-move hook at b).
# The cases alternate directions (a -> b, b -> a, a -> b) so that each
# retry leaves web1 where the next case starts.
. "$(dirname "$0")/tlib.sh"
lt_init faults2
lt_guest_at a || exit 1
data=$(lt_write a)

# 1. the source gateway SIGKILLed during the memory copy (a -> b at 4 MB/s)
lt_migrate_bg a b --bandwidth 4M
check "src-kill: the memory copy starts" lt_wait_phase "memory copy"
job=$(lt_job_id)
lab_vmgwd_kill a
wait $LT_PID
check "src-kill: site-b's job fails on its own (the source is lost)" \
    lt_wait_jobf b "$job" state '^(failed|cancelled)$' 60
check_grep "src-kill: ... and says why" "tunnel to site-a lost during" <(lt_jobf b "$job" error)
check "src-kill: site b is clean" lt_wait_clean b 30
lab_vmgwd_start a
check "src-kill: the tunnel comes back" lt_wait_tunnel a site-b
check_eq "src-kill: the restarted site-a reports the job failed" failed "$(lt_jobf a "$job" state)"
check_grep "src-kill: ... with the reason and where web1 runs" \
    "interrupted: vmgwd restarted during memory copy; web1 runs at site-a" <(lt_jobf a "$job" error)
check_eq "src-kill: vmgw jobs says where" site-a "$(lt_jobf a "$job" where)"
lt_check_undone a b "$data" "src-kill"
lt_check_again a b "$data" "src-kill"

# 2. the destination's libvirtd killed during the copy (b -> a at 4 MB/s)
lt_migrate_bg b a --bandwidth 4M
check "libvirtd: the memory copy starts" lt_wait_phase "memory copy"
job=$(lt_job_id)
lab__stop libvirtd-a KILL 10
wait $LT_PID; rc=$?
check_eq "libvirtd: vmgw migrate exits 1" 1 "$rc"
check_grep "libvirtd: it says why" "job $job failed: " "$LT_DIR/last.out"
check_eq "libvirtd: site-b's job failed" failed "$(lt_jobf b "$job" state)"
check_eq "libvirtd: ... and says web1 runs at site-b" site-b "$(lt_jobf b "$job" where)"
# the half-made domain and the volumes at a can only go once its libvirtd
# is back: until then site-a's job says it waits for it
check "libvirtd: site-a's job waits for its libvirtd to clean up" \
    lt_wait_jobf a "$job" phase '^cleanup: waiting for libvirt$' 30
lab_libvirtd_start a
check "libvirtd: site-a's job then fails, cleaned up" lt_wait_jobf a "$job" phase '^cleaned up$' 60
check_eq "libvirtd: ... failed" failed "$(lt_jobf a "$job" state)"
check_grep "libvirtd: ... with the source's reason" "." <(lt_jobf a "$job" error)
lt_check_undone b a "$data" "libvirtd"
lt_check_again b a "$data" "libvirtd"

# 3. the tunnel cut at the switchover (a -> b).  The moment is held open
# with a post-move hook at site b that waits for a file: libvirt's
# migration has returned, the guest resumed at b, and the job is
# "finishing" (its job-finish is at b) while the tunnel goes.
cp "$(lab_vmgw_config b)" "$LT_DIR/b.yaml.orig"
mkdir -p "$LT_DIR/hooks-b"
cat >"$LT_DIR/hooks-b/10-hold" <<EOS
#!/bin/sh
[ "\$1" = post-move ] || exit 0
touch "$LT_DIR/held"
for i in \$(seq 1 100); do [ -e "$LT_DIR/release" ] && exit 0; sleep 0.2; done
EOS
chmod 755 "$LT_DIR/hooks-b/10-hold"
sed -i "s|^forward_targets: \[\]|    plan: { mode: none, hooks: $LT_DIR/hooks-b }\nforward_targets: []|" "$(lab_vmgw_config b)"
lab_vmgwd_stop b; lab_vmgwd_start b
check "switch: the tunnel is up" lt_wait_tunnel a site-b
lt_migrate_bg a b
job=""
for i in $(seq 1 600); do [ -e "$LT_DIR/held" ] && break; kill -0 $LT_PID 2>/dev/null || break; sleep 0.2; done
check "switch: the move reaches its switchover (b's post-move hook runs)" [ -e "$LT_DIR/held" ]
job=$(lt_job_id)
check_eq "switch: site-a's job is finishing" finishing "$(lt_jobf a "$job" phase)"
lab_wan_block reject >/dev/null
sleep 1
touch "$LT_DIR/release"
wait $LT_PID; rc=$?
tap_log "switch: vmgw migrate exited $rc: $(tail -n 2 "$LT_DIR/last.out" | tr '\n' ' ')"
where=$(lab_guest_where)
check "switch: web1 runs at exactly one site ($where)" grep -Eqx 'a|b' <<<"$where"
check_eq "switch: site-a's vmgw jobs says where" "site-$where" "$(lt_jobf a "$job" where)"
other=$(lt_other "$where")
check_eq "switch: its data is intact" "$data" "$(lt_read "$where")"
lab_wan_unblock >/dev/null
check "switch: site $other is clean" lt_wait_clean "$other" 30
check_grep "switch: both sites' vmgw jobs say the job is done" "^done" \
    <(lt_jobf a "$job" state; lt_jobf b "$job" state | sed 's/^/b /')
check_eq "switch: ... at site-b too" done "$(lt_jobf b "$job" state)"
check "switch: the tunnel comes back" lt_wait_tunnel a site-b
tap_log "switch: site-a: $(lt_jobf a "$job" state) $(lt_jobf a "$job" error); site-b: $(lt_jobf b "$job" state) $(lt_jobf b "$job" error)"
lab_vmgwd_stop b; cp "$LT_DIR/b.yaml.orig" "$(lab_vmgw_config b)"; lab_vmgwd_start b
lt_wait_tunnel a site-b
lt_check_again "$where" "$other" "$data" "switch"
[ "$other" = a ] || { lt_migrate b a; check "switch: back to site a" [ $? = 0 ]; }

tap_log "vmgw migrate outputs: $(tr '\n' '|' <"$LT_DIR/all.out" | tail -c 2000)"
lt_done
