#!/bin/bash
# tests/bench/replication.sh - what one replication cycle costs, beside a
# full copy and beside what a user would do by hand.
#
# In the lab: web1 at site-a, its disk-random region (vda 64 MiB..end) and
# 16 MiB of /data filled with random data first, so that a full copy has
# something to copy.  Then:
#   full    vmgw protect web1 --to site-b: its seed (the first, full point)
#           is the full copy: wall clock from protect until the point is
#           complete at b, bytes on the WAN
#   push    the same by hand: virsh backup-begin in push mode (full, making
#           checkpoint bench-c0) into qcow2 files at a, then scp of the
#           files to site b's pool (sshd in site b's network namespace, keys
#           made per run)
# and for each W (MiB, the arguments): the guest writes W MiB of random data
# (/cgi-bin/disk-random), then
#   vmgw    vmgw sync web1: changed bytes (the dirty bitmap's, sync -j
#           "changed"), bytes on the WAN (lab_wan_bytes: RX + TX of site
#           a's WAN interface, so the tunnel's framing, encryption, ACKs and
#           keepalives count), wall clock of the sync command, and the RPO
#           reached (replication -j rpo_s just after)
#   push    virsh backup-begin push incremental from the previous bench-cN,
#           making the next, into qcow2 files, then scp: wall clock of both,
#           bytes on the WAN
# Targets printed as met / not met:
#   - vmgw's WAN bytes <= 1.1 x changed + 1 MiB, every cycle
#   - the cycle with W nearest 1 % of vda: its time <= 5 % of the full copy's
#   - --rpo-run: with the WAN at 100mbit, --rpo 60s and the guest writing
#     about 1 MiB/s (a background loop of 1 MiB disk-random writes) for
#     RPO_RUN_S seconds (180), `vmgw replication -j` sampled every 5 s:
#     the maximum RPO stays within 60 s (and the state never "violation")
#
# usage: sudo tests/bench/replication.sh [--rpo-run] [W ...]   (default W: 1 4 16 64)
# environment: WAN_RATE (tbf on the WAN during the full copies and the
#   cycles, lab_wan_shape; default 100mbit, "off": the bare veth, where a
#   full copy is bound by the CPU, not by a WAN),
#   BENCH_DISK_MIB (grow vda to this size with virsh blockresize before the
#   fill; default: the lab's GUEST_DISK_MIB), RPO_RUN_S (180)
# Not a test: nothing fails on a slow machine.  The guest runs under TCG on
# two shared cores, so every figure here is noisy; run it twice before
# believing a ratio.
set -uo pipefail
RPO_RUN=0
WS=()
for a in "$@"; do
	case $a in
	--rpo-run) RPO_RUN=1 ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*[!0-9]*|'') echo "bad W '$a' (MiB, a whole number)" >&2; exit 2 ;;
	*) WS+=("$a") ;;
	esac
done
[ ${#WS[@]} -gt 0 ] || WS=(1 4 16 64)
RPO_RUN_S=${RPO_RUN_S:-180}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
export VMGW_BUILD_DIR=${VMGW_BUILD_DIR:-$SRC/build}
[ -x "$VMGW_BUILD_DIR/gateway/vmgwd" ] || "$SRC/tests/build.sh" release || exit 1
# shellcheck source=tests/lab/lib.sh
. "$SRC/tests/lab/lib.sh"
lab_is_up || lab_up || exit 1
for s in a b; do lab_vmgwd_pid "$s" >/dev/null || lab_vmgwd_start "$s" || exit 1; done
LAB_HTTP_TIMEOUT=600	# 64 MiB of random data written by a TCG guest
DISK_MIB=${BENCH_DISK_MIB:-$GUEST_DISK_MIB}
REGION0=64			# disk-random's free region: 64 MiB .. the end of vda
for w in "${WS[@]}"; do
	[ "$w" -ge 1 ] && [ $((REGION0 + w)) -le "$DISK_MIB" ] ||
	    { echo "W $w: outside vda's free region ($REGION0..$DISK_MIB MiB)" >&2; exit 2; }
done
W=$(mktemp -d /tmp/vmgw-bench-dr.XXXXXX)
A=$LAB/site-a/lib/images			# site a's pool, from the host
PB=$LAB/site-b/lib/images-b		# site b's pool, from the host
RDIR=$PB/vmgw-replica/web1
SSHD=
WRITER=
cleanup() {
	[ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null
	[ -n "$SSHD" ] && kill "$SSHD" 2>/dev/null
	lab_wan_shape off >/dev/null 2>&1
	lab_vmgw a unprotect web1 >/dev/null 2>&1
	sleep 1
	lab_site_clean a >/dev/null 2>&1	# undefines with --checkpoints-metadata
	rm -rf "$RDIR" "$A"/bench-push-* "$PB"/bench-push-* "$W"
}
trap cleanup EXIT
say() { printf '%(%T)T %s\n' -1 "$*" >&2; }
now() { date +%s.%N; }
mib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rep() { # FIELD: from vmgw replication -j, web1's
	lab_vmgw a -j replication web1 2>/dev/null | python3 -c '
import json, sys
g = [x for x in json.load(sys.stdin)["guests"] if x["domain"] == "web1"]
print(g[0][sys.argv[1]] if g else "")' "$1"
}
jget() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# --- a clean start: web1 at a, no protection, no replica at b
lab_vmgw a unprotect web1 >/dev/null 2>&1
lab_site_clean b >/dev/null 2>&1
rm -rf "$RDIR"
lab_site_clean a >/dev/null 2>&1
lab_guest_boot a >/dev/null || exit 1
lab_wan_shape off >/dev/null
if [ "$DISK_MIB" != "$GUEST_DISK_MIB" ]; then
	lab_virsh a blockresize web1 vda "${DISK_MIB}M" >/dev/null || exit 1
	sleep 1
fi
say "filling vda $REGION0..$DISK_MIB MiB and 16 MiB of /data with random data"
for ((o = REGION0; o < DISK_MIB; o += 32)); do
	n=$((DISK_MIB - o)); [ $n -gt 32 ] && n=32
	lab_guest_http a "/cgi-bin/disk-random?off=$o&mib=$n" | grep -q '^md5' || { echo "fill failed at $o" >&2; exit 1; }
done
lab_guest_http a '/cgi-bin/data?write=fill&mib=16' | grep -q '^md5' || { echo "/data fill failed" >&2; exit 1; }
ALLOC=$(( $(qemu-img info -U --output=json "$A/web1.qcow2" | jget /dev/stdin actual-size) + \
    $(qemu-img info -U --output=json "$A/web1-data.qcow2" | jget /dev/stdin actual-size) ))
WAN_RATE=${WAN_RATE:-100mbit}
lab_wan_shape "$WAN_RATE" >/dev/null || exit 1

# --- sshd in site b's network namespace (the host's files), keys per run
ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$W/userkey"
cp "$W/userkey.pub" "$W/authorized_keys"
chmod 700 "$W"
mkdir -p /run/sshd
cat >"$W/sshd_config" <<EOF
Port 2222
ListenAddress $WAN_IP_B
HostKey $W/hostkey
AuthorizedKeysFile $W/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
StrictModes no
UsePAM no
PidFile $W/sshd.pid
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
# nsenter execs sshd: $! is the daemon
nsenter --net="/run/netns/${LAB_NS[b]}" -- /usr/sbin/sshd -D -f "$W/sshd_config" \
    -E "$W/sshd.log" </dev/null >/dev/null 2>&1 &
SSHD=$!
lab__wait 5 0.1 eval "lab_nsx b ss -Hltn 'sport = :2222' | grep -q ." || { echo "sshd did not start" >&2; cat "$W/sshd.log" >&2; exit 1; }
SCP=(scp -q -i "$W/userkey" -P 2222 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
CIPHER=$(lab_nsx a ssh -G -i "$W/userkey" -p 2222 "root@$WAN_IP_B" 2>/dev/null | awk '$1=="ciphers" {split($2, c, ","); print c[1]}')

# push SEQ [FROM]: a push backup into bench-push-*.qcow2 at a, making
# checkpoint bench-cSEQ (incremental from FROM), then scp to b's pool;
# sets P_T (s, both), P_TB (s, backup only), P_B (bytes on the WAN), P_F (file bytes)
push() {
	local seq=$1 from=${2:-} t0 t1 tb w0 d inc=""
	rm -f "$A"/bench-push-* "$PB"/bench-push-*
	[ -n "$from" ] && inc="<incremental>$from</incremental>"
	{
		echo "<domainbackup mode='push'>$inc<disks>"
		for d in vda vdb; do
			echo "<disk name='$d' type='file'><target file='/var/lib/libvirt/images/bench-push-$d.qcow2'/><driver type='qcow2'/></disk>"
		done
		echo "</disks></domainbackup>"
	} >"$W/push.xml"
	echo "<domaincheckpoint><name>bench-c$seq</name><disks><disk name='vda' checkpoint='bitmap'/><disk name='vdb' checkpoint='bitmap'/></disks></domaincheckpoint>" >"$W/cp.xml"
	w0=$(lab_wan_bytes)
	t0=$(now)
	lab_virsh a backup-begin web1 "$W/push.xml" "$W/cp.xml" >/dev/null || return 1
	lab__wait 600 0.05 eval "lab_virsh a domjobinfo web1 | grep -q 'Job type: *None'" || return 1
	tb=$(now)
	lab_virsh a domjobinfo --completed web1 | grep -q 'Job type: *Completed' ||
	    { lab_virsh a domjobinfo --completed web1 >&2; return 1; }
	lab_nsx a "${SCP[@]}" "$A/bench-push-vda.qcow2" "$A/bench-push-vdb.qcow2" \
	    "root@$WAN_IP_B:$PB/" || return 1
	t1=$(now)
	P_B=$(( $(lab_wan_bytes) - w0 ))
	P_T=$(sub "$t0" "$t1") P_TB=$(sub "$t0" "$tb")
	P_F=$(( $(stat -c %s "$PB/bench-push-vda.qcow2") + $(stat -c %s "$PB/bench-push-vdb.qcow2") ))
}

# --- the full copy: vmgw's seed
say "full copy: protect (the seed)"
w0=$(lab_wan_bytes)
t0=$(now)
lab_vmgw a protect web1 --to site-b --rpo 1h --keep 24 >/dev/null || exit 1
lab__wait 900 0.05 eval '[ -n "$(rep newest_point)" ]' || { echo "the seed did not complete" >&2; lab_vmgw a replication web1 >&2; exit 1; }
t1=$(now)
F_B=$(( $(lab_wan_bytes) - w0 ))
F_T=$(sub "$t0" "$t1")
F_SHIP=$(rep last_bytes) F_CH=$(rep last_changed)
sleep 1
say "full copy by hand: push backup + scp"
push 0 || { echo "push backup (full) failed" >&2; exit 1; }
PF_T=$P_T PF_TB=$P_TB PF_B=$P_B PF_F=$P_F

# --- the cycles
declare -a CW CCH CWAN CT CRPO CSH PT PTB PB_ PF
i=0
for w in "${WS[@]}"; do
	i=$((i + 1))
	span=$((DISK_MIB - REGION0 - w + 1))
	off=$((REGION0 + (i * 8) % span))
	say "cycle $i: the guest writes $w MiB at $off MiB"
	lab_guest_http a "/cgi-bin/disk-random?off=$off&mib=$w" | grep -q '^md5' || { echo "write failed" >&2; exit 1; }
	w0=$(lab_wan_bytes)
	t0=$(now)
	lab_vmgw a -j sync web1 >"$W/sync.json" 2>&1 || { cat "$W/sync.json" >&2; exit 1; }
	t1=$(now)
	CWAN[$i]=$(( $(lab_wan_bytes) - w0 ))
	CRPO[$i]=$(rep rpo_s)
	CT[$i]=$(sub "$t0" "$t1")
	CW[$i]=$w CCH[$i]=$(jget "$W/sync.json" changed) CSH[$i]=$(jget "$W/sync.json" bytes)
	sleep 1
	push "$i" "bench-c$((i - 1))" || { echo "push backup (cycle $i) failed" >&2; exit 1; }
	PT[$i]=$P_T PTB[$i]=$P_TB PB_[$i]=$P_B PF[$i]=$P_F
	printf '  vmgw: %s MiB changed, %s MiB on the WAN, %s s, RPO %s s | push+scp: %s MiB file, %s MiB on the WAN, %s s\n' \
	    "$(mib "${CCH[$i]}")" "$(mib "${CWAN[$i]}")" "${CT[$i]}" "${CRPO[$i]}" "$(mib "$P_F")" "$(mib "$P_B")" "$P_T" >&2
done
N=$i

# --- the table
printf '\nvmgw replication benchmark: web1 at site-a -> site-b, vda %s MiB + vdb %s MiB (%s MiB allocated), domain type %s, WAN %s, %s\n' \
    "$DISK_MIB" "$GUEST_DATA_MIB" "$(mib "$ALLOC")" "$(lab_accel)" "$([ "$WAN_RATE" = off ] && echo 'unshaped veth' || echo "tbf $WAN_RATE")" "$(date +%F)"
printf '  full copy, vmgw seed:            %7s s, %8s MiB on the WAN (%s MiB shipped, %s MiB of extents)\n' \
    "$F_T" "$(mib "$F_B")" "$(mib "$F_SHIP")" "$(mib "$F_CH")"
printf '  full copy, push backup + scp:    %7s s (backup %s s), %8s MiB on the WAN (files %s MiB, scp %s)\n' \
    "$PF_T" "$PF_TB" "$(mib "$PF_B")" "$(mib "$PF_F")" "${CIPHER:-default cipher}"
printf '\n  %5s | %10s %10s %7s %8s %6s | %10s %10s %8s %7s | %s\n' \
    "W MiB" "changed" "WAN MiB" "WAN/ch" "cycle s" "RPO s" "push file" "WAN MiB" "push+scp" "(push)" "WAN <= 1.1 x changed + 1 MiB"
ok_wan=1
for i in $(seq 1 "$N"); do
	lim=$(awk -v c="${CCH[$i]}" 'BEGIN { printf "%.0f", 1.1 * c + 1048576 }')
	if [ "${CWAN[$i]}" -le "$lim" ]; then m=met; else m="NOT met"; ok_wan=0; fi
	printf '  %5s | %10s %10s %7s %8s %6s | %10s %10s %8s %7s | %s\n' "${CW[$i]}" "$(mib "${CCH[$i]}")" \
	    "$(mib "${CWAN[$i]}")" "$(awk -v a="${CWAN[$i]}" -v b="${CCH[$i]}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')" \
	    "${CT[$i]}" "${CRPO[$i]}" "$(mib "${PF[$i]}")" "$(mib "${PB_[$i]}")" "${PT[$i]}" "${PTB[$i]}" "$m"
done
# the cycle nearest 1 % of vda
one=$(awk -v d="$DISK_MIB" 'BEGIN { printf "%.2f", d / 100 }')
best=1
for i in $(seq 1 "$N"); do
	awk -v a="${CW[$i]}" -v b="${CW[$best]}" -v o="$one" 'BEGIN { da = a - o; db = b - o; exit !((da < 0 ? -da : da) < (db < 0 ? -db : db)) }' && best=$i
done
ratio=$(awk -v c="${CT[$best]}" -v f="$F_T" 'BEGIN { printf "%.1f", 100 * c / f }')
awk -v r="$ratio" 'BEGIN { exit !(r <= 5) }' && m1=met || m1="NOT met"
printf '\n  targets:\n'
printf '    WAN bytes <= 1.1 x changed + 1 MiB, every cycle:                %s\n' "$([ $ok_wan = 1 ] && echo met || echo 'NOT met')"
printf '    cycle time <= 5 %% of the full copy at ~1 %% changed (W %s MiB of %s): %s %% -> %s\n' \
    "${CW[$best]}" "$DISK_MIB" "$ratio" "$m1"

# --- the RPO run
if [ $RPO_RUN = 1 ]; then
	say "RPO run: WAN 100mbit, --rpo 60s, the guest writing ~1 MiB/s for ${RPO_RUN_S}s"
	lab_wan_shape 100mbit >/dev/null || exit 1
	lab_vmgw a protect web1 --to site-b --rpo 60s --keep 24 >/dev/null || exit 1
	p0=$(rep newest_point)
	(	# 1 MiB per second, on schedule: a write that runs late is not made up twice
		k=0 start=$(date +%s)
		while :; do
			o=$((REGION0 + k % (DISK_MIB - REGION0)))
			lab_guest_http a "/cgi-bin/disk-random?off=$o&mib=1" >/dev/null 2>&1 && echo w >>"$W/writes"
			k=$((k + 1))
			s=$(( start + k - $(date +%s) ))
			[ $s -gt 0 ] && sleep "$s"
		done
	) &
	WRITER=$!
	t0=$(date +%s) maxr=0 viol=0 n=0 miss=0 states=""
	while [ $(( $(date +%s) - t0 )) -lt "$RPO_RUN_S" ]; do
		sleep 2
		# exit status 1 when violated: the JSON counts, not the status
		lab_vmgw a -j replication web1 >"$W/r.json" 2>/dev/null
		read -r r st < <(python3 -c '
import json, sys
g = [x for x in json.load(open(sys.argv[1]))["guests"] if x["domain"] == "web1"][0]
print(g["rpo_s"], g["state"])' "$W/r.json" 2>/dev/null)
		[ -n "${r:-}" ] || { miss=$((miss + 1)); continue; }
		n=$((n + 1))
		[ "$r" -gt "$maxr" ] && maxr=$r
		[ "$st" = violation ] && viol=$((viol + 1))
		case " $states " in *" $st "*) ;; *) states="$states $st" ;; esac
		printf '  t=%3ss rpo %3ss %s\n' $(( $(date +%s) - t0 )) "$r" "$st" >&2
	done
	kill "$WRITER" 2>/dev/null; wait "$WRITER" 2>/dev/null; WRITER=
	el=$(( $(date +%s) - t0 ))
	wr=$(wc -l <"$W/writes" 2>/dev/null || echo 0)
	p1=$(rep newest_point)
	pts=$(( 10#${p1#p} - 10#${p0#p} ))
	lab_wan_shape off >/dev/null
	# the peaks between samples, from the points themselves: just before
	# point k completed, the newest complete point was k-1 (RPO = end of k
	# - start of k-1); and at the end of the run, now - start of the newest
	peak=$(lab_vmgw b -j points web1 | python3 -c '
import json, sys, time
t0 = int(sys.argv[1]); pts = json.load(sys.stdin)["points"]
peaks = [b["end"] - a["start"] for a, b in zip(pts, pts[1:]) if b["end"] >= t0]
peaks.append(int(time.time()) - pts[-1]["start"])
print(max(peaks), " ".join(str(p) for p in peaks))' "$t0")
	pmax=${peak%% *}
	[ "$maxr" -le 60 ] && [ "${pmax:-999}" -le 60 ] && [ $viol = 0 ] && m2=held || m2="NOT held"
	printf '    RPO run (%ss, WAN 100mbit, target 60 s): guest wrote %s MiB (%s MiB/s), %s points\n' \
	    "$el" "$wr" "$(awk -v a="$wr" -v b="$el" 'BEGIN { printf "%.2f", a / b }')" "$pts"
	printf '      sampled every 2 s (%s samples, %s unreadable): max RPO %s s, %s samples in violation, states:%s\n' \
	    "$n" "$miss" "$maxr" "$viol" "$states"
	printf '      from the points (RPO just before each completed, then at the end): max %s s (%s) -> %s\n' \
	    "$pmax" "${peak#* }" "$m2"
else
	printf '    RPO run: not run (--rpo-run)\n'
fi
printf '  (TCG guest on two shared cores: the times are noisy, and a cycle'"'"'s fixed cost (libvirt\n'
printf '   backup-begin/end, qemu-nbd start at b, the CLI round trips) dominates the small ones)\n'
