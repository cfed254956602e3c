/*
 * drcore.h - the core of disaster-recovery replication, apart from the
 * daemon: the chunk protocol, the chain manifest of the backup site, qcow2
 * chain operations (qemu-img), NBD reading and writing (libnbd, qemu-nbd),
 * block-hash resync, and the pure scheduler and retention rules.
 *
 * It uses libc, libsodium, jansson and libnbd only: no event loop, no
 * libvirt, no gateway header.  Every function that touches a file, a
 * process or an NBD connection blocks; the daemon calls them from worker
 * threads.  A handle (struct drc_nbd) is used by one thread at a time.
 * Child processes are reaped with waitpid(): the daemon must not set
 * SIGCHLD to SIG_IGN.
 *
 * Errors: 0 / -1 (or a count); on -1, err holds one line that names the
 * thing and the place: "manifest.json: points[3].disks[0].file: must be a
 * plain file name", "/srv/dr/web1/vda-p000017.qcow2: write at
 * 1048576+65536: disk full (no space left on device)".
 *
 * A chain lives in one directory per guest: base files and overlays, all
 * named by plain file names in the manifest, each overlay's backing file
 * stored in its qcow2 header as a plain (relative) name, so the directory
 * can be moved or copied as a whole.  Every point is an overlay; a chain
 * starts with an empty base and the seed (full copy) as its first point.
 */
#ifndef VMGW_DRCORE_H
#define VMGW_DRCORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DRC_WUR		__attribute__((warn_unused_result))
#define DRC_HASH_LEN	32		/* BLAKE2b-256 */
#define DRC_DISKS_MAX	64		/* disks of one guest */

/* ---- chunk.c: the chunk protocol ----------------------------------------
 *
 * Bump DRC_CHUNK_VERSION if anything in this section changes: both sites
 * must read the same frames.  The transport carries these frames as its
 * payload bytes; this layer keeps its own integrity hash end to end.
 *
 * A point travels as frames with seq 0, 1, 2 ... (per point), disk by disk
 * in index order, each disk closed by END_DISK, the point by END_POINT:
 *
 *   off len field
 *    0   4  magic   "VGDR"
 *    4   1  version DRC_CHUNK_VERSION
 *    5   1  type    enum drc_chunk_type
 *    6   2  disk    index into the point's disks
 *    8   8  seq     frame number within the point
 *   16   8  offset  DATA/ZERO: disk offset; END_DISK: the disk's size
 *   24   4  length  DATA/ZERO: bytes of disk covered; others 0
 *   28   4  paylen  payload bytes after the header: DATA = length, others 0
 *   32  32  hash    BLAKE2b-256: DATA of the payload, others of bytes 0..31
 *   64      payload (DATA only)
 *
 * All integers are big-endian.  END_POINT and ACK have disk, offset and
 * length 0.  ACK (backup -> home) acknowledges every frame up to seq:
 * written and flushed at the backup site; a resumed point restarts at
 * seq + 1 (the partial record's next_seq).
 */
#define DRC_CHUNK_VERSION	1		/* bump if this section changes */
#define DRC_CHUNK_MAGIC		0x56474452u	/* "VGDR" */
#define DRC_CHUNK_HDR		64
#define DRC_CHUNK_PAYLOAD_MAX	(4u << 20)	/* largest DATA payload */
#define DRC_CHUNK_FRAME_MAX	(DRC_CHUNK_HDR + DRC_CHUNK_PAYLOAD_MAX)

enum drc_chunk_type {
	DRC_CHUNK_DATA		= 1,
	DRC_CHUNK_ZERO		= 2,	/* length bytes read as zeros */
	DRC_CHUNK_END_DISK	= 3,
	DRC_CHUNK_END_POINT	= 4,
	DRC_CHUNK_ACK		= 5	/* the reverse direction only */
};

struct drc_chunk {
	uint8_t		 type;
	uint16_t	 disk;
	uint64_t	 seq;
	uint64_t	 offset;
	uint32_t	 length;
	const uint8_t	*payload;	/* DATA: length bytes (decoded: in the
					   caller's buffer), else NULL */
};

/*
 * Decoder state of one direction.  Fed a buffer, it takes one whole frame
 * or nothing: until a frame is complete and verified the state does not
 * change.  A bad frame fails the decoder for good (end the stream).
 */
struct drc_chunk_dec {
	int		 ack;		/* 1: reads ACKs; 0: reads a point */
	uint64_t	 next_seq;	/* point: the expected seq; ack: the least */
	unsigned	 disk;		/* point: the disk in progress */
	size_t		 n_disks;	/* 0: disk count and sizes not checked */
	uint64_t	 size[DRC_DISKS_MAX];
	int		 done;		/* END_POINT came */
	int		 failed;
	uint64_t	 frames;	/* frames taken */
	uint64_t	 data_bytes;	/* DATA payload taken */
};

/* The header (with its hash) for c; DATA hashes c->payload. */
int	drc_chunk_encode(uint8_t hdr[DRC_CHUNK_HDR], const struct drc_chunk *c,
	    char *err, size_t errlen) DRC_WUR;
/* sizes (n_disks of them) may be NULL with n_disks 0: not checked.  A
 * resumed point starts at its partial record's next_seq and disk. */
void	drc_chunk_dec_init(struct drc_chunk_dec *, int ack, uint64_t next_seq,
	    unsigned disk, const uint64_t *sizes, size_t n_disks);
/* 1: *out holds one frame of *used bytes at buf; 0: more bytes needed
 * (nothing taken, *used 0); -1: bad frame, err names the field. */
int	drc_chunk_decode(struct drc_chunk_dec *, const uint8_t *buf,
	    size_t avail, struct drc_chunk *out, size_t *used, char *err,
	    size_t errlen) DRC_WUR;
const char *drc_chunk_type_str(unsigned type);

/* ---- manifest.c: the chain manifest of one guest at the backup site -----
 *
 * manifest.json lists the base and the COMPLETE points, oldest first.  A
 * point in progress is only in partial.json (struct drc_partial) and never
 * a recovery point.  Commit of a point: manifest with the point saved, then
 * the partial removed; a partial whose id the manifest lists is stale:
 * remove the record and keep its files.  Saves are atomic (temp file,
 * fsync, rename, fsync of the directory); a save validates what it writes.
 * Times are unix seconds; start is when the point was taken at the source.
 */
#define DRC_MANIFEST_VERSION	1
#define DRC_MANIFEST_MAX	(16u << 20)	/* largest manifest file */
#define DRC_POINTS_MAX		1024
#define DRC_XML_MAX		(1u << 20)	/* domain_xml */
#define DRC_ID_MAX		32
#define DRC_TARGET_MAX		32
#define DRC_FILE_MAX		255
#define DRC_NAME_MAX		255		/* guest and site names */
#define DRC_TEXT_MAX		255		/* reasons */
#define DRC_UUID_LEN		36
#define DRC_DISK_SIZE_MAX	(1ull << 50)	/* 1 PiB */
#define DRC_TIME_MAX		(1ll << 40)	/* seconds: year 36812 */

enum drc_consistency { DRC_CRASH = 0, DRC_APP = 1 };

struct drc_disk {
	char		 target[DRC_TARGET_MAX + 1];	/* "vda" */
	char		 file[DRC_FILE_MAX + 1];	/* in the chain directory */
	uint64_t	 size;				/* virtual size, bytes */
};

struct drc_point {
	char		 id[DRC_ID_MAX + 1];		/* "p000017" */
	uint64_t	 seq;				/* increasing along the chain */
	int64_t		 start, end;			/* taken at the source, complete */
	enum drc_consistency consistency;
	char		 reason[DRC_TEXT_MAX + 1];	/* app requested, failed: why */
	uint64_t	 bytes;				/* shipped */
	struct drc_disk	*disks;				/* the base's targets, in order */
	size_t		 n_disks;
	char		*domain_xml;
	int		 pinned;
	char		 pin_reason[DRC_TEXT_MAX + 1];	/* set when pinned */
	int64_t		 tested_at;			/* 0: never */
	char		 test_result[DRC_TEXT_MAX + 1];	/* of that test */
};

struct drc_manifest {
	char		 guest[DRC_NAME_MAX + 1];
	char		 uuid[DRC_UUID_LEN + 1];
	char		 source_site[DRC_NAME_MAX + 1];
	struct drc_disk	*base;
	size_t		 n_base;
	struct drc_point *points;			/* oldest first */
	size_t		 n_points;
};

struct drc_partial {
	char		 id[DRC_ID_MAX + 1];
	uint64_t	 seq;
	int64_t		 start;
	struct drc_disk	*disks;		/* the overlays being written */
	size_t		 n_disks;
	uint64_t	 next_seq;	/* last acknowledged seq + 1 (0: none) */
	unsigned	 disk;		/* the disk in progress at next_seq */
};

/* One writer of a manifest at a time in this process: every
 * load-change-save (a commit, a merge, a pin) holds this lock. */
void	drc_manifest_lock(void);
void	drc_manifest_unlock(void);
/* name is used in messages (usually the file's path) */
int	drc_manifest_parse(const char *name, const char *text, size_t len,
	    struct drc_manifest **out, char *err, size_t errlen) DRC_WUR;
int	drc_manifest_load(const char *path, struct drc_manifest **out,
	    char *err, size_t errlen) DRC_WUR;
int	drc_manifest_save(const char *path, const struct drc_manifest *,
	    char *err, size_t errlen) DRC_WUR;
void	drc_manifest_free(struct drc_manifest *);	/* accepts NULL */
void	drc_point_clear(struct drc_point *);		/* frees its members */
/* Append a complete point (validated against the chain; on success the
 * manifest owns p's members and *p is cleared). */
int	drc_manifest_add(struct drc_manifest *, struct drc_point *p,
	    char *err, size_t errlen) DRC_WUR;
/* index of the point with that id, or -1 */
ssize_t	drc_manifest_find(const struct drc_manifest *, const char *id);
/* A point arrived whole, verified and flushed: add it, save the manifest at
 * path (the commit), then remove the partial record at partial_path (NULL:
 * none).  If the save fails, m and p are as they were. */
int	drc_manifest_commit(const char *path, struct drc_manifest *,
	    struct drc_point *p, const char *partial_path, char *err,
	    size_t errlen) DRC_WUR;

int	drc_partial_parse(const char *name, const char *text, size_t len,
	    struct drc_partial **out, char *err, size_t errlen) DRC_WUR;
/* 1 loaded, 0 there is none, -1 error */
int	drc_partial_load(const char *path, struct drc_partial **out,
	    char *err, size_t errlen) DRC_WUR;
int	drc_partial_save(const char *path, const struct drc_partial *,
	    char *err, size_t errlen) DRC_WUR;
int	drc_partial_remove(const char *path, char *err, size_t errlen) DRC_WUR;
/* The record against the manifest: 1 stale (the manifest has the point:
 * remove the record, keep its files), 0 resumable, -1 it contradicts the
 * manifest (seq not above the newest point, not the base's targets, a
 * file the manifest uses). */
int	drc_partial_check(const struct drc_manifest *,
	    const struct drc_partial *, char *err, size_t errlen) DRC_WUR;
void	drc_partial_free(struct drc_partial *);		/* accepts NULL */

void	drc_point_id(char id[DRC_ID_MAX + 1], uint64_t seq);	/* "p%06" */

/* ---- file.c: files of a chain directory ---------------------------------*/
/* 1 when name is a plain file name: no '/', not "." or "..", no leading
 * '.', no control characters, 1..DRC_FILE_MAX bytes */
int	drc_file_name_ok(const char *name);
/* Write a whole file atomically: temp file, fsync, rename, fsync dir. */
int	drc_write_atomic(const char *path, const void *buf, size_t len,
	    char *err, size_t errlen) DRC_WUR;
/* Read a whole file of at most max bytes (NUL-terminated, malloc'd);
 * -1 with errno ENOENT when absent (err set too). */
int	drc_read_file(const char *path, size_t max, char **out, size_t *len,
	    char *err, size_t errlen) DRC_WUR;

/* ---- chain.c: qcow2 chains with qemu-img --------------------------------
 *
 * dir is the guest's chain directory; file names are plain.  Overlays
 * name their backing file relatively ("vda-base.qcow2"), so a chain moves
 * as one directory.  drc_chain_merge_oldest() says why a crash at any of
 * its steps leaves a chain the manifest describes correctly.
 */
int	drc_chain_create_base(const char *dir, const char *file, uint64_t size,
	    char *err, size_t errlen) DRC_WUR;
int	drc_chain_create_overlay(const char *dir, const char *file,
	    const char *backing, char *err, size_t errlen) DRC_WUR;
/* unlink + fsync of dir; 0 when the file is absent already */
int	drc_chain_remove(const char *dir, const char *file, char *err,
	    size_t errlen) DRC_WUR;
/* Merge the oldest point into the base and save the manifest at
 * manifest_path; the point must be unpinned and not the newest. */
int	drc_chain_merge_oldest(const char *dir, const char *manifest_path,
	    struct drc_manifest *, char *err, size_t errlen) DRC_WUR;
/* qemu-img compare of two images (paths, chains followed): *differ 0/1 */
int	drc_chain_compare(const char *a, const char *b, int *differ,
	    char *err, size_t errlen) DRC_WUR;
/* "vda-p000017.qcow2", "vda-base.qcow2" (id "base") */
int	drc_overlay_name(char *buf, size_t len, const char *target,
	    const char *id) DRC_WUR;

/* ---- proc.c: programs without a shell -----------------------------------*/
/* Run argv (PATH lookup) to its end, stdin and stdout on /dev/null.
 * Returns its exit status with its stderr in msg (newlines as "; "), or -1
 * with msg saying why it could not run or how it died. */
int	drc_run(const char *const argv[], char *msg, size_t msglen);
/* As drc_run, with its stdout (at most max bytes, NUL-terminated) in a
 * malloc'd *out when it exits 0. */
int	drc_run_out(const char *const argv[], char **out, size_t max,
	    char *msg, size_t msglen);
/* Start argv; its stderr goes to *errfd (a temp file), read by drc_reap. */
int	drc_spawn(const char *const argv[], pid_t *pid, int *errfd, char *err,
	    size_t errlen) DRC_WUR;
/* 1 when pid has exited (status as drc_run's), 0 still running */
int	drc_exited(pid_t pid, int *status);
/* Wait up to timeout_ms, then SIGTERM, then SIGKILL; closes errfd.  As
 * drc_run; a status already taken by drc_exited can be passed as done. */
int	drc_reap(pid_t pid, int errfd, int timeout_ms, const int *done,
	    char *msg, size_t msglen);

/* ---- nbdio.c: NBD connections (libnbd) and qemu-nbd --------------------- */
#define DRC_NBD_IO_MAX		DRC_CHUNK_PAYLOAD_MAX	/* one pread/pwrite */
#define DRC_NBD_ZERO_MAX	(1u << 30)	/* one write-zeroes request */
#define DRC_NBD_STATUS_MAX	(1ull << 30)	/* one block-status request */
#define DRC_NBD_START_MS	10000		/* qemu-nbd to listen */
#define DRC_NBD_STOP_MS		5000		/* qemu-nbd to exit after us */
#define DRC_NBD_ALLOC_CTX	"base:allocation"
#define DRC_NBD_BITMAP_CTX	"qemu:dirty-bitmap:"	/* + bitmap name */

struct drc_nbd;

/* An extent to ship, or a range that differs (zero 0). */
struct drc_extent {
	uint64_t	 offset;
	uint64_t	 length;
	int		 zero;		/* reads as zeros: no data to send */
};

/* Connect to an export on a UNIX socket (read).  bitmap: also request
 * qemu:dirty-bitmap:BITMAP (NULL: a full read). */
int	drc_nbd_connect(struct drc_nbd **out, const char *socket,
	    const char *export, const char *bitmap, char *err,
	    size_t errlen) DRC_WUR;
/* Start qemu-nbd on a qcow2 image (backing chain followed) at socket and
 * connect.  writable: DRC_NBD_RO (-r), DRC_NBD_RW, or DRC_NBD_RO_SHARED:
 * read-only beside a QEMU that holds the image as a backing file
 * (force-share); bitmap: export it (-B) too. */
#define DRC_NBD_RO		0
#define DRC_NBD_RW		1
#define DRC_NBD_RO_SHARED	2
int	drc_nbd_serve(struct drc_nbd **out, const char *image,
	    const char *socket, int writable, const char *bitmap, char *err,
	    size_t errlen) DRC_WUR;
/* Disconnect; a served export's qemu-nbd is waited for (its failure is an
 * error with its stderr) and its socket removed.  Accepts NULL. */
int	drc_nbd_close(struct drc_nbd *, char *err, size_t errlen);
uint64_t drc_nbd_size(const struct drc_nbd *);
int	drc_nbd_pread(struct drc_nbd *, void *buf, size_t len, uint64_t offset,
	    char *err, size_t errlen) DRC_WUR;
int	drc_nbd_pwrite(struct drc_nbd *, const void *buf, size_t len,
	    uint64_t offset, char *err, size_t errlen) DRC_WUR;
/* zeros, sparse where the server can (no NO_HOLE flag) */
int	drc_nbd_zero(struct drc_nbd *, uint64_t len, uint64_t offset,
	    char *err, size_t errlen) DRC_WUR;
int	drc_nbd_flush(struct drc_nbd *, char *err, size_t errlen) DRC_WUR;

/* ---- extents.c: what a point ships, from block status ------------------ */
/* Extents of [offset, offset + length) to ship, merged, in order: with a
 * bitmap the dirty ranges, else every range; each data or zero from
 * base:allocation.  *out is malloc'd (NULL when none).  A large disk is
 * best asked window by window. */
int	drc_nbd_extents(struct drc_nbd *, uint64_t offset, uint64_t length,
	    struct drc_extent **out, size_t *n, char *err,
	    size_t errlen) DRC_WUR;

/* ---- hash.c: block hashes for resync ------------------------------------ */
#define DRC_HASH_BLOCK		(1u << 20)	/* 1 MiB blocks */

struct drc_hashes {
	uint64_t	 size;			/* the disk's size */
	size_t		 n;			/* ceil(size / DRC_HASH_BLOCK) */
	uint8_t		(*h)[DRC_HASH_LEN];	/* BLAKE2b-256 of each block */
};

int	drc_hash_disk(struct drc_nbd *, struct drc_hashes *out, char *err,
	    size_t errlen) DRC_WUR;
void	drc_hashes_free(struct drc_hashes *);		/* the members */
/* Ranges (merged, in order, within the larger size) where a and b differ;
 * blocks past the smaller disk's end differ. */
int	drc_hash_diff(const struct drc_hashes *a, const struct drc_hashes *b,
	    struct drc_extent **out, size_t *n, char *err,
	    size_t errlen) DRC_WUR;

/* ---- sched.c: when the next point must start (pure) ---------------------
 *
 * A point started at S and taking d seconds resets the RPO to now - S at
 * S + d.  The next one is planned to complete a margin before the target:
 * start = newest_start + rpo - expected - margin, expected being the
 * longest of the last DRC_SCHED_HISTORY cycles and margin a quarter of the
 * RPO, so the RPO peaks near 75% of the target in steady state.  Never
 * before now, never sooner than floor after the last start.  State: ok up
 * to DRC_SCHED_WARN_PCT of the target, warning above, violation past it
 * (or with no point at all).
 */
#define DRC_SCHED_HISTORY	8
#define DRC_SCHED_MARGIN_PCT	25
#define DRC_SCHED_WARN_PCT	90
#define DRC_SCHED_FLOOR_S	60	/* default floor between cycle starts */

enum drc_rpo_state { DRC_RPO_OK, DRC_RPO_WARNING, DRC_RPO_VIOLATION };

struct drc_sched {
	int64_t		 rpo;		/* target, seconds */
	int64_t		 floor;		/* seconds between cycle starts */
	int64_t		 dur[DRC_SCHED_HISTORY];	/* ring of durations */
	size_t		 n_dur, next_dur;
};

struct drc_sched_out {
	int64_t		 next_start;
	int64_t		 rpo_now;	/* now - newest_start; -1 without a point */
	enum drc_rpo_state state;
	int		 warn_slow;	/* the last cycle took more than rpo / 2 */
};

/* floor 0: DRC_SCHED_FLOOR_S */
void	drc_sched_init(struct drc_sched *, int64_t rpo, int64_t floor);
void	drc_sched_record(struct drc_sched *, int64_t duration);
int64_t	drc_sched_expected(const struct drc_sched *);
/* newest_start: of the newest complete point; last_start: of the last
 * cycle, done or failed; 0 for none. */
void	drc_sched_next(const struct drc_sched *, int64_t newest_start,
	    int64_t last_start, int64_t now, struct drc_sched_out *);
const char *drc_rpo_state_str(enum drc_rpo_state);

/* ---- retain.c: which points to merge into the base (pure) ---------------
 *
 * Merges happen only at the base end of the linear chain: the oldest point
 * goes into the base.  So the merge stops at the first pinned point (a
 * pinned point is never merged, and a newer one cannot reach the base
 * without it), while unpinned points older than a pin do merge.  keep is
 * at least 1: the newest point is never merged.
 */
/* How many of the oldest points to merge now; *held_by (may be NULL): the
 * index of the pinned point that stopped merging, n when none did. */
size_t	drc_retain_plan(const int *pinned, size_t n, size_t keep,
	    size_t *held_by);

#endif /* VMGW_DRCORE_H */
