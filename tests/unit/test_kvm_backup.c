/*
 * test_kvm_backup.c - kvm_backup.h (backup.c, checkpoint.c, agent.c): the
 * backup and checkpoint XML builders (results parsed back with libxml2 and
 * checked by XPath, values with quotes, ampersands and angle brackets
 * survive; refusals as a table), the
 * checkpoint name rule as a table, then the calls against libvirt's test
 * driver (test:///default) where it has them: checkpoints (create, list
 * with parents, XML, the usable check, delete with and without metadata
 * only, redefine from saved XML), FS freeze / thaw, and the agent channel
 * check.  The test driver gives bitmaps no size, so a checkpoint there
 * looks like one whose bitmap QEMU lost.  It has no backup and no job
 * statistics ("this function is not supported by the connection driver"):
 * for kvm_backup_begin_pull / _running / _end only the error paths and the
 * shut-off and absent cases are checked here; tests/lab/t-backup-kvm.sh
 * runs them on a real guest.
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

#include "kvm_backup.h"

#define URI	"test:///default"
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static struct kvm *K;

#define assert_err(err, frag) do {					\
	if (strstr((err), (frag)) == NULL)				\
		fail_msg("error '%s' lacks '%s'", (err), (frag));	\
} while (0)

/* XPath string value of expr in the document xml (static buffer) */
static const char *
xp(const char *xml, const char *expr)
{
	static char buf[1024];
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr o;

	buf[0] = '\0';
	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	o = xmlXPathEval(BAD_CAST expr, ctx);
	if (o != NULL && o->type == XPATH_STRING && o->stringval != NULL)
		snprintf(buf, sizeof(buf), "%s", (const char *)o->stringval);
	else if (o != NULL && o->type == XPATH_NUMBER)
		snprintf(buf, sizeof(buf), "%g", o->floatval);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return buf;
}

static const struct kvm_backup_disk two[] = {
	{ "vda", "/var/lib/libvirt/images/web1.vda.scratch" },
	{ "vdb", NULL },
};

static void
test_backup_xml_full(void **state)
{
	char err[256], *x;

	x = kvm_backup_xml("/run/vmgw/dr/j1.sock", NULL, two, 2, err,
	    sizeof(err));
	if (x == NULL)
		fail_msg("%s", err);
	assert_string_equal(xp(x, "string(/domainbackup/@mode)"), "pull");
	assert_string_equal(xp(x, "count(/domainbackup/incremental)"), "0");
	assert_string_equal(xp(x, "string(/domainbackup/server/@transport)"),
	    "unix");
	assert_string_equal(xp(x, "string(/domainbackup/server/@socket)"),
	    "/run/vmgw/dr/j1.sock");
	assert_string_equal(xp(x, "count(/domainbackup/disks/disk)"), "2");
	assert_string_equal(xp(x, "string(/domainbackup/disks/disk[1]/@name)"),
	    "vda");
	assert_string_equal(xp(x, "string(/domainbackup/disks/disk[1]/@backup)"),
	    "yes");
	assert_string_equal(xp(x, "string(/domainbackup/disks/disk[1]/@type)"),
	    "file");
	assert_string_equal(xp(x,
	    "string(/domainbackup/disks/disk[1]/scratch/@file)"),
	    "/var/lib/libvirt/images/web1.vda.scratch");
	assert_string_equal(xp(x, "string(/domainbackup/disks/disk[2]/@name)"),
	    "vdb");
	assert_string_equal(xp(x, "count(/domainbackup/disks/disk[2]/scratch)"),
	    "0");
	free(x);
}

static void
test_backup_xml_incremental_escaped(void **state)
{
	static const struct kvm_backup_disk d[] = {
		{ "vda", "/tmp/a'b\"c&d<e>.scratch" },
	};
	char err[256], *x;

	x = kvm_backup_xml("/run/vmgw/dr/it's&<me>.sock", "p<1>&'2'", d, 1,
	    err, sizeof(err));
	if (x == NULL)
		fail_msg("%s", err);
	assert_string_equal(xp(x, "string(/domainbackup/incremental)"),
	    "p<1>&'2'");
	assert_string_equal(xp(x, "string(/domainbackup/server/@socket)"),
	    "/run/vmgw/dr/it's&<me>.sock");
	assert_string_equal(xp(x,
	    "string(/domainbackup/disks/disk/scratch/@file)"),
	    "/tmp/a'b\"c&d<e>.scratch");
	free(x);
}

static void
test_backup_xml_refused(void **state)
{
	static const struct kvm_backup_disk upper[] = { { "VDA", NULL } };
	static const struct kvm_backup_disk space[] = { { "vd a", NULL } };
	static const struct kvm_backup_disk empty[] = { { "", NULL } };
	static const struct kvm_backup_disk null[] = { { NULL, NULL } };
	static const struct kvm_backup_disk dup[] = {
		{ "vda", NULL }, { "vdb", NULL }, { "vda", NULL } };
	static const struct kvm_backup_disk rel[] = { { "vda", "x.scratch" } };
	char longsock[KVM_BACKUP_SOCK_MAX + 8];
	static const struct {
		const char *sock, *from;
		const struct kvm_backup_disk *d;
		size_t n;
		const char *frag;
	} t[] = {
		{ NULL, NULL, two, 2, "socket '' is not an absolute path" },
		{ "run/x.sock", NULL, two, 2, "socket 'run/x.sock' is not" },
		{ "/run/x\n.sock", NULL, two, 2, "is not an absolute path" },
		{ "/x.sock", "", two, 2, "'' is not a checkpoint name" },
		{ "/x.sock", "a/b", two, 2, "'a/b' is not a checkpoint name" },
		{ "/x.sock", ".hidden", two, 2, "is not a checkpoint name" },
		{ "/x.sock", "c\t1", two, 2, "is not a checkpoint name" },
		{ "/x.sock", NULL, NULL, 0, "backup XML: no disks" },
		{ "/x.sock", NULL, two, 0, "backup XML: no disks" },
		{ "/x.sock", NULL, upper, 1, "disk target 'VDA' is not" },
		{ "/x.sock", NULL, space, 1, "disk target 'vd a' is not" },
		{ "/x.sock", NULL, empty, 1, "disk target '' is not" },
		{ "/x.sock", NULL, null, 1, "disk target '' is not" },
		{ "/x.sock", NULL, dup, 3, "disk vda listed twice" },
		{ "/x.sock", NULL, rel, 1, "disk vda: scratch file 'x.scratch'" },
	};
	char err[256];
	size_t i;

	for (i = 0; i < nitems(t); i++) {
		err[0] = '\0';
		if (kvm_backup_xml(t[i].sock, t[i].from, t[i].d, t[i].n, err,
		    sizeof(err)) != NULL)
			fail_msg("case %zu: accepted", i);
		assert_err(err, t[i].frag);
	}
	/* sun_path: 107 bytes and a NUL at most */
	memset(longsock, 'a', sizeof(longsock));
	longsock[0] = '/';
	longsock[KVM_BACKUP_SOCK_MAX] = '\0';		/* 107 bytes: refused */
	assert_null(kvm_backup_xml(longsock, NULL, two, 2, err, sizeof(err)));
	assert_err(err, "shorter than 107 bytes");
	longsock[KVM_BACKUP_SOCK_MAX - 1] = '\0';	/* 106 bytes: fine */
	char *x = kvm_backup_xml(longsock, NULL, two, 2, err, sizeof(err));
	assert_non_null(x);
	free(x);
}

static void
test_checkpoint_xml(void **state)
{
	char err[256], *x;

	x = kvm_checkpoint_xml("vmgw-7&<8>", two, 2, err, sizeof(err));
	if (x == NULL)
		fail_msg("%s", err);
	assert_string_equal(xp(x, "string(/domaincheckpoint/name)"),
	    "vmgw-7&<8>");
	assert_string_equal(xp(x, "count(/domaincheckpoint/disks/disk)"), "2");
	assert_string_equal(xp(x,
	    "string(/domaincheckpoint/disks/disk[2]/@name)"), "vdb");
	assert_string_equal(xp(x,
	    "string(/domaincheckpoint/disks/disk[2]/@checkpoint)"), "bitmap");
	/* no scratch in a checkpoint */
	assert_string_equal(xp(x, "count(//scratch)"), "0");
	free(x);
	assert_null(kvm_checkpoint_xml("a/b", two, 2, err, sizeof(err)));
	assert_err(err, "checkpoint XML: 'a/b' is not a checkpoint name");
	assert_null(kvm_checkpoint_xml("c1", NULL, 0, err, sizeof(err)));
	assert_err(err, "checkpoint XML: no disks");
}

static void
test_checkpoint_names(void **state)
{
	static char longest[KVM_CHECKPOINT_NAME_MAX + 1];
	static char toolong[KVM_CHECKPOINT_NAME_MAX + 2];
	static const struct { const char *name; int ok; } t[] = {
#define T(n, ok) { n, ok }
		T("c1", 0), T("vmgw-20261201T193000Z-17", 0),
		T("a.b", 0), T("x y", 0), T("é", 0),
		T(NULL, -1), T("", -1), T("/", -1), T("a/b", -1),
		T(".", -1), T("..", -1), T(".c1", -1), T("c\n1", -1),
		T("c\x7f", -1),
#undef T
	};
	size_t i;

	for (i = 0; i < nitems(t); i++)
		if (kvm_checkpoint_name_ok(t[i].name) != t[i].ok)
			fail_msg("'%s': expected %d", t[i].name ? t[i].name :
			    "(null)", t[i].ok);
	memset(longest, 'n', KVM_CHECKPOINT_NAME_MAX);
	memset(toolong, 'n', KVM_CHECKPOINT_NAME_MAX + 1);
	assert_int_equal(kvm_checkpoint_name_ok(longest), 0);
	assert_int_equal(kvm_checkpoint_name_ok(toolong), -1);
}

/* ------------------------------------------------------------ test driver */

static int
group_setup(void **state)
{
	char err[512];

	if (kvm_open(&K, URI, err, sizeof(err)) != 0) {
		fprintf(stderr, "kvm_open %s: %s\n", URI, err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	kvm_close(K);
	K = NULL;
	return 0;
}

static const struct kvm_backup_disk vda[] = { { "vda", NULL } };

static void
test_checkpoints(void **state)
{
	struct kvm_checkpoint *cps = NULL;
	char err[512], why[512], *xml = NULL, *other = (char *)1;
	size_t n;

	if (kvm_checkpoint_create(K, "test", "c1", vda, 1, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	if (kvm_checkpoint_create(K, "test", "c2", vda, 1, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	/* libvirt refuses a second c2, naming the domain and the step */
	assert_int_equal(kvm_checkpoint_create(K, "test", "c2", vda, 1, err,
	    sizeof(err)), -1);
	assert_err(err, "test: create checkpoint c2: ");
	/* our own checks come first */
	assert_int_equal(kvm_checkpoint_create(K, "test", "../x", vda, 1, err,
	    sizeof(err)), -1);
	assert_err(err, "test: create checkpoint: checkpoint XML: '../x'");
	assert_int_equal(kvm_checkpoint_create(K, "nosuch", "c9", vda, 1, err,
	    sizeof(err)), -1);
	assert_err(err, "nosuch: no such domain on test:///default");

	if (kvm_checkpoint_list(K, "test", &cps, &n, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(n, 2);
	assert_string_equal(cps[0].name, "c1");
	assert_null(cps[0].parent);
	assert_string_equal(cps[1].name, "c2");
	assert_string_equal(cps[1].parent, "c1");
	assert_true(cps[1].creation_time > 1500000000);
	kvm_checkpoint_list_free(cps, n);

	/* usable: the test driver answers the size query without sizes,
	 * which is what libvirt's QEMU driver does for a missing or
	 * inconsistent bitmap (the lab test sees the usable case) */
	assert_int_equal(kvm_checkpoint_usable(K, "test", "c2", why,
	    sizeof(why), err, sizeof(err)), 0);
	assert_string_equal(why, "checkpoint c2: disk vda: bitmap missing or "
	    "inconsistent (QEMU stopped without saving it)");
	assert_int_equal(kvm_checkpoint_usable(K, "test", "c7", why,
	    sizeof(why), err, sizeof(err)), 0);
	assert_string_equal(why, "no checkpoint c7");

	/* keep c2's definition, drop its metadata, define it again */
	if (kvm_checkpoint_get_xml(K, "test", "c2", &xml, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(xp(xml, "string(/domaincheckpoint/name)"), "c2");
	assert_string_equal(xp(xml, "string(/domaincheckpoint/domain/name)"),
	    "test");
	assert_int_equal(kvm_checkpoint_get_xml(K, "test", "c7", &other, err,
	    sizeof(err)), -1);
	assert_null(other);
	assert_string_equal(err, "test: no checkpoint c7");
	assert_int_equal(kvm_checkpoint_delete(K, "test", "c2", 1, err,
	    sizeof(err)), 0);
	assert_int_equal(kvm_checkpoint_list(K, "test", &cps, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	kvm_checkpoint_list_free(cps, n);
	if (kvm_checkpoint_redefine(K, "test", xml, 0, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(kvm_checkpoint_list(K, "test", &cps, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(cps[1].parent, "c1");
	kvm_checkpoint_list_free(cps, n);
	free(xml);

	/* garbage is refused before libvirt, named */
	assert_int_equal(kvm_checkpoint_redefine(K, "test", "<domaincheckpoint>"
	    "<name>x</name>", 0, err, sizeof(err)), -1);
	assert_err(err, "test: checkpoint XML: line 1:");
	assert_int_equal(kvm_checkpoint_redefine(K, "test", "<domain/>", 0, err,
	    sizeof(err)), -1);
	assert_err(err, "root element is <domain>, not <domaincheckpoint>");

	/* delete: a missing one is fine, then the real ones */
	assert_int_equal(kvm_checkpoint_delete(K, "test", "c7", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(kvm_checkpoint_delete(K, "test", "c2", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(kvm_checkpoint_delete(K, "test", "c1", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(kvm_checkpoint_list(K, "test", &cps, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_null(cps);
}

static void
test_agent(void **state)
{
	char err[512], why[256];
	int no_agent = -1, n;

	/* the test driver fakes the agent's freeze and thaw */
	n = kvm_fs_freeze(K, "test", &no_agent, err, sizeof(err));
	if (n < 0)
		fail_msg("%s", err);
	assert_int_equal(no_agent, 0);
	n = kvm_fs_thaw(K, "test", err, sizeof(err));
	if (n < 0)
		fail_msg("%s", err);
	assert_int_equal(kvm_fs_freeze(K, "nosuch", &no_agent, err,
	    sizeof(err)), -1);
	assert_err(err, "nosuch: no such domain");
	/* its domain has no agent channel */
	assert_int_equal(kvm_agent_connected(K, "test", why, sizeof(why), err,
	    sizeof(err)), 0);
	assert_string_equal(why, "no guest agent channel "
	    "(org.qemu.guest_agent.0)");
}

#define OFFDOM \
	"<domain type='test'><name>vmgw-bk1</name>" \
	"<memory unit='MiB'>64</memory><vcpu>1</vcpu>" \
	"<os><type arch='x86_64'>hvm</type></os></domain>"

static void
test_backup_paths(void **state)
{
	char err[512], why[256];

	/* no backups in the test driver: the error names the step */
	assert_int_equal(kvm_backup_begin_pull(K, "test", "/run/x.sock", "c1",
	    "c2", vda, 1, err, sizeof(err)), -1);
	assert_err(err, "test: backup begin (incremental from c1, checkpoint "
	    "c2): ");
	assert_err(err, "not supported");
	/* our own refusals come before any lookup */
	assert_int_equal(kvm_backup_begin_pull(K, "nosuch", "x.sock", NULL,
	    "c2", vda, 1, err, sizeof(err)), -1);
	assert_err(err, "nosuch: backup begin (full, checkpoint c2): backup "
	    "XML: socket 'x.sock'");
	assert_int_equal(kvm_backup_begin_pull(K, "test", "/x.sock", NULL,
	    "a/b", vda, 1, err, sizeof(err)), -1);
	assert_err(err, "checkpoint XML: 'a/b' is not a checkpoint name");
	/* no job statistics either */
	assert_int_equal(kvm_backup_running(K, "test", err, sizeof(err)), -1);
	assert_err(err, "test: backup state: job stats: ");
	/* an absent domain runs no backup; a shut-off one neither */
	assert_int_equal(kvm_backup_end(K, "nosuch", err, sizeof(err)), 0);
	assert_int_equal(kvm_backup_running(K, "nosuch", err, sizeof(err)), -1);
	assert_err(err, "nosuch: no such domain");
	if (kvm_domain_define(K, OFFDOM, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(kvm_backup_running(K, "vmgw-bk1", err, sizeof(err)),
	    0);
	assert_int_equal(kvm_backup_end(K, "vmgw-bk1", err, sizeof(err)), 0);
	assert_int_equal(kvm_agent_connected(K, "vmgw-bk1", why, sizeof(why),
	    err, sizeof(err)), 0);
	assert_string_equal(why, "domain not running");
	assert_int_equal(kvm_domain_remove(K, "vmgw-bk1", err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_backup_xml_full),
		cmocka_unit_test(test_backup_xml_incremental_escaped),
		cmocka_unit_test(test_backup_xml_refused),
		cmocka_unit_test(test_checkpoint_xml),
		cmocka_unit_test(test_checkpoint_names),
	};
	const struct CMUnitTest driver[] = {
		cmocka_unit_test(test_checkpoints),
		cmocka_unit_test(test_agent),
		cmocka_unit_test(test_backup_paths),
	};
	int rc;

	rc = cmocka_run_group_tests_name("kvm_backup_xml", pure, NULL, NULL);
	rc += cmocka_run_group_tests_name("kvm_backup_test_driver", driver,
	    group_setup, group_teardown);
	return rc;
}
