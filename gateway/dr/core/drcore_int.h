/*
 * drcore_int.h - private to gateway/dr/core: the helpers its files share
 * (error formatting, paths inside a chain directory).  Nothing outside
 * this folder includes it.
 */
#ifndef VMGW_DRCORE_INT_H
#define VMGW_DRCORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "drcore.h"

#define DRC_PRINTF(a, b)	__attribute__((format(printf, a, b)))
#define DRC_PATH_MAX		4096

/* nbdio.c: one NBD connection; served: the qemu-nbd behind it */
struct nbd_handle;
struct drc_nbd {
	struct nbd_handle *h;
	char		 name[DRC_PATH_MAX];	/* image or socket, for messages */
	char		 sock[DRC_PATH_MAX];	/* served: removed at close */
	char		 bitmap_ctx[256];	/* "qemu:dirty-bitmap:NAME" or "" */
	uint64_t	 size;
	pid_t		 pid;			/* served: qemu-nbd, else -1 */
	int		 errfd;			/* its stderr */
	int		 writable;
	int		 ready;			/* connected, contexts checked */
};

/* extents.c: as drc_nbd_extents; dirty_only 0 reads every range even when
 * the connection has a bitmap */
int	drc_nbd_extents_mode(struct drc_nbd *, uint64_t offset,
	    uint64_t length, int dirty_only, struct drc_extent **out,
	    size_t *n, char *err, size_t errlen);

/* snprintf into err when err is not NULL */
void	drc_err(char *err, size_t errlen, const char *fmt, ...) DRC_PRINTF(3, 4);
/* dir/file into buf (DRC_PATH_MAX); -1 with err when file is not plain or
 * the path is too long */
int	drc_path(char *buf, const char *dir, const char *file, char *err,
	    size_t errlen);
/* fsync the directory holding path (or path itself when is_dir) */
int	drc_fsync_dir(const char *path, int is_dir, char *err, size_t errlen);

/* jfield.c: strict JSON fields for manifest.c and partial.c.  Messages are
 * "NAME: WHERE.KEY: what", e.g. "manifest.json: points[3].disks[0].file:
 * must be a plain file name"; where "" is the top level, key NULL the
 * thing at where itself. */
struct json_t;
struct drc_jctx {
	const char	*name;		/* the file, for messages */
	char		*err;
	size_t		 errlen;
};
int	drc_jbad(const struct drc_jctx *, const char *where, const char *key,
	    const char *fmt, ...) DRC_PRINTF(4, 5);
/* The document's top-level object (json_decref it), refusing duplicate
 * keys, trailing bytes and documents over max bytes. */
struct json_t *drc_jload(const struct drc_jctx *, const char *text,
	    size_t len, size_t max);
/* -1 when obj has a key not in keys (NULL-terminated) */
int	drc_jkeys(const struct drc_jctx *, struct json_t *obj,
	    const char *where, const char *const keys[]);
/* Field getters: 1 present, 0 absent and optional, -1 error. */
int	drc_jstr(const struct drc_jctx *, struct json_t *obj, const char *where,
	    const char *key, int required, char *dst, size_t size);
int	drc_jstrdup(const struct drc_jctx *, struct json_t *obj,
	    const char *where, const char *key, size_t max, char **dst);
int	drc_juint(const struct drc_jctx *, struct json_t *obj,
	    const char *where, const char *key, int required, uint64_t *dst);
int	drc_jbool(const struct drc_jctx *, struct json_t *obj,
	    const char *where, const char *key, int required, int *dst);
/* obj[key]: an array of 1..DRC_DISKS_MAX disk objects */
int	drc_jdisks(const struct drc_jctx *, struct json_t *obj,
	    const char *where, const char *key, struct drc_disk **out,
	    size_t *n);
/* Values: names, sizes; with base, the targets of base in order. */
int	drc_jcheck_disks(const struct drc_jctx *, const char *where,
	    const struct drc_disk *, size_t n, const struct drc_disk *base,
	    size_t n_base);
int	drc_jcheck_range(const struct drc_jctx *, const char *where,
	    const char *key, uint64_t v, uint64_t min, uint64_t max);
/* 1 when s is 1..max bytes of [A-Za-z0-9._-] */
int	drc_token_ok(const char *s, size_t max);
/* manifest.c: 1 when the base or a point of m uses file (where says
 * which: "base[0]", "points[2].disks[1]") */
int	drc_manifest_uses(const struct drc_manifest *, const char *file,
	    char *where, size_t len);
struct json_t *drc_jdisks_dump(const struct drc_disk *, size_t n);
/* Dump root (stolen), validate the text with check, write it atomically */
int	drc_jsave(const struct drc_jctx *, const char *path, struct json_t *root,
	    int (*check)(const char *, const char *, size_t, char *, size_t));

#endif /* VMGW_DRCORE_INT_H */
