/*
 * test_dr_nbd.c - chain.c, nbdio.c, extents.c and hash.c on real images
 * with qemu-img, qemu-io and qemu-nbd (qemu-utils), in a temporary
 * directory removed afterwards:
 *
 *   - a seed: a full read of a qcow2 disk with known data, shipped as
 *     chunk frames into an overlay on an empty base: the chain equals it;
 *   - an incremental point: a copy with a persistent dirty bitmap, blocks
 *     written, zeroed, discarded; exported with qemu-nbd -B, the dirty
 *     extents are exactly the touched blocks, data or zero; shipped into
 *     the next overlay, the chain equals the source;
 *   - a retention merge of the oldest point: the content stays equal, the
 *     next overlay names the base relatively, the manifest lost the point;
 *   - block hashes of both sides: equal, then exactly the changed blocks;
 *   - a 3 GiB sparse disk: dirty extents across block-status requests;
 *   - errors: a full file system (ENOSPC named with the overlay), missing
 *     images, bitmaps and sockets, qemu-img's stderr in the message.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "drcore.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define KIB		1024ull
#define MIB		(1024ull * 1024)
#define GIB		(1024ull * MIB)
#define SIZE		(8 * MIB)

static char dir[64];
static int mounted;

/* dir/name in one of a few rotating buffers */
static const char *
P(const char *name)
{
	static char buf[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* Run a program (NULL-terminated arguments); it must succeed. */
static void
run(const char *a0, ...)
{
	const char *argv[32];
	char msg[512];
	va_list ap;
	size_t n = 0;

	argv[n++] = a0;
	va_start(ap, a0);
	while ((argv[n++] = va_arg(ap, const char *)) != NULL)
		assert_true(n < nitems(argv));
	va_end(ap);
	if (drc_run(argv, msg, sizeof(msg)) != 0)
		fail_msg("%s %s: %s", argv[0], argv[1], msg);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_dr_nbd.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };
	char msg[256];

	(void)state;
	if (mounted)
		umount2(P("full"), MNT_DETACH);
	return drc_run(argv, msg, sizeof(msg)) == 0 ? 0 : -1;
}

/* The home site's disk at point 1: known data in three places. */
static void
make_base(const char *path)
{
	run("qemu-img", "create", "-q", "-f", "qcow2", path, "8M", NULL);
	run("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 2M", "-c",
	    "write -P 0x22 3M 512k", "-c", "write -P 0x33 7M 1M", path, NULL);
}

/* Copy every extent from r to w through chunk frames of disk 0. */
static void
ship(struct drc_nbd *r, struct drc_nbd *w, const struct drc_extent *e,
    size_t n)
{
	static uint8_t frame[DRC_CHUNK_FRAME_MAX];
	uint64_t size = drc_nbd_size(r), off, end, seq = 0;
	struct drc_chunk_dec d;
	struct drc_chunk c, got;
	char err[512];
	size_t i, used, len;

	drc_chunk_dec_init(&d, 0, 0, 0, &size, 1);
	for (i = 0; i <= n; i++) {
		off = i < n ? e[i].offset : size;
		end = i < n ? e[i].offset + e[i].length : size;
		do {
			len = end - off > DRC_CHUNK_PAYLOAD_MAX ?
			    DRC_CHUNK_PAYLOAD_MAX : (size_t)(end - off);
			c = (struct drc_chunk){ i == n ? DRC_CHUNK_END_DISK :
			    e[i].zero ? DRC_CHUNK_ZERO : DRC_CHUNK_DATA, 0,
			    seq++, off, (uint32_t)len, NULL };
			if (c.type == DRC_CHUNK_END_DISK)
				c.length = 0;
			if (c.type == DRC_CHUNK_DATA) {
				c.payload = frame + DRC_CHUNK_HDR;
				assert_int_equal(drc_nbd_pread(r, frame +
				    DRC_CHUNK_HDR, len, off, err,
				    sizeof(err)), 0);
			}
			assert_int_equal(drc_chunk_encode(frame, &c, err,
			    sizeof(err)), 0);
			/* the backup site's side */
			if (drc_chunk_decode(&d, frame, sizeof(frame), &got,
			    &used, err, sizeof(err)) != 1)
				fail_msg("decode: %s", err);
			if (got.type == DRC_CHUNK_DATA &&
			    drc_nbd_pwrite(w, got.payload, got.length,
			    got.offset, err, sizeof(err)) == -1)
				fail_msg("%s", err);
			if (got.type == DRC_CHUNK_ZERO &&
			    drc_nbd_zero(w, got.length, got.offset, err,
			    sizeof(err)) == -1)
				fail_msg("%s", err);
			off += len;
		} while (off < end);
	}
	assert_int_equal(d.disk, 1);
	assert_int_equal(drc_nbd_flush(w, err, sizeof(err)), 0);
}

/* From the read export at src_sock into a new overlay on backing. */
static void
ship_point(const char *src, const char *bitmap, const char *overlay,
    const char *backing, size_t *n_ext, struct drc_extent **ext)
{
	struct drc_nbd *r, *w;
	char err[512];

	if (drc_nbd_serve(&r, src, P("src.sock"), 0, bitmap, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(drc_nbd_size(r), SIZE);
	if (drc_nbd_extents(r, 0, SIZE, ext, n_ext, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (drc_chain_create_overlay(dir, overlay, backing, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	if (drc_nbd_serve(&w, P(overlay), P("dst.sock"), 1, NULL, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	ship(r, w, *ext, *n_ext);
	assert_int_equal(drc_nbd_close(w, err, sizeof(err)), 0);
	assert_int_equal(drc_nbd_close(r, err, sizeof(err)), 0);
	assert_int_equal(access(P("src.sock"), F_OK), -1);
}

static void
same(const char *a, const char *b, int want_differ)
{
	char err[512];
	int differ = -1;

	if (drc_chain_compare(a, b, &differ, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (differ != want_differ)
		fail_msg("%s vs %s: differ %d, want %d", a, b, differ,
		    want_differ);
}

/* The backing file name recorded in a qcow2 header. */
static void
backing_of(const char *path, char *name, size_t len)
{
	uint8_t h[20];
	uint64_t off = 0;
	uint32_t n = 0;
	int fd = open(path, O_RDONLY), i;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, h, sizeof(h), 0), sizeof(h));
	for (i = 8; i < 16; i++)
		off = off << 8 | h[i];
	for (i = 16; i < 20; i++)
		n = n << 8 | h[i];
	assert_true(n < len);
	assert_int_equal(pread(fd, name, n, (off_t)off), (ssize_t)n);
	name[n] = '\0';
	close(fd);
}

static void
expect_extents(const struct drc_extent *e, size_t n,
    const struct drc_extent *want, size_t nwant)
{
	size_t i;

	for (i = 0; i < n || i < nwant; i++) {
		if (i < n && i < nwant && e[i].offset == want[i].offset &&
		    e[i].length == want[i].length && e[i].zero == want[i].zero)
			continue;
		fail_msg("extent %zu: got %llu+%llu%s, want %llu+%llu%s (%zu "
		    "vs %zu)", i, i < n ? (unsigned long long)e[i].offset : 0,
		    i < n ? (unsigned long long)e[i].length : 0,
		    i < n && e[i].zero ? " zero" : "",
		    i < nwant ? (unsigned long long)want[i].offset : 0,
		    i < nwant ? (unsigned long long)want[i].length : 0,
		    i < nwant && want[i].zero ? " zero" : "", n, nwant);
	}
}

static const char manifest_fmt[] =
	"{ \"version\": 1, \"guest\": \"web1\", \"uuid\": "
	"\"4dea22b3-1d52-d8f3-2516-782e98ab3fa0\", \"source_site\": \"a\","
	"  \"base\": [ { \"target\": \"vda\", \"file\": \"vda-base.qcow2\","
	"    \"size\": %llu } ], \"points\": [ %s ] }";
static const char point_fmt[] =
	"{ \"id\": \"%s\", \"seq\": %d, \"start\": %d, \"end\": %d,"
	"  \"consistency\": \"crash\", \"bytes\": 0, \"disks\": [ { \"target\":"
	"  \"vda\", \"file\": \"vda-%s.qcow2\", \"size\": %llu } ],"
	"  \"domain_xml\": \"<domain/>\", \"pinned\": %s%s }";

static struct drc_manifest *
manifest(int n, int pinned_first)
{
	struct drc_manifest *m;
	char points[4096] = "", one[1024], id[DRC_ID_MAX + 1], err[512];
	static char text[8192];
	int i;

	for (i = 1; i <= n; i++) {
		drc_point_id(id, (uint64_t)i);
		snprintf(one, sizeof(one), point_fmt, id, i, 1000 * i,
		    1000 * i + 10, id, (unsigned long long)SIZE,
		    i == 1 && pinned_first ? "true" : "false",
		    i == 1 && pinned_first ? ", \"pin_reason\": \"x\"" : "");
		if (i > 1)
			strcat(points, ",");
		strcat(points, one);
	}
	snprintf(text, sizeof(text), manifest_fmt, (unsigned long long)SIZE,
	    points);
	if (drc_manifest_parse("m", text, strlen(text), &m, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	return m;
}

/* Seed, incremental point, retention merge, hashes: one chain. */
static void
test_chain(void **state)
{
	static const struct drc_extent want_dirty[] = {
		{ 64 * KIB, 64 * KIB, 0 },		/* written */
		{ 1 * MIB, 256 * KIB, 1 },		/* zeroed */
		{ 3 * MIB, 64 * KIB, 1 },		/* discarded */
		{ 5 * MIB, 128 * KIB, 0 },		/* new data */
		{ 6 * MIB, 64 * KIB, 0 },		/* 1000 bytes in it */
		{ 7 * MIB + 64 * KIB, 64 * KIB, 1 },	/* zeroed */
		{ 8 * MIB - 64 * KIB, 64 * KIB, 0 },	/* the last block */
	};
	static const struct drc_extent want_diff[] = {
		{ 2 * MIB, 1 * MIB, 0 }, { 4 * MIB, 2 * MIB, 0 },
	};
	struct drc_extent *e, *d;
	struct drc_hashes hs, hd;
	struct drc_manifest *m, *back;
	struct drc_nbd *ns, *nd;
	char err[512], name[64];
	size_t n, i, nd_ext;
	uint64_t covered = 0;

	(void)state;
	make_base(P("home.qcow2"));
	run("cp", P("home.qcow2"), P("src.qcow2"), NULL);
	run("qemu-img", "bitmap", "--add", "--enable", P("src.qcow2"), "b0",
	    NULL);
	run("qemu-io", "-f", "qcow2", "-c", "write -P 0x44 64k 64k", "-c",
	    "write -z 1M 256k", "-c", "discard 3M 64k", "-c",
	    "write -P 0x55 5M 128k", "-c", "write -P 0x77 6291556 1000",
	    "-c", "write -z 7232k 64k", "-c", "write -P 0x66 8128k 64k",
	    P("src.qcow2"), NULL);

	/* the seed: every range of home.qcow2 into p1 on an empty base */
	assert_int_equal(drc_chain_create_base(dir, "vda-base.qcow2", SIZE,
	    err, sizeof(err)), 0);
	ship_point(P("home.qcow2"), NULL, "vda-p000001.qcow2",
	    "vda-base.qcow2", &n, &e);
	for (i = 0; i < n; i++) {
		assert_int_equal(e[i].offset, covered);
		covered += e[i].length;
		assert_true(i == 0 || e[i].zero != e[i - 1].zero);
	}
	assert_int_equal(covered, SIZE);
	free(e);
	same(P("vda-p000001.qcow2"), P("home.qcow2"), 0);

	/* the incremental point: only the dirty blocks */
	ship_point(P("src.qcow2"), "b0", "vda-p000002.qcow2",
	    "vda-p000001.qcow2", &n, &e);
	expect_extents(e, n, want_dirty, nitems(want_dirty));
	free(e);
	same(P("vda-p000002.qcow2"), P("src.qcow2"), 0);
	same(P("vda-p000001.qcow2"), P("home.qcow2"), 0);
	same(P("vda-p000002.qcow2"), P("home.qcow2"), 1);

	/* retention: p1 into the base; p2 reads the same */
	m = manifest(2, 0);
	assert_int_equal(drc_chain_merge_oldest(dir, P("manifest.json"), m,
	    err, sizeof(err)), 0);
	assert_int_equal(m->n_points, 1);
	assert_string_equal(m->points[0].id, "p000002");
	assert_int_equal(access(P("vda-p000001.qcow2"), F_OK), -1);
	backing_of(P("vda-p000002.qcow2"), name, sizeof(name));
	assert_string_equal(name, "vda-base.qcow2");
	same(P("vda-p000002.qcow2"), P("src.qcow2"), 0);
	same(P("vda-base.qcow2"), P("home.qcow2"), 0);
	assert_int_equal(drc_manifest_load(P("manifest.json"), &back, err,
	    sizeof(err)), 0);
	assert_int_equal(back->n_points, 1);
	assert_string_equal(back->points[0].id, "p000002");
	drc_manifest_free(back);
	assert_int_equal(drc_chain_merge_oldest(dir, P("manifest.json"), m,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "p000002: merge: the newest point is never "
	    "merged");
	drc_manifest_free(m);

	/* resync: hashes equal, then exactly the changed blocks differ */
	run("qemu-io", "-f", "qcow2", "-c", "write -P 0x99 2560k 4k", "-c",
	    "write -P 0x98 4194314 4k", "-c", "write -z 5M 4k",
	    P("src.qcow2"), NULL);
	assert_int_equal(drc_nbd_serve(&ns, P("src.qcow2"), P("src.sock"), 0,
	    NULL, err, sizeof(err)), 0);
	assert_int_equal(drc_nbd_serve(&nd, P("vda-p000002.qcow2"),
	    P("dst.sock"), 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(drc_hash_disk(ns, &hs, err, sizeof(err)), 0);
	assert_int_equal(drc_hash_disk(nd, &hd, err, sizeof(err)), 0);
	assert_int_equal(hs.n, SIZE / DRC_HASH_BLOCK);
	assert_int_equal(drc_hash_diff(&hs, &hd, &d, &nd_ext, err,
	    sizeof(err)), 0);
	expect_extents(d, nd_ext, want_diff, nitems(want_diff));
	free(d);
	drc_hashes_free(&hs);
	drc_hashes_free(&hd);
	assert_int_equal(drc_nbd_close(ns, err, sizeof(err)), 0);
	assert_int_equal(drc_nbd_close(nd, err, sizeof(err)), 0);
}

/* Dirty and full extents of a 3 GiB disk, across 1 GiB requests. */
static void
test_big_extents(void **state)
{
	static const struct drc_extent want_dirty[] = {
		{ 0, 64 * KIB, 0 },
		{ GIB - 64 * KIB, 128 * KIB, 0 },
		{ 3 * GIB - 64 * KIB, 64 * KIB, 0 },
	};
	static const struct drc_extent want_full[] = {
		{ 0, 64 * KIB, 0 },
		{ 64 * KIB, GIB - 128 * KIB, 1 },
		{ GIB - 64 * KIB, 128 * KIB, 0 },
		{ GIB + 64 * KIB, 2 * GIB - 128 * KIB, 1 },
		{ 3 * GIB - 64 * KIB, 64 * KIB, 0 },
	};
	struct drc_extent *e;
	struct drc_nbd *r;
	char err[512];
	size_t n;

	(void)state;
	run("qemu-img", "create", "-q", "-f", "qcow2", P("big.qcow2"), "3G",
	    NULL);
	run("qemu-img", "bitmap", "--add", "--enable", P("big.qcow2"), "b0",
	    NULL);
	run("qemu-io", "-f", "qcow2", "-c", "write -P 1 0 64k", "-c",
	    "write -P 2 1048512k 128k", "-c", "write -P 3 3145664k 64k",
	    P("big.qcow2"), NULL);
	assert_int_equal(drc_nbd_serve(&r, P("big.qcow2"), P("big.sock"), 0,
	    "b0", err, sizeof(err)), 0);
	assert_int_equal(drc_nbd_extents(r, 0, 3 * GIB, &e, &n, err,
	    sizeof(err)), 0);
	expect_extents(e, n, want_dirty, nitems(want_dirty));
	free(e);
	/* a window in the middle of a dirty range */
	assert_int_equal(drc_nbd_extents(r, GIB, 2 * GIB, &e, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].offset, GIB);
	assert_int_equal(e[0].length, 64 * KIB);
	free(e);
	assert_int_equal(drc_nbd_close(r, err, sizeof(err)), 0);

	assert_int_equal(drc_nbd_serve(&r, P("big.qcow2"), P("big.sock"), 0,
	    NULL, err, sizeof(err)), 0);
	assert_int_equal(drc_nbd_extents(r, 0, 3 * GIB, &e, &n, err,
	    sizeof(err)), 0);
	expect_extents(e, n, want_full, nitems(want_full));
	free(e);
	assert_int_equal(drc_nbd_extents(r, 3 * GIB - 1, 2, &e, &n, err,
	    sizeof(err)), -1);
	assert_int_equal(drc_nbd_close(r, err, sizeof(err)), 0);
}

/* A file system that fills up: the write fails naming the overlay. */
static void
test_disk_full(void **state)
{
	static uint8_t buf[MIB];
	struct drc_nbd *w;
	char err[512], sub[128], want[512];
	uint64_t off;
	int rc = 0;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		printf("disk full: needs root and mount namespaces, skipped\n");
		return;
	}
	snprintf(sub, sizeof(sub), "%s", P("full"));
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mount("tmpfs", sub, "tmpfs", 0, "size=2m"), 0);
	mounted = 1;
	assert_int_equal(drc_chain_create_base(sub, "b.qcow2", 64 * MIB, err,
	    sizeof(err)), 0);
	assert_int_equal(drc_chain_create_overlay(sub, "o.qcow2", "b.qcow2",
	    err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/o.qcow2", sub);
	assert_int_equal(drc_nbd_serve(&w, want, P("o.sock"), 1, NULL, err,
	    sizeof(err)), 0);
	randombytes_buf(buf, sizeof(buf));
	for (off = 0; off < 8 * MIB && rc == 0; off += MIB)
		rc = drc_nbd_pwrite(w, buf, sizeof(buf), off, err, sizeof(err));
	assert_int_equal(rc, -1);
	snprintf(want, sizeof(want), "%s/o.qcow2: write at %llu+1048576: disk "
	    "full (no space left on device)", sub,
	    (unsigned long long)(off - MIB));
	assert_string_equal(err, want);
	drc_nbd_close(w, err, sizeof(err));
	assert_int_equal(umount2(sub, MNT_DETACH), 0);
	mounted = 0;
}

static void
test_errors(void **state)
{
	struct drc_manifest *m;
	struct drc_nbd *n;
	char err[512], want[1024];
	int differ;

	(void)state;
	/* qemu-nbd's own reason comes back */
	assert_int_equal(drc_nbd_serve(&n, P("none.qcow2"), P("x.sock"), 0,
	    NULL, err, sizeof(err)), -1);
	assert_null(n);
	snprintf(want, sizeof(want), "%s: qemu-nbd: ", P("none.qcow2"));
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, "No such file or directory"));
	make_base(P("e.qcow2"));
	assert_int_equal(drc_nbd_serve(&n, P("e.qcow2"), P("x.sock"), 0,
	    "nope", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nope"));
	assert_int_equal(access(P("x.sock"), F_OK), -1);
	snprintf(want, sizeof(want), "%s: connect: ", P("x.sock"));
	assert_int_equal(drc_nbd_connect(&n, P("x.sock"), "", NULL, err,
	    sizeof(err)), -1);
	assert_memory_equal(err, want, strlen(want));

	/* requests past the end are refused before they are sent */
	assert_int_equal(drc_nbd_serve(&n, P("e.qcow2"), P("x.sock"), 1,
	    NULL, err, sizeof(err)), 0);
	assert_int_equal(drc_nbd_zero(n, 2, SIZE - 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: zero at 8388607+2: beyond the end "
	    "(8388608)", P("e.qcow2"));
	assert_string_equal(err, want);
	assert_int_equal(drc_nbd_close(n, err, sizeof(err)), 0);

	/* chain files: never overwritten, backing must exist */
	assert_int_equal(drc_chain_create_base(dir, "e.qcow2", SIZE, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: create: File exists", P("e.qcow2"));
	assert_string_equal(err, want);
	assert_int_equal(drc_chain_create_overlay(dir, "o.qcow2", "gone.qcow2",
	    err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: backing file %s: No such file or "
	    "directory", P("o.qcow2"), P("gone.qcow2"));
	assert_string_equal(err, want);
	assert_int_equal(drc_chain_create_overlay(dir, "o.qcow2", "../e.qcow2",
	    err, sizeof(err)), -1);
	assert_string_equal(err, "../e.qcow2: not a plain file name");
	assert_int_equal(drc_chain_create_base(dir, "odd.qcow2", 1000, err,
	    sizeof(err)), -1);
	assert_int_equal(drc_chain_compare(P("e.qcow2"), P("gone.qcow2"),
	    &differ, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "compare: qemu-img: Could not open"));
	assert_int_equal(drc_chain_remove(dir, "gone.qcow2", err,
	    sizeof(err)), 0);

	/* a pinned oldest point is not merged, and nothing is touched */
	m = manifest(2, 1);
	assert_int_equal(drc_chain_merge_oldest(dir, P("m.json"), m, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "p000001: merge: pinned");
	assert_int_equal(m->n_points, 2);
	assert_int_equal(access(P("m.json"), F_OK), -1);
	drc_manifest_free(m);
}

static void
test_hash_diff(void **state)
{
	struct drc_hashes a = { 0 }, b = { 0 };
	uint8_t h[3][DRC_HASH_LEN];
	struct drc_extent *e;
	char err[256];
	size_t n;

	(void)state;
	memset(h, 7, sizeof(h));
	a = (struct drc_hashes){ 2 * DRC_HASH_BLOCK + 10, 3, h };
	b = (struct drc_hashes){ 2 * DRC_HASH_BLOCK + 10, 3, h };
	assert_int_equal(drc_hash_diff(&a, &b, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(e);
	/* b is shorter: its partial last block and a's rest differ */
	b = (struct drc_hashes){ DRC_HASH_BLOCK + 10, 2, h };
	assert_int_equal(drc_hash_diff(&a, &b, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].offset, DRC_HASH_BLOCK);
	assert_int_equal(e[0].length, DRC_HASH_BLOCK + 10);
	free(e);
	drc_hashes_free(NULL);
}

/*
 * Read-only beside a process that holds the image for writing (as QEMU
 * holds a disk; for a move's final point it holds the frozen image as a
 * backing file): a plain read-only open trips on its lock, the shared one
 * opens it.  With its bitmap, from a path with a comma (doubled in the
 * --image-opts string).
 */
static void
test_ro_shared(void **state)
{
	struct drc_nbd *n;
	struct drc_extent *e = NULL;
	char err[512], cmd[1024];
	size_t ne;
	pid_t pid;

	(void)state;
	make_base(P("sh,ared.qcow2"));
	run("qemu-img", "bitmap", "--add", "--enable", P("sh,ared.qcow2"),
	    "b0", NULL);
	run("qemu-io", "-f", "qcow2", "-c", "write -P 0x44 64k 64k",
	    P("sh,ared.qcow2"), NULL);
	/* the bitmap: the one write */
	assert_int_equal(drc_nbd_serve(&n, P("sh,ared.qcow2"), P("s.sock"),
	    DRC_NBD_RO_SHARED, "b0", err, sizeof(err)), 0);
	assert_int_equal(drc_nbd_extents(n, 0, SIZE, &e, &ne, err,
	    sizeof(err)), 0);
	assert_int_equal(ne, 1);
	assert_int_equal(e[0].offset, 64 * 1024);
	assert_int_equal(e[0].length, 64 * 1024);
	free(e);
	assert_int_equal(drc_nbd_close(n, err, sizeof(err)), 0);
	/* a writer holds it: plain read-only fails, shared opens */
	snprintf(cmd, sizeof(cmd), "exec qemu-io -f qcow2 -c 'sleep 20000' "
	    "'%s'", P("sh,ared.qcow2"));
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	usleep(500 * 1000);
	assert_int_equal(drc_nbd_serve(&n, P("sh,ared.qcow2"), P("s.sock"),
	    DRC_NBD_RO, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "lock"));
	assert_int_equal(drc_nbd_serve(&n, P("sh,ared.qcow2"), P("s.sock"),
	    DRC_NBD_RO_SHARED, NULL, err, sizeof(err)), 0);
	assert_int_equal(drc_nbd_size(n), SIZE);
	assert_int_equal(drc_nbd_close(n, err, sizeof(err)), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_big_extents),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ro_shared),
		cmocka_unit_test(test_hash_diff),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
