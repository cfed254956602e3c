#!/bin/bash
# tests/lab/lab.sh - command line of the vmgw two-site lab (functions in lib.sh).
#
# usage: lab.sh COMMAND [ARGS]
#   up [--no-vmgw] [--no-deps]  build the lab: missing packages (apt-get), guest, KVM probe,
#                        namespaces, two libvirtds, pools, networks, vmgw keys + configs,
#                        one vmgwd per site (unless --no-vmgw).  Idempotent.
#   down [--force]       tear it all down (also after a crash or a half-done up)
#   status               what is up; exit 0 iff the lab is up
#   selftest             live-migrate web1 a -> b -> a with plain virsh through socat
#                        relays over the WAN (no vmgw) and check everything; prints timings
#   boot SITE            define + start web1 at SITE (a|b), wait until it answers HTTP
#   clean SITE           destroy + undefine web1 at SITE and delete its volume
#   where                where web1 runs: a, b, a+b or none
#   shell SITE [CMD...]  shell (or CMD) in a site's net+mount+UTS namespaces (a|b),
#                        or in the router's / client's / neighbour's network namespace (r|c|n)
#   http SITE PATH       GET http://10.99.1.10PATH from SITE's namespace
#   client-http PATH     GET http://10.99.1.10PATH from the client namespace (through r)
#   route SITE|none      web1's /32 into SITE's table 100 (out of the other's); BIRD tells r
#   router-path          where r routes web1 now: a, b or none
#   bird a|b|r CMD...    birdc against that namespace's BIRD (e.g. bird r show route)
#   neighbour-ping [N]   ping web1 from the L2 neighbour on site a's vmbr0
#   fwd-count SITE [routed|bridged]  packets to web1 forwarded by SITE;  fwd-zero  reset
#   probes start DIR [--neighbour] | stop DIR | analyze DIR   client ping + TCP probes
#   route-guest SITE|none  MANUAL override: static route in r, above BIRD's (none: removes it)
#   guest-exec SITE CMD...  run shell commands inside web1 (at SITE) and print their output
#   virsh SITE ARGS...   virsh against SITE's libvirtd
#   vmgw SITE ARGS...    the vmgw CLI with SITE's config
#   vmgwd start|stop|kill SITE
#   keys                 (re)write vmgw keys and configs (keys are kept if present)
#   wan cut|restore|block [drop|reject] [PORT]|unblock|shape RATE|off
#   purge                down, then delete $VMGW_LAB entirely
# environment: VMGW_LAB (/tmp/vmgw-lab)  VMGW_BUILD_DIR  VMGW_LAB_ACCEL=auto|kvm|qemu
#   VMGW_LAB_PREFIX (vmgwlab)  WAN_RATE (e.g. 100mbit)  LAB_VERBOSE=1
set -euo pipefail
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$(readlink -f "${BASH_SOURCE[0]}")"; }

# up/down/selftest serialise on a lock (fd 9; lab__spawn closes it for daemons)
lock() {
  mkdir -p "$LAB"
  exec 9>"$LAB/.lock"
  flock -w 600 9 || { lab__err "another lab.sh up/down/selftest holds $LAB/.lock"; exit 1; }
}

cmd=${1:-help}; [ $# -gt 0 ] && shift
case $cmd in
  up)       lock; lab_up "$@" ;;
  down)     lock; lab_down "$@" ;;
  status)   lab_status ;;
  selftest) lock; lab_selftest ;;
  boot)     lab_guest_boot "${1:?usage: lab.sh boot SITE}" ;;
  clean)    lab_site_clean "${1:?usage: lab.sh clean SITE}" ;;
  where)    lab_guest_where ;;
  shell)
    where=${1:?usage: lab.sh shell SITE [CMD...]}; shift
    [ $# -gt 0 ] || set -- /bin/bash --norc -i
    case $where in
      a|b|site-a|site-b)
        s=$(lab__site "$where"); pid=$(lab_site_pid "$s")
        PS1="[$LAB_PREFIX site-$s \\W]# " exec nsenter -t "$pid" -m -n -u -r -- "$@" ;;
      *)
        ns=$(lab__nsname "$where")
        PS1="[$ns \\W]# " exec nsenter --net="/run/netns/$ns" -- "$@" ;;
    esac ;;
  http)        lab_guest_http "${1:?usage: lab.sh http SITE PATH}" "${2:-/}" ;;
  client-http) lab_client_http "${1:-/}" ;;
  route-guest) lab_client_route_guest "${1:?usage: lab.sh route-guest SITE|none}" ;;
  route)       lab_guest_route "${1:?usage: lab.sh route SITE|none}" ;;
  router-path) lab_router_path ;;
  bird)        x=${1:?usage: lab.sh bird a|b|r CMD...}; shift; lab_bird "$x" "$@" ;;
  neighbour-ping) lab_neighbour_ping "${1:-3}" ;;
  fwd-count)   lab_fwd_count "${1:?usage: lab.sh fwd-count SITE [routed|bridged]}" "${2:-routed}" ;;
  fwd-zero)    lab_fwd_zero ;;
  probes)
    case ${1:-} in
      start) lab_probes_start "${2:?usage: lab.sh probes start DIR}" ${3:+"$3"} ;;
      stop) lab_probes_stop "${2:?usage: lab.sh probes stop DIR}" ;;
      analyze) lab_probes_analyze "${2:?usage: lab.sh probes analyze DIR}" ;;
      *) lab__err "usage: lab.sh probes start DIR [--neighbour]|stop DIR|analyze DIR"; exit 2 ;;
    esac ;;
  guest-exec)  s=${1:?usage: lab.sh guest-exec SITE CMD...}; shift; lab_guest_exec "$s" "$@" ;;
  virsh)       s=${1:?usage: lab.sh virsh SITE ARGS...}; shift; lab_virsh "$s" "$@" ;;
  vmgw)        s=${1:?usage: lab.sh vmgw SITE ARGS...}; shift; lab_vmgw "$s" "$@" ;;
  vmgwd)
    case ${1:-} in
      start) lab_vmgwd_start "${2:?site}" ;; stop) lab_vmgwd_stop "${2:?site}" ;;
      kill) lab_vmgwd_kill "${2:?site}" ;;
      *) lab__err "usage: lab.sh vmgwd start|stop|kill SITE"; exit 2 ;;
    esac ;;
  keys)     lab_vmgw_setup ;;
  wan)
    case ${1:-} in
      cut) lab_wan_cut ;; restore) lab_wan_restore ;;
      block) shift; lab_wan_block "$@" ;; unblock) lab_wan_unblock ;;
      shape) lab_wan_shape "${2:?usage: lab.sh wan shape RATE|off}" ;;
      *) lab__err "usage: lab.sh wan cut|restore|block [drop|reject] [PORT]|unblock|shape RATE|off"; exit 2 ;;
    esac ;;
  purge)    lock; lab_down; rm -rf "$LAB" ;;
  help|-h|--help) usage ;;
  *) lab__err "unknown command '$cmd'"; usage >&2; exit 2 ;;
esac
