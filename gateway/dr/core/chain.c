/*
 * chain.c - the qcow2 chains of the backup site, one directory per guest:
 * base and overlays created, the oldest point merged into the base, files
 * removed, images compared.  Every qemu-img call goes through drc_run() (no
 * shell); its stderr ends up in the error.
 *
 * Backing files are recorded relative: the plain name of the backing file
 * in the same directory ("vda-base.qcow2"), which QEMU resolves against the
 * overlay's own directory.  A chain directory can thus be moved, copied or
 * mounted elsewhere (a test failover, a restore from a copy) and the
 * manifest's plain names keep matching the headers.
 *
 * Retention merge of the oldest point P (backing: the base B) under the
 * next point Q (backing: P), per disk, in this order:
 *
 *   1. qemu-img commit -d P    B gets P's clusters; P itself is kept as it
 *      is (-d: not emptied).  Reading through P gives the same bytes all
 *      the way, as P covers every cluster being written into B; nothing
 *      reads B alone (the base is no recovery point).  A crash leaves B
 *      half updated under an intact P: redoing the commit is harmless.
 *   2. qemu-img rebase -u Q onto B   Q's header now names B.  B equals P
 *      over B after step 1, so every point still reads the same, whether
 *      Q's header names P or B when a crash hits.
 *   3. manifest without P, saved atomically: the only visible change.
 *      Before it, the manifest lists P (still intact) and redoing steps 1
 *      and 2 is idempotent; after it, P is unreferenced.
 *   4. P removed.  A crash before leaves an orphan file, never a hole.
 *
 * The caller makes sure nothing has the images open (a qemu-nbd export, a
 * test failover on P) and that no partial point sits on P.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drcore_int.h"

/* One qemu-img run; on failure "PATH: WHAT: qemu-img's own message". */
static int
qemu_img(const char *path, const char *what, const char *const argv[],
    char *err, size_t errlen)
{
	char msg[512];

	if (drc_run(argv, msg, sizeof(msg)) == 0)
		return 0;
	drc_err(err, errlen, "%s: %s: %s", path, what, msg);
	return -1;
}

/* Claim path (O_EXCL: an existing image is never overwritten). */
static int
claim(const char *path, char *err, size_t errlen)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		drc_err(err, errlen, "%s: create: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int
create(const char *dir, const char *path, const char *const argv[],
    char *err, size_t errlen)
{
	if (claim(path, err, errlen) == -1)
		return -1;
	if (qemu_img(path, "create", argv, err, errlen) == -1) {
		unlink(path);
		return -1;
	}
	return drc_fsync_dir(dir, 1, err, errlen);
}

int
drc_chain_create_base(const char *dir, const char *file, uint64_t size,
    char *err, size_t errlen)
{
	char path[DRC_PATH_MAX], sz[32];
	const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2",
	    path, sz, NULL };

	if (drc_path(path, dir, file, err, errlen) == -1)
		return -1;
	if (size == 0 || size > DRC_DISK_SIZE_MAX || size % 512 != 0) {
		drc_err(err, errlen, "%s: size %" PRIu64 " not a multiple of "
		    "512 in 512..%llu", path, size, DRC_DISK_SIZE_MAX);
		return -1;
	}
	snprintf(sz, sizeof(sz), "%" PRIu64, size);
	return create(dir, path, argv, err, errlen);
}

int
drc_chain_create_overlay(const char *dir, const char *file,
    const char *backing, char *err, size_t errlen)
{
	char path[DRC_PATH_MAX], bpath[DRC_PATH_MAX];
	const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2",
	    "-F", "qcow2", "-b", backing, path, NULL };
	struct stat st;

	if (drc_path(path, dir, file, err, errlen) == -1 ||
	    drc_path(bpath, dir, backing, err, errlen) == -1)
		return -1;
	if (stat(bpath, &st) == -1) {
		drc_err(err, errlen, "%s: backing file %s: %s", path, bpath,
		    strerror(errno));
		return -1;
	}
	return create(dir, path, argv, err, errlen);
}

int
drc_chain_remove(const char *dir, const char *file, char *err,
    size_t errlen)
{
	char path[DRC_PATH_MAX];

	if (drc_path(path, dir, file, err, errlen) == -1)
		return -1;
	if (unlink(path) == -1) {
		if (errno == ENOENT)
			return 0;
		drc_err(err, errlen, "%s: remove: %s", path, strerror(errno));
		return -1;
	}
	return drc_fsync_dir(dir, 1, err, errlen);
}

/* Steps 1 and 2 for one disk: P into the base, Q onto the base. */
static int
merge_disk(const char *dir, const char *p, const char *q, const char *base,
    char *err, size_t errlen)
{
	char pp[DRC_PATH_MAX], qp[DRC_PATH_MAX];
	const char *commit[] = { "qemu-img", "commit", "-q", "-d", "-f",
	    "qcow2", pp, NULL };
	const char *rebase[] = { "qemu-img", "rebase", "-q", "-u", "-f",
	    "qcow2", "-F", "qcow2", "-b", base, qp, NULL };

	if (drc_path(pp, dir, p, err, errlen) == -1 ||
	    drc_path(qp, dir, q, err, errlen) == -1 ||
	    qemu_img(pp, "commit into the base", commit, err, errlen) == -1 ||
	    qemu_img(qp, "rebase onto the base", rebase, err, errlen) == -1)
		return -1;
	return 0;
}

/* Step 3: m saved without its oldest point (base sizes grown to it). */
static int
save_without_oldest(const char *path, const struct drc_manifest *m,
    struct drc_disk *base, char *err, size_t errlen)
{
	struct drc_manifest view = *m;
	size_t i;

	for (i = 0; i < m->n_base; i++) {
		base[i] = m->base[i];
		if (m->points[0].disks[i].size > base[i].size)
			base[i].size = m->points[0].disks[i].size;
	}
	view.base = base;
	view.points = m->points + 1;
	view.n_points = m->n_points - 1;
	return drc_manifest_save(path, &view, err, errlen);
}

int
drc_chain_merge_oldest(const char *dir, const char *manifest_path,
    struct drc_manifest *m, char *err, size_t errlen)
{
	struct drc_point *p = &m->points[0];
	struct drc_disk *base = NULL;
	char id[DRC_ID_MAX + 1], why[512];
	size_t i;
	int ret = -1;

	if (m->n_points < 2 || p->pinned) {
		drc_err(err, errlen, "%s: merge: %s", m->n_points ? p->id :
		    m->guest, m->n_points < 2 ? "the newest point is never "
		    "merged" : "pinned");
		return -1;
	}
	for (i = 0; i < m->n_base; i++)
		if (merge_disk(dir, p->disks[i].file, m->points[1].disks[i].file,
		    m->base[i].file, err, errlen) == -1)
			return -1;
	if ((base = calloc(m->n_base, sizeof(*base))) == NULL) {
		drc_err(err, errlen, "%s: merge: out of memory", p->id);
		return -1;
	}
	if (save_without_oldest(manifest_path, m, base, err, errlen) == -1)
		goto out;
	/* step 4; from here on m is the saved manifest */
	memcpy(m->base, base, m->n_base * sizeof(*base));
	snprintf(id, sizeof(id), "%s", p->id);
	ret = 0;
	for (i = 0; i < p->n_disks; i++)
		if (drc_chain_remove(dir, p->disks[i].file, why,
		    sizeof(why)) == -1 && ret == 0) {
			drc_err(err, errlen, "%s: merged into the base, but %s",
			    id, why);
			ret = -1;
		}
	drc_point_clear(p);
	memmove(m->points, m->points + 1, (m->n_points - 1) * sizeof(*p));
	m->n_points--;
out:
	free(base);
	return ret;
}

int
drc_chain_compare(const char *a, const char *b, int *differ, char *err,
    size_t errlen)
{
	const char *argv[] = { "qemu-img", "compare", "-q", a, b, NULL };
	char msg[512];
	int rc;

	*differ = 0;
	rc = drc_run(argv, msg, sizeof(msg));
	if (rc == 0 || rc == 1) {
		*differ = rc;
		return 0;
	}
	drc_err(err, errlen, "%s vs %s: compare: %s", a, b, msg);
	return -1;
}

int
drc_overlay_name(char *buf, size_t len, const char *target, const char *id)
{
	int n = snprintf(buf, len, "%s-%s.qcow2", target, id);

	if (n < 0 || (size_t)n >= len || !drc_token_ok(target, DRC_TARGET_MAX) ||
	    !drc_token_ok(id, DRC_ID_MAX) || !drc_file_name_ok(buf)) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}
