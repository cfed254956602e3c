#!/bin/bash
# A guest's DHCP reservation moves with it: a small shut-off domain with a
# NIC on an isolated network with DHCP ("svc" at site-a, "dr-svc" at
# site-b) and a reservation there moves with vmgw migrate --offline; the
# reservation is then in dr-svc at site-b and gone from svc at site-a; and
# back.  (The guests' DHCP server itself is dnsmasq run by libvirt.)
. "$(dirname "$0")/tlib.sh"
lt_init dhcp
MAC=52:54:00:99:05:14 IP=10.99.5.20
net_xml() { # NAME BRIDGE
	cat <<EOX
<network><name>$1</name><bridge name='$2'/>
  <ip address='10.99.5.1' netmask='255.255.255.0'><dhcp><range start='10.99.5.100' end='10.99.5.200'/></dhcp></ip>
</network>
EOX
}
dom_xml() { # NETWORK
	cat <<EOX
<domain type='$(lab_accel)'><name>dhcp1</name><memory unit='MiB'>32</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><interface type='network'><mac address='$MAC'/><source network='$1'/><model type='virtio'/></interface></devices>
</domain>
EOX
}
for s in a b; do
	n=$([ $s = a ] && echo svc || echo dr-svc)
	lab_virsh $s net-destroy $n >/dev/null 2>&1; lab_virsh $s net-undefine $n >/dev/null 2>&1
	net_xml $n vmbr5 >"$LT_DIR/$n.xml"
	lab_virsh $s net-define "$LT_DIR/$n.xml" >/dev/null && lab_virsh $s net-start $n >/dev/null
	lab_virsh $s undefine dhcp1 >/dev/null 2>&1
	cp "$(lab_vmgw_config $s)" "$LT_DIR/$s.yaml.orig"
done
check "isolated networks with DHCP at both sites" eval "lab_virsh a net-info svc | grep -q 'Active: *yes' && lab_virsh b net-info dr-svc | grep -q 'Active: *yes'"
sed -i 's/networks: { prod: dr-prod }/networks: { prod: dr-prod, svc: dr-svc }/' "$(lab_vmgw_config a)"
sed -i 's/networks: { dr-prod: prod }/networks: { dr-prod: prod, dr-svc: svc }/' "$(lab_vmgw_config b)"
for s in a b; do lab_vmgwd_stop $s; lab_vmgwd_start $s; done
lt_wait_tunnel a site-b
lab_virsh a net-update svc add ip-dhcp-host "<host mac='$MAC' name='dhcp1' ip='$IP'/>" --live --config >/dev/null
dom_xml svc >"$LT_DIR/dhcp1.xml"
lab_virsh a define "$LT_DIR/dhcp1.xml" >/dev/null

lab_vmgw a migrate dhcp1 --to site-b --offline --dry-run >"$LT_DIR/dry.out" 2>&1
check_grep "--dry-run shows the reservation moving" "DHCP reservation $MAC -> $IP moves from network svc here to dr-svc at site-b" "$LT_DIR/dry.out"
lab_vmgw a migrate dhcp1 --to site-b --offline >"$LT_DIR/out" 2>&1
check "dhcp1 moves a -> b (offline)" [ $? = 0 ]
check_grep "site-b's dr-svc has the reservation" "mac='$MAC'.*ip='$IP'" <(lab_virsh b net-dumpxml dr-svc)
check "site-a's svc no longer has it" eval "! lab_virsh a net-dumpxml svc | grep -q '$MAC'"
check_grep "dhcp1 at site-b is on dr-svc" "network='dr-svc'" <(lab_virsh b dumpxml dhcp1)
lab_vmgw b migrate dhcp1 --to site-a --offline >"$LT_DIR/out" 2>&1
check "and back b -> a" [ $? = 0 ]
check_grep "site-a's svc has it again" "mac='$MAC'.*ip='$IP'" <(lab_virsh a net-dumpxml svc)
check "site-b's dr-svc does not" eval "! lab_virsh b net-dumpxml dr-svc | grep -q '$MAC'"

for s in a b; do
	n=$([ $s = a ] && echo svc || echo dr-svc)
	lab_virsh $s undefine dhcp1 >/dev/null 2>&1
	lab_virsh $s net-destroy $n >/dev/null 2>&1; lab_virsh $s net-undefine $n >/dev/null 2>&1
	cp "$LT_DIR/$s.yaml.orig" "$(lab_vmgw_config $s)"; lab_vmgwd_stop $s; lab_vmgwd_start $s
done
lt_done
