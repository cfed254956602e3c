/*
 * extents.c - what a point has to ship, from NBD block status: for an
 * incremental point the ranges that the qemu:dirty-bitmap context marks
 * dirty, for a full seed every range; each piece data or zero after
 * base:allocation (NBD_STATE_ZERO; a hole without ZERO may read through to
 * a backing file, so it is data).
 *
 * One request asks for both contexts over at most DRC_NBD_STATUS_MAX bytes.
 * The server may answer for less than asked, and for each context a
 * different length: we take what both contexts cover, intersect them,
 * and ask again from there.  Extents that reach past the request are cut
 * at its end; a reply that makes no progress, comes in odd entries or has
 * an empty extent is an error.  Adjacent pieces of the same kind merge.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnbd.h>

#include "drcore_int.h"

#define DIRTY			1u		/* qemu:dirty-bitmap flag */

struct seg {
	uint64_t	 len;
	uint32_t	 flags;
};

struct segs {
	struct seg	*s;
	size_t		 n, cap;
	uint64_t	 covered;
	int		 replied;
};

struct bs {
	const char	*bitmap_ctx;	/* NULL: every range */
	uint64_t	 pos, len;	/* this request */
	struct segs	 alloc, dirty;
	char		 why[256];	/* a bad reply */
};

struct ext_list {
	struct drc_extent *e;
	size_t		 n, cap;
};

static int
seg_add(struct segs *s, uint64_t len, uint32_t flags)
{
	struct seg *ns;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		if ((ns = realloc(s->s, cap * sizeof(*ns))) == NULL)
			return -1;
		s->s = ns;
		s->cap = cap;
	}
	s->s[s->n++] = (struct seg){ len, flags };
	s->covered += len;
	return 0;
}

static int
bs_cb(void *arg, const char *ctx, uint64_t off, uint32_t *e, size_t n,
    int *error)
{
	struct bs *b = arg;
	struct segs *s;
	uint64_t len;
	size_t i;

	if (strcmp(ctx, DRC_NBD_ALLOC_CTX) == 0)
		s = &b->alloc;
	else if (b->bitmap_ctx != NULL && strcmp(ctx, b->bitmap_ctx) == 0)
		s = &b->dirty;
	else
		return 0;		/* a context we did not ask for */
	if (b->why[0] != '\0')
		return 0;
	if (*error != 0 || s->replied || off != b->pos || n % 2 != 0) {
		snprintf(b->why, sizeof(b->why), "%s: %s at %" PRIu64 ", %zu "
		    "entries", ctx, *error ? "server error" : s->replied ?
		    "second reply" : "bad reply", off, n);
		return 0;
	}
	s->replied = 1;
	for (i = 0; i < n && s->covered < b->len; i += 2) {
		if ((len = e[i]) == 0) {
			snprintf(b->why, sizeof(b->why), "%s: empty extent at "
			    "%" PRIu64, ctx, off + s->covered);
			return 0;
		}
		if (len > b->len - s->covered)
			len = b->len - s->covered;
		if (seg_add(s, len, e[i + 1]) == -1) {
			snprintf(b->why, sizeof(b->why), "out of memory");
			return 0;
		}
	}
	return 0;
}

static int
ext_add(struct ext_list *l, uint64_t off, uint64_t len, int zero)
{
	struct drc_extent *ne, *last = l->n ? &l->e[l->n - 1] : NULL;

	if (last != NULL && last->zero == zero &&
	    last->offset + last->length == off) {
		last->length += len;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		if ((ne = realloc(l->e, cap * sizeof(*ne))) == NULL)
			return -1;
		l->e = ne;
		l->cap = cap;
	}
	l->e[l->n++] = (struct drc_extent){ off, len, zero };
	return 0;
}

/* Intersect the two contexts over [pos, pos + covered) into l. */
static int
bs_emit(const struct bs *b, uint64_t covered, struct ext_list *l)
{
	uint64_t cur = b->pos, end = b->pos + covered, step;
	uint64_t ra = b->alloc.s[0].len, rd = UINT64_MAX;
	size_t i = 0, j = 0;
	int sel;

	if (b->bitmap_ctx != NULL)
		rd = b->dirty.s[0].len;
	while (cur < end) {
		step = ra < rd ? ra : rd;
		if (step > end - cur)
			step = end - cur;
		sel = b->bitmap_ctx == NULL || (b->dirty.s[j].flags & DIRTY);
		if (sel && ext_add(l, cur, step, (b->alloc.s[i].flags &
		    LIBNBD_STATE_ZERO) != 0) == -1)
			return -1;
		cur += step;
		if ((ra -= step) == 0 && ++i < b->alloc.n)
			ra = b->alloc.s[i].len;
		if (b->bitmap_ctx != NULL && (rd -= step) == 0 &&
		    ++j < b->dirty.n)
			rd = b->dirty.s[j].len;
	}
	return 0;
}

/* One block-status request at pos; *covered: how far it got. */
static int
bs_one(struct drc_nbd *n, struct bs *b, struct ext_list *l,
    uint64_t *covered, char *err, size_t errlen)
{
	nbd_extent_callback cb = { .callback = bs_cb, .user_data = b };

	b->alloc.n = b->dirty.n = 0;
	b->alloc.covered = b->dirty.covered = 0;
	b->alloc.replied = b->dirty.replied = 0;
	if (nbd_block_status(n->h, b->len, b->pos, cb, 0) == -1) {
		drc_err(err, errlen, "%s: block status at %" PRIu64 "+%"
		    PRIu64 ": %s", n->name, b->pos, b->len, nbd_get_error());
		return -1;
	}
	*covered = b->alloc.covered;
	if (b->bitmap_ctx != NULL && b->dirty.covered < *covered)
		*covered = b->dirty.covered;
	if (b->why[0] == '\0' && *covered == 0)
		snprintf(b->why, sizeof(b->why), "no progress at %" PRIu64,
		    b->pos);
	if (b->why[0] != '\0') {
		drc_err(err, errlen, "%s: block status: %s", n->name, b->why);
		return -1;
	}
	if (bs_emit(b, *covered, l) == -1) {
		drc_err(err, errlen, "%s: extents: out of memory", n->name);
		return -1;
	}
	return 0;
}

int
drc_nbd_extents_mode(struct drc_nbd *n, uint64_t offset, uint64_t length,
    int dirty_only, struct drc_extent **out, size_t *count, char *err,
    size_t errlen)
{
	struct bs b;
	struct ext_list l = { NULL, 0, 0 };
	uint64_t end, covered;
	int ret = -1;

	*out = NULL;
	*count = 0;
	if (offset > n->size || length > n->size - offset) {
		drc_err(err, errlen, "%s: extents of %" PRIu64 "+%" PRIu64
		    ": beyond the end (%" PRIu64 ")", n->name, offset, length,
		    n->size);
		return -1;
	}
	memset(&b, 0, sizeof(b));
	if (dirty_only && n->bitmap_ctx[0] != '\0')
		b.bitmap_ctx = n->bitmap_ctx;
	end = offset + length;
	for (b.pos = offset; b.pos < end; b.pos += covered) {
		b.len = end - b.pos < DRC_NBD_STATUS_MAX ? end - b.pos :
		    DRC_NBD_STATUS_MAX;
		if (bs_one(n, &b, &l, &covered, err, errlen) == -1)
			goto out;
	}
	*out = l.e;
	*count = l.n;
	l.e = NULL;
	ret = 0;
out:
	free(l.e);
	free(b.alloc.s);
	free(b.dirty.s);
	return ret;
}

int
drc_nbd_extents(struct drc_nbd *n, uint64_t offset, uint64_t length,
    struct drc_extent **out, size_t *count, char *err, size_t errlen)
{
	return drc_nbd_extents_mode(n, offset, length, 1, out, count, err,
	    errlen);
}
