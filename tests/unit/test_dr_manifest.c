/*
 * test_dr_manifest.c - the chain manifest and the partial record: a good
 * manifest loads with every field; a table of hostile edits of it (wrong
 * types, missing fields, duplicate ids, path separators and ".." in file
 * names, files used twice, absurd sizes and times) each refused with its
 * exact message and nothing returned; malformed JSON; the point cap; an
 * atomic save that reads back equal, leaves no temporary file and refuses
 * to write an invalid manifest over a good one; adding points; the
 * partial record saved, loaded, refused when hostile, and removed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "drcore.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static const char good[] =
	"{ \"version\": 1, \"guest\": \"web1\","
	"  \"uuid\": \"4dea22b3-1d52-d8f3-2516-782e98ab3fa0\","
	"  \"source_site\": \"site-a\","
	"  \"base\": [ { \"target\": \"vda\", \"file\": \"vda-base.qcow2\","
	"                \"size\": 10737418240 },"
	"              { \"target\": \"vdb\", \"file\": \"vdb-base.qcow2\","
	"                \"size\": 1048576 } ],"
	"  \"points\": ["
	"    { \"id\": \"p000001\", \"seq\": 1, \"start\": 1700000000,"
	"      \"end\": 1700000600, \"consistency\": \"crash\","
	"      \"reason\": \"guest agent not responding\", \"bytes\": 4096,"
	"      \"disks\": [ { \"target\": \"vda\", \"file\": \"vda-p000001.qcow2\","
	"                     \"size\": 10737418240 },"
	"                   { \"target\": \"vdb\", \"file\": \"vdb-p000001.qcow2\","
	"                     \"size\": 1048576 } ],"
	"      \"domain_xml\": \"<domain>\\n  <name>web1</name>\\n</domain>\","
	"      \"pinned\": true, \"pin_reason\": \"before upgrade\" },"
	"    { \"id\": \"p000002\", \"seq\": 2, \"start\": 1700003600,"
	"      \"end\": 1700003660, \"consistency\": \"app\", \"bytes\": 0,"
	"      \"disks\": [ { \"target\": \"vda\", \"file\": \"vda-p000002.qcow2\","
	"                     \"size\": 10737418240 },"
	"                   { \"target\": \"vdb\", \"file\": \"vdb-p000002.qcow2\","
	"                     \"size\": 1048576 } ],"
	"      \"domain_xml\": \"<domain/>\", \"pinned\": false,"
	"      \"tested_at\": 1700007200, \"test_result\": \"ok: answered in"
	"      1200 ms; tcp 80 ok\" },"
	"    { \"id\": \"p000005\", \"seq\": 5, \"start\": 1700007200,"
	"      \"end\": 1700007200, \"consistency\": \"app\", \"bytes\": 1,"
	"      \"disks\": [ { \"target\": \"vda\", \"file\": \"vda-p000005.qcow2\","
	"                     \"size\": 10737418240 },"
	"                   { \"target\": \"vdb\", \"file\": \"vdb-p000005.qcow2\","
	"                     \"size\": 2097152 } ],"
	"      \"domain_xml\": \"<domain/>\", \"pinned\": false } ] }";

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_dr_manifest.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_good(void **state)
{
	struct drc_manifest *m;
	char err[256];

	(void)state;
	assert_int_equal(drc_manifest_parse("manifest.json", good,
	    strlen(good), &m, err, sizeof(err)), 0);
	assert_string_equal(m->guest, "web1");
	assert_string_equal(m->source_site, "site-a");
	assert_int_equal(m->n_base, 2);
	assert_int_equal(m->base[0].size, 10737418240ull);
	assert_int_equal(m->n_points, 3);
	assert_string_equal(m->points[0].id, "p000001");
	assert_int_equal(m->points[0].consistency, DRC_CRASH);
	assert_string_equal(m->points[0].reason, "guest agent not responding");
	assert_true(m->points[0].pinned);
	assert_string_equal(m->points[0].pin_reason, "before upgrade");
	assert_string_equal(m->points[0].domain_xml,
	    "<domain>\n  <name>web1</name>\n</domain>");
	assert_int_equal(m->points[1].consistency, DRC_APP);
	assert_int_equal(m->points[1].tested_at, 1700007200);
	assert_string_equal(m->points[1].test_result,
	    "ok: answered in      1200 ms; tcp 80 ok");
	assert_string_equal(m->points[0].test_result, "");
	assert_int_equal(m->points[2].seq, 5);
	assert_int_equal(m->points[2].disks[1].size, 2097152);
	assert_string_equal(m->points[2].disks[1].file, "vdb-p000005.qcow2");
	assert_int_equal(drc_manifest_find(m, "p000002"), 1);
	assert_int_equal(drc_manifest_find(m, "p000003"), -1);
	drc_manifest_free(m);
}

/* --- hostile edits of the good manifest --------------------------------- */

struct edit_case {
	const char	*path;		/* "points.0.disks.1.file" */
	const char	*value;		/* JSON; NULL: remove the key */
	const char	*expected;
};

#define T(p, v, e)	{ p, v, "manifest.json: " e }
static const struct edit_case edit_cases[] = {
	T("version", "2", "version: 2 not supported (1)"),
	T("version", "\"1\"", "version: must be an integer"),
	T("guest", NULL, "guest: missing"),
	T("guest", "5", "guest: must be a string"),
	T("guest", "\"\"", "guest: empty"),
	T("guest", "\"a/b\"", "guest: must be a name without '/'"),
	T("guest", "\"a\\u0007b\"", "guest: control character at byte 1"),
	T("uuid", "\"4dea22b3-1d52-d8f3-2516\"",
	    "uuid: must be a UUID (8-4-4-4-12 hex digits)"),
	T("uuid", "\"4dea22b3x1d52-d8f3-2516-782e98ab3fa0\"",
	    "uuid: must be a UUID (8-4-4-4-12 hex digits)"),
	T("source_site", "\"site a\"",
	    "source_site: must be letters, digits, '.', '_' or '-'"),
	T("extra", "1", "unknown key \"extra\""),
	T("base", "[]", "base: 0 disks, not 1..64"),
	T("base", "{}", "base: must be an array"),
	T("base.0", "7", "base[0]: must be an object"),
	T("base.0.size", "0", "base[0].size: 0 not in 512..1125899906842624"),
	T("base.0.size", "1125899906842625",
	    "base[0].size: 1125899906842625 not in 512..1125899906842624"),
	T("base.0.size", "9223372036854775807", "base[0].size: "
	    "9223372036854775807 not in 512..1125899906842624"),
	T("base.0.size", "1000", "base[0].size: not a multiple of 512"),
	T("base.0.size", "-512", "base[0].size: negative"),
	T("base.0.size", "1.5", "base[0].size: must be an integer"),
	T("base.0.size", NULL, "base[0].size: missing"),
	T("base.0.file", "\"../vda.qcow2\"",
	    "base[0].file: must be a plain file name"),
	T("base.0.file", "\"..\"", "base[0].file: must be a plain file name"),
	T("base.0.file", "\"/etc/passwd\"",
	    "base[0].file: must be a plain file name"),
	T("base.0.file", "\".hidden\"",
	    "base[0].file: must be a plain file name"),
	T("base.0.target", "\"v da\"",
	    "base[0].target: must be letters, digits, '.', '_' or '-'"),
	T("base.1.target", "\"vda\"", "base[1].target: \"vda\" twice"),
	T("base.1.file", "\"vda-base.qcow2\"",
	    "base[1].file: \"vda-base.qcow2\" is also base[0]'s"),
	T("base.0.extra", "1", "base[0]: unknown key \"extra\""),
	T("points", NULL, "points: missing"),
	T("points", "{}", "points: must be an array"),
	T("points.0", "5", "points[0]: must be an object"),
	T("points.0.extra", "true", "points[0]: unknown key \"extra\""),
	T("points.0.id", NULL, "points[0].id: missing"),
	T("points.0.id", "\"p/1\"",
	    "points[0].id: must be letters, digits, '.', '_' or '-'"),
	T("points.0.id", "\"p00000000000000000000000000000001\"",
	    "points[0].id: longer than 32 bytes"),
	T("points.1.id", "\"p000001\"",
	    "points[1].id: \"p000001\" is also points[0]'s"),
	T("points.1.seq", "1",
	    "points[1].seq: 1 not above the previous point's 1"),
	T("points.2.seq", "\"5\"", "points[2].seq: must be an integer"),
	T("points.0.start", "0",
	    "points[0].start: 0 not in 1..1099511627776"),
	T("points.0.start", "9000000000000000000",
	    "points[0].start: 9000000000000000000 not in 1..1099511627776"),
	T("points.0.end", "5",
	    "points[0].end: 5 not in 1700000000..1099511627776"),
	T("points.0.end", NULL, "points[0].end: missing"),
	T("points.0.consistency", "\"fs\"",
	    "points[0].consistency: must be \"crash\" or \"app\""),
	T("points.0.consistency", "\"app\"",
	    "points[0].reason: set on an app-consistent point"),
	T("points.0.reason", "\"\"", "points[0].reason: empty"),
	T("points.0.bytes", "-1", "points[0].bytes: negative"),
	T("points.0.pinned", "\"yes\"", "points[0].pinned: must be true or false"),
	T("points.0.pin_reason", NULL,
	    "points[0].pin_reason: missing for a pinned point"),
	T("points.1.pin_reason", "\"x\"",
	    "points[1].pin_reason: set on an unpinned point"),
	T("points.1.tested_at", "1099511627777",
	    "points[1].tested_at: 1099511627777 not in 0..1099511627776"),
	T("points.1.test_result", "7",
	    "points[1].test_result: must be a string"),
	T("points.1.test_result", "\"\"", "points[1].test_result: empty"),
	T("points.0.test_result", "\"ok\"",
	    "points[0].test_result: set on a point never tested"),
	T("points.1.domain_xml", NULL, "points[1].domain_xml: missing"),
	T("points.1.domain_xml", "\"\"", "points[1].domain_xml: empty"),
	T("points.1.domain_xml", "[]",
	    "points[1].domain_xml: must be a string"),
	T("points.0.disks", "[]", "points[0].disks: 0 disks, not 1..64"),
	T("points.0.disks.1", NULL, "points[0].disks: 1 disks, the base has 2"),
	T("points.0.disks.1.target", "\"vdc\"",
	    "points[0].disks[1].target: \"vdc\", the base's is \"vdb\""),
	T("points.0.disks.0.file", "\"sub/vda.qcow2\"",
	    "points[0].disks[0].file: must be a plain file name"),
	T("points.2.disks.0.file", "\"vda-base.qcow2\"",
	    "points[2].disks[0].file: \"vda-base.qcow2\" is also base[0]'s"),
	T("points.2.disks.1.file", "\"vdb-p000001.qcow2\"",
	    "points[2].disks[1].file: \"vdb-p000001.qcow2\" is also "
	    "points[0].disks[1]'s"),
	T("points.1.disks.0.file", "\"vdb-p000001.qcow2\"",
	    "points[1].disks[0].file: \"vdb-p000001.qcow2\" is also "
	    "points[0].disks[1]'s"),
	T("points.1.disks.0.backing", "\"x\"",
	    "points[1].disks[0]: unknown key \"backing\""),
	T("points.1.disks.0.size", "513",
	    "points[1].disks[0].size: not a multiple of 512"),
};
#undef T

/* Apply path = value to root (objects by key, arrays by index). */
static void
apply(json_t *root, const char *path, const char *value)
{
	char buf[128], *part, *next, *save = NULL;
	json_t *cur = root, *v = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	if (value != NULL) {
		v = json_loads(value, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
	}
	for (part = strtok_r(buf, ".", &save); part != NULL; part = next) {
		next = strtok_r(NULL, ".", &save);
		if (json_is_array(cur)) {
			size_t i = strtoul(part, NULL, 10);

			if (next == NULL) {
				if (v == NULL)
					json_array_remove(cur, i);
				else
					json_array_set_new(cur, i, v);
				return;
			}
			cur = json_array_get(cur, i);
		} else {
			if (next == NULL) {
				if (v == NULL)
					json_object_del(cur, part);
				else
					json_object_set_new(cur, part, v);
				return;
			}
			cur = json_object_get(cur, part);
		}
		assert_non_null(cur);
	}
}

static void
expect_refused(const char *text, size_t len, const char *what,
    const char *expected)
{
	struct drc_manifest *m = (struct drc_manifest *)&m;
	char err[512] = "";

	if (drc_manifest_parse("manifest.json", text, len, &m, err,
	    sizeof(err)) != -1 || strcmp(err, expected) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what, err, expected);
	assert_null(m);
}

static void
test_hostile(void **state)
{
	json_t *root;
	char *text, what[256];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(edit_cases); i++) {
		root = json_loads(good, 0, NULL);
		assert_non_null(root);
		apply(root, edit_cases[i].path, edit_cases[i].value);
		text = json_dumps(root, 0);
		snprintf(what, sizeof(what), "%s = %s", edit_cases[i].path,
		    edit_cases[i].value ? edit_cases[i].value : "(removed)");
		expect_refused(text, strlen(text), what, edit_cases[i].expected);
		free(text);
		json_decref(root);
	}
}

/* Documents that are no manifest at all (messages partly jansson's). */
static void
test_malformed(void **state)
{
	static const struct { const char *text, *expected; } cases[] = {
		{ "", "manifest.json:1:0: '[' or '{' expected near end of "
		    "file" },
		{ "{", "manifest.json:1:1: string or '}' expected near end "
		    "of file" },
		{ "[]", "manifest.json: not a JSON object" },
		{ "{} x", "manifest.json:1:4: end of file expected near 'x'" },
		{ "{\"version\": 1, \"version\": 1}",
		    "manifest.json:1:24: duplicate object key near "
		    "'\"version\"'" },
		{ "{\"version\": 1}", "manifest.json: guest: missing" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++)
		expect_refused(cases[i].text, strlen(cases[i].text),
		    cases[i].text, cases[i].expected);
	expect_refused(good, DRC_MANIFEST_MAX + 1, "huge",
	    "manifest.json: 16777217 bytes, more than 16777216");
}

static void
test_too_many_points(void **state)
{
	json_t *root, *points, *p0;
	char *text;
	size_t i;

	(void)state;
	root = json_loads(good, 0, NULL);
	points = json_object_get(root, "points");
	p0 = json_deep_copy(json_array_get(points, 2));
	json_array_clear(points);
	for (i = 0; i <= DRC_POINTS_MAX; i++)
		json_array_append(points, p0);
	text = json_dumps(root, 0);
	expect_refused(text, strlen(text), "1025 points",
	    "manifest.json: points: 1025 points, more than 1024");
	free(text);
	json_decref(p0);
	json_decref(root);
}

/* --- saving ------------------------------------------------------------- */

static size_t
dir_entries(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_save(void **state)
{
	struct drc_manifest *m, *back;
	char path[128], err[512], want[512];
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/manifest.json", tmpdir);
	assert_int_equal(drc_manifest_parse("m", good, strlen(good), &m, err,
	    sizeof(err)), 0);
	assert_int_equal(drc_manifest_save(path, m, err, sizeof(err)), 0);
	assert_int_equal(drc_manifest_save(path, m, err, sizeof(err)), 0);
	assert_int_equal(dir_entries(tmpdir), 1);
	assert_int_equal(drc_manifest_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(back->n_points, m->n_points);
	for (i = 0; i < m->n_points; i++) {
		assert_string_equal(back->points[i].id, m->points[i].id);
		assert_int_equal(back->points[i].start, m->points[i].start);
		assert_int_equal(back->points[i].pinned, m->points[i].pinned);
		assert_string_equal(back->points[i].pin_reason,
		    m->points[i].pin_reason);
		assert_string_equal(back->points[i].reason, m->points[i].reason);
		assert_int_equal(back->points[i].tested_at,
		    m->points[i].tested_at);
		assert_string_equal(back->points[i].test_result,
		    m->points[i].test_result);
		assert_string_equal(back->points[i].domain_xml,
		    m->points[i].domain_xml);
		assert_memory_equal(back->points[i].disks, m->points[i].disks,
		    m->n_base * sizeof(struct drc_disk));
	}
	assert_memory_equal(back->base, m->base, 2 * sizeof(struct drc_disk));
	drc_manifest_free(back);

	/* an invalid manifest is not written: the good file stays */
	snprintf(m->points[1].disks[0].file, DRC_FILE_MAX + 1, "../x");
	assert_int_equal(drc_manifest_save(path, m, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: points[1].disks[0].file: must be a "
	    "plain file name", path);
	assert_string_equal(err, want);
	assert_int_equal(drc_manifest_load(path, &back, err, sizeof(err)), 0);
	assert_string_equal(back->points[1].disks[0].file, "vda-p000002.qcow2");
	drc_manifest_free(back);
	assert_int_equal(dir_entries(tmpdir), 1);
	drc_manifest_free(m);

	snprintf(path, sizeof(path), "%s/none.json", tmpdir);
	assert_int_equal(drc_manifest_load(path, &m, err, sizeof(err)), -1);
	assert_null(m);
}

static void
new_point(struct drc_point *p, uint64_t seq, const char *vdb_file)
{
	memset(p, 0, sizeof(*p));
	drc_point_id(p->id, seq);
	p->seq = seq;
	p->start = 1700010000;
	p->end = 1700010010;
	p->consistency = DRC_APP;
	p->n_disks = 2;
	p->disks = calloc(2, sizeof(*p->disks));
	snprintf(p->disks[0].target, sizeof(p->disks[0].target), "vda");
	snprintf(p->disks[0].file, sizeof(p->disks[0].file), "vda-%s.qcow2",
	    p->id);
	p->disks[0].size = 10737418240ull;
	snprintf(p->disks[1].target, sizeof(p->disks[1].target), "vdb");
	snprintf(p->disks[1].file, sizeof(p->disks[1].file), "%s", vdb_file);
	p->disks[1].size = 1048576;
	p->domain_xml = strdup("<domain/>");
}

static void
test_add(void **state)
{
	struct drc_manifest *m;
	struct drc_point p;
	char err[512];

	(void)state;
	assert_int_equal(drc_manifest_parse("m", good, strlen(good), &m, err,
	    sizeof(err)), 0);
	new_point(&p, 6, "vdb-p000005.qcow2");
	assert_int_equal(drc_manifest_add(m, &p, err, sizeof(err)), -1);
	assert_string_equal(err, "manifest: points[3].disks[1].file: "
	    "\"vdb-p000005.qcow2\" is also points[2].disks[1]'s");
	assert_int_equal(m->n_points, 3);
	drc_point_clear(&p);
	new_point(&p, 5, "vdb-x.qcow2");
	assert_int_equal(drc_manifest_add(m, &p, err, sizeof(err)), -1);
	assert_string_equal(err, "manifest: points[3].seq: 5 not above the "
	    "previous point's 5");
	drc_point_clear(&p);
	new_point(&p, 6, "vdb-p000006.qcow2");
	assert_int_equal(drc_manifest_add(m, &p, err, sizeof(err)), 0);
	assert_null(p.disks);
	assert_int_equal(m->n_points, 4);
	assert_string_equal(m->points[3].id, "p000006");
	drc_manifest_free(m);
}

/* --- the partial record ------------------------------------------------- */

static void
test_partial(void **state)
{
	static const struct { const char *text, *expected; } bad[] = {
		{ "{\"version\":1,\"id\":\"p7\",\"seq\":7,\"start\":5,\"disks\":"
		    "[{\"target\":\"vda\",\"file\":\"a.qcow2\",\"size\":512}],"
		    "\"next_seq\":0,\"disk\":2}",
		    "partial.json: disk: 2 not in 0..1" },
		{ "{\"version\":1,\"id\":\"p7\",\"seq\":7,\"start\":5,\"disks\":"
		    "[{\"target\":\"vda\",\"file\":\"../a\",\"size\":512}],"
		    "\"next_seq\":0,\"disk\":0}",
		    "partial.json: disks[0].file: must be a plain file name" },
		{ "{\"version\":1,\"id\":\"p7\",\"seq\":7,\"start\":5,\"disks\":"
		    "[{\"target\":\"vda\",\"file\":\"a\",\"size\":512}],"
		    "\"disk\":0}", "partial.json: next_seq: missing" },
		{ "{\"version\":1,\"id\":\"p7\",\"seq\":7,\"start\":5,\"disks\":"
		    "[],\"next_seq\":0,\"disk\":0,\"acked\":3}",
		    "partial.json: unknown key \"acked\"" },
	};
	struct drc_partial p, *back;
	char path[128], err[512];
	size_t i;

	(void)state;
	memset(&p, 0, sizeof(p));
	drc_point_id(p.id, 7);
	p.seq = 7;
	p.start = 1700000000;
	p.n_disks = 1;
	p.disks = calloc(1, sizeof(*p.disks));
	snprintf(p.disks[0].target, sizeof(p.disks[0].target), "vda");
	snprintf(p.disks[0].file, sizeof(p.disks[0].file), "vda-p000007.qcow2");
	p.disks[0].size = 4096;
	p.next_seq = 1234;
	snprintf(path, sizeof(path), "%s/partial.json", tmpdir);
	assert_int_equal(drc_partial_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(drc_partial_save(path, &p, err, sizeof(err)), 0);
	assert_int_equal(drc_partial_load(path, &back, err, sizeof(err)), 1);
	assert_string_equal(back->id, "p000007");
	assert_int_equal(back->next_seq, 1234);
	assert_int_equal(back->disk, 0);
	assert_memory_equal(back->disks, p.disks, sizeof(*p.disks));
	drc_partial_free(back);
	assert_int_equal(drc_partial_remove(path, err, sizeof(err)), 0);
	assert_int_equal(drc_partial_remove(path, err, sizeof(err)), 0);
	assert_int_equal(drc_partial_load(path, &back, err, sizeof(err)), 0);
	p.disk = 3;
	assert_int_equal(drc_partial_save(path, &p, err, sizeof(err)), -1);
	assert_int_equal(access(path, F_OK), -1);
	free(p.disks);
	for (i = 0; i < nitems(bad); i++) {
		back = (struct drc_partial *)&back;
		assert_int_equal(drc_partial_parse("partial.json", bad[i].text,
		    strlen(bad[i].text), &back, err, sizeof(err)), -1);
		assert_string_equal(err, bad[i].expected);
		assert_null(back);
	}
}

/* Commit order: manifest saved, then the partial removed; or nothing. */
static void
test_commit(void **state)
{
	struct drc_manifest *m, *back;
	struct drc_partial pr, *pb;
	struct drc_point p;
	char path[128], ppath[128], bad[160], err[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/c.json", tmpdir);
	snprintf(ppath, sizeof(ppath), "%s/c-partial.json", tmpdir);
	snprintf(bad, sizeof(bad), "%s/no/such/dir/c.json", tmpdir);
	assert_int_equal(drc_manifest_parse("m", good, strlen(good), &m, err,
	    sizeof(err)), 0);
	memset(&pr, 0, sizeof(pr));
	drc_point_id(pr.id, 6);
	pr.seq = 6;
	pr.start = 1700010000;
	pr.n_disks = 2;
	new_point(&p, 6, "vdb-p000006.qcow2");
	pr.disks = p.disks;
	assert_int_equal(drc_partial_save(ppath, &pr, err, sizeof(err)), 0);
	assert_int_equal(drc_partial_check(m, &pr, err, sizeof(err)), 0);

	assert_int_equal(drc_manifest_commit(bad, m, &p, ppath, err,
	    sizeof(err)), -1);
	assert_int_equal(m->n_points, 3);
	assert_non_null(p.disks);
	assert_string_equal(p.id, "p000006");
	assert_int_equal(access(ppath, F_OK), 0);

	assert_int_equal(drc_manifest_commit(path, m, &p, ppath, err,
	    sizeof(err)), 0);
	assert_int_equal(access(ppath, F_OK), -1);
	assert_int_equal(drc_manifest_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(back->n_points, 4);
	/* the record of a committed point is stale */
	assert_int_equal(drc_partial_check(back, &pr, err, sizeof(err)), 1);
	drc_manifest_free(back);

	/* records that contradict the manifest */
	pr.disks = m->points[3].disks;
	drc_point_id(pr.id, 7);
	assert_int_equal(drc_partial_check(m, &pr, err, sizeof(err)), -1);
	assert_string_equal(err, "partial: seq: 6 not above the newest "
	    "point's 6");
	pr.seq = 7;
	assert_int_equal(drc_partial_check(m, &pr, err, sizeof(err)), -1);
	assert_string_equal(err, "partial: disks[0].file: \"vda-p000006.qcow2\" "
	    "is also points[3].disks[0]'s");
	pr.n_disks = 1;
	assert_int_equal(drc_partial_check(m, &pr, err, sizeof(err)), -1);
	assert_string_equal(err, "partial: disks: 1 disks, the base has 2");
	assert_int_equal(drc_partial_load(path, &pb, err, sizeof(err)), -1);
	drc_manifest_free(m);
}

static void
test_names(void **state)
{
	char id[DRC_ID_MAX + 1], name[64];

	(void)state;
	assert_true(drc_file_name_ok("vda-p000001.qcow2"));
	assert_false(drc_file_name_ok(""));
	assert_false(drc_file_name_ok("."));
	assert_false(drc_file_name_ok(".."));
	assert_false(drc_file_name_ok("a/b"));
	assert_false(drc_file_name_ok("a\nb"));
	drc_point_id(id, 17);
	assert_string_equal(id, "p000017");
	drc_point_id(id, 12345678);
	assert_string_equal(id, "p12345678");
	assert_int_equal(drc_overlay_name(name, sizeof(name), "vda", id), 0);
	assert_string_equal(name, "vda-p12345678.qcow2");
	assert_int_equal(drc_overlay_name(name, sizeof(name), "../x", id), -1);
	assert_int_equal(drc_overlay_name(name, 8, "vda", id), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_many_points),
		cmocka_unit_test(test_save),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_commit),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
