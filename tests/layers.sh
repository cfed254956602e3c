#!/bin/bash
# tests/layers.sh SRC [BUILD] - the layering, checked on the sources: every
# `#include "X"` of every file under gateway/ (and kvm/, config/, crypto/)
# must name a header of its own folder or of a folder its layer may use,
# and only kvm/ may include libvirt.  The same table is in
# gateway/CMakeLists.txt (the include paths); this catches what an include
# path cannot, such as "../jobs/job.h".  With BUILD, the libraries too: no
# layer's objects refer to a symbol of a layer above it (nm), so the link
# graph of the daemon has no cycle.  Prints TAP; exits 1 on a breach.
set -u
SRC=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$SRC" || exit 2

# folder -> the folders it may include from (besides itself)
declare -A MAY=(
  [crypto]=""
  [config]="crypto"
  [kvm]="config crypto"
  [gateway/common]=""
  [gateway/cli]="gateway/rplan gateway/common config crypto"
  [gateway/rplan]="gateway/common config crypto"
  [gateway/core]="gateway/common config crypto"
  [gateway/transport]="gateway/core gateway/common config crypto"
  [gateway/netplan]="gateway/transport gateway/core gateway/common kvm config crypto"
  [gateway/jobs]="gateway/transport gateway/core gateway/common config crypto"
  [gateway/migrate]="gateway/jobs gateway/netplan gateway/transport gateway/core gateway/common kvm config crypto"
  [gateway/dr/core]=""
  [gateway/dr]="gateway/dr/core gateway/jobs gateway/netplan gateway/transport gateway/core gateway/common kvm config crypto"
  [gateway]="gateway/dr gateway/dr/core gateway/migrate gateway/jobs gateway/netplan gateway/transport gateway/core gateway/common kvm config crypto"
)
# folders that may not use libevent (the CLI and what it links)
NO_EVENT="gateway/common gateway/cli gateway/rplan config crypto kvm"

n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $*"; }

for dir in "${!MAY[@]}"; do
  for f in "$dir"/*.[ch]; do
    [ -e "$f" ] || continue
    fails=0
    while IFS= read -r inc; do
      h=${inc#*\"}; h=${h%\"*}
      if [[ $h == */* ]]; then
        notok "$f includes \"$h\": a path, not a header of an allowed folder"
        fails=1; continue
      fi
      [ -e "$dir/$h" ] && continue
      found=
      for d in ${MAY[$dir]}; do [ -e "$d/$h" ] && found=$d; done
      if [ -z "$found" ]; then
        owner=$(find gateway kvm config crypto -name "$h" -printf '%h\n' 2>/dev/null | head -1)
        notok "$f includes \"$h\" (${owner:-no such header}): not a layer $dir may use"
        fails=1
      fi
    done < <(grep -E '^#include "' "$f")
    if grep -qE '^#include <libvirt/' "$f" && [ "$dir" != kvm ]; then
      notok "$f includes a libvirt header: only kvm/ may"; fails=1
    fi
    for d in $NO_EVENT; do
      if [ "$d" = "$dir" ] && grep -qE '^#include <event2/' "$f"; then
        notok "$f includes libevent: $dir is linked by the CLI"; fails=1
      fi
    done
    [ "$fails" = 0 ] && ok "$f"
  done
done
# nothing in gateway/ compares against a libvirt constant
if grep -rlE '\bVIR_[A-Z_]+' gateway --include='*.[ch]' >/dev/null 2>&1; then
  notok "gateway/ uses libvirt constants: $(grep -rlE '\bVIR_[A-Z_]+' gateway --include='*.[ch]' | tr '\n' ' ')"
else
  ok "gateway/ uses no libvirt constant"
fi
# the link graph: each layer's undefined symbols, against every layer above
BUILD=${2:-}
if [ -n "$BUILD" ] && command -v nm >/dev/null; then
  order=(core transport netplan jobs migrate dr)
  for ((i = 0; i < ${#order[@]}; i++)); do
    lo=${order[$i]}; a=$BUILD/gateway/libvmgw_$lo.a
    [ -e "$a" ] || continue
    und=$(nm -u "$a" 2>/dev/null | awk '{print $2}' | sort -u)
    for ((k = i + 1; k < ${#order[@]}; k++)); do
      hi=${order[$k]}
      [ "$lo/$hi" = netplan/jobs ] && continue	# siblings: neither uses the other
      [ "$lo/$hi" = jobs/netplan ] && continue
      [ "$lo/$hi" = migrate/dr ] && continue
      def=$(nm --defined-only "$BUILD/gateway/libvmgw_$hi.a" 2>/dev/null |
        awk '$2 ~ /[TDBR]/ {print $3}' | sort -u)
      up=$(comm -12 <(echo "$und") <(echo "$def") | tr '\n' ' ')
      if [ -n "$up" ]; then notok "libvmgw_$lo calls up into $hi: $up"
      else ok "libvmgw_$lo uses nothing of $hi"; fi
    done
  done
  # siblings, both ways
  for p in netplan/jobs jobs/netplan; do
    lo=${p%/*}; hi=${p#*/}
    und=$(nm -u "$BUILD/gateway/libvmgw_$lo.a" 2>/dev/null | awk '{print $2}' | sort -u)
    def=$(nm --defined-only "$BUILD/gateway/libvmgw_$hi.a" 2>/dev/null |
      awk '$2 ~ /[TDBR]/ {print $3}' | sort -u)
    up=$(comm -12 <(echo "$und") <(echo "$def") | tr '\n' ' ')
    if [ -n "$up" ]; then notok "libvmgw_$lo uses $hi: $up"
    else ok "libvmgw_$lo uses nothing of $hi"; fi
  done
fi
echo "1..$n"
echo "layers: $((n - bad)) passed, $bad failed"
[ "$bad" = 0 ]
