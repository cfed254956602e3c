#!/bin/bash
# End to end, through vmgw migrate only: web1 moves site-a -> site-b ->
# site-a with its local disk; it runs at exactly one site afterwards, data
# written before a move reads back identical inside the guest after it, and
# the destination's domain has the mapped network and disk path.  Also
# --dry-run, --offline, --postcopy, --parallel, --keep-source and --json.
. "$(dirname "$0")/tlib.sh"
lt_init migrate
lt_guest_at a || exit 1
# who runs as what (README): both gateways as vmgw with three capabilities
# (the package's unit), the guest's QEMU as libvirt's default user
for s in a b; do
	pid=$(lab_vmgwd_pid "$s")
	check_eq "vmgwd at site $s runs as $LAB_VMGWD_USER" "$LAB_VMGWD_USER" "$(ps -o user= -p "$pid" | tr -d ' ')"
	# bits 1, 12, 13: CAP_DAC_OVERRIDE, CAP_NET_ADMIN, CAP_NET_RAW
	check_eq "vmgwd at site $s has only net_admin, net_raw and dac_override" \
	    0000000000003002 "$(awk '/^CapEff/ { print $2 }' "/proc/$pid/status")"
done
qpid=$(cat "$LAB/site-a/run/libvirt/qemu/$GUEST.pid" 2>/dev/null)
check_eq "web1's QEMU runs as libvirt-qemu" libvirt-qemu "$(ps -o user= -p "${qpid:-0}" | tr -d ' ')"
data=$(lt_write a)
check "wrote data to web1's disk at site-a ($data)" [ -n "$data" ]

lt_migrate a b --dry-run
check "--dry-run exits 0" [ $? = 0 ]
check_grep "--dry-run says nothing moved" '^dry run: nothing moved' "$LT_DIR/last.out"
check_grep "--dry-run shows the disk mapping" 'disk +/var/lib/libvirt/images/web1.qcow2 -> /var/lib/libvirt/images-b/web1.qcow2' "$LT_DIR/last.out"
check_grep "--dry-run shows the network mapping" 'network prod -> dr-prod' "$LT_DIR/last.out"
check_grep "--dry-run shows site-b's checks" 'site-b +pool +images-b: .* free, .* needed' "$LT_DIR/last.out"
check_eq "--dry-run moved nothing" a "$(lab_guest_where)"
check "--dry-run made nothing at site-b" lt_is_clean b

lt_migrate a b
check "migrate a -> b exits 0" [ $? = 0 ]
check_grep "the summary says where it runs" '^web1 moved to site-b in [0-9.]+ s' "$LT_DIR/last.out"
check_grep "the summary gives the downtime" 'downtime +[0-9]+ ms' "$LT_DIR/last.out"
check_grep "the summary gives the bytes" 'tunnel +[0-9.]+ MiB' "$LT_DIR/last.out"
check_grep "the summary gives the disk copied and its size" 'disk +[0-9.]+ [KMG]iB copied of [0-9.]+ [KMG]iB \([0-9.]+ [KMG]?i?B allocated\)' "$LT_DIR/last.out"
check_grep "the summary gives the bytes per stream" 'tunnel +[0-9.]+ MiB: memory [0-9.]+ MiB, disk \(NBD\) [0-9.]+ [KMG]?i?B, libvirt RPC [0-9.]+ [KMG]?i?B' "$LT_DIR/last.out"
check_grep "the summary gives the guest's memory" 'memory +[0-9.]+ MiB sent of [0-9.]+ MiB' "$LT_DIR/last.out"
check_eq "web1 runs at site-b only" b "$(lab_guest_where)"
check_eq "data written at site-a reads back at site-b" "$data" "$(lt_read b)"
lab_virsh b dumpxml web1 >"$LT_DIR/b.xml"
check_grep "site-b's domain uses the mapped network" "<source network=.dr-prod." "$LT_DIR/b.xml"
check_grep "site-b's domain uses the mapped disk path" "<source file=./var/lib/libvirt/images-b/web1.qcow2." "$LT_DIR/b.xml"
check "site-b's definition is persistent" eval "lab_virsh b dominfo web1 | grep -q 'Persistent: *yes'"
check "site-a is clean: no definition, no old volume" lt_is_clean a
check_grep "vmgw jobs lists the job as done" 'source +web1 +site-b +done' <(lab_vmgw a jobs)
# vmgw read the destination's completed job for its summary, and left it
check_grep "virsh domjobinfo --completed at site-b still shows the migration" \
    'Operation: +Incoming migration' <(lab_virsh b domjobinfo --completed web1)

lt_migrate b a
check "migrate b -> a exits 0" [ $? = 0 ]
check_eq "web1 runs at site-a only" a "$(lab_guest_where)"
check_eq "the data is still there" "$data" "$(lt_read a)"
check_grep "site-a's domain uses network prod again" "<source network=.prod." <(lab_virsh a dumpxml web1)
check "site-b is clean" lt_is_clean b

# --offline: a shut-off guest, its disk through the tunnel
lab_virsh a shutdown web1 >/dev/null 2>&1
for i in $(seq 1 30); do lab_virsh a domstate web1 | grep -q 'shut off' && break; sleep 1; done
lab_virsh a destroy web1 >/dev/null 2>&1
# under a cap of 128 KiB/s (its disk would take a minute), which
# set-bandwidth 0 then lifts: the rest goes at once
lt_migrate_bg a b --offline --bandwidth 128K
lt_wait_phase job
sleep 5
check "--offline --bandwidth 128K: still copying after 5 s (capped)" kill -0 "$LT_PID"
lab_vmgw a set-bandwidth "$(lt_job_id)" 0 >/dev/null
t0=$(date +%s)
wait "$LT_PID"
check "--offline a -> b exits 0" [ $? = 0 ]
cat "$LT_DIR/last.out" >>"$LT_DIR/all.out"
grep -E '^  (disk|tunnel) ' "$LT_DIR/last.out" | sed 's/^/# --offline:/'
check "--offline: set-bandwidth 0 lifted the cap (done $(( $(date +%s) - t0 )) s after it)" \
	[ $(( $(date +%s) - t0 )) -le 20 ]
check "web1 is defined (shut off) at site-b" eval "lab_virsh b domstate web1 | grep -q 'shut off'"
check "... and gone from site-a" lt_is_clean a
lab_virsh b start web1 >/dev/null && lab_guest_wait_up b >/dev/null 2>&1
check_eq "after an offline move the data is there" "$data" "$(lt_read b)"
check_grep "--offline: the summary counts the disk's own stream" 'tunnel +[0-9.]+ [KMG]?i?B: .*disk vda [0-9.]+ [KMG]?i?B' "$LT_DIR/last.out"
check_grep "--offline: the summary gives the disk read and its size" 'disk +[0-9.]+ [KMG]iB copied of [0-9.]+ MiB' "$LT_DIR/last.out"

# --postcopy under a dirtying load, and a bandwidth cap
lab_guest_http b "/cgi-bin/dirty?mib=24" >/dev/null
lt_migrate b a --postcopy --bandwidth 20M
check "--postcopy b -> a exits 0" [ $? = 0 ]
check_grep "post-copy engaged" "job $(lt_job_id): switched to post-copy" "$LAB/site-b/vmgwd.log"
check_eq "web1 runs at site-a" a "$(lab_guest_where)"
lab_guest_http a "/cgi-bin/dirty?mib=0" >/dev/null
check_eq "the data is there after post-copy" "$data" "$(lt_read a)"

# --parallel: multifd connections, relayed in the order opened; the
# summary's figures (JSON): per stream, adding up to the tunnel's
lt_migrate a b --parallel 4 --json
check "--parallel 4 a -> b exits 0" [ $? = 0 ]
tail -1 "$LT_DIR/last.out" >"$LT_DIR/summary.json"
lt_summary() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); s = d.get("tunnel_streams", {}); sys.exit(0 if eval(sys.argv[2]) else 1)' "$LT_DIR/summary.json" "$1"; }
check "--json: disk_bytes, disk_capacity and disk_allocation are not 0" lt_summary 'd["disk_bytes"] > 0 and d["disk_capacity"] > 0 and d["disk_allocation"] > 0'
check "--json: the disk copied is at most its capacity" lt_summary 'd["disk_bytes"] <= d["disk_capacity"]'
check "--json: memory, NBD and libvirt streams crossed the tunnel" lt_summary 's.get("mig", 0) > 0 and s.get("nbd", 0) > 0 and s.get("libvirt", 0) > 0'
check "--json: the streams add up to tunnel_bytes" lt_summary 'sum(s.values()) == d["tunnel_bytes"]'
check "--json: the memory stream is at most what QEMU sent, and more than half of it" lt_summary 'd["memory_bytes"] / 2 < s["mig"] <= d["memory_bytes"] * 1.05 + 65536'
check "--json: memory_total is the guest's memory" lt_summary 'd["memory_total"] >= d["memory_bytes"] / 2 and d["memory_total"] > 0'
check_eq "web1 runs at site-b" b "$(lab_guest_where)"

# --keep-source and --json
lt_migrate b a --keep-source --json
check "--keep-source --json b -> a exits 0" [ $? = 0 ]
check "--json ends with a JSON result" eval "tail -1 '$LT_DIR/last.out' | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"ok\"] and d[\"where\"]==\"site-a\" else 1)'"
check "--keep-source left site-b's definition" eval "lab_virsh b dominfo web1 >/dev/null 2>&1"
check "--keep-source left site-b's volume" eval "lab_virsh b vol-list images-b | grep -q web1"
check_eq "... while web1 runs at site-a only" a "$(lab_guest_where)"
lab_site_clean b >/dev/null 2>&1

# the progress lines of every move above: 100 % when nothing remains,
# never a rate of 0 with an ETA of 0 s while bytes remain, and "?" for what
# remains and the time left before QEMU has counted anything ("starting")
check "no 'memory copy' line stops short of 100 % with nothing remaining" \
	eval "! grep -E '^memory copy +memory +[0-9.]+%.*remaining 0 B' '$LT_DIR/all.out' | grep -vq 'memory 100.0%'"
check "no progress line says 0.0 MB/s and ETA 0s with bytes remaining" \
	eval "! grep -qE ' 0\.0 MB/s .*remaining [1-9][0-9.]* [KMG]?i?B +ETA 0s' '$LT_DIR/all.out'"
check "no line short of 100 % says 'remaining 0 B' (the starting line: '?')" \
	eval "! grep -E 'remaining 0 B' '$LT_DIR/all.out' | grep -vq 'memory 100.0%'"
check "no starting line says 'ETA 0s' (not known yet: '?')" \
	eval "! grep -qE '^starting .*ETA 0s' '$LT_DIR/all.out'"
lt_done
