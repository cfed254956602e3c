/*
 * test_kvm_xml.c - the pure side of kvm/: kvm_xml_rewrite (networks mapped,
 * an unmapped network refused by name, file disks mapped by the longest
 * directory prefix, an unmapped directory refused naming the disk and the
 * directory, cdrom / readonly / shareable disks and bridge interfaces left
 * alone, backing chains of moved disks dropped) and kvm_map_path as a
 * table; then hostile documents (empty, not XML, wrong root, DOCTYPE with
 * entities, oversized), which must end in one clean message.  The
 * failover test's copy (kvm_xml_test_copy) and a clone (kvm_xml_clone):
 * name, no UUID, (for a clone) no MACs, disks and networks replaced, host
 * paths dropped, refusals.
 *
 * Results are checked by parsing the output again with libxml2 and asking
 * XPath, never by comparing text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "kvm.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static const struct vmgw_map nets[] = {
	{ "default", "lan-b" },
	{ "backend", "backend-b" },
};

static const struct vmgw_map stor[] = {
	{ "/var/lib/libvirt", "/srv/a" },
	{ "/var/lib/libvirt/images", "/srv/b" },
	{ "/data/fast/", "/ssd/" },		/* trailing slashes */
};

#define HEAD \
	"<domain type='kvm'>\n  <name>web1</name>\n" \
	"  <uuid>0f0e0d0c-0b0a-4900-8800-000000000001</uuid>\n" \
	"  <memory unit='KiB'>131072</memory>\n  <devices>\n"
#define TAIL "  </devices>\n</domain>\n"

#define DISK(type, dev, src, target, extra) \
	"    <disk type='" type "' device='" dev "'>\n" \
	"      <driver name='qemu' type='qcow2'/>\n" \
	"      <source " src "/>\n" \
	"      <target dev='" target "' bus='virtio'/>\n" extra \
	"    </disk>\n"
#define NIC(type, src, mac) \
	"    <interface type='" type "'>\n" \
	"      <mac address='" mac "'/>\n" \
	"      <source " src "/>\n" \
	"      <model type='virtio'/>\n" \
	"    </interface>\n"

/* The string value of expr in xml, or "" (static buffer). */
static const char *
xp(const char *xml, const char *expr)
{
	static char buf[1024];
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;

	buf[0] = '\0';
	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	assert_non_null(ctx);
	obj = xmlXPathEval(BAD_CAST expr, ctx);
	assert_non_null(obj);
	if (obj->type == XPATH_STRING && obj->stringval != NULL)
		snprintf(buf, sizeof(buf), "%s", (const char *)obj->stringval);
	else if (obj->type == XPATH_NUMBER)
		snprintf(buf, sizeof(buf), "%g", obj->floatval);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return buf;
}

static char *
rewrite_ok(const char *xml)
{
	char err[512] = "", *out = NULL;

	if (kvm_xml_rewrite(xml, nets, nitems(nets), stor, nitems(stor), &out,
	    err, sizeof(err)) != 0)
		fail_msg("rewrite failed: %s", err);
	assert_non_null(out);
	return out;
}

/* Rewrite must fail with every fragment in the message. */
static void
rewrite_fails(const char *xml, const char *want1, const char *want2)
{
	char err[512] = "", *out = (char *)0x1;

	assert_int_equal(kvm_xml_rewrite(xml, nets, nitems(nets), stor,
	    nitems(stor), &out, err, sizeof(err)), -1);
	assert_null(out);
	if (want1 != NULL && strstr(err, want1) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want1);
	if (want2 != NULL && strstr(err, want2) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want2);
}

static void
test_networks_mapped(void **state)
{
	char *out;

	out = rewrite_ok(HEAD
	    NIC("network", "network='default' portid='3c8e1ad3-0fd5-4f5b-9a54-"
	        "d1cd8c1ec1a7' bridge='virbr0'", "52:54:00:00:00:01")
	    NIC("network", "network='backend' portgroup='web'",
	        "52:54:00:00:00:02")
	    TAIL);
	assert_string_equal(xp(out, "string(//interface[1]/source/@network)"),
	    "lan-b");
	/* port and bridge named the source site's network: gone */
	assert_string_equal(xp(out, "string(count(//interface[1]/source/@portid))"),
	    "0");
	assert_string_equal(xp(out, "string(count(//interface[1]/source/@bridge))"),
	    "0");
	assert_string_equal(xp(out, "string(//interface[2]/source/@network)"),
	    "backend-b");
	assert_string_equal(xp(out, "string(//interface[2]/source/@portgroup)"),
	    "web");
	assert_string_equal(xp(out, "string(//interface[2]/mac/@address)"),
	    "52:54:00:00:00:02");
	/* the rest is untouched */
	assert_string_equal(xp(out, "string(/domain/name)"), "web1");
	assert_string_equal(xp(out, "string(/domain/memory)"), "131072");
	free(out);
}

static void
test_network_unmapped(void **state)
{
	rewrite_fails(HEAD
	    NIC("network", "network='default'", "52:54:00:00:00:01")
	    NIC("network", "network='dmz'", "52:54:00:00:00:02")
	    TAIL, "web1: interface 52:54:00:00:00:02: network 'dmz'",
	    "no mapping");
	rewrite_fails(HEAD "    <interface type='network'><mac address="
	    "'52:54:00:00:00:03'/></interface>\n" TAIL,
	    "52:54:00:00:00:03", "without a source network");
}

static void
test_bridge_kept(void **state)
{
	char *out;

	out = rewrite_ok(HEAD
	    NIC("bridge", "bridge='br0'", "52:54:00:00:00:01")
	    NIC("direct", "dev='eth0' mode='bridge'", "52:54:00:00:00:02")
	    TAIL);
	assert_string_equal(xp(out, "string(//interface[1]/@type)"), "bridge");
	assert_string_equal(xp(out, "string(//interface[1]/source/@bridge)"),
	    "br0");
	assert_string_equal(xp(out, "string(//interface[2]/source/@dev)"),
	    "eth0");
	free(out);
}

static void
test_storage_longest_prefix(void **state)
{
	char *out;

	out = rewrite_ok(HEAD
	    DISK("file", "disk", "file='/var/lib/libvirt/images/web1.qcow2'",
	        "vda", "")
	    DISK("file", "disk", "file='/var/lib/libvirt/other/x.raw'", "vdb",
	        "")
	    /* "images2" is not under "images": the shorter mapping applies */
	    DISK("file", "disk", "file='/var/lib/libvirt/images2/y.qcow2'",
	        "vdc", "")
	    DISK("file", "disk", "file='/data/fast/sub/dir/z.qcow2'", "vdd", "")
	    TAIL);
	assert_string_equal(xp(out, "string(//disk[1]/source/@file)"),
	    "/srv/b/web1.qcow2");
	assert_string_equal(xp(out, "string(//disk[2]/source/@file)"),
	    "/srv/a/other/x.raw");
	assert_string_equal(xp(out, "string(//disk[3]/source/@file)"),
	    "/srv/a/images2/y.qcow2");
	assert_string_equal(xp(out, "string(//disk[4]/source/@file)"),
	    "/ssd/sub/dir/z.qcow2");
	assert_string_equal(xp(out, "string(//disk[1]/target/@dev)"), "vda");
	free(out);
}

static void
test_storage_unmapped(void **state)
{
	rewrite_fails(HEAD
	    DISK("file", "disk", "file='/var/lib/libvirt/images/a.qcow2'",
	        "vda", "")
	    DISK("file", "disk", "file='/data/images/b.qcow2'", "vdb", "")
	    TAIL, "web1: disk vdb: no storage mapping for /data/images", NULL);
	/* a prefix of a mapped directory is not that directory */
	rewrite_fails(HEAD
	    DISK("file", "disk", "file='/var/lib/x.qcow2'", "vda", "")
	    TAIL, "disk vda: no storage mapping for /var/lib", NULL);
	/* ".." would climb out of the mapped directory */
	rewrite_fails(HEAD
	    DISK("file", "disk", "file='/var/lib/libvirt/images/../../../etc/x'",
	        "vda", "")
	    TAIL, "disk vda: source /var/lib/libvirt/images/../../../etc/x",
	    "canonical");
}

static void
test_not_copied_not_moved(void **state)
{
	char *out;

	out = rewrite_ok(HEAD
	    DISK("file", "cdrom", "file='/isos/install.iso'", "sda", "")
	    DISK("file", "disk", "file='/ro/base.img'", "vdb",
	        "      <readonly/>\n")
	    DISK("file", "disk", "file='/shared/cluster.img'", "vdc",
	        "      <shareable/>\n")
	    DISK("block", "disk", "dev='/dev/vg0/web1'", "vdd", "")
	    DISK("network", "disk", "protocol='nbd' name='x'", "vde", "")
	    "    <disk type='file' device='cdrom'><target dev='sdb'/></disk>\n"
	    TAIL);
	assert_string_equal(xp(out, "string(//disk[1]/source/@file)"),
	    "/isos/install.iso");
	assert_string_equal(xp(out, "string(//disk[2]/source/@file)"),
	    "/ro/base.img");
	assert_string_equal(xp(out, "string(//disk[3]/source/@file)"),
	    "/shared/cluster.img");
	assert_string_equal(xp(out, "string(//disk[4]/source/@dev)"),
	    "/dev/vg0/web1");
	assert_string_equal(xp(out, "string(//disk[5]/source/@name)"), "x");
	free(out);
}

static void
test_backing_chain_dropped(void **state)
{
	char *out;

	out = rewrite_ok(HEAD
	    DISK("file", "disk", "file='/var/lib/libvirt/images/top.qcow2'",
	        "vda",
	        "      <backingStore type='file'><format type='qcow2'/>"
	        "<source file='/var/lib/libvirt/images/base.qcow2'/>"
	        "<backingStore/></backingStore>\n")
	    TAIL);
	assert_string_equal(xp(out, "string(//disk[1]/source/@file)"),
	    "/srv/b/top.qcow2");
	assert_string_equal(xp(out, "string(count(//backingStore))"), "0");
	free(out);
}

static void
test_no_devices(void **state)
{
	char *out;

	/* nothing to map is fine; an empty map is fine without devices */
	out = rewrite_ok("<domain type='qemu'><name>bare</name></domain>");
	assert_string_equal(xp(out, "string(/domain/name)"), "bare");
	free(out);
}

static void
test_hostile(void **state)
{
	static const struct {
		const char *xml, *want;
	} t[] = {
		{ "", "domain XML: empty document" },
		{ "not xml at all", "domain XML: line 1:" },
		{ "<domain><name>x</name>", "domain XML: line 1:" },
		{ "<domain><name>x</name></domain><domain/>", "domain XML:" },
		{ "<network><name>x</name></network>",
		  "root element is <network>, not <domain>" },
		{ "<?xml version='1.0'?>\n<!DOCTYPE domain [\n"
		  "<!ENTITY a 'aaaaaaaaaaaaaaaaaaaa'>\n"
		  "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>\n"
		  "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>\n]>\n"
		  "<domain><name>&c;</name></domain>",
		  "domain XML: " },	/* libxml2's own limit or ours */
		{ "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
		  "<domain><name>&x;</name></domain>",
		  "DOCTYPE is not accepted" },
		{ "\xff\xfe<\x00d\x00", "domain XML:" },
	};
	char err[512], *out;
	size_t i;

	for (i = 0; i < nitems(t); i++) {
		out = (char *)0x1;
		err[0] = '\0';
		assert_int_equal(kvm_xml_rewrite(t[i].xml, nets, nitems(nets),
		    stor, nitems(stor), &out, err, sizeof(err)), -1);
		assert_null(out);
		if (strstr(err, t[i].want) == NULL)
			fail_msg("case %zu: error '%s' lacks '%s'", i, err,
			    t[i].want);
		assert_null(strchr(err, '\n'));	/* one line */
	}
	out = (char *)0x1;
	assert_int_equal(kvm_xml_rewrite(NULL, NULL, 0, NULL, 0, &out, err,
	    sizeof(err)), -1);
	assert_null(out);
	assert_non_null(strstr(err, "empty document"));
}

static void
test_oversized(void **state)
{
	size_t len = (16u << 20) + 64;
	char *big, err[256], *out = (char *)0x1;

	big = malloc(len + 1);
	assert_non_null(big);
	memset(big, ' ', len);
	memcpy(big, "<domain>", 8);
	memcpy(big + len - 9, "</domain>", 9);
	big[len] = '\0';
	assert_int_equal(kvm_xml_rewrite(big, NULL, 0, NULL, 0, &out, err,
	    sizeof(err)), -1);
	assert_null(out);
	assert_non_null(strstr(err, "more than"));
	free(big);
}

static void
test_map_path(void **state)
{
	static const struct {
		const char *path, *want;	/* want NULL: unmapped */
	} t[] = {
		{ "/var/lib/libvirt/images/a.qcow2", "/srv/b/a.qcow2" },
		{ "/var/lib/libvirt/images/sub/a", "/srv/b/sub/a" },
		{ "/var/lib/libvirt/a.img", "/srv/a/a.img" },
		{ "/var/lib/libvirt/imagesX/a", "/srv/a/imagesX/a" },
		{ "/data/fast/x", "/ssd/x" },
		{ "/data/fastx/x", NULL },
		{ "/var/lib/libvirt", NULL },		/* the directory itself */
		{ "/var/lib/libvirt/", NULL },
		{ "/elsewhere/a", NULL },
		{ "relative/a", NULL },
		{ "/var/lib/libvirt/images/../a", NULL },
		{ "/var/lib/libvirt/images/./a", NULL },
		{ "/var/lib/libvirt//images/a", NULL },
		{ "", NULL },
		{ NULL, NULL },
	};
	static const struct vmgw_map root[] = { { "/", "/mnt/b" } };
	size_t i;
	char *got;

	for (i = 0; i < nitems(t); i++) {
		got = kvm_map_path(t[i].path, stor, nitems(stor));
		if (t[i].want == NULL) {
			if (got != NULL)
				fail_msg("%s: mapped to %s", t[i].path, got);
		} else {
			if (got == NULL)
				fail_msg("%s: not mapped", t[i].path);
			assert_string_equal(got, t[i].want);
		}
		free(got);
	}
	got = kvm_map_path("/a/b", root, 1);
	assert_string_equal(got, "/mnt/b/a/b");
	free(got);
	assert_null(kvm_map_path("/a/b", NULL, 0));
}

/* ---- kvm_xml_test_copy: the copy of a failover test */

static const struct vmgw_map tdisks[] = {
	{ "vda", "/srv/chain/web1/test/vda.qcow2" },
	{ "vdb", "/srv/chain/web1/test/vdb.qcow2" },
};
static const struct vmgw_map tnets[] = { { "backend", "backend-test" } };

#define TEST_DOM HEAD \
	DISK("file", "disk", "file='/srv/b/web1.qcow2'", "vda", \
	    "      <backingStore type='file'><source file='/x'/></backingStore>\n") \
	DISK("file", "disk", "file='/srv/b/web1-data.qcow2'", "vdb", "") \
	DISK("file", "cdrom", "file='/iso/boot.iso'", "hdc", "") \
	"    <interface type='network'>\n" \
	"      <mac address='52:54:00:00:00:01'/>\n" \
	"      <source network='lan-b' portid='3c8e1ad3-0fd5-4f5b-9a54-" \
	"d1cd8c1ec1a7' bridge='virbr0'/>\n" \
	"      <target dev='vnet3'/>\n" \
	"    </interface>\n" \
	NIC("network", "network='backend'", "52:54:00:00:00:02") \
	NIC("bridge", "bridge='br0'", "52:54:00:00:00:03") \
	"    <channel type='unix'>\n      <source mode='bind' path='/var/lib/" \
	"libvirt/qemu/channel/target/domain-3-web1/org.qemu.guest_agent.0'/>\n" \
	"      <target type='virtio' name='org.qemu.guest_agent.0'/>\n" \
	"    </channel>\n" TAIL

static void
test_copy_rewritten(void **state)
{
	char err[512] = "", *out = NULL;
	int used = -1;

	assert_int_equal(kvm_xml_test_copy(TEST_DOM, "web1-test", tdisks,
	    nitems(tdisks), tnets, nitems(tnets), "vmgw-test-1", &used, &out,
	    err, sizeof(err)), 0);
	assert_int_equal(used, 1);
	assert_string_equal(xp(out, "string(/domain/name)"), "web1-test");
	assert_string_equal(xp(out, "string(count(/domain/name))"), "1");
	/* no UUID: libvirt makes a fresh one */
	assert_string_equal(xp(out, "string(count(/domain/uuid))"), "0");
	/* the disks on their overlays, no backing chain named */
	assert_string_equal(xp(out, "string(//disk[target/@dev='vda']/source/"
	    "@file)"), "/srv/chain/web1/test/vda.qcow2");
	assert_string_equal(xp(out, "string(//disk[target/@dev='vdb']/source/"
	    "@file)"), "/srv/chain/web1/test/vdb.qcow2");
	assert_string_equal(xp(out, "string(count(//backingStore))"), "0");
	assert_string_equal(xp(out, "string(//disk[target/@dev='hdc']/source/"
	    "@file)"), "/iso/boot.iso");
	/* every interface isolated: mapped, or on the isolated network */
	assert_string_equal(xp(out, "string(//interface[1]/source/@network)"),
	    "vmgw-test-1");
	assert_string_equal(xp(out, "string(count(//interface[1]/source/"
	    "@portid))"), "0");
	assert_string_equal(xp(out, "string(count(//interface[1]/source/"
	    "@bridge))"), "0");
	assert_string_equal(xp(out, "string(count(//interface[1]/target))"),
	    "0");
	assert_string_equal(xp(out, "string(//interface[2]/source/@network)"),
	    "backend-test");
	assert_string_equal(xp(out, "string(//interface[3]/@type)"), "network");
	assert_string_equal(xp(out, "string(//interface[3]/source/@network)"),
	    "vmgw-test-1");
	assert_string_equal(xp(out, "string(count(//interface[3]/source/"
	    "@bridge))"), "0");
	/* MACs kept: the copy is the same machine on another wire */
	assert_string_equal(xp(out, "string(//interface[3]/mac/@address)"),
	    "52:54:00:00:00:03");
	assert_string_equal(xp(out, "string(count(//channel/source/@path))"),
	    "0");
	assert_string_equal(xp(out, "string(/domain/memory)"), "131072");
	free(out);
}

static void
test_copy_all_mapped(void **state)
{
	char err[512] = "", *out = NULL;
	int used = -1;

	assert_int_equal(kvm_xml_test_copy(HEAD
	    DISK("file", "disk", "file='/srv/b/web1.qcow2'", "vda", "")
	    NIC("network", "network='backend'", "52:54:00:00:00:02") TAIL,
	    "web1-test", tdisks, nitems(tdisks), tnets, nitems(tnets),
	    "vmgw-test-1", &used, &out, err, sizeof(err)), 0);
	assert_int_equal(used, 0);
	assert_string_equal(xp(out, "string(//interface[1]/source/@network)"),
	    "backend-test");
	free(out);
}

static void
copy_fails(const char *xml, const char *isolated, const char *want1,
    const char *want2)
{
	char err[512] = "", *out = (char *)0x1;
	int used;

	assert_int_equal(kvm_xml_test_copy(xml, "web1-test", tdisks,
	    nitems(tdisks), tnets, nitems(tnets), isolated, &used, &out, err,
	    sizeof(err)), -1);
	assert_null(out);
	if (want1 != NULL && strstr(err, want1) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want1);
	if (want2 != NULL && strstr(err, want2) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want2);
}

static void
test_copy_refused(void **state)
{
	/* a disk that is not in the point: the copy would open it */
	copy_fails(HEAD DISK("file", "disk", "file='/srv/b/other.qcow2'", "vdc",
	    "") TAIL, "n", "web1: disk vdc: /srv/b/other.qcow2",
	    "not in the point");
	copy_fails(HEAD DISK("block", "disk", "dev='/dev/sdb'", "vda", "") TAIL,
	    "n", "disk vda: type 'block'", NULL);
	/* an interface that cannot be isolated */
	copy_fails(HEAD NIC("direct", "dev='eth0' mode='bridge'",
	    "52:54:00:00:00:09") TAIL, "n", "interface 52:54:00:00:00:09",
	    "type 'direct'");
	/* no isolated network and no mapping */
	copy_fails(HEAD NIC("network", "network='lan-b'", "52:54:00:00:00:01")
	    TAIL, NULL, "network 'lan-b'", "no test network");
	copy_fails("<domain><name>x</name>", "n", "domain XML", NULL);
}

/* ---- kvm_xml_clone: a new guest from a point */

static const struct vmgw_map cdisks[] = {
	{ "vda", "/srv/b/web1-dev-vda.qcow2" },
	{ "vdb", "/srv/b/web1-dev-vdb.qcow2" },
};

#define CLONE_DOM HEAD \
	DISK("file", "disk", "file='/srv/b/web1.qcow2'", "vda", \
	    "      <backingStore type='file'><source file='/x'/></backingStore>\n") \
	DISK("file", "disk", "file='/srv/b/web1-data.qcow2'", "vdb", "") \
	DISK("file", "cdrom", "file='/iso/boot.iso'", "hdc", "") \
	"    <interface type='network'>\n" \
	"      <mac address='52:54:00:00:00:01'/>\n" \
	"      <source network='lan-b' portid='3c8e1ad3-0fd5-4f5b-9a54-" \
	"d1cd8c1ec1a7' bridge='virbr0'/>\n" \
	"      <target dev='vnet3'/>\n" \
	"    </interface>\n" \
	NIC("bridge", "bridge='br0'", "52:54:00:00:00:03") \
	"    <serial type='file'>\n      <source path='/var/log/web1.log'/>\n" \
	"      <target port='0'/>\n    </serial>\n" \
	"    <console type='unix'>\n      <source mode='bind' path='/run/" \
	"web1.con'/>\n      <target type='virtio'/>\n    </console>\n" \
	"    <graphics type='vnc' port='5901' autoport='no' listen='0.0.0.0'>" \
	"\n      <listen type='address' address='0.0.0.0'/>\n" \
	"    </graphics>\n" \
	"    <channel type='unix'>\n      <source mode='bind' path='/var/lib/" \
	"libvirt/qemu/channel/target/domain-3-web1/org.qemu.guest_agent.0'/>\n" \
	"      <target type='virtio' name='org.qemu.guest_agent.0'/>\n" \
	"    </channel>\n" TAIL

static char *
clone_ok(const char *xml, const char *network)
{
	char err[512] = "", *out = NULL;

	if (kvm_xml_clone(xml, "web1-dev", cdisks, nitems(cdisks), network,
	    &out, err, sizeof(err)) != 0)
		fail_msg("clone failed: %s", err);
	assert_non_null(out);
	return out;
}

static void
test_clone_rewritten(void **state)
{
	char *out = clone_ok(CLONE_DOM, "dev-net");

	assert_string_equal(xp(out, "string(/domain/name)"), "web1-dev");
	assert_string_equal(xp(out, "string(count(/domain/name))"), "1");
	/* a new machine: no UUID, no MAC (libvirt makes them) */
	assert_string_equal(xp(out, "string(count(/domain/uuid))"), "0");
	assert_string_equal(xp(out, "string(count(//mac))"), "0");
	/* its own disks, no backing chain named; a cdrom kept */
	assert_string_equal(xp(out, "string(//disk[target/@dev='vda']/source/"
	    "@file)"), "/srv/b/web1-dev-vda.qcow2");
	assert_string_equal(xp(out, "string(//disk[target/@dev='vdb']/source/"
	    "@file)"), "/srv/b/web1-dev-vdb.qcow2");
	assert_string_equal(xp(out, "string(count(//backingStore))"), "0");
	assert_string_equal(xp(out, "string(//disk[target/@dev='hdc']/source/"
	    "@file)"), "/iso/boot.iso");
	/* every interface on the network asked for */
	assert_string_equal(xp(out, "string(count(//interface))"), "2");
	assert_string_equal(xp(out, "string(count(//interface[@type='network'"
	    " and source/@network='dev-net']))"), "2");
	assert_string_equal(xp(out, "string(count(//interface/source/"
	    "@bridge))"), "0");
	assert_string_equal(xp(out, "string(count(//interface/source/"
	    "@portid))"), "0");
	assert_string_equal(xp(out, "string(count(//interface/target))"), "0");
	/* no host path or port of the original's */
	assert_string_equal(xp(out, "string(//serial/@type)"), "pty");
	assert_string_equal(xp(out, "string(count(//serial/source))"), "0");
	assert_string_equal(xp(out, "string(//console/@type)"), "pty");
	assert_string_equal(xp(out, "string(count(//console/source))"), "0");
	assert_string_equal(xp(out, "string(count(//graphics/@port))"), "0");
	assert_string_equal(xp(out, "string(//graphics/@autoport)"), "yes");
	assert_string_equal(xp(out, "string(count(//channel/source/@path))"),
	    "0");
	assert_string_equal(xp(out, "string(/domain/memory)"), "131072");
	free(out);
}

static void
test_clone_networks_kept(void **state)
{
	char *out = clone_ok(CLONE_DOM, NULL);

	assert_string_equal(xp(out, "string(//interface[1]/@type)"), "network");
	assert_string_equal(xp(out, "string(//interface[1]/source/@network)"),
	    "lan-b");
	assert_string_equal(xp(out, "string(//interface[2]/@type)"), "bridge");
	assert_string_equal(xp(out, "string(//interface[2]/source/@bridge)"),
	    "br0");
	assert_string_equal(xp(out, "string(count(//mac))"), "0");
	assert_string_equal(xp(out, "string(count(//interface/target))"), "0");
	free(out);
}

static void
clone_fails(const char *xml, const char *name, const char *want1,
    const char *want2)
{
	char err[512] = "", *out = (char *)0x1;

	assert_int_equal(kvm_xml_clone(xml, name, cdisks, nitems(cdisks),
	    "dev-net", &out, err, sizeof(err)), -1);
	assert_null(out);
	if (want1 != NULL && strstr(err, want1) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want1);
	if (want2 != NULL && strstr(err, want2) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want2);
}

static void
test_clone_refused(void **state)
{
	/* a disk that is not in the point: the clone would share it */
	clone_fails(HEAD DISK("file", "disk", "file='/srv/b/other.qcow2'",
	    "vdc", "") TAIL, "web1-dev", "web1: disk vdc: /srv/b/other.qcow2",
	    "not in the point");
	clone_fails(HEAD DISK("block", "disk", "dev='/dev/sdb'", "vda", "")
	    TAIL, "web1-dev", "disk vda: type 'block'", NULL);
	/* interfaces and devices of the host's */
	clone_fails(HEAD NIC("direct", "dev='eth0' mode='bridge'",
	    "52:54:00:00:00:09") TAIL, "web1-dev", "interface "
	    "52:54:00:00:00:09", "type 'direct'");
	clone_fails(HEAD NIC("hostdev", "", "52:54:00:00:00:08") TAIL,
	    "web1-dev", "type 'hostdev'", NULL);
	clone_fails(HEAD "    <hostdev mode='subsystem' type='pci'/>\n" TAIL,
	    "web1-dev", "web1: a hostdev device", NULL);
	clone_fails(CLONE_DOM, "", "no name", NULL);
	clone_fails("<domain><name>x</name>", "web1-dev", "domain XML", NULL);
}

/* QEMU's user and group: the DAC base label of libvirt's capabilities */
static void
test_qemu_owner(void **state)
{
	long	 uid = -1, gid = -1;
	char	 err[256] = "";
	const char *caps = "<capabilities><host><secmodel><model>none</model>"
	    "</secmodel><secmodel><model>dac</model><doi>0</doi>"
	    "<baselabel type='kvm'>+64055:+64056</baselabel>"
	    "<baselabel type='qemu'>+1:+2</baselabel></secmodel></host>"
	    "</capabilities>";

	(void)state;
	assert_int_equal(kvm_caps_qemu_owner(caps, &uid, &gid, err,
	    sizeof(err)), 0);
	assert_int_equal(uid, 64055);
	assert_int_equal(gid, 64056);
	/* only a qemu label (TCG-only hosts) */
	assert_int_equal(kvm_caps_qemu_owner("<capabilities><host><secmodel>"
	    "<model>dac</model><baselabel type='qemu'>+0:+0</baselabel>"
	    "</secmodel></host></capabilities>", &uid, &gid, err,
	    sizeof(err)), 0);
	assert_int_equal(uid, 0);
	/* no DAC model: QEMU is the connection's user */
	assert_int_equal(kvm_caps_qemu_owner("<capabilities><host/>"
	    "</capabilities>", &uid, &gid, err, sizeof(err)), 1);
	/* a label that is not +UID:+GID, and a document that is not XML */
	assert_int_equal(kvm_caps_qemu_owner("<capabilities><host><secmodel>"
	    "<model>dac</model><baselabel type='kvm'>qemu:kvm</baselabel>"
	    "</secmodel></host></capabilities>", &uid, &gid, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not +UID:+GID"));
	assert_int_equal(kvm_caps_qemu_owner("<capabilities>", &uid, &gid, err,
	    sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_owner),
		cmocka_unit_test(test_networks_mapped),
		cmocka_unit_test(test_network_unmapped),
		cmocka_unit_test(test_bridge_kept),
		cmocka_unit_test(test_storage_longest_prefix),
		cmocka_unit_test(test_storage_unmapped),
		cmocka_unit_test(test_not_copied_not_moved),
		cmocka_unit_test(test_backing_chain_dropped),
		cmocka_unit_test(test_no_devices),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_map_path),
		cmocka_unit_test(test_copy_rewritten),
		cmocka_unit_test(test_copy_all_mapped),
		cmocka_unit_test(test_copy_refused),
		cmocka_unit_test(test_clone_rewritten),
		cmocka_unit_test(test_clone_networks_kept),
		cmocka_unit_test(test_clone_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
