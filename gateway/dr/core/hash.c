/*
 * hash.c - resync after lost change tracking: both sites hash their copy
 * of a disk in DRC_HASH_BLOCK blocks (BLAKE2b-256 each, the last block as
 * long as what is left), exchange the lists, and ship only the blocks
 * whose hashes differ.  Never a blind full copy.
 *
 * The source side hashes its export (a point of the running guest), the
 * backup side a read-only qemu-nbd of its chain top (drc_nbd_serve with
 * writable 0: the backing chain is read through).  Blocks that
 * base:allocation reports as zeros are not read: their hash is that of a
 * zero block, computed once, which keeps sparse terabytes cheap.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "drcore_int.h"

#define HASH_WINDOW	(1ull << 30)	/* extents asked per round */

void
drc_hashes_free(struct drc_hashes *hs)
{
	if (hs == NULL)
		return;
	free(hs->h);
	memset(hs, 0, sizeof(*hs));
}

/* 1 when [off, off + len) lies inside one zero extent of e (from *i on) */
static int
all_zero(const struct drc_extent *e, size_t n, size_t *i, uint64_t off,
    uint64_t len)
{
	while (*i < n && e[*i].offset + e[*i].length <= off)
		(*i)++;
	return *i < n && e[*i].zero && e[*i].offset <= off &&
	    e[*i].offset + e[*i].length >= off + len;
}

/* The blocks of one window [start, start + wlen) into hs. */
static int
hash_window(struct drc_nbd *n, struct drc_hashes *hs, uint64_t start,
    uint64_t wlen, uint8_t *buf, const uint8_t *zero_hash, char *err,
    size_t errlen)
{
	struct drc_extent *e = NULL;
	uint64_t off, len;
	size_t ne, i = 0, b;
	int ret = -1;

	if (drc_nbd_extents_mode(n, start, wlen, 0, &e, &ne, err,
	    errlen) == -1)
		return -1;
	for (off = start; off < start + wlen; off += len) {
		b = (size_t)(off / DRC_HASH_BLOCK);
		len = hs->size - off < DRC_HASH_BLOCK ? hs->size - off :
		    DRC_HASH_BLOCK;
		if (len == DRC_HASH_BLOCK && all_zero(e, ne, &i, off, len)) {
			memcpy(hs->h[b], zero_hash, DRC_HASH_LEN);
			continue;
		}
		if (drc_nbd_pread(n, buf, (size_t)len, off, err, errlen) == -1)
			goto out;
		crypto_generichash(hs->h[b], DRC_HASH_LEN, buf, (size_t)len,
		    NULL, 0);
	}
	ret = 0;
out:
	free(e);
	return ret;
}

int
drc_hash_disk(struct drc_nbd *n, struct drc_hashes *hs, char *err,
    size_t errlen)
{
	uint8_t zero_hash[DRC_HASH_LEN], *buf = NULL;
	uint64_t start, wlen;
	int ret = -1;

	memset(hs, 0, sizeof(*hs));
	hs->size = drc_nbd_size(n);
	hs->n = (size_t)((hs->size + DRC_HASH_BLOCK - 1) / DRC_HASH_BLOCK);
	if ((buf = calloc(1, DRC_HASH_BLOCK)) == NULL || (hs->n > 0 &&
	    (hs->h = calloc(hs->n, sizeof(*hs->h))) == NULL)) {
		drc_err(err, errlen, "%s: hashes: out of memory", n->name);
		goto out;
	}
	crypto_generichash(zero_hash, sizeof(zero_hash), buf, DRC_HASH_BLOCK,
	    NULL, 0);
	for (start = 0; start < hs->size; start += wlen) {
		wlen = hs->size - start < HASH_WINDOW ? hs->size - start :
		    HASH_WINDOW;
		if (hash_window(n, hs, start, wlen, buf, zero_hash, err,
		    errlen) == -1)
			goto out;
	}
	ret = 0;
out:
	free(buf);
	if (ret == -1)
		drc_hashes_free(hs);
	return ret;
}

static uint64_t
block_len(const struct drc_hashes *hs, size_t i)
{
	uint64_t off = (uint64_t)i * DRC_HASH_BLOCK;

	return hs->size - off < DRC_HASH_BLOCK ? hs->size - off :
	    DRC_HASH_BLOCK;
}

int
drc_hash_diff(const struct drc_hashes *a, const struct drc_hashes *b,
    struct drc_extent **out, size_t *count, char *err, size_t errlen)
{
	const struct drc_hashes *big = a->size >= b->size ? a : b;
	struct drc_extent *e = NULL, *ne;
	size_t i, n = 0, cap = 0;
	uint64_t off, len;

	*out = NULL;
	*count = 0;
	for (i = 0; i < big->n; i++) {
		if (i < a->n && i < b->n && block_len(a, i) == block_len(b, i) &&
		    memcmp(a->h[i], b->h[i], DRC_HASH_LEN) == 0)
			continue;
		off = (uint64_t)i * DRC_HASH_BLOCK;
		len = block_len(big, i);
		if (n > 0 && e[n - 1].offset + e[n - 1].length == off) {
			e[n - 1].length += len;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((ne = realloc(e, cap * sizeof(*e))) == NULL) {
				free(e);
				drc_err(err, errlen, "hash diff: out of memory");
				return -1;
			}
			e = ne;
		}
		e[n++] = (struct drc_extent){ off, len, 0 };
	}
	*out = e;
	*count = n;
	return 0;
}
