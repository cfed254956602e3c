/*
 * partial.c - the record of a point in progress at the backup site
 * (partial.json beside manifest.json): which point, which overlay files
 * are being written, and where a resumed stream starts.
 *
 *   { "version": 1, "id": "p000018", "seq": 18, "start": T,
 *     "disks": [ { "target": "vda", "file": "vda-p000018.qcow2",
 *                  "size": N } ],
 *     "next_seq": 1234, "disk": 0 }
 *
 * next_seq is the last acknowledged frame + 1 (0: nothing acknowledged),
 * disk the disk in progress at that frame.  The record is saved before
 * the overlays are created and on every acknowledgement; it is what lets
 * a restarted daemon resume the point or discard it (remove the overlays,
 * then the record).  A point is never a recovery point while only this
 * record names it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "drcore_int.h"

static const char *const partial_keys[] = { "version", "id", "seq",
	"start", "disks", "next_seq", "disk", NULL };

void
drc_partial_free(struct drc_partial *p)
{
	if (p == NULL)
		return;
	free(p->disks);
	free(p);
}

static int
partial_check(const struct drc_jctx *c, const struct drc_partial *p)
{
	if (!drc_token_ok(p->id, DRC_ID_MAX))
		return drc_jbad(c, "", "id", "must be letters, digits, '.', "
		    "'_' or '-'");
	if (drc_jcheck_range(c, "", "start", (uint64_t)p->start, 1,
	    DRC_TIME_MAX) == -1 || drc_jcheck_range(c, "", "next_seq",
	    p->next_seq, 0, INT64_MAX) == -1 || drc_jcheck_range(c, "",
	    "disk", p->disk, 0, p->n_disks) == -1)
		return -1;
	if (p->n_disks == 0 || p->n_disks > DRC_DISKS_MAX)
		return drc_jbad(c, "", "disks", "%zu disks, not 1..%d",
		    p->n_disks, DRC_DISKS_MAX);
	return drc_jcheck_disks(c, "disks", p->disks, p->n_disks, NULL, 0);
}

int
drc_partial_parse(const char *name, const char *text, size_t len,
    struct drc_partial **out, char *err, size_t errlen)
{
	struct drc_jctx c = { name, err, errlen };
	struct drc_partial *p = NULL;
	uint64_t version, start, disk;
	json_t *root;
	int ret = -1;

	*out = NULL;
	if ((root = drc_jload(&c, text, len, DRC_MANIFEST_MAX)) == NULL)
		return -1;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		drc_err(err, errlen, "%s: out of memory", name);
		goto out;
	}
	if (drc_jkeys(&c, root, "", partial_keys) == -1 ||
	    drc_juint(&c, root, "", "version", 1, &version) == -1)
		goto out;
	if (version != DRC_MANIFEST_VERSION) {
		drc_jbad(&c, "", "version", "%" PRIu64 " not supported (%d)",
		    version, DRC_MANIFEST_VERSION);
		goto out;
	}
	if (drc_jstr(&c, root, "", "id", 1, p->id, sizeof(p->id)) == -1 ||
	    drc_juint(&c, root, "", "seq", 1, &p->seq) == -1 ||
	    drc_juint(&c, root, "", "start", 1, &start) == -1 ||
	    drc_jdisks(&c, root, "", "disks", &p->disks, &p->n_disks) == -1 ||
	    drc_juint(&c, root, "", "next_seq", 1, &p->next_seq) == -1 ||
	    drc_juint(&c, root, "", "disk", 1, &disk) == -1)
		goto out;
	p->start = (int64_t)start;	/* 0..INT64_MAX, checked below */
	if (drc_jcheck_range(&c, "", "disk", disk, 0, p->n_disks) == -1)
		goto out;
	p->disk = (unsigned)disk;
	if (partial_check(&c, p) == -1)
		goto out;
	*out = p;
	p = NULL;
	ret = 0;
out:
	drc_partial_free(p);
	json_decref(root);
	return ret;
}

int
drc_partial_load(const char *path, struct drc_partial **out, char *err,
    size_t errlen)
{
	char *text;
	size_t len;
	int ret;

	*out = NULL;
	if (drc_read_file(path, DRC_MANIFEST_MAX, &text, &len, err,
	    errlen) == -1)
		return errno == ENOENT ? 0 : -1;
	ret = drc_partial_parse(path, text, len, out, err, errlen);
	free(text);
	return ret == 0 ? 1 : -1;
}

static int
reparse(const char *name, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct drc_partial *p;

	if (drc_partial_parse(name, text, len, &p, err, errlen) == -1)
		return -1;
	drc_partial_free(p);
	return 0;
}

int
drc_partial_save(const char *path, const struct drc_partial *p, char *err,
    size_t errlen)
{
	struct drc_jctx c = { path, err, errlen };
	json_t *root;

	if (partial_check(&c, p) == -1)
		return -1;
	root = json_pack("{s:i, s:s, s:I, s:I, s:o, s:I, s:i}", "version",
	    DRC_MANIFEST_VERSION, "id", p->id, "seq", (json_int_t)p->seq,
	    "start", (json_int_t)p->start, "disks",
	    drc_jdisks_dump(p->disks, p->n_disks), "next_seq",
	    (json_int_t)p->next_seq, "disk", (int)p->disk);
	return drc_jsave(&c, path, root, reparse);
}

int
drc_partial_remove(const char *path, char *err, size_t errlen)
{
	if (unlink(path) == -1) {
		if (errno == ENOENT)
			return 0;
		drc_err(err, errlen, "%s: remove: %s", path, strerror(errno));
		return -1;
	}
	return drc_fsync_dir(path, 0, err, errlen);
}

int
drc_partial_check(const struct drc_manifest *m, const struct drc_partial *p,
    char *err, size_t errlen)
{
	struct drc_jctx c = { "partial", err, errlen };
	const struct drc_point *newest;
	char w[32], user[96];
	size_t i;

	if (drc_manifest_find(m, p->id) >= 0)
		return 1;
	newest = m->n_points > 0 ? &m->points[m->n_points - 1] : NULL;
	if (newest != NULL && p->seq <= newest->seq)
		return drc_jbad(&c, "", "seq", "%" PRIu64 " not above the "
		    "newest point's %" PRIu64, p->seq, newest->seq);
	if (drc_jcheck_disks(&c, "disks", p->disks, p->n_disks, m->base,
	    m->n_base) == -1)
		return -1;
	for (i = 0; i < p->n_disks; i++) {
		snprintf(w, sizeof(w), "disks[%zu]", i);
		if (drc_manifest_uses(m, p->disks[i].file, user, sizeof(user)))
			return drc_jbad(&c, w, "file", "\"%s\" is also %s's",
			    p->disks[i].file, user);
	}
	return 0;
}
