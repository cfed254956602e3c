# shellcheck shell=bash disable=SC2034,SC2120  # conventions are for the tests that source this file
# tests/lab/lib.sh - the vmgw two-site lab, as a library of lab_* functions.
#
#   source tests/lab/lib.sh        (from bash; works with or without set -euo pipefail)
#
# Two "sites" on one machine, each a network namespace plus a private mount and
# UTS namespace holding its own libvirtd (own /etc/libvirt, /var/lib/libvirt,
# /var/log/libvirt, /var/cache/libvirt, /run, distinct host_uuid), a router
# namespace between the sites and a client namespace, a WAN veth between the
# sites (where the vmgw gateways talk), and a small guest "web1" (distribution
# kernel + busybox initramfs) that answers HTTP.  tests/lab/README.md explains
# the layout; tests/lab/lab.sh is the command line over these functions.
#
# Conventions: the functions print diagnostics on stderr, return non-zero on
# failure after an "lab: ERROR: ..." line naming what failed (they never exit
# the caller), and every wait has a timeout after which the relevant log tail
# is printed.  Public: lab_*.  Internal: lab__*.

###############################################################################
# Conventions (tests and the demo rely on these names and addresses)
###############################################################################
LAB_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VMGW_SOURCE_DIR=${VMGW_SOURCE_DIR:-$(cd "$LAB_SRC_DIR/../.." && pwd)}
VMGW_BUILD_DIR=${VMGW_BUILD_DIR:-$VMGW_SOURCE_DIR/build}
VMGWD=${VMGWD:-$VMGW_BUILD_DIR/gateway/vmgwd}
VMGW=${VMGW:-$VMGW_BUILD_DIR/gateway/vmgw}

LAB=${VMGW_LAB:-/tmp/vmgw-lab}            # everything the lab writes lives here
LAB_STATE=$LAB/state                      # accel, pid records, markers
LAB_LOGS=$LAB/logs                        # apt, kvm probe, selftest, relays
LAB_PROC=$LAB_STATE/proc                  # one file per process we started
LAB_PREFIX=${VMGW_LAB_PREFIX:-vmgwlab}    # namespace prefix

NS_A=$LAB_PREFIX-a                        # site a
NS_B=$LAB_PREFIX-b                        # site b
NS_R=$LAB_PREFIX-r                        # router between the sites and the client
NS_C=$LAB_PREFIX-c                        # client
NS_N=$LAB_PREFIX-n                        # L2 neighbour of the guest, on site a's vmbr0

# WAN: veth between the sites; the gateways listen here
WAN_IF_A=vl-wan-a WAN_IF_B=vl-wan-b
WAN_IP_A=10.99.0.1 WAN_IP_B=10.99.0.2 WAN_PLEN=24
WAN_RATE=${WAN_RATE:-}                    # e.g. 200mbit: tbf on both WAN ends
VMGW_PORT=7400                            # vmgwd's listen port (lab_wan_block)
LAB_VMGW_CONNECTIONS=${LAB_VMGW_CONNECTIONS:-1}   # peers.*.connections of both gateways

# guest segment: bridge vmbr0 on each site, same gateway IP and MAC (anycast)
BRIDGE=vmbr0
GUEST_NET=10.99.1.0/24 GUEST_GW=10.99.1.1 GUEST_GW_MAC=02:00:0a:63:01:01

# router links:  a 10.99.3.1/30 <-> 10.99.3.2 r,  b 10.99.4.1/30 <-> 10.99.4.2 r
RA_IF_A=vl-ar-a RA_IF_R=vl-ar-r RA_IP_A=10.99.3.1 RA_IP_R=10.99.3.2
RB_IF_B=vl-br-b RB_IF_R=vl-br-r RB_IP_B=10.99.4.1 RB_IP_R=10.99.4.2
# client:  r 10.99.9.1/24 <-> 10.99.9.100/24 c (default route via r)
RC_IF_R=vl-rc-r RC_IF_C=vl-rc-c
CLIENT_NET=10.99.9.0/24 CLIENT_GW=10.99.9.1 CLIENT_IP=10.99.9.100

# the L2 neighbour: a host on site a's guest segment (veth port vl-nb-a on a's vmbr0)
NB_IF_A=vl-nb-a NB_IF_N=vl-nb-n NB_IP=10.99.1.50 NB_MAC=02:00:0a:63:01:32

# routing: each site's BIRD learns the guests' /32s from kernel table
# LAB_RT_TABLE (where vmgwd's route plan puts them) and announces them by
# eBGP to r's BIRD, which installs them in r's main table.  LAB_RT_PROTO is
# vmgwd's route protocol (RTPROT_VMGW in gateway/netplan.h): vmgwd deletes
# only routes of that protocol, so the lab places them with it too.
LAB_RT_TABLE=100
LAB_RT_PROTO=$(sed -n 's/^#define[[:space:]]*RTPROT_VMGW[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
  "$VMGW_SOURCE_DIR/gateway/netplan.h" 2>/dev/null || true)
LAB_RT_PROTO=${LAB_RT_PROTO:-171}
LAB_BIRD_DIR=$LAB/bird                    # configs, control sockets, logs
LAB_BGP_TIMEOUT=${LAB_BGP_TIMEOUT:-20}    # seconds for the BGP sessions to come up
LAB_ROUTE_TIMEOUT=${LAB_ROUTE_TIMEOUT:-5} # seconds for r to follow a /32 (lab_guest_route)
declare -gA LAB_AS=([a]=65001 [b]=65002 [r]=65000)
declare -gA LAB_ROUTER_ID=([a]=$RA_IP_A [b]=$RB_IP_B [r]=$CLIENT_GW)

# the guest
GUEST=web1
GUEST_IP=10.99.1.10 GUEST_MAC=52:54:00:99:01:0a
GUEST_UUID=766d6777-6c61-4200-8000-0000000001a0
GUEST_MEM_MIB=${GUEST_MEM_MIB:-128}
GUEST_DISK_MIB=${GUEST_DISK_MIB:-128}       # vda: raw test regions (disk-write, markers, disk-random)
GUEST_VOL=$GUEST.qcow2
# vdb: an ext4 filesystem the guest makes on first boot and mounts at /data
# (the guest agent freezes it: virDomainFSFreeze).  0: no second disk.
GUEST_DATA_MIB=${LAB_GUEST_DATA_MIB:-32}
GUEST_DATA_VOL=$GUEST-data.qcow2
# the QEMU guest agent (qemu-ga on the virtio-serial port org.qemu.guest_agent.0):
#   on       channel in the domain XML, qemu-ga runs in the guest (default)
#   off      channel in the domain XML, qemu-ga not started ("not connected")
#   none     no channel at all ("guest agent is not configured")
# read when the domain XML is made (lab_guest_xml / lab_guest_boot), e.g.
# LAB_GUEST_AGENT=off lab_guest_boot a
LAB_GUEST_AGENT=${LAB_GUEST_AGENT:-on}
# IPv6 in the guest (0: disabled).  With it, the agent reports a link-local
# fe80:: address first, which vmgwd's reachability probe (IPv4 only) takes.
LAB_GUEST_IPV6=${LAB_GUEST_IPV6:-0}
GUEST_AGENT_PORT=org.qemu.guest_agent.0
GUEST_SERIAL=/var/log/libvirt/qemu/$GUEST-serial.log      # path inside a site
GUEST_KERNEL=/var/lib/libvirt/boot/$GUEST-vmlinuz         # path inside a site
GUEST_INITRD=/var/lib/libvirt/boot/$GUEST-initrd.img      # path inside a site

# per-site names (index: a, b)
declare -gA LAB_NS=([a]=$NS_A [b]=$NS_B [r]=$NS_R [c]=$NS_C [n]=$NS_N)
declare -gA LAB_SITE_NAME=([a]=site-a [b]=site-b)
declare -gA LAB_WAN_IF=([a]=$WAN_IF_A [b]=$WAN_IF_B)
declare -gA LAB_WAN_IP=([a]=$WAN_IP_A [b]=$WAN_IP_B)
declare -gA LAB_POOL=([a]=images [b]=images-b)
declare -gA LAB_POOL_DIR=([a]=/var/lib/libvirt/images [b]=/var/lib/libvirt/images-b)
declare -gA LAB_NETWORK=([a]=prod [b]=dr-prod)
declare -gA LAB_UPLINK_IF=([a]=$RA_IF_A [b]=$RB_IF_B)     # site side of the link to r
declare -gA LAB_UPLINK_IP=([a]=$RA_IP_A [b]=$RB_IP_B)
declare -gA LAB_UPLINK_RIP=([a]=$RA_IP_R [b]=$RB_IP_R)    # r side of that link
declare -gA LAB_HOST_UUID=([a]=766d6777-6c61-4200-8000-00000000000a [b]=766d6777-6c61-4200-8000-00000000000b)

# tunables
LAB_ACCEL=${VMGW_LAB_ACCEL:-auto}         # auto | kvm | qemu (domain type)
LAB_KVM_PROBE_S=${LAB_KVM_PROBE_S:-15}    # max seconds for the KVM probe guest
LAB_LIBVIRTD_TIMEOUT=${LAB_LIBVIRTD_TIMEOUT:-120}
LAB_BOOT_TIMEOUT=${LAB_BOOT_TIMEOUT:-120}
LAB_MIGRATE_TIMEOUT=${LAB_MIGRATE_TIMEOUT:-300}
LAB_VMGWD_TIMEOUT=${LAB_VMGWD_TIMEOUT:-20}
LAB_HTTP_TIMEOUT=${LAB_HTTP_TIMEOUT:-10}

LAB_DEB_PACKAGES="libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu
  qemu-system-x86 qemu-utils socat busybox-static linux-image-amd64 iproute2 iptables
  iputils-ping curl cpio gzip kmod util-linux procps bird2 dnsmasq-base xz-utils zstd python3
  qemu-guest-agent libnbd-bin"

case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac

###############################################################################
# small helpers
###############################################################################
lab_log() { printf '%(%T)T lab: %s\n' -1 "$*" >&2; }
lab__err() { printf '%(%T)T lab: ERROR: %s\n' -1 "$*" >&2; }
lab__us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }         # microseconds
lab__since() { # lab__since START_US -> seconds with 3 decimals
  local d=$(( $(lab__us) - $1 )); printf '%d.%03d' $((d / 1000000)) $(((d % 1000000) / 1000))
}
lab__tail() { # lab__tail FILE [LINES]: show the end of a log on stderr
  local f=$1 n=${2:-25}
  if [ -s "$f" ]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
    tail -n "$n" "$f" | cut -c1-400 >&2
    printf -- '----- end of %s -----\n' "$f" >&2
  else
    printf -- '----- %s: missing or empty -----\n' "$f" >&2
  fi
}
lab__try() { # lab__try WHAT CMD...: run CMD, on failure name WHAT and show its output
  local what=$1 out rc=0; shift
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ]; then
    lab__err "$what failed (exit $rc): $*"
    [ -n "$out" ] && printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /' >&2
    return "$rc"
  fi
  [ -z "${LAB_VERBOSE:-}" ] || [ -z "$out" ] || printf '%s\n' "$out" >&2
  return 0
}
lab__wait() { # lab__wait TIMEOUT_S INTERVAL_S CMD...: until CMD succeeds; 1 on timeout
  local to=$1 iv=$2 end; shift 2
  end=$(( $(lab__us) + to * 1000000 ))
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$(lab__us)" -lt "$end" ] || return 1
    sleep "$iv"
  done
}
lab__need_root() { [ "$(id -u)" = 0 ] || { lab__err "the lab needs root (run it with sudo)"; return 1; }; }
lab__site() { # normalise a|site-a|A -> a
  case ${1:-} in
    a|A|site-a) echo a ;; b|B|site-b) echo b ;;
    *) lab__err "unknown site '${1:-}' (expected a or b)"; return 1 ;;
  esac
}
lab__nsname() { # a|b|r|c or a full namespace name -> namespace name
  case ${1:-} in
    a|A|site-a) echo "$NS_A" ;; b|B|site-b) echo "$NS_B" ;; r|R|router) echo "$NS_R" ;;
    c|C|client) echo "$NS_C" ;; n|N|neighbour) echo "$NS_N" ;;
    "$NS_A"|"$NS_B"|"$NS_R"|"$NS_C"|"$NS_N") echo "$1" ;;
    *) lab__err "unknown namespace '${1:-}' (expected a, b, r, c, n)"; return 1 ;;
  esac
}
lab_site_dir() { local s; s=$(lab__site "$1") || return 1; echo "$LAB/site-$s"; }

###############################################################################
# processes: every process the lab starts is recorded as
#   $LAB_PROC/NAME = "PID STARTTIME CMDLINE"
# STARTTIME (field 22 of /proc/PID/stat) guards against pid reuse after a crash.
###############################################################################
lab__starttime() { # PID -> start time in clock ticks (fails if gone)
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }                     # fields from 3 (state) on
  local -a f; read -r -a f <<<"$st"
  echo "${f[19]}"
}
lab__pid_alive() { # PID STARTTIME: running (not a zombie) and really the same process
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  local -a f; read -r -a f <<<"$st"
  [ "${f[0]}" != Z ] && [ "${f[19]}" = "$2" ]
}
lab__track() { # NAME PID  (a process already gone is recorded as such: lab_pid fails)
  local st cmd
  st=$(lab__starttime "$2") || st=gone
  cmd=$({ tr '\0' ' ' <"/proc/$2/cmdline"; } 2>/dev/null | cut -c1-300) || true
  mkdir -p "$LAB_PROC" && echo "$2 $st $cmd" >"$LAB_PROC/$1"
}
lab_pid() { # NAME -> pid of that lab process if it still runs
  local pid st rest
  [ -f "$LAB_PROC/$1" ] || return 1
  read -r pid st rest <"$LAB_PROC/$1" || return 1
  lab__pid_alive "$pid" "$st" || return 1
  echo "$pid"
}
lab__spawn() { # NAME LOGFILE CMD...: start CMD in the background (it must exec, not fork)
  local name=$1 logf=$2; shift 2
  printf '==== %(%F %T)T lab: start %s: %s\n' -1 "$name" "$*" >>"$logf"
  "$@" </dev/null >>"$logf" 2>&1 9>&- &
  LAB_SPAWNED=$!
  disown "$LAB_SPAWNED" 2>/dev/null || true    # no "Killed" job notices from bash
  lab__track "$name" "$LAB_SPAWNED"
}
lab__children() { # PID -> direct children
  local p st
  for p in /proc/[0-9]*; do
    st=$(cat "$p/stat" 2>/dev/null) || continue
    st=${st##*) }
    set -- $st
    [ "$2" = "$LAB__PARENT" ] && echo "${p#/proc/}"
  done
  return 0
}
lab__stop() { # NAME [SIGNAL] [TIMEOUT_S]: signal a recorded process and wait for it
  local name=$1 sig=${2:-TERM} to=${3:-10} pid st rest
  [ -f "$LAB_PROC/$name" ] || return 0
  read -r pid st rest <"$LAB_PROC/$name" || { rm -f "$LAB_PROC/$name"; return 0; }
  if ! lab__pid_alive "$pid" "$st"; then rm -f "$LAB_PROC/$name"; return 0; fi
  kill -s "$sig" "$pid" 2>/dev/null || true
  if ! lab__wait "$to" 0.1 eval '! lab__pid_alive '"$pid $st"; then
    lab__err "$name (pid $pid) still running ${to}s after SIG$sig; sending SIGKILL"
    kill -s KILL "$pid" 2>/dev/null || true
    lab__wait 5 0.1 eval '! lab__pid_alive '"$pid $st" || true
    rm -f "$LAB_PROC/$name"
    return 1
  fi
  rm -f "$LAB_PROC/$name"
}

###############################################################################
# entering the namespaces
###############################################################################
# lab_nsx NS CMD...: run CMD in the network namespace NS (a, b, r, c or a full
# name); network namespace only (lab_site_exec adds the site's mount namespace).
# nsenter execs, unlike "ip netns exec" which forks; for daemons use lab__spawn.
lab_nsx() {
  local ns; ns=$(lab__nsname "${1:-}") || return 1; shift
  [ -e "/run/netns/$ns" ] || { lab__err "network namespace $ns does not exist (is the lab up?)"; return 1; }
  nsenter --net="/run/netns/$ns" -- "$@"
}
lab_site_pid() { # SITE -> pid of the process holding the site's mount+UTS namespaces
  local s pid; s=$(lab__site "$1") || return 1
  pid=$(lab_pid "anchor-$s") || { lab__err "site $s is not up (no namespace holder process; run: lab.sh up)"; return 1; }
  echo "$pid"
}
# lab_site_exec SITE CMD...: run CMD inside the site's net+mount+UTS namespaces
# (what libvirtd and vmgwd of that site see: /run, /var/lib/libvirt, ...)
lab_site_exec() {
  local pid; pid=$(lab_site_pid "$1") || return 1; shift
  nsenter -t "$pid" -m -n -u -r -- "$@"
}
lab_libvirt_sock() { local d; d=$(lab_site_dir "$1") || return 1; echo "$d/run/libvirt/libvirt-sock"; }
lab_virsh() { # SITE ARGS...: virsh against that site's libvirtd (from the host)
  local sock; sock=$(lab_libvirt_sock "$1") || return 1; shift
  virsh -c "qemu+unix:///system?socket=$sock" "$@"
}
lab__virsh_t() { # TIMEOUT SITE ARGS...: lab_virsh bounded in time
  local to=$1 sock; shift
  sock=$(lab_libvirt_sock "$1") || return 1; shift
  timeout -k 5 "$to" virsh -c "qemu+unix:///system?socket=$sock" "$@"
}

###############################################################################
# 0. dependencies: apt-get install only what is missing, no services started
###############################################################################
lab_deps() {
  local -a need=() ; local p
  for p in $LAB_DEB_PACKAGES; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    lab__need_root || return 1
    mkdir -p "$LAB_LOGS"
    lab_log "installing missing packages: ${need[*]} (log: $LAB_LOGS/apt.log)"
    local made_policy=0 rc=0
    # keep maintainer scripts from starting libvirtd & co on the host
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\n# vmgw lab: no service starts during apt-get\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d; made_policy=1
    fi
    {
      DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${need[@]}"
    } >>"$LAB_LOGS/apt.log" 2>&1 || rc=$?
    [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ "$rc" -ne 0 ]; then
      lab__err "apt-get install ${need[*]} failed (exit $rc)"; lab__tail "$LAB_LOGS/apt.log" 30; return 1
    fi
  fi
  local c missing=""
  for c in virsh libvirtd qemu-system-x86_64 qemu-img socat busybox ip tc iptables ping curl \
           cpio gzip modprobe nsenter unshare flock setsid timeout ss sysctl hostname awk \
           bird birdc python3 qemu-ga nbdinfo ldd; do
    command -v "$c" >/dev/null 2>&1 || missing+=" $c"
  done
  [ -z "$missing" ] || { lab__err "commands missing after the package check:$missing"; return 1; }
  [ -c /dev/net/tun ] || { lab__err "/dev/net/tun is missing (libvirt needs it for the guest's tap)"; return 1; }
  ls /boot/vmlinuz-* >/dev/null 2>&1 || { lab__err "no /boot/vmlinuz-* (package linux-image-amd64)"; return 1; }
}

###############################################################################
# 1. the guest: newest /boot kernel + busybox initramfs (tests/lab/guest/)
###############################################################################
lab_guest_build() {
  local G=$LAB/guest k kv
  k=${LAB_GUEST_KERNEL:-$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)}
  [ -n "$k" ] && [ -r "$k" ] || { lab__err "guest build: no readable kernel in /boot"; return 1; }
  kv=${k#/boot/vmlinuz-}
  [ -d "/lib/modules/$kv" ] || { lab__err "guest build: /lib/modules/$kv missing for $k"; return 1; }
  local R=$G/root.tmp
  rm -rf "$R"; mkdir -p "$R"/{bin,proc,sys,dev,run,tmp,lib/modules,www/cgi-bin} || return 1
  cp "$(readlink -f "$(command -v busybox)")" "$R/bin/busybox" || { lab__err "guest build: copying busybox"; return 1; }
  # virtio modules with their dependencies, in load order (decompressed)
  local m line f seen=" "
  : >"$R/lib/modules/load.list"
  # virtio_console: the guest agent's virtio-serial port; ext4 (+ jbd2, crc16,
  # mbcache, crc32c): /data on vdb, a filesystem that FIFREEZE can freeze
  for m in virtio_pci virtio_net virtio_blk virtio_console ext4; do
    local deps
    deps=$(modprobe -S "$kv" --show-depends "$m" 2>&1) ||
      { lab__err "guest build: modprobe -S $kv --show-depends $m failed: $deps"; return 1; }
    while read -r line; do
      case $line in
        insmod\ *) f=${line#insmod }; f=${f%% *} ;;
        builtin\ *) continue ;;
        *) continue ;;
      esac
      local base=${f##*/}; base=${base%%.ko*}.ko
      case $seen in *" $base "*) continue ;; esac
      seen+="$base "
      case $f in
        *.ko) cp "$f" "$R/lib/modules/$base" ;;
        *.ko.xz) xz -dc "$f" >"$R/lib/modules/$base" ;;
        *.ko.zst) zstd -dcq "$f" >"$R/lib/modules/$base" ;;
        *.ko.gz) gzip -dc "$f" >"$R/lib/modules/$base" ;;
        *) lab__err "guest build: unknown module format $f"; return 1 ;;
      esac || { lab__err "guest build: cannot copy module $f"; return 1; }
      echo "$base" >>"$R/lib/modules/load.list"
    done <<<"$deps"
  done
  lab__guest_copy_elf "$R" "$(command -v qemu-ga)" /bin/qemu-ga || return 1
  cp "$LAB_SRC_DIR/guest/init" "$R/init" && cp "$LAB_SRC_DIR"/guest/cgi-bin/* "$R/www/cgi-bin/" ||
    { lab__err "guest build: copying $LAB_SRC_DIR/guest"; return 1; }
  chmod 755 "$R/init" "$R"/www/cgi-bin/*
  printf 'vmgw lab guest %s\n' "$GUEST" >"$R/www/index.html"
  (cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1 >"$G/initrd.img.tmp") ||
    { lab__err "guest build: cpio/gzip of the initramfs failed"; return 1; }
  cp "$k" "$G/vmlinuz.tmp" || return 1
  mv "$G/initrd.img.tmp" "$G/initrd.img" && mv "$G/vmlinuz.tmp" "$G/vmlinuz" || return 1
  rm -rf "$R"
  echo "$kv" >"$G/kernel-version"
  lab_log "guest: kernel $kv, initramfs $(stat -c %s "$G/initrd.img") bytes, modules:$seen"
}

# lab__guest_copy_elf ROOT BINARY DEST: BINARY as ROOT/DEST, with the shared
# libraries ldd finds for it under their own paths in ROOT (the dynamic
# loader included), so that it runs in the busybox initramfs.
lab__guest_copy_elf() {
  local R=$1 bin=$2 dest=$3 out lib
  [ -x "$bin" ] || { lab__err "guest build: no $bin"; return 1; }
  out=$(ldd "$bin" 2>&1) || { lab__err "guest build: ldd $bin: $out"; return 1; }
  mkdir -p "$R/${dest%/*}" && cp -L "$bin" "$R/$dest" || { lab__err "guest build: copying $bin"; return 1; }
  for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out"); do
    [ -e "$R$lib" ] && continue
    mkdir -p "$R${lib%/*}" && cp -L "$lib" "$R$lib" || { lab__err "guest build: copying $lib for $bin"; return 1; }
  done
}

# The KVM probe boots the guest under plain QEMU with -accel kvm (in the
# background, while the rest of the lab comes up); domain type 'kvm' only if
# the guest really reaches its ready marker, 'qemu' (TCG emulation) otherwise.
lab__kvm_probe_start() {
  LAB__PROBE=none
  case $LAB_ACCEL in
    kvm|qemu) LAB__PROBE=forced; return 0 ;;
    auto) ;;
    *) lab__err "VMGW_LAB_ACCEL=$LAB_ACCEL: expected auto, kvm or qemu"; return 1 ;;
  esac
  local L=$LAB_LOGS/kvm-probe
  rm -f "$L.serial" "$L.log"
  if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "no usable /dev/kvm" >"$L.log"; LAB__PROBE=nokvm; return 0
  fi
  # QEMU itself is the recorded process (no forking wrapper), inside the router
  # namespace so that "down" finds it even after a crash of "up"
  lab__spawn kvm-probe "$L.log" nsenter --net="/run/netns/$NS_R" -- \
    qemu-system-x86_64 -accel kvm -machine pc -cpu qemu64 -m 128 -nodefaults -display none \
      -no-reboot -monitor none -serial "file:$L.serial" \
      -kernel "$LAB/guest/vmlinuz" -initrd "$LAB/guest/initrd.img" \
      -append "console=ttyS0 panic=-1 quiet vmgw.probe=1" || return 1
  LAB__PROBE=running
  LAB__PROBE_T0=$(lab__us)
}
lab__kvm_probe_finish() { # -> writes $LAB_STATE/accel (kvm|qemu)
  local accel=qemu L=$LAB_LOGS/kvm-probe why=""
  case $LAB__PROBE in
    forced) accel=$LAB_ACCEL; why="forced by VMGW_LAB_ACCEL" ;;
    nokvm) why="no usable /dev/kvm" ;;
    running)
      local end=$(( LAB__PROBE_T0 + LAB_KVM_PROBE_S * 1000000 ))
      while :; do
        if grep -q 'WEB1: READY' "$L.serial" 2>/dev/null; then accel=kvm; break; fi
        lab_pid kvm-probe >/dev/null || break
        [ "$(lab__us)" -lt "$end" ] || break
        sleep 0.2
      done
      lab__stop kvm-probe KILL 5 || true
      grep -q 'WEB1: READY' "$L.serial" 2>/dev/null && accel=kvm
      if [ "$accel" = kvm ]; then why="guest booted under KVM in $(lab__since "$LAB__PROBE_T0")s"
      else
        local qe se
        qe=$(grep -v '^====' "$L.log" 2>/dev/null | tr '\n' ' ' | cut -c1-160) || true
        se=$(tr -cd '[:print:]\n' <"$L.serial" 2>/dev/null | grep . | tail -n 1 | cut -c1-80) || true
        why="guest did not boot under -accel kvm within ${LAB_KVM_PROBE_S}s (qemu said: '${qe:-nothing}'; last serial line: '${se:-none}')"
      fi ;;
    *) why="probe not run" ;;
  esac
  echo "$accel" >"$LAB_STATE/accel"
  lab_log "accelerator: domain type '$accel' ($why)"
}
lab_accel() { cat "$LAB_STATE/accel" 2>/dev/null || echo qemu; }

###############################################################################
# 2. network: namespaces, WAN, bridges, router, client
###############################################################################
lab__veth() { # NAME1 NS1 NAME2 NS2
  lab__try "creating veth $1 ($2) <-> $3 ($4)" ip link add "$1" netns "$2" type veth peer name "$3" netns "$4"
}
lab__ip() { # NS ARGS...: ip in NS, failure named
  local ns=$1; shift
  lab__try "ip $* (in $ns)" nsenter --net="/run/netns/$ns" -- ip "$@"
}
lab_net_up() {
  local ns
  modprobe -q -a veth bridge tun 2>/dev/null || true      # built in on some kernels
  for ns in "$NS_A" "$NS_B" "$NS_R" "$NS_C"; do
    lab__try "creating network namespace $ns" ip netns add "$ns" || return 1
    lab__ip "$ns" link set lo up || return 1
    lab__try "sysctls in $ns" nsenter --net="/run/netns/$ns" -- sysctl -q -w \
      net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return 1
  done
  # WAN between the sites
  lab__veth "$WAN_IF_A" "$NS_A" "$WAN_IF_B" "$NS_B" || return 1
  lab__ip "$NS_A" addr add "$WAN_IP_A/$WAN_PLEN" dev "$WAN_IF_A" || return 1
  lab__ip "$NS_B" addr add "$WAN_IP_B/$WAN_PLEN" dev "$WAN_IF_B" || return 1
  lab__ip "$NS_A" link set "$WAN_IF_A" up || return 1
  lab__ip "$NS_B" link set "$WAN_IF_B" up || return 1
  [ -z "$WAN_RATE" ] || lab_wan_shape "$WAN_RATE" || return 1
  # guest bridge: anycast gateway (same IP and MAC on both sites)
  local s
  for s in a b; do
    ns=${LAB_NS[$s]}
    lab__ip "$ns" link add "$BRIDGE" type bridge stp_state 0 forward_delay 0 || return 1
    lab__ip "$ns" link set "$BRIDGE" address "$GUEST_GW_MAC" || return 1
    lab__ip "$ns" addr add "$GUEST_GW/24" dev "$BRIDGE" || return 1
    lab__ip "$ns" link set "$BRIDGE" up || return 1
  done
  # router links and the client
  lab__veth "$RA_IF_A" "$NS_A" "$RA_IF_R" "$NS_R" || return 1
  lab__veth "$RB_IF_B" "$NS_B" "$RB_IF_R" "$NS_R" || return 1
  lab__veth "$RC_IF_R" "$NS_R" "$RC_IF_C" "$NS_C" || return 1
  lab__ip "$NS_A" addr add "$RA_IP_A/30" dev "$RA_IF_A" || return 1
  lab__ip "$NS_R" addr add "$RA_IP_R/30" dev "$RA_IF_R" || return 1
  lab__ip "$NS_B" addr add "$RB_IP_B/30" dev "$RB_IF_B" || return 1
  lab__ip "$NS_R" addr add "$RB_IP_R/30" dev "$RB_IF_R" || return 1
  lab__ip "$NS_R" addr add "$CLIENT_GW/24" dev "$RC_IF_R" || return 1
  lab__ip "$NS_C" addr add "$CLIENT_IP/24" dev "$RC_IF_C" || return 1
  local l
  for l in "$NS_A $RA_IF_A" "$NS_R $RA_IF_R" "$NS_B $RB_IF_B" "$NS_R $RB_IF_R" "$NS_R $RC_IF_R" "$NS_C $RC_IF_C"; do
    set -- $l; lab__ip "$1" link set "$2" up || return 1
  done
  lab__ip "$NS_C" route add default via "$CLIENT_GW" || return 1
  lab__ip "$NS_A" route add "$CLIENT_NET" via "$RA_IP_R" || return 1
  lab__ip "$NS_B" route add "$CLIENT_NET" via "$RB_IP_R" || return 1
  # no static route to the guest in r: BIRD brings it (lab_bird_start, lab_guest_route)
  lab__neighbour_up || return 1
  lab__fwd_counters_up
}

# lab_client_route_guest SITE|none  -- MANUAL USE ONLY (no test or default
# flow needs it since BIRD routes the guest): a static route to 10.99.1.10
# in r via SITE, metric 0, so that it wins over BIRD's (metric 32) while it
# is there; "none" deletes this static route only (BIRD's stays).
lab_client_route_guest() {
  local s
  if [ "${1:-}" = none ]; then
    while lab_nsx r ip route del "$GUEST_IP/32" proto static metric 0 2>/dev/null; do :; done
    return 0
  fi
  s=$(lab__site "${1:-}") || return 1
  lab__ip "$NS_R" route replace "$GUEST_IP/32" via "${LAB_UPLINK_IP[$s]}" proto static metric 0
}

lab_wan_cut() { # take the WAN link down (both ends)
  lab__ip "$NS_A" link set "$WAN_IF_A" down && lab__ip "$NS_B" link set "$WAN_IF_B" down
}
lab_wan_restore() { # bring the WAN link back up
  lab__ip "$NS_A" link set "$WAN_IF_A" up && lab__ip "$NS_B" link set "$WAN_IF_B" up
}
# lab_wan_block [drop|reject] [PORT]: filter TCP PORT (default 7400, the vmgw
# tunnel) between the sites, both directions, in a chain "vl-wan-block" of both
# sites; the link itself stays up.  drop: a black hole (connects and handshakes
# time out); reject: every segment is answered with a TCP reset (connects are
# refused at once, open connections are reset; resets themselves pass so that
# both ends learn it).  lab_wan_unblock removes the rules.
lab_wan_block() {
  local mode=${1:-drop} port=${2:-$VMGW_PORT} s ns tgt
  case $mode in drop) tgt=(-j DROP) ;; reject) tgt=(! --tcp-flags RST RST -j REJECT --reject-with tcp-reset) ;;
    *) lab__err "lab_wan_block: mode '$mode' (expected drop or reject)"; return 1 ;; esac
  for s in a b; do
    ns=/run/netns/${LAB_NS[$s]}
    nsenter --net="$ns" -- iptables -w -N vl-wan-block 2>/dev/null || true
    nsenter --net="$ns" -- iptables -w -C INPUT -j vl-wan-block 2>/dev/null ||
      lab__try "iptables INPUT hook at site $s" nsenter --net="$ns" -- iptables -w -I INPUT -j vl-wan-block || return 1
    lab__try "iptables rules at site $s" nsenter --net="$ns" -- sh -c "
      iptables -w -A vl-wan-block -i ${LAB_WAN_IF[$s]} -p tcp --dport $port ${tgt[*]} &&
      iptables -w -A vl-wan-block -i ${LAB_WAN_IF[$s]} -p tcp --sport $port ${tgt[*]}" || return 1
  done
}
lab_wan_unblock() {
  local s
  for s in a b; do
    nsenter --net="/run/netns/${LAB_NS[$s]}" -- iptables -w -F vl-wan-block 2>/dev/null || true
  done
}
lab_wan_bytes() { # bytes sent + received on site a's WAN interface so far
  local out; out=$(lab_nsx a ip -s -o link show dev "$WAN_IF_A") || return 1
  # one line: ... RX: bytes packets ...\    RXBYTES ... \    TX: bytes ...\    TXBYTES ...
  awk -F'\\\\' '{ for (i = 1; i <= NF; i++) if ($i ~ /(RX|TX):/) { split($(i+1), v, " "); s += v[1] } } END { printf "%.0f\n", s }' <<<"$out"
}
lab_wan_shape() { # lab_wan_shape RATE|off: tbf on both WAN ends (e.g. 100mbit)
  local rate=${1:-off} s
  for s in a b; do
    if [ "$rate" = off ]; then
      nsenter --net="/run/netns/${LAB_NS[$s]}" -- tc qdisc del dev "${LAB_WAN_IF[$s]}" root 2>/dev/null || true
    else
      lab__try "tbf $rate on ${LAB_WAN_IF[$s]}" nsenter --net="/run/netns/${LAB_NS[$s]}" -- \
        tc qdisc replace dev "${LAB_WAN_IF[$s]}" root tbf rate "$rate" burst 256kb latency 50ms || return 1
    fi
  done
}

###############################################################################
# 2b. routing: BIRD in a, b and r; the L2 neighbour; forwarding counters
#
# Each site's BIRD learns the /32s that appear in kernel table LAB_RT_TABLE
# (100) - vmgwd's route plan puts a guest's host route there when the guest
# resumes at the site, lab_guest_route places it for a freshly booted guest -
# and announces those inside the guest subnet by eBGP (a AS 65001, b AS
# 65002) to r (AS 65000) over the /30 links; r's BIRD installs what it learns
# in r's main table (proto bird).  BIRD learns kernel routes from netlink
# notifications as they happen (no scan needed: "scan time 10" is only the
# safety net), so r follows a change within milliseconds.  Fast BGP timers:
# hold 3 s, keepalive 1 s, connect retry 1 s; no graceful restart (a dead
# site's routes go with its session).  Nobody sets a route in r by hand.
###############################################################################
lab__bird_conf() { # a|b|r -> BIRD configuration of that namespace
  local x=$1 g32="[ $GUEST_NET{32,32} ]"
  cat <<EOF
# vmgw lab, namespace ${LAB_NS[$x]}: BIRD (written by tests/lab/lib.sh; lab_bird $x CMD talks to it)
log stderr all;
timeformat log "%F %T.%3f";
timeformat protocol iso long ms;
router id ${LAB_ROUTER_ID[$x]};
protocol device { scan time 10; }
EOF
  if [ "$x" = r ]; then
    cat <<EOF
# what the sites announce goes into r's main kernel table
protocol kernel kernel_main {
  scan time 10;
  ipv4 { import none; export all; };
}
EOF
    local s
    for s in a b; do
      cat <<EOF
protocol bgp site_$s {
  description "site $s (AS ${LAB_AS[$s]})";
  local ${LAB_UPLINK_RIP[$s]} as ${LAB_AS[r]};
  neighbor ${LAB_UPLINK_IP[$s]} as ${LAB_AS[$s]};
  hold time 3; keepalive time 1; connect delay time 1; connect retry time 1; error wait time 1, 5;
  graceful restart off;
  ipv4 { import all; export none; };
}
EOF
    done
  else
    cat <<EOF
# the guests' /32s: kernel table $LAB_RT_TABLE <-> BIRD table vmgw_guests
ipv4 table vmgw_guests;
protocol kernel guests {
  description "kernel table $LAB_RT_TABLE (vmgwd's route plan, lab_guest_route)";
  kernel table $LAB_RT_TABLE;
  learn;                  # routes other programs put there (vmgwd: protocol $LAB_RT_PROTO)
  scan time 10;           # netlink notifications are learnt at once; this is the safety net
  ipv4 { table vmgw_guests; import all; export none; };
}
protocol bgp uplink {
  description "router r (AS ${LAB_AS[r]}) over ${LAB_UPLINK_IF[$x]}";
  local ${LAB_UPLINK_IP[$x]} as ${LAB_AS[$x]};
  neighbor ${LAB_UPLINK_RIP[$x]} as ${LAB_AS[r]};
  hold time 3; keepalive time 1; connect delay time 1; connect retry time 1; error wait time 1, 5;
  graceful restart off;
  ipv4 {
    table vmgw_guests;
    import none;          # a site needs nothing from r (its route to the client is static)
    export where net ~ $g32;   # only host routes inside $GUEST_NET
  };
}
EOF
  fi
}
lab_bird() { # a|b|r CMD...: birdc against that namespace's BIRD
  local x
  case ${1:-} in a|A|site-a) x=a ;; b|B|site-b) x=b ;; r|R|router) x=r ;;
    *) lab__err "lab_bird: '${1:-}' (expected a, b or r)"; return 1 ;; esac
  shift
  [ -S "$LAB_BIRD_DIR/$x.ctl" ] || { lab__err "no BIRD control socket $LAB_BIRD_DIR/$x.ctl (is BIRD $x running? lab_status)"; return 1; }
  timeout -k 2 10 birdc -s "$LAB_BIRD_DIR/$x.ctl" "$@"
}
lab__bird_ready() { lab_bird "$1" show status 2>/dev/null | grep -q 'Daemon is up and running'; }
lab__bgp_up() { # a|b|r: every BGP session of that BIRD is Established
  local out
  out=$(lab_bird "$1" show protocols 2>/dev/null) || return 1
  awk '$2 == "BGP" { n++; if ($0 !~ /Established/) bad++ } END { exit !(n > 0 && bad == 0) }' <<<"$out"
}
# lab_bird_start: write the three configurations and start the BIRDs that are
# not running (bird -f, recorded as bird-a, bird-b, bird-r); a running BIRD
# whose configuration changed is reconfigured.  Does not wait for BGP
# (lab_bird_wait does).
lab_bird_start() {
  local x ns conf
  command -v bird >/dev/null && command -v birdc >/dev/null || { lab__err "bird/birdc not installed (package bird2)"; return 1; }
  mkdir -p "$LAB_BIRD_DIR" || return 1
  for x in a b r; do
    ns=${LAB_NS[$x]} conf=$LAB_BIRD_DIR/$x.conf
    [ -e "/run/netns/$ns" ] || { lab__err "BIRD $x: network namespace $ns does not exist"; return 1; }
    lab__bird_conf "$x" >"$conf.tmp" || return 1
    lab__try "BIRD configuration $conf" bird -p -c "$conf.tmp" || { lab__tail "$conf.tmp" 60; return 1; }
    if lab_pid "bird-$x" >/dev/null; then
      if ! cmp -s "$conf.tmp" "$conf"; then
        mv "$conf.tmp" "$conf"
        lab__try "reconfiguring BIRD $x" lab_bird "$x" configure || return 1
      fi
      rm -f "$conf.tmp"
      continue
    fi
    mv "$conf.tmp" "$conf"
    rm -f "$LAB_BIRD_DIR/$x.ctl"
    lab__spawn "bird-$x" "$LAB_BIRD_DIR/$x.log" nsenter --net="/run/netns/$ns" -- \
      bird -f -c "$conf" -s "$LAB_BIRD_DIR/$x.ctl" || return 1
  done
  for x in a b r; do
    if ! lab__wait 10 0.05 lab__bird_ready "$x"; then
      lab__err "BIRD $x: control socket $LAB_BIRD_DIR/$x.ctl not answering after 10s"
      lab__tail "$LAB_BIRD_DIR/$x.log"; return 1
    fi
  done
}
lab_bird_wait() { # [TIMEOUT_S]: until every BGP session (a-r, b-r) is Established
  local to=${1:-$LAB_BGP_TIMEOUT} x
  for x in r a b; do
    if ! lab__wait "$to" 0.1 lab__bgp_up "$x"; then
      lab__err "BGP sessions of BIRD $x not Established after ${to}s"
      lab_bird "$x" show protocols >&2 || true
      lab__tail "$LAB_BIRD_DIR/$x.log" 15; return 1
    fi
  done
}
lab_bird_stop() { # stop the three BIRDs (r's BIRD removes its routes as it goes)
  local x rc=0
  for x in a b r; do lab__stop "bird-$x" TERM 10 || rc=1; done
  return "$rc"
}

# lab_router_path -> a, b or none: where r sends packets for the guest now
lab_router_path() {
  local out s
  out=$(lab_nsx r ip -4 route get "$GUEST_IP" 2>/dev/null) || { echo none; return 0; }
  for s in a b; do
    case " $out " in *" via ${LAB_UPLINK_IP[$s]} "*) echo "$s"; return 0 ;; esac
  done
  echo none
}
lab__guest_route_del() { # SITE: web1's /32 out of the site's table (whatever put it there)
  local ns=${LAB_NS[$1]} i
  for i in 1 2 3 4; do
    [ -n "$(nsenter --net="/run/netns/$ns" -- ip -4 route show table "$LAB_RT_TABLE" "$GUEST_IP/32" 2>/dev/null)" ] || return 0
    nsenter --net="/run/netns/$ns" -- ip -4 route del "$GUEST_IP/32" table "$LAB_RT_TABLE" 2>/dev/null || true
  done
  [ -z "$(nsenter --net="/run/netns/$ns" -- ip -4 route show table "$LAB_RT_TABLE" "$GUEST_IP/32" 2>/dev/null)" ] ||
    { lab__err "cannot delete $GUEST_IP/32 from table $LAB_RT_TABLE at site $1"; return 1; }
}
# lab_guest_route SITE|none: web1's /32 in SITE's table 100 (as vmgwd's route
# plan writes it: dev vmbr0, protocol LAB_RT_PROTO), and in no other site's;
# "none": in none.  Waits (LAB_ROUTE_TIMEOUT) until r, through BGP, routes the guest
# that way.  For the INITIAL state only: a freshly booted guest
# (lab_guest_boot calls it), or the selftest's plain migrations, which have
# no vmgw.  A vmgw move must move the route itself.
lab_guest_route() {
  local want o
  case ${1:-} in none) want=none ;; *) want=$(lab__site "${1:-}") || return 1 ;; esac
  for o in a b; do
    [ "$o" = "$want" ] && continue
    [ -e "/run/netns/${LAB_NS[$o]}" ] || { lab__err "network namespace ${LAB_NS[$o]} does not exist (is the lab up?)"; return 1; }
    lab__guest_route_del "$o" || return 1
  done
  if [ "$want" != none ]; then
    lab__ip "${LAB_NS[$want]}" route replace "$GUEST_IP/32" dev "$BRIDGE" table "$LAB_RT_TABLE" proto "$LAB_RT_PROTO" || return 1
  fi
  if ! lab__wait "$LAB_ROUTE_TIMEOUT" 0.02 eval '[ "$(lab_router_path)" = '"$want"' ]'; then
    lab__err "r does not route $GUEST_IP to '$want' ${LAB_ROUTE_TIMEOUT}s after the /32 was placed (r routes it to '$(lab_router_path)'; is BGP up?)"
    lab_nsx r ip -4 route show "$GUEST_IP/32" >&2 || true
    lab_bird r show protocols >&2 || true
    return 1
  fi
}

# the L2 neighbour: namespace NS_N, 10.99.1.50/24 on a veth whose other end
# is a port of site a's vmbr0.  It reaches the guest over L2 only: when web1
# runs at b, only a stretched segment (vmgw's l2 plan) gets it there.
lab__neighbour_up() { # idempotent
  if [ ! -e "/run/netns/$NS_N" ]; then
    lab__try "creating network namespace $NS_N" ip netns add "$NS_N" || return 1
    lab__ip "$NS_N" link set lo up || return 1
  fi
  if ! nsenter --net="/run/netns/$NS_N" -- ip link show "$NB_IF_N" >/dev/null 2>&1; then
    nsenter --net="/run/netns/$NS_A" -- ip link del "$NB_IF_A" 2>/dev/null || true
    lab__veth "$NB_IF_A" "$NS_A" "$NB_IF_N" "$NS_N" || return 1
    lab__ip "$NS_N" link set "$NB_IF_N" address "$NB_MAC" || return 1
    lab__ip "$NS_N" addr add "$NB_IP/24" dev "$NB_IF_N" || return 1
  fi
  lab__ip "$NS_A" link set "$NB_IF_A" master "$BRIDGE" || return 1
  lab__ip "$NS_A" link set "$NB_IF_A" up && lab__ip "$NS_N" link set "$NB_IF_N" up
}
# lab_neighbour_ping [COUNT]: ping the guest from the L2 neighbour (COUNT
# replies wanted, default 3, 0.2 s apart, bounded by COUNT + 3 s); status of ping
lab_neighbour_ping() {
  local n=${1:-3}
  case $n in ''|*[!0-9]*|0) lab__err "lab_neighbour_ping: COUNT '$n'"; return 1 ;; esac
  lab_nsx n ping -n -q -c "$n" -i 0.2 -W 1 -w $((n + 3)) "$GUEST_IP"
}

# forwarding counters: chain vl-fwd-guest, first in each site's FORWARD chain,
# counts packets to the guest that the site ROUTES (rule "routed") and,
# apart, those its bridge forwards between two ports (rule "bridged": the
# kernel passes bridged IPv4 through iptables here).  "No packet to the guest
# travels through the old site" = the routed count stays 0 there.
lab__fwd_counters_up() { # idempotent: kept (with their counts) when already in place
  local s ns
  for s in a b; do
    ns=/run/netns/${LAB_NS[$s]}
    if ! nsenter --net="$ns" -- iptables -w -S vl-fwd-guest 2>/dev/null | grep -q -- '--comment routed'; then
      nsenter --net="$ns" -- iptables -w -N vl-fwd-guest 2>/dev/null || true
      lab__try "forwarding counters at site $s" nsenter --net="$ns" -- sh -c "
        iptables -w -F vl-fwd-guest &&
        iptables -w -A vl-fwd-guest -d $GUEST_IP/32 -m physdev --physdev-is-bridged -m comment --comment bridged -j RETURN &&
        iptables -w -A vl-fwd-guest -d $GUEST_IP/32 -m comment --comment routed -j RETURN" || return 1
    fi
    nsenter --net="$ns" -- iptables -w -C FORWARD -j vl-fwd-guest 2>/dev/null ||
      lab__try "FORWARD hook at site $s" nsenter --net="$ns" -- iptables -w -I FORWARD 1 -j vl-fwd-guest || return 1
  done
}
lab_fwd_count() { # SITE [routed|bridged]: packets to the guest forwarded by the site since lab_fwd_zero
  local s what=${2:-routed} out; s=$(lab__site "${1:-}") || return 1
  case $what in routed|bridged) ;; *) lab__err "lab_fwd_count: '$what' (expected routed or bridged)"; return 1 ;; esac
  out=$(lab_nsx "$s" iptables -w -L vl-fwd-guest -n -v -x 2>&1) ||
    { lab__err "no forwarding counters at site $s: $out"; return 1; }
  awk -v w="/* $what */" 'index($0, w) { print $1; f = 1; exit } END { exit !f }' <<<"$out" ||
    { lab__err "forwarding counter '$what' missing at site $s"; return 1; }
}
lab_fwd_zero() { # zero both sites' forwarding counters
  local s
  for s in a b; do
    lab__try "zeroing the forwarding counters at site $s" lab_nsx "$s" iptables -w -Z vl-fwd-guest || return 1
  done
}

# lab_routing_up: the neighbour, the counters and the BIRDs, then the BGP
# sessions (all idempotent: what is in place stays)
lab_routing_up() {
  lab__neighbour_up && lab__fwd_counters_up && lab_bird_start && lab_bird_wait
}

###############################################################################
# 3. the sites: a namespace holder, one monolithic libvirtd, pools, networks
###############################################################################
lab__site_files() { # SITE: the directories bind-mounted into the site
  local s=$1 d=$LAB/site-$1
  rm -rf "${d:?}/etc" "${d:?}/run" "${d:?}/lib" "${d:?}/log" "${d:?}/cache" || return 1
  mkdir -p "$d"/{etc/qemu,run/libvirt,run/vmgw,lib/boot,lib/qemu,log/qemu,cache,state} || return 1
  mkdir -p "$d/lib/${LAB_POOL_DIR[$s]#/var/lib/libvirt/}" || return 1
  cat >"$d/etc/libvirtd.conf" <<EOF
# vmgw lab, ${LAB_SITE_NAME[$s]}
host_uuid = "${LAB_HOST_UUID[$s]}"
unix_sock_group = "libvirt"
unix_sock_ro_perms = "0770"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
listen_tls = 0
listen_tcp = 0
log_filters = "1:qemu.qemu_migration 1:qemu.qemu_monitor 3:*"
log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
EOF
  cat >"$d/etc/qemu.conf" <<EOF
# vmgw lab: QEMU as libvirt's default user and group (Debian: libvirt-qemu)
# with libvirt's dynamic ownership of its files (user, group,
# dynamic_ownership and remember_owner left at their defaults); no SELinux
# or AppArmor, no cgroups, no per-VM mount namespace, logs to files
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = "file"
EOF
  printf '127.0.0.1\tlocalhost\n%s\t%s\n' "${LAB_WAN_IP[$s]}" "${LAB_SITE_NAME[$s]}" >"$d/hosts"
  cp "$LAB/guest/vmlinuz" "$d/lib/boot/$GUEST-vmlinuz" &&
    cp "$LAB/guest/initrd.img" "$d/lib/boot/$GUEST-initrd.img" || { lab__err "copying the guest into site $s"; return 1; }
  local mp
  for mp in /etc/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
    [ -d "$mp" ] || mkdir -p "$mp" || return 1                  # bind mount points
  done
}

# The holder: "sleep infinity" in the site's netns + a private mount and UTS
# namespace with the site's directories bind-mounted.  libvirtd, vmgwd, QEMU and
# "lab.sh shell" all join these namespaces (nsenter -t HOLDER -m -n -u), so a
# libvirtd restart keeps them.  Nothing is mounted in the host's namespace.
lab__site_anchor_start() {
  local s=$1 d=$LAB/site-$1
  lab__spawn "anchor-$s" "$d/anchor.log" \
    nsenter --net="/run/netns/${LAB_NS[$s]}" -- \
    unshare --mount --uts --propagation private -- \
    /bin/bash -c 'set -e
      hostname "$1"
      umount -l /sys && mount -t sysfs sysfs /sys    # /sys/class/net of this netns
      mount --bind "$2/hosts" /etc/hosts
      mount --bind "$2/etc"   /etc/libvirt
      mount --bind "$2/lib"   /var/lib/libvirt
      mount --bind "$2/log"   /var/log/libvirt
      mount --bind "$2/cache" /var/cache/libvirt
      mount --bind "$2/run"   /run
      exec -a "$3" sleep infinity' holder "${LAB_SITE_NAME[$s]}" "$d" "$LAB_PREFIX-holder-$s" || return 1
  local pid=$LAB_SPAWNED
  if ! lab__wait 10 0.05 eval '[ "$(cat /proc/'"$pid"'/comm 2>/dev/null)" = sleep ] || ! lab_pid anchor-'"$s"; then
    lab__err "site $s: namespace holder did not come up"; lab__tail "$d/anchor.log"; return 1
  fi
  if ! lab_pid "anchor-$s" >/dev/null; then
    lab__err "site $s: namespace holder did not come up"; lab__tail "$d/anchor.log"; return 1
  fi
  readlink "/proc/$pid/ns/mnt" >"$LAB_STATE/mntns-$s"
}

lab_libvirtd_start() { # SITE: start the site's libvirtd (in the holder's namespaces)
  local s d pid; s=$(lab__site "$1") || return 1; d=$LAB/site-$s
  lab_pid "libvirtd-$s" >/dev/null && return 0
  pid=$(lab_site_pid "$s") || return 1
  rm -f "$d/run/libvirt/libvirt-sock" "$d/run/libvirtd.pid"
  lab__spawn "libvirtd-$s" "$d/libvirtd.out" nsenter -t "$pid" -m -n -u -r -- "$(command -v libvirtd)" || return 1
  lab__libvirtd_wait "$s"
}
lab__libvirtd_ready() { # SITE: socket answers and QEMU capabilities are known
  [ -S "$LAB/site-$1/run/libvirt/libvirt-sock" ] && lab__virsh_t 30 "$1" capabilities >/dev/null 2>&1
}
lab__libvirtd_wait() {
  local s=$1 d=$LAB/site-$1 end
  end=$(( $(lab__us) + LAB_LIBVIRTD_TIMEOUT * 1000000 ))
  while ! lab__libvirtd_ready "$s"; do
    if ! lab_pid "libvirtd-$s" >/dev/null; then
      lab__err "libvirtd of site $s died while starting"
      lab__tail "$d/libvirtd.out"; lab__tail "$d/log/libvirtd.log"; return 1
    fi
    if [ "$(lab__us)" -ge "$end" ]; then
      lab__err "libvirtd of site $s: not ready after ${LAB_LIBVIRTD_TIMEOUT}s"
      lab__tail "$d/libvirtd.out"; lab__tail "$d/log/libvirtd.log"; return 1
    fi
    sleep 0.2
  done
}
lab_libvirtd_stop() { # SITE: stop the site's libvirtd (guests keep running)
  local s; s=$(lab__site "$1") || return 1
  lab__stop "libvirtd-$s" TERM 15
}
lab_libvirtd_restart() { local s; s=$(lab__site "$1") || return 1; lab_libvirtd_stop "$s" || true; lab_libvirtd_start "$s"; }

lab__site_storage_net() { # SITE: pool and network, persistent + autostart + active
  local s=$1
  local pool=${LAB_POOL[$s]} dir=${LAB_POOL_DIR[$s]} net=${LAB_NETWORK[$s]} x=$LAB/site-$s/net.xml
  if ! lab__virsh_t 30 "$s" pool-info "$pool" >/dev/null 2>&1; then
    lab__try "defining pool $pool at site $s" lab__virsh_t 30 "$s" pool-define-as "$pool" dir --target "$dir" || return 1
  fi
  lab__has '^State: +running' lab__virsh_t 30 "$s" pool-info "$pool" ||
    { lab__try "starting pool $pool at site $s" lab__virsh_t 30 "$s" pool-start "$pool" || return 1; }
  lab__try "autostart of pool $pool at site $s" lab__virsh_t 30 "$s" pool-autostart "$pool" || return 1
  if ! lab__virsh_t 30 "$s" net-info "$net" >/dev/null 2>&1; then
    printf "<network>\n  <name>%s</name>\n  <forward mode='bridge'/>\n  <bridge name='%s'/>\n</network>\n" "$net" "$BRIDGE" >"$x"
    lab__try "defining network $net at site $s" lab__virsh_t 30 "$s" net-define "$x" || return 1
  fi
  lab__has '^Active: +yes' lab__virsh_t 30 "$s" net-info "$net" ||
    { lab__try "starting network $net at site $s" lab__virsh_t 30 "$s" net-start "$net" || return 1; }
  lab__try "autostart of network $net at site $s" lab__virsh_t 30 "$s" net-autostart "$net" || return 1
}

# vmgwd runs as the system user LAB_VMGWD_USER (vmgw), in the group libvirt
# (libvirt's socket, 0770 root:libvirt), with only the capabilities of
# LAB_VMGWD_CAPS, as the package's unit runs it; VMGW_LAB_VMGWD_ROOT=1 runs
# it as root instead (for debugging a permission problem).  QEMU runs as
# libvirt's default user (libvirt-qemu); its post-copy needs
# userfaultfd, which the kernel gives an unprivileged process only with
# vm.unprivileged_userfaultfd=1 (QEMU 7.2 does not use /dev/userfaultfd).
LAB_VMGWD_USER=vmgw
LAB_VMGWD_CAPS=net_admin,net_raw,dac_override
lab_qemu_user() { # the uid QEMU runs as at site a (libvirt's DAC base label)
  lab_virsh a capabilities | sed -n "s/.*<baselabel type='kvm'>+\([0-9]*\):.*/\1/p" | head -1
}
lab__host_users() {
  getent group libvirt >/dev/null || addgroup --quiet --system libvirt || return 1
  # the same user the package's postinst makes (packaging/debian/vmgw.postinst),
  # so a package installed on a lab machine finds it as it would make it
  if ! getent passwd "$LAB_VMGWD_USER" >/dev/null; then
    lab__try "creating the system user $LAB_VMGWD_USER" adduser --quiet --system --group \
      --no-create-home --home "/var/lib/$LAB_VMGWD_USER" --shell /usr/sbin/nologin \
      --gecos "vmgw gateway daemon" "$LAB_VMGWD_USER" || return 1
  fi
  id -nG "$LAB_VMGWD_USER" | tr ' ' '\n' | grep -qx libvirt ||
    lab__try "adding $LAB_VMGWD_USER to the group libvirt" adduser --quiet "$LAB_VMGWD_USER" libvirt || return 1
  lab__try "vm.unprivileged_userfaultfd=1 (post-copy with QEMU unprivileged)" \
    sysctl -q -w vm.unprivileged_userfaultfd=1
}

lab_sites_up() {
  local s t
  lab__host_users || return 1
  for s in a b; do lab__site_files "$s" || return 1; done
  for s in a b; do lab__site_anchor_start "$s" || return 1; done
  # site a probes QEMU's capabilities (seconds); b reuses a's cache: same
  # binaries, same host.  A copy kept from the last run seeds a; libvirt
  # validates the cache (binary ctimes, versions) and re-probes if stale.
  [ -d "$LAB/capcache/qemu" ] && cp -a "$LAB/capcache/qemu" "$LAB/site-a/cache/"
  t=$(lab__us)
  lab_libvirtd_start a || return 1
  lab_log "libvirtd site a ready in $(lab__since "$t")s"
  rm -rf "$LAB/capcache"; mkdir -p "$LAB/capcache"
  [ -d "$LAB/site-a/cache/qemu" ] && cp -a "$LAB/site-a/cache/qemu" "$LAB/capcache/" &&
    cp -a "$LAB/site-a/cache/qemu" "$LAB/site-b/cache/"
  t=$(lab__us)
  lab_libvirtd_start b || return 1
  lab_log "libvirtd site b ready in $(lab__since "$t")s"
  for s in a b; do lab__site_storage_net "$s" || return 1; done
}

###############################################################################
# 4. vmgw: keys, configs, one vmgwd per site (inside the site's namespaces)
###############################################################################
lab_vmgw_config() { local s; s=$(lab__site "$1") || return 1; echo "$LAB/site-$s/vmgw.yaml"; }
lab_vmgw_sock() { local s; s=$(lab__site "$1") || return 1; echo "$LAB/site-$s/vmgw.sock"; }
lab_vmgw_available() { [ -x "$VMGWD" ] && [ -x "$VMGW" ]; }

lab__keygen() { # SITE -> writes key, prints the public key
  local s=$1 d=$LAB/site-$1 key pub out rc=0
  key=$d/${LAB_SITE_NAME[$s]}.key pub=$d/${LAB_SITE_NAME[$s]}.pub
  if [ -s "$key" ] && [ -s "$pub" ]; then cat "$pub"; return 0; fi
  rm -f "$key" "$pub"
  out=$("$VMGW" keygen "$key" 2>"$d/keygen.err") || rc=$?
  out=$(printf '%s' "$out" | tr -d '[:space:]')
  if [ "$rc" -ne 0 ] || [ ! -s "$key" ] || [ -z "$out" ]; then
    lab__err "'$VMGW keygen $key' failed (exit $rc, key file $( [ -s "$key" ] && echo written || echo missing), stdout '${out:0:60}'): $(head -c 300 "$d/keygen.err")"
    return 1
  fi
  [ "$(stat -c %a "$key")" = 600 ] || lab_log "WARNING: $key has mode $(stat -c %a "$key"), expected 600"
  case $out in *[!A-Za-z0-9+/=]*) lab__err "vmgw keygen printed '$out', not a base64 public key"; return 1 ;; esac
  echo "$out" >"$pub"
  echo "$out"
}
# lab_vmgw_setup: keys (kept if present) and both sites' vmgw.yaml
lab_vmgw_setup() {
  lab_vmgw_available || { lab__err "vmgw binaries missing: $VMGWD, $VMGW (build the project, or use --no-vmgw)"; return 1; }
  local pa pb
  pa=$(lab__keygen a) || return 1
  pb=$(lab__keygen b) || return 1
  lab__write_config a b "$pb" && lab__write_config b a "$pa" || return 1
  local s
  for s in a b; do
    lab__try "config check 'vmgwd -n -c $LAB/site-$s/vmgw.yaml' (site $s)" \
      lab_site_exec "$s" "$VMGWD" -n -c "$LAB/site-$s/vmgw.yaml" || return 1
  done
}
# LAB_VMGW_PLAN=route|l2|none (default none): the reachability plan written
# for the peer, "plan: { mode: P, bridge: vmbr0, table: 100 }", with web1's
# address under guests; none writes neither (the configs as before).
# Every site serves its metrics at http://127.0.0.1:$LAB_METRICS_PORT/metrics
# inside its namespace (lab_nsx SITE curl ...).  LAB_VMGW_EXTRA_A and
# LAB_VMGW_EXTRA_B: YAML appended to that site's config (top-level keys,
# e.g. a protect: section; lab_vmgw_rewrite writes it again).
LAB_METRICS_PORT=${LAB_METRICS_PORT:-9464}
lab__write_config() { # SITE PEER PEER_PUBKEY
  local s=$1 p=$2 d=$LAB/site-$1 nets stor plan="" guests="" xv extra
  xv=LAB_VMGW_EXTRA_${1^^} extra=${!xv-}
  case ${LAB_VMGW_PLAN:-none} in
    none) ;;
    route|l2)
      plan="    plan: { mode: $LAB_VMGW_PLAN, bridge: $BRIDGE, table: $LAB_RT_TABLE }"
      guests="guests:
  $GUEST: { addresses: [ $GUEST_IP ] }" ;;
    *) lab__err "LAB_VMGW_PLAN='$LAB_VMGW_PLAN': expected route, l2 or none"; return 1 ;;
  esac
  if [ "$s" = a ]; then
    nets="{ ${LAB_NETWORK[a]}: ${LAB_NETWORK[b]} }" stor="{ ${LAB_POOL_DIR[a]}: ${LAB_POOL_DIR[b]} }"
  else
    nets="{ ${LAB_NETWORK[b]}: ${LAB_NETWORK[a]} }" stor="{ ${LAB_POOL_DIR[b]}: ${LAB_POOL_DIR[a]} }"
  fi
  mkdir -p "$d/state"
  cat >"$d/vmgw.yaml.tmp" <<EOF
# vmgw lab, ${LAB_SITE_NAME[$s]} (written by tests/lab/lib.sh)
site: ${LAB_SITE_NAME[$s]}
private_key: $d/${LAB_SITE_NAME[$s]}.key
listen: ${LAB_WAN_IP[$s]}:$VMGW_PORT
control: $d/vmgw.sock
libvirt: qemu:///system
state_dir: $d/state
run_dir: /run/vmgw
peers:
  ${LAB_SITE_NAME[$p]}:
    endpoint: ${LAB_WAN_IP[$p]}:$VMGW_PORT
    public_key: "$3"
    networks: $nets
    storage: $stor
    connections: $LAB_VMGW_CONNECTIONS
${plan:+$plan
}forward_targets: []
${guests:+$guests
}tunnel:                  # the lab notices a dead tunnel in seconds
  keepalive: 2
  timeout: 8
metrics: 127.0.0.1:$LAB_METRICS_PORT
$extra
EOF
  mv "$d/vmgw.yaml.tmp" "$d/vmgw.yaml"
}
# lab_vmgw_rewrite SITE: write that site's config again (with the current
# LAB_VMGW_PLAN, LAB_VMGW_EXTRA_*), its keys as they are; no reload
lab_vmgw_rewrite() {
  local s p; s=$(lab__site "$1") || return 1
  case $s in a) p=b ;; b) p=a ;; *) lab__err "lab_vmgw_rewrite: site a or b"; return 1 ;; esac
  lab__write_config "$s" "$p" "$(cat "$LAB/site-$p/${LAB_SITE_NAME[$p]}.pub")"
}
lab__vmgwd_listening() { # SITE: the control socket is listening
  local out; out=$(lab_nsx "$1" ss -xlnH 2>/dev/null) || return 1
  grep -Fq -- " $LAB/site-$1/vmgw.sock " <<<"$out "
}
lab_vmgwd_start() { # SITE: start vmgwd -d in the site's namespaces, wait for its control socket
  local s d pid; s=$(lab__site "$1") || return 1; d=$LAB/site-$s
  lab_pid "vmgwd-$s" >/dev/null && return 0
  [ -x "$VMGWD" ] || { lab__err "vmgwd not found at $VMGWD (VMGW_BUILD_DIR=$VMGW_BUILD_DIR)"; return 1; }
  [ -f "$d/vmgw.yaml" ] || { lab__err "no $d/vmgw.yaml (run lab_vmgw_setup / 'lab.sh keys')"; return 1; }
  pid=$(lab_site_pid "$s") || return 1
  local as=()
  echo "$LAB_VMGWD_CAPS" >"$LAB_STATE/vmgwd-caps-$s"
  [ "${VMGW_LAB_VMGWD_ROOT:-0}" = 1 ] ||
    as=(setpriv --reuid "$LAB_VMGWD_USER" --regid "$LAB_VMGWD_USER" --init-groups --no-new-privs
        --inh-caps "-all,+${LAB_VMGWD_CAPS//,/,+}" --ambient-caps "-all,+${LAB_VMGWD_CAPS//,/,+}"
        --bounding-set "-all,+${LAB_VMGWD_CAPS//,/,+}" --)
  lab__spawn "vmgwd-$s" "$d/vmgwd.log" nsenter -t "$pid" -m -n -u -r -- "${as[@]}" "$VMGWD" -d -c "$d/vmgw.yaml" || return 1
  local end=$(( $(lab__us) + LAB_VMGWD_TIMEOUT * 1000000 ))
  while ! lab__vmgwd_listening "$s"; do
    if ! lab_pid "vmgwd-$s" >/dev/null; then
      lab__err "vmgwd of site $s exited while starting"; lab__tail "$d/vmgwd.log"; return 1
    fi
    if [ "$(lab__us)" -ge "$end" ]; then
      lab__err "vmgwd of site $s: control socket $d/vmgw.sock not listening after ${LAB_VMGWD_TIMEOUT}s"
      lab__tail "$d/vmgwd.log"; return 1
    fi
    sleep 0.1
  done
}
lab_vmgwd_stop() { # SITE: SIGTERM and wait (SIGKILL and failure after the timeout)
  local s; s=$(lab__site "$1") || return 1
  lab__stop "vmgwd-$s" TERM "${2:-$LAB_VMGWD_TIMEOUT}" || { lab__tail "$LAB/site-$s/vmgwd.log" 10; return 1; }
}
lab_vmgwd_kill() { # SITE: SIGKILL (a crash)
  local s; s=$(lab__site "$1") || return 1
  lab__stop "vmgwd-$s" KILL 10
}
lab_vmgwd_pid() { local s; s=$(lab__site "$1") || return 1; lab_pid "vmgwd-$s"; }
# the capabilities the site's vmgwd was started with (LAB_VMGWD_CAPS then)
lab_vmgwd_caps() { local s; s=$(lab__site "$1") || return 1; cat "$LAB_STATE/vmgwd-caps-$s" 2>/dev/null; }
# lab_vmgw_plan PLAN: both sites' configs with that network plan
# (LAB_VMGW_PLAN: route, l2 or none), both vmgwd restarted, the tunnel up
lab_vmgw_plan() {
  local s i
  for s in a b; do lab_vmgwd_stop "$s" || return 1; done
  LAB_VMGW_PLAN=$1 lab_vmgw_setup || return 1
  for s in a b; do lab_vmgwd_start "$s" || return 1; done
  for i in $(seq 1 100); do          # 20 s at most
    lab__has '"connected": true' lab_vmgw a -j status && return 0
    sleep 0.2
  done
  lab__err "the tunnel a <-> b did not come up within 20 s (plan $1)"
  return 1
}
lab_vmgw() { # SITE ARGS...: the CLI on the host against that site's vmgwd
  local cfg; cfg=$(lab_vmgw_config "$1") || return 1; shift
  "$VMGW" -c "$cfg" "$@"
}

###############################################################################
# 5. the guest web1
###############################################################################
lab_guest_xml() { # SITE -> domain XML of web1 for that site (LAB_GUEST_AGENT, GUEST_DATA_MIB)
  local s data="" chan="" agent=1; s=$(lab__site "$1") || return 1
  case $LAB_GUEST_AGENT in
    on) ;; off) agent=0 ;; none) agent=0 ;;
    *) lab__err "LAB_GUEST_AGENT='$LAB_GUEST_AGENT': expected on, off or none"; return 1 ;;
  esac
  [ "$LAB_GUEST_AGENT" = none ] || chan="
    <channel type='unix'>
      <target type='virtio' name='$GUEST_AGENT_PORT'/>
    </channel>"
  [ "$GUEST_DATA_MIB" = 0 ] || data="
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='${LAB_POOL_DIR[$s]}/$GUEST_DATA_VOL'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"
  cat <<EOF
<domain type='$(lab_accel)'>
  <name>$GUEST</name>
  <uuid>$GUEST_UUID</uuid>
  <memory unit='MiB'>$GUEST_MEM_MIB</memory>
  <currentMemory unit='MiB'>$GUEST_MEM_MIB</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST_KERNEL</kernel>
    <initrd>$GUEST_INITRD</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet vmgw.ip=$GUEST_IP/24 vmgw.gw=$GUEST_GW vmgw.name=$GUEST vmgw.agent=$agent vmgw.ipv6=$LAB_GUEST_IPV6 vmgw.data=$([ "$GUEST_DATA_MIB" = 0 ] && echo 0 || echo 1)</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='${LAB_POOL_DIR[$s]}/$GUEST_VOL'/>
      <target dev='vda' bus='virtio'/>
    </disk>$data
    <interface type='network'>
      <mac address='$GUEST_MAC'/>
      <source network='${LAB_NETWORK[$s]}'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='$GUEST_SERIAL'/>
      <target port='0'/>
    </serial>$chan
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}
lab_guest_serial() { local d; d=$(lab_site_dir "$1") || return 1; echo "$d/log/qemu/$GUEST-serial.log"; }
lab__guest_state() { # SITE -> libvirt state of web1 there ("" if not defined / no libvirtd)
  local out; out=$(lab__virsh_t 20 "$1" domstate "$GUEST" 2>/dev/null) || true
  printf '%s\n' "${out%%$'\n'*}"
}
lab__has() { # ERE CMD...: CMD succeeds and its output matches ERE (no SIGPIPE games)
  local re=$1 out; shift
  out=$("$@" 2>/dev/null) || return 1
  grep -Eq -- "$re" <<<"$out"
}
lab_guest_where() { # -> a, b, a+b or none: where web1 is RUNNING
  local s st w=""
  for s in a b; do
    lab_pid "libvirtd-$s" >/dev/null || continue
    st=$(lab__guest_state "$s")
    [ "$st" = running ] && w=${w:+$w+}$s
  done
  echo "${w:-none}"
}
lab_guest_http() { # SITE PATH: GET http://10.99.1.10PATH from the site's namespace
  local s; s=$(lab__site "$1") || return 1
  lab_nsx "$s" curl -sS --fail -m "$LAB_HTTP_TIMEOUT" "http://$GUEST_IP${2:-/}"
}
lab_client_http() { # PATH: GET http://10.99.1.10PATH from the client namespace
  lab_nsx c curl -sS --fail -m "$LAB_HTTP_TIMEOUT" "http://$GUEST_IP${1:-/}"
}
# lab_guest_exec SITE 'shell commands': run them in the guest (POST to
# /cgi-bin/exec from the site's namespace); prints the output, returns their status
lab_guest_exec() {
  local s out rc; s=$(lab__site "$1") || return 1; shift
  out=$(printf '%s\n' "$*" | lab_nsx "$s" curl -sS --fail -m 60 --data-binary @- \
        -H 'Content-Type: application/octet-stream' "http://$GUEST_IP/cgi-bin/exec") ||
    { lab__err "guest exec at site $s: HTTP request failed"; return 1; }
  rc=${out##*rc }
  case $rc in ''|*[!0-9]*) lab__err "guest exec: no status in the reply"; printf '%s\n' "$out"; return 1 ;; esac
  out=${out%rc *}
  printf '%s' "$out"
  return "$rc"
}
lab_guest_wait_up() { # SITE [TIMEOUT_S]: until web1 answers HTTP from the site's namespace
  local s to d end st; s=$(lab__site "$1") || return 1
  to=${2:-$LAB_BOOT_TIMEOUT} d=$LAB/site-$s
  end=$(( $(lab__us) + to * 1000000 ))
  while :; do
    lab_nsx "$s" curl -s --fail -m 3 -o /dev/null "http://$GUEST_IP/cgi-bin/status" 2>/dev/null && return 0
    st=$(lab__guest_state "$s")
    if [ "$st" != running ] && [ "$st" != paused ]; then
      lab__err "web1 at site $s is '${st:-not defined}' while waiting for it to answer"
      lab__tail "$d/log/qemu/$GUEST.log" 15; lab__tail "$(lab_guest_serial "$s")" 15; return 1
    fi
    if [ "$(lab__us)" -ge "$end" ]; then
      lab__err "web1 at site $s: no HTTP answer from $GUEST_IP within ${to}s (domain state '$st')"
      lab__tail "$(lab_guest_serial "$s")" 20; lab__tail "$d/log/qemu/$GUEST.log" 10; return 1
    fi
    sleep 0.3
  done
}
# lab_guest_agent_ping SITE: the guest agent of web1 at SITE answers (guest-ping)
lab_guest_agent_ping() {
  local s; s=$(lab__site "$1") || return 1
  lab__virsh_t 20 "$s" qemu-agent-command --timeout 5 "$GUEST" '{"execute":"guest-ping"}' >/dev/null 2>&1
}
# lab_guest_agent_wait SITE [TIMEOUT_S]: until the guest agent answers (default 30 s)
lab_guest_agent_wait() {
  local s; s=$(lab__site "$1") || return 1
  lab__wait "${2:-30}" 0.3 lab_guest_agent_ping "$s" && return 0
  lab__err "web1 at site $s: the guest agent does not answer after ${2:-30}s (LAB_GUEST_AGENT=$LAB_GUEST_AGENT)"
  lab__tail "$(lab_guest_serial "$s")" 10
  return 1
}
# lab_site_clean SITE: destroy + undefine web1 there, delete its volume(s)
# (web1.qcow2, web1-data.qcow2, overlays web1.*) and its /32 in the site's table 100
lab_site_clean() {
  local s d pool dir f; s=$(lab__site "$1") || return 1; d=$LAB/site-$s; pool=${LAB_POOL[$s]}
  dir=$d/lib/${LAB_POOL_DIR[$s]#/var/lib/libvirt/}
  if lab__virsh_t 20 "$s" dominfo "$GUEST" >/dev/null 2>&1; then
    [ "$(lab__guest_state "$s")" = "shut off" ] ||
      lab__try "destroying web1 at site $s" lab__virsh_t 60 "$s" destroy "$GUEST" || return 1
    if lab__virsh_t 20 "$s" dominfo "$GUEST" >/dev/null 2>&1; then
      lab__try "undefining web1 at site $s" lab__virsh_t 30 "$s" undefine "$GUEST" \
        --snapshots-metadata --checkpoints-metadata --managed-save || return 1
    fi
  fi
  for f in "$GUEST_VOL" "$GUEST_DATA_VOL"; do
    if lab__virsh_t 20 "$s" vol-info --pool "$pool" "$f" >/dev/null 2>&1; then
      lab__try "deleting volume $f at site $s" lab__virsh_t 30 "$s" vol-delete --pool "$pool" "$f" || return 1
    fi
  done
  for f in "$dir/$GUEST_VOL" "$dir/$GUEST_DATA_VOL" "$dir/$GUEST".*; do
    [ -e "$f" ] || continue
    rm -f "$f" || { lab__err "cannot delete $f"; return 1; }
  done
  lab__virsh_t 30 "$s" pool-refresh "$pool" >/dev/null 2>&1 || true
  [ ! -e "/run/netns/${LAB_NS[$s]}" ] || lab__guest_route_del "$s"
}
# lab__vol_create SITE NAME MIB: a qcow2 volume in the site's pool, compat
# 1.1: libvirt makes qcow2 v2 (compat 0.10) unless told, and QEMU cannot
# store the persistent dirty bitmaps of checkpoints in v2 ("Cannot store
# dirty bitmaps in qcow2 v2 files")
lab__vol_create() {
  local s=$1 x=$LAB/site-$1/vol-$2.xml
  printf "<volume><name>%s</name><capacity unit='MiB'>%s</capacity><allocation>0</allocation>\n  <target><format type='qcow2'/><compat>1.1</compat></target>\n</volume>\n" "$2" "$3" >"$x"
  lab__try "creating volume $2 ($3 MiB qcow2 v3) in pool ${LAB_POOL[$s]} at site $s" \
    lab__virsh_t 60 "$s" vol-create "${LAB_POOL[$s]}" "$x"
}
# lab_guest_boot SITE: create web1's volume in the site's pool, define and start
# web1 there, wait until it answers HTTP, then put its /32 in the site's
# table 100 (lab_guest_route) and wait until r routes it there: the client
# reaches it.  Already running and answering there: only the route is
# checked.  Defined elsewhere: refused (clean that site first).
lab_guest_boot() {
  local s o d x t0; s=$(lab__site "$1") || return 1; d=$LAB/site-$s
  [ "$s" = a ] && o=b || o=a
  if [ "$(lab__guest_state "$s")" = running ] && lab_guest_http "$s" /cgi-bin/status >/dev/null 2>&1; then
    lab_log "web1 already runs at site $s"
    lab_guest_route "$s"; return
  fi
  if lab__virsh_t 20 "$o" dominfo "$GUEST" >/dev/null 2>&1; then
    lab__err "web1 is defined at site $o: clean it first (lab_site_clean $o / lab.sh clean $o)"; return 1
  fi
  lab_site_clean "$s" || return 1
  t0=$(lab__us)
  lab__vol_create "$s" "$GUEST_VOL" "$GUEST_DISK_MIB" || return 1
  if [ "$GUEST_DATA_MIB" != 0 ]; then
    lab__vol_create "$s" "$GUEST_DATA_VOL" "$GUEST_DATA_MIB" || return 1
  fi
  x=$d/$GUEST.xml
  lab_guest_xml "$s" >"$x" || return 1
  rm -f "$(lab_guest_serial "$s")"
  lab__try "defining web1 at site $s" lab__virsh_t 30 "$s" define "$x" || return 1
  lab__try "starting web1 at site $s" lab__virsh_t 60 "$s" start "$GUEST" || { lab__tail "$d/log/qemu/$GUEST.log"; return 1; }
  lab_guest_wait_up "$s" || return 1
  lab_guest_route "$s" || return 1
  LAB_BOOT_S=$(lab__since "$t0")
  lab_log "web1 up at site $s after ${LAB_BOOT_S}s (volume + define + start -> HTTP answer, domain type $(lab_accel))"
}

###############################################################################
# 5a. extra guests for recovery plans (t-plan.sh): web2 and web3, each with
# its own name, UUID, MAC and IP, web1's kernel and initrd, no data disk and
# no route of its own (the sites reach them on vmbr0).  web1 is untouched:
# every helper runs web1's in a subshell with the variables of the other.
###############################################################################
declare -gA LAB_EXTRA_IP=([web2]=10.99.1.11 [web3]=10.99.1.12)
declare -gA LAB_EXTRA_MAC=([web2]=52:54:00:99:01:0b [web3]=52:54:00:99:01:0c)
declare -gA LAB_EXTRA_UUID=([web2]=766d6777-6c61-4200-8000-0000000001a1
  [web3]=766d6777-6c61-4200-8000-0000000001a2)
LAB_EXTRA_GUESTS="web2 web3"
lab__extra() { # NAME CMD...: CMD with web1's variables naming guest NAME
  local n=$1; shift
  [ -n "${LAB_EXTRA_IP[$n]:-}" ] || { lab__err "no extra guest '$n' (web2, web3)"; return 1; }
  ( GUEST=$n GUEST_IP=${LAB_EXTRA_IP[$n]} GUEST_MAC=${LAB_EXTRA_MAC[$n]}
    GUEST_UUID=${LAB_EXTRA_UUID[$n]} GUEST_VOL=$n.qcow2 GUEST_DATA_VOL=$n-data.qcow2
    GUEST_DATA_MIB=0 GUEST_SERIAL=/var/log/libvirt/qemu/$n-serial.log
    "$@" )
}
lab__extra_boot() { # SITE (inside lab__extra): volume, define, start, HTTP answers
  local s d x; s=$(lab__site "$1") || return 1; d=$LAB/site-$s
  if [ "$(lab__guest_state "$s")" = running ] && lab_guest_http "$s" /cgi-bin/status >/dev/null 2>&1; then
    return 0
  fi
  lab_site_clean "$s" || return 1
  lab__vol_create "$s" "$GUEST_VOL" "$GUEST_DISK_MIB" || return 1
  x=$d/$GUEST.xml
  lab_guest_xml "$s" >"$x" || return 1
  lab__try "defining $GUEST at site $s" lab__virsh_t 30 "$s" define "$x" || return 1
  lab__try "starting $GUEST at site $s" lab__virsh_t 60 "$s" start "$GUEST" || return 1
  lab_guest_wait_up "$s" || return 1
  lab_log "$GUEST up at site $s"
}
# lab_extra_guest_boot SITE NAME: NAME (web2, web3) defined and running at SITE
lab_extra_guest_boot() { lab__extra "$2" lab__extra_boot "$1"; }
# lab_extra_guest_clean SITE NAME: destroyed, undefined, its volumes deleted
lab_extra_guest_clean() { lab__extra "$2" lab_site_clean "$1"; }
# lab_extra_guest_http SITE NAME PATH: GET http://ITS_IP/PATH from the site
lab_extra_guest_http() { lab__extra "$2" lab_guest_http "$1" "${3:-/}"; }
# lab_extra_guest_state SITE NAME: its libvirt state there ("" if none)
lab_extra_guest_state() { lab__extra "$2" lab__guest_state "$1"; }

###############################################################################
# 5b. client probes: what a client sees of the guest during a move
#   ping  ping -D -i 0.01 from the client (through r, its only way there)
#   tcp   tests/tools/tcpprobe.py from the client: one long-lived connection
#         to the guest's echo server (TCP 7), a numbered line every 50 ms
#   nping (lab_probes_start DIR --neighbour) ping -D -i 0.01 from the L2
#         neighbour on site a's vmbr0 as well
# One set of probes at a time (recorded as probe-ping, probe-tcp, probe-nping).
###############################################################################
LAB_TCPPROBE=${LAB_TCPPROBE:-$VMGW_SOURCE_DIR/tests/tools/tcpprobe.py}
# lab_probes_start DIR [--neighbour]: start the probes, outputs in DIR; waits
# (5 s at most) for the first ping reply and the first echo, fails without
lab_probes_start() {
  local D=${1:-} nb=0 rt
  [ -n "$D" ] || { lab__err "usage: lab_probes_start DIR [--neighbour]"; return 1; }
  case ${2:-} in '') ;; --neighbour) nb=1 ;; *) lab__err "lab_probes_start: unknown option $2"; return 1 ;; esac
  if lab_pid probe-ping >/dev/null || lab_pid probe-tcp >/dev/null || lab_pid probe-nping >/dev/null; then
    lab__err "probes already running (lab_probes_stop DIR first)"; return 1
  fi
  [ -r "$LAB_TCPPROBE" ] || { lab__err "no $LAB_TCPPROBE"; return 1; }
  mkdir -p "$D" || return 1
  rm -f "$D"/ping.log "$D"/nping.log "$D"/tcp.out "$D"/tcp.log "$D"/tcp.stop "$D"/t.start "$D"/t.stop
  # the client reaches the guest through r, and only so
  rt=$(lab_nsx c ip -4 route get "$GUEST_IP" 2>&1) || { lab__err "client: no route to $GUEST_IP: $rt"; return 1; }
  case " $rt " in *" via $CLIENT_GW "*) ;;
    *) lab__err "client: the route to $GUEST_IP is not via r ($CLIENT_GW): $rt"; return 1 ;; esac
  lab__us >"$D/t.start"
  lab__spawn probe-ping "$D/ping.log" nsenter --net="/run/netns/$NS_C" -- nice -n -10 ping -n -D -i 0.01 "$GUEST_IP" || return 1
  lab__spawn probe-tcp "$D/tcp.out" nsenter --net="/run/netns/$NS_C" -- nice -n -10 python3 "$LAB_TCPPROBE" \
    --host "$GUEST_IP" --port 7 --interval 0.05 --drain 3 --stop-file "$D/tcp.stop" --log "$D/tcp.log" || return 1
  if [ "$nb" = 1 ]; then
    lab__spawn probe-nping "$D/nping.log" nsenter --net="/run/netns/$NS_N" -- nice -n -10 ping -n -D -i 0.01 "$GUEST_IP" || return 1
  fi
  if ! lab__wait 5 0.05 eval 'grep -q "bytes from" "$D/ping.log" && [ -s "$D/tcp.log" ]'; then
    lab__err "probes: no ping reply or no TCP echo from $GUEST_IP within 5s (router path: $(lab_router_path))"
    lab__tail "$D/ping.log" 5; lab__tail "$D/tcp.out" 5
    return 1
  fi
  if [ "$nb" = 1 ] && ! lab__wait 3 0.05 grep -q "bytes from" "$D/nping.log"; then
    lab__err "probes: the L2 neighbour gets no ping reply from $GUEST_IP within 3s"; return 1
  fi
}
# lab_probes_stop DIR: stop the probes (ping: SIGINT, for its statistics;
# tcpprobe: stop file, it drains up to 3 s); bounded
lab_probes_stop() {
  local D=${1:-} rc=0
  [ -n "$D" ] || { lab__err "usage: lab_probes_stop DIR"; return 1; }
  mkdir -p "$D"
  lab__us >"$D/t.stop"
  touch "$D/tcp.stop"
  lab__stop probe-ping INT 3 || rc=1
  lab__stop probe-nping INT 3 || rc=1
  lab__wait 6 0.05 eval '! lab_pid probe-tcp' || true
  lab__stop probe-tcp TERM 3 || rc=1
  return "$rc"
}
lab__ping_stats() { # FILE START_US STOP_US PREFIX -> "P_sent=.. P_replies=.. P_lost=.. P_max_gap_ms=.."
  awk -v t0="$2" -v t1="$3" -v p="$4" '
    function gap(a, b) { if (b - a > maxg) maxg = b - a }
    /bytes from/ && !/DUP!/ {
      t = substr($1, 2, length($1) - 2) + 0
      seq = $0; sub(/.*icmp_seq=/, "", seq); sub(/ .*/, "", seq); seq += 0
      if (seq in got) next
      got[seq] = 1; n++
      gap(n == 1 ? t0 / 1e6 : last, t); last = t
      if (seq > maxs) maxs = seq; next
    }
    /icmp_seq=/ { seq = $0; sub(/.*icmp_seq=/, "", seq); sub(/ .*/, "", seq); if (seq + 0 > maxs) maxs = seq + 0 }
    / packets transmitted/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^packets/) sent = $i }
    END {
      if (sent == "") sent = maxs
      if (t1 > 0) gap(n ? last : t0 / 1e6, t1 / 1e6)
      printf "%s_sent=%d %s_replies=%d %s_lost=%d %s_max_gap_ms=%.0f", p, sent, p, n, p, sent - n, p, maxg * 1000
    }' "$1"
}
# lab_probes_analyze DIR: one line of key=value pairs
#   ping_sent ping_replies ping_lost ping_max_gap_ms
#   tcp_sent tcp_echoed tcp_max_gap_ms tcp_session=survived|BROKEN
#   [neigh_sent neigh_replies neigh_lost neigh_max_gap_ms]   (--neighbour)
# ping_max_gap_ms: the longest time without a reply (from the start to the
# first reply, between replies, from the last reply to lab_probes_stop); the
# probes' own spacing is in it (10 ms for ping, 50 ms for TCP).
lab_probes_analyze() {
  local D=${1:-} t0 t1 tcp
  [ -n "$D" ] && [ -f "$D/t.start" ] || { lab__err "lab_probes_analyze: no probes in '${D}'"; return 1; }
  t0=$(cat "$D/t.start"); t1=$(cat "$D/t.stop" 2>/dev/null || echo 0)
  lab__ping_stats "$D/ping.log" "$t0" "$t1" ping
  tcp=$(grep -o 'tcp_sent=.*' "$D/tcp.out" 2>/dev/null | tail -n 1)
  printf ' %s' "${tcp:-tcp_sent=0 tcp_echoed=0 tcp_max_gap_ms=0 tcp_session=BROKEN}"
  if [ -f "$D/nping.log" ]; then printf ' '; lab__ping_stats "$D/nping.log" "$t0" "$t1" neigh; fi
  echo
}

###############################################################################
# 6. plain relays (socat) for the selftest: every byte between the sites'
#    libvirtds and QEMUs crosses the WAN through these, as later through vmgwd.
#    Source site: UNIX sockets /run/vmgw/NAME/{libvirtd,mig,nbd}.sock (in its
#    mount namespace) -> TCP to the destination's WAN address -> destination's
#    libvirt socket and the UNIX sockets its QEMU listens on (same paths).
###############################################################################
LAB_RELAY_PORT=${LAB_RELAY_PORT:-7480}     # 7480 libvirtd, 7481 memory, 7482 NBD
lab_relay_start() { # SRC DST [NAME]
  local src dst name=${3:-selftest} ch port target dip
  src=$(lab__site "$1") || return 1; dst=$(lab__site "$2") || return 1
  dip=${LAB_WAN_IP[$dst]}
  mkdir -p "$LAB/site-$src/run/vmgw/$name" "$LAB/site-$dst/run/vmgw/$name" "$LAB_LOGS"
  rm -f "$LAB/site-$src/run/vmgw/$name"/*.sock "$LAB/site-$dst/run/vmgw/$name"/*.sock
  local i=0
  for ch in libvirtd mig nbd; do
    port=$((LAB_RELAY_PORT + i)); i=$((i + 1))
    [ $ch = libvirtd ] && target=/run/libvirt/libvirt-sock || target=/run/vmgw/$name/$ch.sock
    lab__spawn "relay-$name-dst-$ch" "$LAB_LOGS/relay-$name.log" \
      nsenter -t "$(lab_site_pid "$dst")" -m -n -u -r -- \
      socat "TCP-LISTEN:$port,bind=$dip,reuseaddr,fork,nodelay" "UNIX-CONNECT:$target" || return 1
    lab__spawn "relay-$name-src-$ch" "$LAB_LOGS/relay-$name.log" \
      nsenter -t "$(lab_site_pid "$src")" -m -n -u -r -- \
      socat "UNIX-LISTEN:/run/vmgw/$name/$ch.sock,fork,unlink-early,mode=0600" "TCP:$dip:$port,nodelay" || return 1
  done
  if ! lab__wait 10 0.1 eval '[ -S "$LAB/site-$src/run/vmgw/$name/libvirtd.sock" ] &&
        [ -S "$LAB/site-$src/run/vmgw/$name/mig.sock" ] && [ -S "$LAB/site-$src/run/vmgw/$name/nbd.sock" ] &&
        [ "$(lab_nsx "$dst" ss -ltnH "src $dip" | grep -c ":$LAB_RELAY_PORT \|:$((LAB_RELAY_PORT+1)) \|:$((LAB_RELAY_PORT+2)) ")" = 3 ]'; then
    lab__err "relay $name ($src -> $dst): sockets not ready after 10s"; lab__tail "$LAB_LOGS/relay-$name.log"; return 1
  fi
}
lab_relay_stop() { # [NAME]: stop a relay's socat processes (and their forked children)
  local name=${1:-selftest} f n pid st rest c
  for f in "$LAB_PROC"/relay-"$name"-*; do
    [ -f "$f" ] || continue
    n=${f##*/}
    if pid=$(lab_pid "$n"); then
      for c in $(LAB__PARENT=$pid lab__children); do kill "$c" 2>/dev/null; done
    fi
    lab__stop "$n" TERM 5 || true
  done
}

###############################################################################
# 7. up / down / status
###############################################################################
lab__owned_ns() { # NS: does this namespace belong to this lab (not e.g. the reference lab)?
  local links
  links=$(nsenter --net="/run/netns/$1" -- ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1) || true
  case " $(echo $links) " in
    *" vmgwlab-wa "*|*" vmgwlab-wb "*|*" vmgwlab-ca "*|*" vmgwlab-ac "*) return 1 ;;   # shared/lab/lab.sh
  esac
  return 0
}
lab__remnants() { # anything of a previous lab here?
  local ns
  for ns in "$NS_A" "$NS_B" "$NS_R" "$NS_C" "$NS_N"; do [ -e "/run/netns/$ns" ] && return 0; done
  compgen -G "$LAB_PROC/*" >/dev/null && return 0
  return 1
}
lab_is_up() { # the lab is up and healthy (namespaces, holders, libvirtds)
  local ns s
  for ns in "$NS_A" "$NS_B" "$NS_R" "$NS_C"; do [ -e "/run/netns/$ns" ] || return 1; done
  for s in a b; do
    lab_pid "anchor-$s" >/dev/null && lab_pid "libvirtd-$s" >/dev/null || return 1
  done
  [ -f "$LAB_STATE/up" ]
}

# lab_up [--no-vmgw] [--no-deps]: the whole lab (idempotent: an intact lab is
# kept, a broken or half-made one is torn down first)
lab_up() {
  local vmgw=1 deps=1 a
  for a in "$@"; do
    case $a in --no-vmgw) vmgw=0 ;; --no-deps) deps=0 ;;
      *) lab__err "lab_up: unknown option $a"; return 1 ;; esac
  done
  [ "${VMGW_LAB_NO_VMGW:-0}" = 1 ] && vmgw=0
  lab__need_root || return 1
  local t0 t; t0=$(lab__us)
  mkdir -p "$LAB_STATE" "$LAB_LOGS" "$LAB_PROC" || { lab__err "cannot create $LAB"; return 1; }
  if lab_is_up; then
    lab_log "lab already up ($LAB): checking pools, networks and gateways"
    local s; for s in a b; do lab__site_storage_net "$s" || return 1; done
    lab_routing_up || return 1
    if [ "$vmgw" = 1 ] && lab_vmgw_available; then lab__vmgw_up || return 1; fi
    return 0
  fi
  local ns
  for ns in "$NS_A" "$NS_B" "$NS_R" "$NS_C" "$NS_N"; do
    if [ -e "/run/netns/$ns" ] && ! lab__owned_ns "$ns"; then
      lab__err "network namespace $ns exists and belongs to the reference lab (shared/lab/lab.sh): take that down first, or use VMGW_LAB_PREFIX=... and VMGW_LAB=..."
      return 1
    fi
  done
  if lab__remnants; then
    lab_log "remnants of an earlier lab found: tearing them down first"
    lab_down || return 1
    mkdir -p "$LAB_STATE" "$LAB_LOGS" "$LAB_PROC"
  fi
  rm -f "$LAB_STATE/up"
  echo "$LAB_PREFIX" >"$LAB_STATE/prefix"
  : >"$LAB_LOGS/timings"
  local rc=0
  lab__up_steps "$deps" "$vmgw" "$t0" || rc=$?
  if [ "$rc" -ne 0 ]; then
    lab__stop kvm-probe KILL 5 || true
    lab__err "lab up failed (see above; logs under $LAB); the half-made lab stays for inspection: 'lab.sh down' removes it"
  fi
  return "$rc"
}
lab__up_steps() { # DEPS VMGW T0
  local deps=$1 vmgw=$2 t0=$3 t
  if [ "$deps" = 1 ]; then t=$(lab__us); lab_deps || return 1; lab__phase deps "$t"; fi
  t=$(lab__us); lab_guest_build || return 1; lab__phase guest_build "$t"
  t=$(lab__us); lab_net_up || return 1; lab__phase network "$t"
  lab__kvm_probe_start || return 1
  t=$(lab__us); lab_bird_start || return 1; lab__phase bird "$t"
  t=$(lab__us); lab_sites_up || return 1; lab__phase sites "$t"
  t=$(lab__us); lab__kvm_probe_finish; lab__phase kvm_probe_wait "$t"
  t=$(lab__us); lab_bird_wait || return 1; lab__phase bgp_wait "$t"
  if [ "$vmgw" = 1 ] && ! lab_vmgw_available; then
    lab_log "WARNING: no vmgw binaries at $VMGWD / $VMGW (VMGW_BUILD_DIR=$VMGW_BUILD_DIR): the lab is up without gateways"
  elif [ "$vmgw" = 1 ]; then
    t=$(lab__us); lab__vmgw_up || return 1; lab__phase vmgw "$t"
  elif lab_vmgw_available; then
    lab_vmgw_setup >/dev/null 2>&1 && lab_log "vmgw keys and configs written (vmgwd not started: --no-vmgw)" ||
      lab_log "vmgw keys/configs not written: the vmgw binaries do not work yet (--no-vmgw)"
  fi
  date +%s >"$LAB_STATE/up"
  lab__phase up_total "$t0"
  lab_log "lab up: $LAB (namespaces $NS_A $NS_B $NS_R $NS_C $NS_N, domain type $(lab_accel))"
}
lab__phase() { local e; e=$(lab__since "$2"); printf '%-16s %8ss\n' "$1" "$e" >>"$LAB_LOGS/timings"; lab_log "phase $1: ${e}s"; }
lab__vmgw_up() {
  lab_vmgw_available || { lab__err "vmgw binaries missing ($VMGWD, $VMGW): build the project or use --no-vmgw"; return 1; }
  lab_vmgw_setup || { lab__err "vmgw setup failed (use --no-vmgw to bring the lab up without the gateways)"; return 1; }
  lab_vmgwd_start a && lab_vmgwd_start b
}

lab__ns_procs() { # list pids in our network namespaces and recorded mount namespaces
  local ns s m p
  for ns in "$NS_A" "$NS_B" "$NS_R" "$NS_C" "$NS_N"; do
    [ -e "/run/netns/$ns" ] && ip netns pids "$ns" 2>/dev/null
  done
  for s in a b; do
    [ -f "$LAB_STATE/mntns-$s" ] || continue
    m=$(cat "$LAB_STATE/mntns-$s")
    for p in /proc/[0-9]*; do
      [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$m" ] && echo "${p#/proc/}"
    done
  done
  return 0
}
lab__sweep() { # SIGNAL: signal every process in the lab's namespaces but the holders
  local sig=$1 p keep="" s pid n=0
  for s in a b; do pid=$(lab_pid "anchor-$s") && keep+=" $pid"; done
  for p in $(lab__ns_procs | sort -un); do
    [ "$p" = $$ ] && continue
    case " $keep " in *" $p "*) continue ;; esac
    [ "$sig" = TERM ] && lab_log "stopping $p in a lab namespace: $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-120)"
    kill -s "$sig" "$p" 2>/dev/null && n=$((n + 1))
  done
  return 0
}
lab__left() { # processes still in the lab's namespaces, holders excluded
  local keep="" s pid p
  for s in a b; do pid=$(lab_pid "anchor-$s") && keep+=" $pid"; done
  for p in $(lab__ns_procs | sort -un); do
    case " $keep " in *" $p "*) continue ;; esac
    [ -r "/proc/$p/stat" ] && echo "$p"
  done
  return 0
}

# lab_down [--force]: stop everything the lab started, delete its namespaces.
# Works after a crash or a half-done up; touches nothing it did not create.
lab_down() {
  local force=0 s ns f n rc=0 t0; t0=$(lab__us)
  [ "${1:-}" = --force ] && force=1
  lab__need_root || return 1
  for ns in "$NS_A" "$NS_B" "$NS_R" "$NS_C" "$NS_N"; do
    if [ -e "/run/netns/$ns" ] && ! lab__owned_ns "$ns" && [ "$force" = 0 ]; then
      lab__err "network namespace $ns belongs to the reference lab (shared/lab/lab.sh), not to this one: not touching it (--force to override)"
      return 1
    fi
  done
  rm -f "$LAB_STATE/up"
  # 1. guests, while libvirtd still runs
  for s in a b; do
    if lab_pid "libvirtd-$s" >/dev/null && [ -S "$LAB/site-$s/run/libvirt/libvirt-sock" ]; then
      for n in $(lab__virsh_t 20 "$s" list --name 2>/dev/null); do
        lab__virsh_t 30 "$s" destroy "$n" >/dev/null 2>&1 || lab_log "could not destroy $n at site $s"
      done
    fi
  done
  # 2. the processes we recorded, newest kinds first
  for f in "$LAB_PROC"/probe-* "$LAB_PROC"/vmgwd-* "$LAB_PROC"/relay-* "$LAB_PROC"/kvm-probe \
           "$LAB_PROC"/libvirtd-* "$LAB_PROC"/bird-*; do
    [ -f "$f" ] || continue
    n=${f##*/}
    case $n in relay-*|probe-*) lab__stop "$n" TERM 5 || true ;;
      *) lab__stop "$n" TERM 15 || true ;; esac
  done
  # 3. anything else in the lab's namespaces (QEMU, shells, test helpers)
  lab__sweep TERM
  lab__wait 10 0.2 eval '[ -z "$(lab__left)" ]' || { lab__sweep KILL; lab__wait 5 0.2 eval '[ -z "$(lab__left)" ]' || true; }
  # 4. the namespace holders (their mount namespaces go with them)
  for s in a b; do lab__stop "anchor-$s" TERM 5 || true; done
  local left; left=$(lab__ns_procs | sort -un | tr '\n' ' ')
  if [ -n "${left// }" ]; then
    lab__err "processes still in the lab's namespaces: $left"; rc=1
  fi
  # 5. the network namespaces (their veths, bridges and counters go with them)
  for ns in "$NS_A" "$NS_B" "$NS_R" "$NS_C" "$NS_N"; do
    [ -e "/run/netns/$ns" ] || continue
    lab__try "deleting network namespace $ns" ip netns del "$ns" || rc=1
  done
  for f in "$LAB_PROC"/*; do   # records of processes that are gone anyway
    [ -f "$f" ] || continue
    n=${f##*/}
    if lab_pid "$n" >/dev/null; then lab__err "lab process $n still runs: $(cat "$f")"; rc=1; else rm -f "$f"; fi
  done
  rm -f "$LAB_STATE"/mntns-* "$LAB_STATE/up"
  # the gateways' job records and replay guards belong to this lab run
  # (the keys stay, so a new lab has the same sites)
  rm -rf "$LAB"/site-a/state "$LAB"/site-b/state
  if grep -Fq " $LAB/" /proc/self/mountinfo; then
    lab__err "mounts under $LAB remain in the host's mount namespace:"; grep -F " $LAB/" /proc/self/mountinfo >&2; rc=1
  fi
  [ "$rc" = 0 ] && lab_log "lab down ($(lab__since "$t0")s)"
  return "$rc"
}

lab_status() { # human-readable state; returns 0 iff the lab is up
  local ns s n f pid st rest
  echo "lab: $LAB  prefix: $LAB_PREFIX  domain type: $(lab_accel)"
  for ns in "$NS_A" "$NS_B" "$NS_R" "$NS_C" "$NS_N"; do
    printf '  netns %-12s %s\n' "$ns" "$([ -e "/run/netns/$ns" ] && echo present || echo absent)"
  done
  for f in "$LAB_PROC"/*; do
    [ -f "$f" ] || continue
    n=${f##*/}; read -r pid st rest <"$f"
    printf '  %-26s pid %-8s %s\n' "$n" "$pid" "$(lab_pid "$n" >/dev/null && echo running || echo GONE)"
  done
  if [ -e "/run/netns/$NS_A" ] && [ -e "/run/netns/$NS_B" ]; then
    for s in a b; do
      printf '  WAN %-9s %s%s\n' "${LAB_WAN_IF[$s]}" \
        "$(lab_nsx "$s" ip -br link show "${LAB_WAN_IF[$s]}" 2>/dev/null | awk '{print $2}')" \
        "$(lab_nsx "$s" iptables -w -S vl-wan-block 2>/dev/null | grep -q -- '-j' && echo ' (port block active)')"
    done
    lab_nsx r ip route show "$GUEST_IP/32" 2>/dev/null | sed 's/^/  router: /'
    printf '  router path to %s: %s\n' "$GUEST_IP" "$(lab_router_path)"
    for s in a b; do
      printf '  site %s table %s: %s\n' "$s" "$LAB_RT_TABLE" \
        "$(lab_nsx "$s" ip -4 route show table "$LAB_RT_TABLE" 2>/dev/null | tr '\n' ';')"
    done
    local x
    for x in r a b; do
      lab_pid "bird-$x" >/dev/null 2>&1 || continue
      lab_bird "$x" show protocols 2>/dev/null | awk -v x="$x" '$2 == "BGP" { printf "  BGP %s: %s %s %s\n", x, $1, $4, $NF }'
    done
  fi
  if lab_is_up; then
    echo "  web1 running at: $(lab_guest_where)"
    for s in a b; do
      printf '  vmgwd site %s: %s\n' "$s" "$(lab_vmgwd_pid "$s" >/dev/null 2>&1 && echo "running (log $LAB/site-$s/vmgwd.log)" || echo 'not running')"
    done
    echo "  state: UP"; return 0
  fi
  echo "  state: DOWN$(lab__remnants && echo ' (remnants: run lab.sh down)')"
  return 1
}

###############################################################################
# 8. selftest: the lab without vmgw - a live migration through socat relays
###############################################################################
lab__rewrite_xml() { # SRC DST <in >out: network and disk path as the product maps them
  local s=$1 d=$2
  sed -e "s|network='${LAB_NETWORK[$s]}'|network='${LAB_NETWORK[$d]}'|g" \
      -e "s|file='${LAB_POOL_DIR[$s]}/|file='${LAB_POOL_DIR[$d]}/|g"
}
lab__jobval() { # FILE KEY -> value of "KEY: value" (first word)
  awk -F': *' -v k="$2" '$1==k {print $2; exit}' "$1" | awk '{print $1, $2}' | sed 's/ $//'
}
# lab_migrate_plain SRC DST: live-migrate web1 with plain virsh through socat
# relays (p2p, persistent, copy-storage-all, undefinesource, rewritten XML).
# Sets LAB_MIG_WALL_S, LAB_MIG_JOB_MS, LAB_MIG_DOWNTIME_MS, LAB_MIG_MEM, LAB_MIG_DISK.
lab_migrate_plain() {
  local src dst W t rc=0; src=$(lab__site "$1") || return 1; dst=$(lab__site "$2") || return 1
  W=$LAB_LOGS/migrate-$src$dst; rm -rf "$W"; mkdir -p "$W"
  lab__virsh_t 30 "$src" dumpxml --migratable "$GUEST" >"$W/src-live.xml" 2>"$W/err" &&
    lab__virsh_t 30 "$src" dumpxml --inactive --migratable "$GUEST" >"$W/src-persistent.xml" 2>>"$W/err" ||
    { lab__err "dumpxml of web1 at site $src failed: $(cat "$W/err")"; return 1; }
  lab__rewrite_xml "$src" "$dst" <"$W/src-live.xml" >"$W/dst-live.xml"
  lab__rewrite_xml "$src" "$dst" <"$W/src-persistent.xml" >"$W/dst-persistent.xml"
  grep -q "network='${LAB_NETWORK[$dst]}'" "$W/dst-live.xml" && grep -q "file='${LAB_POOL_DIR[$dst]}/$GUEST_VOL'" "$W/dst-live.xml" ||
    { lab__err "XML rewrite $src -> $dst did not produce network ${LAB_NETWORK[$dst]} and ${LAB_POOL_DIR[$dst]}/$GUEST_VOL (see $W)"; return 1; }
  lab_relay_start "$src" "$dst" selftest || { lab_relay_stop selftest; return 1; }
  # job statistics of the source survive --undefinesource only in its job-completed event
  lab_virsh "$src" event --domain "$GUEST" --event job-completed --timeout "$((LAB_MIGRATE_TIMEOUT + 10))" \
    >"$W/job-completed.event" 2>&1 &
  local evpid=$!
  sleep 0.3
  local uri="qemu+unix:///system?socket=/run/vmgw/selftest/libvirtd.sock"
  echo "virsh migrate --live --p2p --persistent --copy-storage-all --undefinesource --verbose --xml $W/dst-live.xml --persistent-xml $W/dst-persistent.xml $GUEST '$uri' --migrateuri unix:///run/vmgw/selftest/mig.sock --disks-uri unix:///run/vmgw/selftest/nbd.sock" >"$W/cmd"
  local wan0; wan0=$(lab_wan_bytes) || wan0=0
  t=$(lab__us)
  timeout -k 10 "$LAB_MIGRATE_TIMEOUT" virsh -c "qemu+unix:///system?socket=$(lab_libvirt_sock "$src")" \
    migrate --live --p2p --persistent --copy-storage-all --undefinesource --verbose \
    --xml "$W/dst-live.xml" --persistent-xml "$W/dst-persistent.xml" \
    "$GUEST" "$uri" \
    --migrateuri unix:///run/vmgw/selftest/mig.sock --disks-uri unix:///run/vmgw/selftest/nbd.sock \
    >"$W/migrate.out" 2>&1 || rc=$?
  LAB_MIG_WALL_S=$(lab__since "$t")
  LAB_MIG_WAN=$(( $(lab_wan_bytes || echo "$wan0") - wan0 ))
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    lab__err "migration $src -> $dst did not finish within ${LAB_MIGRATE_TIMEOUT}s: aborting the job"
    lab__virsh_t 30 "$src" domjobabort "$GUEST" >>"$W/migrate.out" 2>&1 || true
  fi
  lab__wait 10 0.2 eval '! kill -0 '"$evpid" || kill "$evpid" 2>/dev/null || true
  wait "$evpid" 2>/dev/null || true
  lab_relay_stop selftest || true
  if [ "$rc" != 0 ]; then
    lab__err "virsh migrate $src -> $dst failed (exit $rc): $(tr '\r' '\n' <"$W/migrate.out" | grep -m1 'error' )"
    lab__tail "$W/migrate.out" 5; lab__tail "$LAB/site-$src/log/libvirtd.log" 15
    lab__tail "$LAB/site-$dst/log/qemu/$GUEST.log" 10; lab__tail "$LAB_LOGS/relay-selftest.log" 10
    return 1
  fi
  lab__virsh_t 30 "$dst" domjobinfo --completed "$GUEST" >"$W/domjobinfo-dst.txt" 2>&1 || true
  # the event: "event 'job-completed' for domain 'web1':" then "  key: value" lines
  local ev=$W/job-completed.event
  LAB_MIG_JOB_MS=$(awk '$1=="time_elapsed:" {print $2; exit}' "$ev") || true
  LAB_MIG_DOWNTIME_MS=$(awk '$1=="downtime:" {print $2; exit}' "$ev") || true
  LAB_MIG_MEM=$(awk '$1=="memory_processed:" {printf "%.1fMiB", $2/1048576; exit}' "$ev") || true
  LAB_MIG_DISK=$(awk '$1=="disk_processed:" {printf "%.1fMiB", $2/1048576; exit}' "$ev") || true
  if [ -z "$LAB_MIG_DOWNTIME_MS" ]; then   # fall back on the destination's view
    LAB_MIG_DOWNTIME_MS=$(lab__jobval "$W/domjobinfo-dst.txt" "Total downtime" | awk '{print $1}') || true
  fi
  LAB_MIG_WAN=$(awk -v b="$LAB_MIG_WAN" 'BEGIN { printf "%.1fMiB", b / 1048576 }')
  lab_log "migrated $src -> $dst: wall ${LAB_MIG_WALL_S}s, job ${LAB_MIG_JOB_MS:-?} ms, downtime ${LAB_MIG_DOWNTIME_MS:-?} ms, memory ${LAB_MIG_MEM:-?}, disk ${LAB_MIG_DISK:-?}, WAN ${LAB_MIG_WAN}"
}
lab__st_fail() { lab__err "selftest: $*"; LAB__ST_OK=0; }
lab__status_field() { awk -v k="$1" '$1==k {print $2; exit}'; }
lab__selftest_check_at() { # SITE BOOT_ID DISK_MD5: web1 runs only at SITE, as mapped there, same boot, same data
  local s=$1 bid=$2 md5=$3 w x st r
  w=$(lab_guest_where)
  [ "$w" = "$s" ] || { lab__st_fail "web1 runs at '$w', expected only at $s"; return 1; }
  for x in "" --inactive; do
    st=$(lab__virsh_t 30 "$s" dumpxml $x "$GUEST") || { lab__st_fail "dumpxml $x at $s"; return 1; }
    grep -q "<source network='${LAB_NETWORK[$s]}'" <<<"$st" ||
      { lab__st_fail "web1 ${x:-live} XML at site $s lacks network ${LAB_NETWORK[$s]}"; return 1; }
    grep -q "<source file='${LAB_POOL_DIR[$s]}/$GUEST_VOL'" <<<"$st" ||
      { lab__st_fail "web1 ${x:-live} XML at site $s lacks disk ${LAB_POOL_DIR[$s]}/$GUEST_VOL"; return 1; }
  done
  local o; [ "$s" = a ] && o=b || o=a
  lab__virsh_t 20 "$o" dominfo "$GUEST" >/dev/null 2>&1 && { lab__st_fail "web1 is still defined at site $o"; return 1; }
  lab__has '^Persistent: +yes' lab__virsh_t 20 "$s" dominfo "$GUEST" ||
    { lab__st_fail "web1 is not persistent at site $s"; return 1; }
  lab_guest_wait_up "$s" 30 || { lab__st_fail "web1 does not answer at site $s"; return 1; }
  st=$(lab_guest_http "$s" /cgi-bin/status) || { lab__st_fail "status at site $s"; return 1; }
  [ "$(lab__status_field boot_id <<<"$st")" = "$bid" ] ||
    { lab__st_fail "boot_id changed: the guest was restarted, not migrated"; return 1; }
  r=$(lab_guest_http "$s" /cgi-bin/disk-read) || { lab__st_fail "disk-read at site $s"; return 1; }
  [ "$(lab__status_field md5 <<<"$r")" = "$md5" ] ||
    { lab__st_fail "disk data differs at site $s: read '$r', written md5 $md5"; return 1; }
  # no vmgw here to move the guest's /32: the selftest moves it itself, and
  # BIRD carries it to r
  lab_guest_route "$s" && lab_client_http /cgi-bin/status >/dev/null ||
    { lab__st_fail "client cannot reach web1 through r once its /32 is at site $s"; return 1; }
  lab_log "selftest: web1 at site $s only, network ${LAB_NETWORK[$s]}, disk ${LAB_POOL_DIR[$s]}/$GUEST_VOL, same boot, disk md5 $md5 ok, client reaches it"
}
lab_selftest() {
  LAB__ST_OK=1
  lab_is_up || { lab__err "selftest: the lab is not up (lab.sh up)"; return 1; }
  local t0 md5a md5b st bid R=$LAB_LOGS/selftest.txt boot; t0=$(lab__us)
  lab_log "selftest: the lab without vmgw (domain type $(lab_accel))"
  lab_site_clean a && lab_site_clean b && lab_guest_route none || return 1
  # boot at a, write disk data
  lab_guest_boot a || { lab__err "selftest: boot at site a failed"; return 1; }
  boot=$LAB_BOOT_S
  st=$(lab_guest_http a /cgi-bin/status) || { lab__err "selftest: status at a"; return 1; }
  bid=$(lab__status_field boot_id <<<"$st")
  md5a=$(lab_guest_http a "/cgi-bin/disk-write?seed=1" | lab__status_field md5) || true
  [ -n "$md5a" ] && [ "$(lab_guest_http a /cgi-bin/disk-read | lab__status_field md5 || true)" = "$md5a" ] ||
    { lab__err "selftest: disk write/read at site a does not match"; return 1; }
  lab_client_http / >/dev/null ||
    { lab__err "selftest: the client cannot reach web1 at site a through the router"; return 1; }
  # a -> b
  lab_migrate_plain a b || return 1
  local ab="wall ${LAB_MIG_WALL_S}s job ${LAB_MIG_JOB_MS:-?}ms downtime ${LAB_MIG_DOWNTIME_MS:-?}ms mem ${LAB_MIG_MEM:-?} disk ${LAB_MIG_DISK:-?} wan ${LAB_MIG_WAN}"
  lab__selftest_check_at b "$bid" "$md5a" || return 1
  # the stale source volume goes; new data at b travels back
  lab_site_clean a || return 1
  md5b=$(lab_guest_http b "/cgi-bin/disk-write?seed=2" | lab__status_field md5) || true
  [ -n "$md5b" ] && [ "$md5b" != "$md5a" ] || { lab__err "selftest: disk write at site b failed"; return 1; }
  lab_migrate_plain b a || return 1
  local ba="wall ${LAB_MIG_WALL_S}s job ${LAB_MIG_JOB_MS:-?}ms downtime ${LAB_MIG_DOWNTIME_MS:-?}ms mem ${LAB_MIG_MEM:-?} disk ${LAB_MIG_DISK:-?} wan ${LAB_MIG_WAN}"
  lab__selftest_check_at a "$bid" "$md5b" || return 1
  lab_site_clean a && lab_site_clean b && lab_guest_route none || return 1
  [ "$LAB__ST_OK" = 1 ] || return 1
  {
    printf 'selftest OK  %(%F %T)T  domain type %s\n' -1 "$(lab_accel)"
    printf '  boot at a     %ss (volume, define, start -> HTTP answer)\n' "$boot"
    printf '  migrate a->b  %s\n' "$ab"
    printf '  migrate b->a  %s\n' "$ba"
    printf '  total         %ss\n' "$(lab__since "$t0")"
  } | tee -a "$R"
}

###############################################################################
# 8. DR helpers (tests/lab/t-replication-faults.sh, tests/bench/replication.sh)
###############################################################################
# lab_dr_mount_small SITE DIR MIB IMAGE: a MIB MiB ext4 filesystem (in the
# host file IMAGE, made afresh) loop-mounted at DIR as the site sees it
# (e.g. /var/lib/libvirt/images-b/vmgw-replica/web1).  The mount is made
# inside the site's mount namespace: its bind mounts are private, so a mount
# made on the host under $LAB/site-X/lib would not show there.  It is seen
# only from inside the site (lab_site_exec), never from the host.
lab_dr_mount_small() {
  local s dir=$2 mib=$3 img=$4; s=$(lab__site "$1") || return 1
  rm -f "$img" && truncate -s "${mib}M" "$img" || { lab__err "cannot make $img"; return 1; }
  lab__try "mkfs.ext4 on $img" mkfs.ext4 -q -F -m 0 -E nodiscard "$img" || return 1
  lab__try "mkdir $dir at site $s" lab_site_exec "$s" mkdir -p "$dir" || return 1
  lab__try "mounting $img at $dir in site $s" lab_site_exec "$s" mount -o loop "$img" "$dir" || return 1
  lab_site_exec "$s" rmdir "$dir/lost+found" 2>/dev/null || true
}
# lab_dr_umount SITE DIR: unmount what lab_dr_mount_small mounted (its loop
# device goes with it); nothing mounted there: success
lab_dr_umount() {
  local s; s=$(lab__site "$1") || return 1
  lab_site_exec "$s" mountpoint -q "$2" || return 0
  lab__try "unmounting $2 in site $s" lab_site_exec "$s" umount "$2"
}
# lab_dr_df SITE DIR: bytes free on the filesystem of DIR as the site sees it
lab_dr_df() {
  local s; s=$(lab__site "$1") || return 1
  lab_site_exec "$s" df -B1 --output=avail "$2" | tail -1 | tr -d ' '
}
