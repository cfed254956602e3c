# tests/lab/tlib.sh - helpers for the lab's end-to-end tests (t-*.sh), on
# top of lib.sh (the lab) and ../tap.sh (assertions).  The lab must be up
# (CTest's lab/setup fixture runs `lab.sh up`).
# shellcheck source=tests/lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/tap.sh
. "$VMGW_SOURCE_DIR/tests/tap.sh"

lt_init() {
	tap_name "$1"
	LT_DIR=$(mktemp -d "/tmp/vmgw-lt-$1.XXXXXX")
	if ! lab_is_up; then
		echo "Bail out! the lab is not up: run tests/lab/lab.sh up"
		exit 1
	fi
	# each gateway with the capabilities this test wants (LAB_VMGWD_CAPS,
	# which a test may extend before lt_init), restarted if the running
	# one has others
	for s in a b; do
		if lab_vmgwd_pid "$s" >/dev/null &&
		    [ "$(lab_vmgwd_caps "$s")" != "$LAB_VMGWD_CAPS" ]; then
			lab_vmgwd_stop "$s" || exit 1
		fi
		lab_vmgwd_pid "$s" >/dev/null || lab_vmgwd_start "$s" || exit 1
	done
	# no protection of the lab's guests left by an earlier test: a
	# protection follows moves (and keeps the old home's disks)
	for s in a b; do
		for g in web1 ${LAB_EXTRA_GUESTS:-}; do
			lab_vmgw "$s" unprotect "$g" --keep-replica >/dev/null 2>&1
		done
	done
	lab_routing_up || exit 1	# BIRD, neighbour, counters: started if missing
	trap lt_exit EXIT
}

lt_exit() {
	local n
	for n in probe-ping probe-nping probe-tcp; do lab__stop "$n" TERM 3 >/dev/null 2>&1; done
	if [ "$TAP_FAIL" -gt 0 ]; then
		echo "# outputs kept in $LT_DIR; gateway logs:" >&2
		for s in a b; do tail -n 15 "$LAB/site-$s/vmgwd.log" | sed "s/^/#   $s| /" >&2; done
	else
		rm -rf "$LT_DIR"
	fi
}

lt_other() { [ "$1" = a ] && echo b || echo a; }
lt_site() { echo "site-$1"; }

# lt_guest_at SITE: web1 runs at SITE and nowhere else, the other site clean
lt_guest_at() {
	local s=$1 o i; o=$(lt_other "$1")
	# the old home's own cleanup (a replica's takeover) may take a moment
	for i in $(seq 1 50); do
		[ "$(lab_guest_where)" = "$s" ] || break
		lt_is_clean "$o" && return 0
		sleep 0.2
	done
	tap_log "putting web1 at site $s (was: $(lab_guest_where))"
	lab_site_clean a >/dev/null 2>&1
	lab_site_clean b >/dev/null 2>&1
	lab_guest_boot "$s" >/dev/null 2>&1 || { tap_log "boot failed"; return 1; }
}

# lt_is_clean SITE: no web1 domain, no volume, no job sockets there
lt_is_clean() {
	local s=$1
	lab_virsh "$s" dominfo "$GUEST" >/dev/null 2>&1 && return 1
	# files renamed or removed behind libvirt's back (a replica's takeover)
	lab_virsh "$s" pool-refresh "${LAB_POOL[$s]}" >/dev/null 2>&1
	lab_virsh "$s" vol-list "${LAB_POOL[$s]}" 2>/dev/null | grep -q "$GUEST" && return 1
	[ -z "$(ls -A "$LAB/site-$s/run/vmgw/jobs" 2>/dev/null)" ]
}
# lt_jobf SITE JOB FIELD: a field of that job in the site's `vmgw -j jobs`
lt_jobf() {
	lab_vmgw "$1" -j jobs 2>/dev/null | python3 -c '
import json, sys
for j in json.load(sys.stdin)["jobs"]:
    if j["id"] == sys.argv[1]:
        print(j.get(sys.argv[2], ""))
        break' "$2" "$3"
}
# lt_wait_jobf SITE JOB FIELD ERE [SECONDS]: until the field matches
lt_wait_jobf() {
	local i
	for i in $(seq 1 $(( ${5:-30} * 5 ))); do
		lt_jobf "$1" "$2" "$3" | grep -Eq -- "$4" && return 0
		sleep 0.2
	done
	tap_log "site $1 job $2 $3: $(lt_jobf "$1" "$2" "$3")"
	return 1
}

# lt_wait_clean SITE [SECONDS]: the destination's own cleanup may take a moment
lt_wait_clean() {
	local i
	for i in $(seq 1 $(( ${2:-20} * 5 ))); do lt_is_clean "$1" && return 0; sleep 0.2; done
	tap_log "site $1 not clean: $(lab_virsh "$1" list --all --name | tr '\n' ' ') $(lab_virsh "$1" vol-list "${LAB_POOL[$1]}" | grep "$GUEST")"
	return 1
}

lt_write() { lab_guest_http "$1" "/cgi-bin/disk-write?seed=$RANDOM" | awk '/^md5/ {print $2}'; }
lt_read() { lab_guest_http "$1" /cgi-bin/disk-read | awk '/^md5/ {print $2}'; }

# lt_migrate FROM TO [ARGS...]: vmgw migrate web1, output in $LT_DIR/last.out; status
lt_migrate() {
	local from=$1 to=$2 rc; shift 2
	lab_vmgw "$from" migrate "$GUEST" --to "$(lt_site "$to")" "$@" >"$LT_DIR/last.out" 2>&1
	rc=$?
	cat "$LT_DIR/last.out" >>"$LT_DIR/all.out"
	# a failed move says why in the test's own output (CI keeps only that)
	[ $rc = 0 ] || tail -n 4 "$LT_DIR/last.out" | sed "s/^/# migrate exit $rc: /"
	return $rc
}
# lt_migrate_bg FROM TO [ARGS...]: the same in the background; $LT_PID
lt_migrate_bg() {
	local from=$1 to=$2; shift 2
	lab_vmgw "$from" migrate "$GUEST" --to "$(lt_site "$to")" "$@" >"$LT_DIR/last.out" 2>&1 &
	LT_PID=$!
}
# lt_wait_phase PHASE [SECONDS]: until the background migration shows PHASE
lt_wait_phase() {
	local i
	for i in $(seq 1 $(( ${2:-60} * 10 ))); do
		grep -q "^$1 " "$LT_DIR/last.out" 2>/dev/null && return 0
		kill -0 "$LT_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
lt_job_id() { sed -n 's/^job \(j[0-9a-f]*\): .*/\1/p' "$LT_DIR/last.out" | head -1; }

# after a failed or cancelled move: the guest runs at FROM with DATA, TO is
# clean (within WAIT seconds, default 20: TO may learn of the loss late)
lt_check_undone() {
	local from=$1 to=$2 data=$3 what=$4 wait=${5:-20}
	check_eq "$what: web1 runs at site $from only" "$from" "$(lab_guest_where)"
	check_eq "$what: its disk data is intact" "$data" "$(lt_read "$from")"
	check "$what: site $to is clean (no domain, volume or sockets)" lt_wait_clean "$to" "$wait"
}
# a second move succeeds
lt_check_again() {
	local from=$1 to=$2 data=$3 what=$4
	lt_migrate "$from" "$to"
	check "$what: a second vmgw migrate to site $to succeeds" [ $? = 0 ]
	check_eq "$what: ... and the data is there" "$data" "$(lt_read "$to")"
}

# lt_wait_tunnel SITE PEER: until SITE's tunnel to PEER is up (no probe:
# `vmgw check` would open a connection of its own)
lt_wait_tunnel() {
	local i
	for i in $(seq 1 100); do
		lab_vmgw "$1" -j status 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(p["site"] == sys.argv[1] and p["connected"] for p in d["peers"]) else 1)' "$2" && return 0
		sleep 0.2
	done
	return 1
}

lt_done() { tap_done; }
