/*
 * manifest.c - the chain manifest of one guest at the backup site
 * (manifest.json): what the base is, and which complete points sit on it,
 * oldest first.  It is the only thing that makes a point visible as a
 * recovery point.
 *
 *   { "version": 1, "guest": "web1", "uuid": "...", "source_site": "a",
 *     "base": [ { "target": "vda", "file": "vda-base.qcow2", "size": N } ],
 *     "points": [ { "id": "p000017", "seq": 17, "start": T, "end": T,
 *         "consistency": "app" | "crash", "reason": "why app failed",
 *         "bytes": N, "disks": [ same as base ], "domain_xml": "<domain..",
 *         "pinned": false, "pin_reason": "...", "tested_at": T,
 *         "test_result": "..." } ] }
 *
 * Loading is two passes over hostile input: the JSON pass checks presence,
 * types, lengths and unknown keys while copying into a fresh struct; the
 * value pass (also run on every point added and before every save) checks
 * names, ranges and the chain: ids unique, seq increasing, every point
 * listing the base's disks in order, no file used twice.  Nothing is
 * returned unless both passed.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "drcore_int.h"

static const char *const top_keys[] = { "version", "guest", "uuid",
	"source_site", "base", "points", NULL };
static const char *const point_keys[] = { "id", "seq", "start", "end",
	"consistency", "reason", "bytes", "disks", "domain_xml", "pinned",
	"pin_reason", "tested_at", "test_result", NULL };

static pthread_mutex_t manifest_mtx = PTHREAD_MUTEX_INITIALIZER;

void
drc_manifest_lock(void)
{
	pthread_mutex_lock(&manifest_mtx);
}

void
drc_manifest_unlock(void)
{
	pthread_mutex_unlock(&manifest_mtx);
}

void
drc_point_id(char id[DRC_ID_MAX + 1], uint64_t seq)
{
	snprintf(id, DRC_ID_MAX + 1, "p%06" PRIu64, seq);
}

void
drc_point_clear(struct drc_point *p)
{
	if (p == NULL)
		return;
	free(p->disks);
	free(p->domain_xml);
	memset(p, 0, sizeof(*p));
}

void
drc_manifest_free(struct drc_manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n_points; i++)
		drc_point_clear(&m->points[i]);
	free(m->points);
	free(m->base);
	free(m);
}

static int
uuid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != DRC_UUID_LEN)
		return 0;
	for (i = 0; i < DRC_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return 1;
}

/* --- the JSON pass ------------------------------------------------------ */

static int
point_parse(const struct drc_jctx *c, json_t *o, const char *w,
    struct drc_point *p)
{
	char cons[8];
	uint64_t start, end, tested;

	if (!json_is_object(o))
		return drc_jbad(c, w, NULL, "must be an object");
	if (drc_jkeys(c, o, w, point_keys) == -1 ||
	    drc_jstr(c, o, w, "id", 1, p->id, sizeof(p->id)) == -1 ||
	    drc_juint(c, o, w, "seq", 1, &p->seq) == -1 ||
	    drc_juint(c, o, w, "start", 1, &start) == -1 ||
	    drc_juint(c, o, w, "end", 1, &end) == -1 ||
	    drc_jstr(c, o, w, "consistency", 1, cons, sizeof(cons)) == -1 ||
	    drc_jstr(c, o, w, "reason", 0, p->reason,
	    sizeof(p->reason)) == -1 ||
	    drc_juint(c, o, w, "bytes", 1, &p->bytes) == -1 ||
	    drc_jdisks(c, o, w, "disks", &p->disks, &p->n_disks) == -1 ||
	    drc_jstrdup(c, o, w, "domain_xml", DRC_XML_MAX,
	    &p->domain_xml) == -1 ||
	    drc_jbool(c, o, w, "pinned", 1, &p->pinned) == -1 ||
	    drc_jstr(c, o, w, "pin_reason", 0, p->pin_reason,
	    sizeof(p->pin_reason)) == -1 ||
	    drc_juint(c, o, w, "tested_at", 0, &tested) == -1 ||
	    drc_jstr(c, o, w, "test_result", 0, p->test_result,
	    sizeof(p->test_result)) == -1)
		return -1;
	if (strcmp(cons, "crash") != 0 && strcmp(cons, "app") != 0)
		return drc_jbad(c, w, "consistency", "must be \"crash\" or "
		    "\"app\"");
	p->consistency = strcmp(cons, "app") == 0 ? DRC_APP : DRC_CRASH;
	/* drc_juint gives 0..INT64_MAX; the value pass checks the range */
	p->start = (int64_t)start;
	p->end = (int64_t)end;
	p->tested_at = (int64_t)tested;
	return 0;
}

static int
points_parse(const struct drc_jctx *c, json_t *root, struct drc_manifest *m)
{
	char w[64];
	json_t *arr;
	size_t i, n;

	if ((arr = json_object_get(root, "points")) == NULL)
		return drc_jbad(c, "", "points", "missing");
	if (!json_is_array(arr))
		return drc_jbad(c, "", "points", "must be an array");
	if ((n = json_array_size(arr)) > DRC_POINTS_MAX)
		return drc_jbad(c, "", "points", "%zu points, more than %d", n,
		    DRC_POINTS_MAX);
	if (n > 0 && (m->points = calloc(n, sizeof(*m->points))) == NULL)
		return drc_jbad(c, "", "points", "out of memory");
	for (i = 0; i < n; i++) {
		snprintf(w, sizeof(w), "points[%zu]", i);
		m->n_points = i + 1;	/* freed with m from here on */
		if (point_parse(c, json_array_get(arr, i), w,
		    &m->points[i]) == -1)
			return -1;
	}
	return 0;
}

/* --- the value pass ----------------------------------------------------- */

static int
point_check(const struct drc_jctx *c, const char *w,
    const struct drc_point *p, const struct drc_point *prev)
{
	if (!drc_token_ok(p->id, DRC_ID_MAX))
		return drc_jbad(c, w, "id", "must be letters, digits, '.', "
		    "'_' or '-'");
	if (prev != NULL && p->seq <= prev->seq)
		return drc_jbad(c, w, "seq", "%" PRIu64 " not above the "
		    "previous point's %" PRIu64, p->seq, prev->seq);
	if (drc_jcheck_range(c, w, "start", (uint64_t)p->start, 1,
	    DRC_TIME_MAX) == -1 || drc_jcheck_range(c, w, "end",
	    (uint64_t)p->end, (uint64_t)p->start, DRC_TIME_MAX) == -1 ||
	    drc_jcheck_range(c, w, "tested_at", (uint64_t)p->tested_at, 0,
	    DRC_TIME_MAX) == -1 || drc_jcheck_range(c, w, "bytes", p->bytes,
	    0, INT64_MAX) == -1)
		return -1;
	if (p->consistency == DRC_APP && p->reason[0] != '\0')
		return drc_jbad(c, w, "reason", "set on an app-consistent "
		    "point");
	if (p->pinned && p->pin_reason[0] == '\0')
		return drc_jbad(c, w, "pin_reason", "missing for a pinned "
		    "point");
	if (!p->pinned && p->pin_reason[0] != '\0')
		return drc_jbad(c, w, "pin_reason", "set on an unpinned point");
	if (p->test_result[0] != '\0' && p->tested_at == 0)
		return drc_jbad(c, w, "test_result", "set on a point never "
		    "tested");
	if (p->domain_xml == NULL || p->domain_xml[0] == '\0')
		return drc_jbad(c, w, "domain_xml", "missing");
	return 0;
}

/* Where disk di of point pi (-1: the base) is, for messages. */
static void
file_where(char *buf, size_t len, ssize_t pi, size_t di)
{
	if (pi < 0)
		snprintf(buf, len, "base[%zu]", di);
	else
		snprintf(buf, len, "points[%zd].disks[%zu]", pi, di);
}

static const struct drc_disk *
disks_of(const struct drc_manifest *m, ssize_t pi, size_t *n)
{
	*n = pi < 0 ? m->n_base : m->points[pi].n_disks;
	return pi < 0 ? m->base : m->points[pi].disks;
}

/* No file of point pi (the newest) is used by the base or another point. */
static int
files_unique(const struct drc_jctx *c, const struct drc_manifest *m,
    ssize_t pi)
{
	const struct drc_disk *d, *o;
	char w[96], ow[96];
	size_t i, j, n, on;
	ssize_t qi;

	d = disks_of(m, pi, &n);
	for (i = 0; i < n; i++)
		for (qi = -1; qi <= pi; qi++) {
			o = disks_of(m, qi, &on);
			for (j = 0; j < on && (qi < pi || j < i); j++) {
				if (strcmp(d[i].file, o[j].file) != 0)
					continue;
				file_where(w, sizeof(w), pi, i);
				file_where(ow, sizeof(ow), qi, j);
				return drc_jbad(c, w, "file", "\"%s\" is also "
				    "%s's", d[i].file, ow);
			}
		}
	return 0;
}

struct file_ref {
	const char	*file;
	ssize_t		 pi;
	size_t		 di;
};

static int
file_ref_cmp(const void *a, const void *b)
{
	const struct file_ref *x = a, *y = b;
	int r = strcmp(x->file, y->file);

	if (r != 0)
		return r;
	if (x->pi != y->pi)
		return x->pi < y->pi ? -1 : 1;
	return x->di < y->di ? -1 : x->di > y->di;
}

/* The whole manifest at once: sorted, so that 64k files stay cheap. */
static int
all_files_unique(const struct drc_jctx *c, const struct drc_manifest *m)
{
	struct file_ref *r;
	const struct drc_disk *d;
	char w[96], ow[96];
	size_t i, n, k = 0, total = m->n_base;
	ssize_t pi;
	int ret = 0;

	for (i = 0; i < m->n_points; i++)
		total += m->points[i].n_disks;
	if ((r = calloc(total, sizeof(*r))) == NULL)
		return drc_jbad(c, "", "points", "out of memory");
	for (pi = -1; pi < (ssize_t)m->n_points; pi++) {
		d = disks_of(m, pi, &n);
		for (i = 0; i < n; i++)
			r[k++] = (struct file_ref){ d[i].file, pi, i };
	}
	qsort(r, total, sizeof(*r), file_ref_cmp);
	for (i = 1; i < total && ret == 0; i++) {
		if (strcmp(r[i].file, r[i - 1].file) != 0)
			continue;
		file_where(w, sizeof(w), r[i].pi, r[i].di);
		file_where(ow, sizeof(ow), r[i - 1].pi, r[i - 1].di);
		ret = drc_jbad(c, w, "file", "\"%s\" is also %s's",
		    r[i].file, ow);
	}
	free(r);
	return ret;
}

/* Point i of m against the base and the point before it. */
static int
check_one(const struct drc_jctx *c, const struct drc_manifest *m, size_t i)
{
	const struct drc_point *p = &m->points[i];
	char w[64], dw[80];
	size_t j;

	snprintf(w, sizeof(w), "points[%zu]", i);
	snprintf(dw, sizeof(dw), "%s.disks", w);
	if (point_check(c, w, p, i > 0 ? &m->points[i - 1] : NULL) == -1 ||
	    drc_jcheck_disks(c, dw, p->disks, p->n_disks, m->base,
	    m->n_base) == -1)
		return -1;
	for (j = 0; j < i; j++)
		if (strcmp(m->points[j].id, p->id) == 0)
			return drc_jbad(c, w, "id", "\"%s\" is also "
			    "points[%zu]'s", p->id, j);
	return 0;
}

static int
manifest_check(const struct drc_jctx *c, const struct drc_manifest *m)
{
	size_t i;

	if (m->guest[0] == '\0' || strchr(m->guest, '/') != NULL)
		return drc_jbad(c, "", "guest", "must be a name without '/'");
	if (!uuid_ok(m->uuid))
		return drc_jbad(c, "", "uuid", "must be a UUID "
		    "(8-4-4-4-12 hex digits)");
	if (!drc_token_ok(m->source_site, DRC_NAME_MAX))
		return drc_jbad(c, "", "source_site", "must be letters, "
		    "digits, '.', '_' or '-'");
	if (m->n_base == 0 || m->n_base > DRC_DISKS_MAX)
		return drc_jbad(c, "", "base", "%zu disks, not 1..%d",
		    m->n_base, DRC_DISKS_MAX);
	if (drc_jcheck_disks(c, "base", m->base, m->n_base, NULL, 0) == -1)
		return -1;
	for (i = 0; i < m->n_points; i++)
		if (check_one(c, m, i) == -1)
			return -1;
	return all_files_unique(c, m);
}

int
drc_manifest_parse(const char *name, const char *text, size_t len,
    struct drc_manifest **out, char *err, size_t errlen)
{
	struct drc_jctx c = { name, err, errlen };
	struct drc_manifest *m = NULL;
	json_t *root;
	uint64_t version;
	int ret = -1;

	*out = NULL;
	if ((root = drc_jload(&c, text, len, DRC_MANIFEST_MAX)) == NULL)
		return -1;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		drc_err(err, errlen, "%s: out of memory", name);
		goto out;
	}
	if (drc_jkeys(&c, root, "", top_keys) == -1 ||
	    drc_juint(&c, root, "", "version", 1, &version) == -1)
		goto out;
	if (version != DRC_MANIFEST_VERSION) {
		drc_jbad(&c, "", "version", "%" PRIu64 " not supported (%d)",
		    version, DRC_MANIFEST_VERSION);
		goto out;
	}
	if (drc_jstr(&c, root, "", "guest", 1, m->guest,
	    sizeof(m->guest)) == -1 ||
	    drc_jstr(&c, root, "", "uuid", 1, m->uuid, sizeof(m->uuid)) == -1 ||
	    drc_jstr(&c, root, "", "source_site", 1, m->source_site,
	    sizeof(m->source_site)) == -1 ||
	    drc_jdisks(&c, root, "", "base", &m->base, &m->n_base) == -1 ||
	    points_parse(&c, root, m) == -1 || manifest_check(&c, m) == -1)
		goto out;
	*out = m;
	m = NULL;
	ret = 0;
out:
	drc_manifest_free(m);
	json_decref(root);
	return ret;
}

int
drc_manifest_load(const char *path, struct drc_manifest **out, char *err,
    size_t errlen)
{
	char *text;
	size_t len;
	int ret;

	*out = NULL;
	if (drc_read_file(path, DRC_MANIFEST_MAX, &text, &len, err,
	    errlen) == -1)
		return -1;
	ret = drc_manifest_parse(path, text, len, out, err, errlen);
	free(text);
	return ret;
}

static json_t *
point_dump(const struct drc_point *p)
{
	json_t *o;

	o = json_pack("{s:s, s:I, s:I, s:I, s:s, s:I, s:o, s:s, s:b}",
	    "id", p->id, "seq", (json_int_t)p->seq, "start",
	    (json_int_t)p->start, "end", (json_int_t)p->end, "consistency",
	    p->consistency == DRC_APP ? "app" : "crash", "bytes",
	    (json_int_t)p->bytes, "disks", drc_jdisks_dump(p->disks,
	    p->n_disks), "domain_xml", p->domain_xml ? p->domain_xml : "",
	    "pinned", p->pinned);
	if (o == NULL)
		return NULL;
	if ((p->reason[0] != '\0' && json_object_set_new(o, "reason",
	    json_string(p->reason)) == -1) || (p->pin_reason[0] != '\0' &&
	    json_object_set_new(o, "pin_reason",
	    json_string(p->pin_reason)) == -1) || (p->tested_at != 0 &&
	    json_object_set_new(o, "tested_at",
	    json_integer(p->tested_at)) == -1) || (p->test_result[0] != '\0' &&
	    json_object_set_new(o, "test_result",
	    json_string(p->test_result)) == -1)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
manifest_dump(const struct drc_manifest *m)
{
	json_t *root, *points;
	size_t i;

	if ((points = json_array()) == NULL)
		return NULL;
	for (i = 0; i < m->n_points; i++)
		if (json_array_append_new(points,
		    point_dump(&m->points[i])) == -1) {
			json_decref(points);
			return NULL;
		}
	root = json_pack("{s:i, s:s, s:s, s:s, s:o, s:o}", "version",
	    DRC_MANIFEST_VERSION, "guest", m->guest, "uuid", m->uuid,
	    "source_site", m->source_site, "base",
	    drc_jdisks_dump(m->base, m->n_base), "points", points);
	return root;
}

/* drc_jsave's check: the text reads back as a valid manifest */
static int
reparse(const char *name, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct drc_manifest *m;

	if (drc_manifest_parse(name, text, len, &m, err, errlen) == -1)
		return -1;
	drc_manifest_free(m);
	return 0;
}

int
drc_manifest_save(const char *path, const struct drc_manifest *m,
    char *err, size_t errlen)
{
	struct drc_jctx c = { path, err, errlen };

	if (manifest_check(&c, m) == -1)
		return -1;
	return drc_jsave(&c, path, manifest_dump(m), reparse);
}

int
drc_manifest_add(struct drc_manifest *m, struct drc_point *p, char *err,
    size_t errlen)
{
	struct drc_jctx c = { "manifest", err, errlen };
	struct drc_point *np;

	if (m->n_points >= DRC_POINTS_MAX) {
		drc_err(err, errlen, "%s: manifest: %d points already", p->id,
		    DRC_POINTS_MAX);
		return -1;
	}
	if ((np = realloc(m->points, (m->n_points + 1) * sizeof(*np))) ==
	    NULL) {
		drc_err(err, errlen, "%s: out of memory", p->id);
		return -1;
	}
	m->points = np;
	m->points[m->n_points] = *p;
	if (check_one(&c, m, m->n_points) == -1 ||
	    files_unique(&c, m, (ssize_t)m->n_points) == -1)
		return -1;	/* not counted: *p still owns its members */
	m->n_points++;
	memset(p, 0, sizeof(*p));
	return 0;
}

ssize_t
drc_manifest_find(const struct drc_manifest *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->n_points; i++)
		if (strcmp(m->points[i].id, id) == 0)
			return (ssize_t)i;
	return -1;
}

int
drc_manifest_uses(const struct drc_manifest *m, const char *file,
    char *where, size_t len)
{
	const struct drc_disk *d;
	size_t i, n;
	ssize_t pi;

	for (pi = -1; pi < (ssize_t)m->n_points; pi++) {
		d = disks_of(m, pi, &n);
		for (i = 0; i < n; i++)
			if (strcmp(d[i].file, file) == 0) {
				file_where(where, len, pi, i);
				return 1;
			}
	}
	return 0;
}

int
drc_manifest_commit(const char *path, struct drc_manifest *m,
    struct drc_point *p, const char *partial_path, char *err,
    size_t errlen)
{
	if (drc_manifest_add(m, p, err, errlen) == -1)
		return -1;
	if (drc_manifest_save(path, m, err, errlen) == -1) {
		*p = m->points[--m->n_points];	/* back to the caller */
		return -1;
	}
	if (partial_path != NULL)
		return drc_partial_remove(partial_path, err, errlen);
	return 0;
}
