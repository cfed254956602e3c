/*
 * nbdio.c - NBD connections through libnbd: to an export that someone else
 * serves (libvirt's backup export of a point at the home site), or to a
 * qemu-nbd that we start on a qcow2 image (the overlay a point is written
 * into, or a chain read for resync hashes); reads, writes, zeroes, flush.
 *
 * qemu-nbd runs without --persistent, one client (--shared=1), so it exits
 * by itself once we disconnect; we wait for that, and kill it only when it
 * does not.  Readiness: we retry connecting until its socket accepts; a
 * failed connect never reached accept(), so it does not count as the one
 * client that would make qemu-nbd exit.  A writable export uses the host
 * page cache (--cache=writeback: O_DIRECT is not available on every file
 * system, tmpfs included) and is made durable by drc_nbd_flush(), which
 * the caller runs before acknowledging frames and before committing a
 * point.  --detect-zeroes=unmap with --discard=unmap turns zero writes
 * into qcow2 zero clusters: sparse overlays that still hide the backing
 * file.  Requests are capped (DRC_NBD_IO_MAX, DRC_NBD_ZERO_MAX) below what
 * the server accepts.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libnbd.h>

#include "drcore_int.h"

static void
nbd_fail(const struct drc_nbd *n, const char *what, char *err, size_t errlen)
{
	drc_err(err, errlen, "%s: %s: %s", n->name, what, nbd_get_error());
}

/* A handle asking for base:allocation (and the bitmap), not connected. */
static struct nbd_handle *
handle_new(struct drc_nbd *n, const char *export, char *err, size_t errlen)
{
	struct nbd_handle *h;

	if ((h = nbd_create()) == NULL) {
		drc_err(err, errlen, "%s: nbd_create: %s", n->name,
		    nbd_get_error());
		return NULL;
	}
	if (nbd_set_export_name(h, export != NULL ? export : "") == -1 ||
	    nbd_add_meta_context(h, DRC_NBD_ALLOC_CTX) == -1 ||
	    (n->bitmap_ctx[0] != '\0' &&
	    nbd_add_meta_context(h, n->bitmap_ctx) == -1)) {
		nbd_fail(n, "set up", err, errlen);
		nbd_close(h);
		return NULL;
	}
	return h;
}

/* After connecting: the contexts we rely on are there; the size. */
static int
handle_ready(struct drc_nbd *n, char *err, size_t errlen)
{
	int64_t size;

	if (nbd_can_meta_context(n->h, DRC_NBD_ALLOC_CTX) != 1) {
		drc_err(err, errlen, "%s: the export offers no %s", n->name,
		    DRC_NBD_ALLOC_CTX);
		return -1;
	}
	if (n->bitmap_ctx[0] != '\0' &&
	    nbd_can_meta_context(n->h, n->bitmap_ctx) != 1) {
		drc_err(err, errlen, "%s: the export offers no %s", n->name,
		    n->bitmap_ctx);
		return -1;
	}
	if ((size = nbd_get_size(n->h)) < 0) {
		nbd_fail(n, "size", err, errlen);
		return -1;
	}
	n->size = (uint64_t)size;
	n->ready = 1;
	return 0;
}

static struct drc_nbd *
nbd_new(const char *name, const char *bitmap, char *err, size_t errlen)
{
	struct drc_nbd *n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		drc_err(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	n->pid = -1;
	n->errfd = -1;
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (bitmap != NULL && (bitmap[0] == '\0' ||
	    snprintf(n->bitmap_ctx, sizeof(n->bitmap_ctx), "%s%s",
	    DRC_NBD_BITMAP_CTX, bitmap) >= (int)sizeof(n->bitmap_ctx))) {
		drc_err(err, errlen, "%s: bitmap name \"%.64s\" empty or too "
		    "long", name, bitmap);
		free(n);
		return NULL;
	}
	return n;
}

int
drc_nbd_connect(struct drc_nbd **out, const char *socket, const char *export,
    const char *bitmap, char *err, size_t errlen)
{
	struct drc_nbd *n;

	*out = NULL;
	if ((n = nbd_new(socket, bitmap, err, errlen)) == NULL)
		return -1;
	if ((n->h = handle_new(n, export, err, errlen)) == NULL)
		goto fail;
	if (nbd_connect_unix(n->h, socket) == -1) {
		nbd_fail(n, "connect", err, errlen);
		goto fail;
	}
	if (handle_ready(n, err, errlen) == -1)
		goto fail;
	*out = n;
	return 0;
fail:
	drc_nbd_close(n, NULL, 0);
	return -1;
}

/* 1 when qemu-nbd exited within ms: the error is its stderr. */
static int
serve_died(struct drc_nbd *n, int ms, char *err, size_t errlen)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char msg[512];
	int st, waited;

	for (waited = 0; !drc_exited(n->pid, &st); waited += 10) {
		if (waited >= ms)
			return 0;
		nanosleep(&ts, NULL);
	}
	drc_reap(n->pid, n->errfd, 0, &st, msg, sizeof(msg));
	n->pid = -1;
	n->errfd = -1;
	drc_err(err, errlen, "%s: qemu-nbd: %s", n->name, msg);
	return 1;
}

/*
 * Connect to the qemu-nbd we started, retrying until it listens.  It
 * listens before it opens the image, so a connection can also be reset by
 * a qemu-nbd that is about to exit: then its own message is the error.
 */
static int
serve_connect(struct drc_nbd *n, char *err, size_t errlen)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char why[512];
	int waited, e;

	for (waited = 0; waited < DRC_NBD_START_MS; waited += 10) {
		if ((n->h = handle_new(n, NULL, err, errlen)) == NULL)
			return -1;
		if (nbd_connect_unix(n->h, n->sock) == 0)
			return handle_ready(n, err, errlen);
		e = nbd_get_errno();
		nbd_fail(n, "connect to qemu-nbd", why, sizeof(why));
		nbd_close(n->h);
		n->h = NULL;
		if (e != ENOENT && e != ECONNREFUSED) {
			if (!serve_died(n, 1000, err, errlen))
				drc_err(err, errlen, "%s", why);
			return -1;
		}
		if (serve_died(n, 0, err, errlen))
			return -1;
		nanosleep(&ts, NULL);
	}
	drc_err(err, errlen, "%s: qemu-nbd not listening on %s after %d ms",
	    n->name, n->sock, DRC_NBD_START_MS);
	return -1;
}

int
drc_nbd_serve(struct drc_nbd **out, const char *image, const char *socket,
    int writable, const char *bitmap, char *err, size_t errlen)
{
	char sockopt[DRC_PATH_MAX + 16], bitopt[300];
	char opts[2 * DRC_PATH_MAX + 128], *o;
	const char *argv[16], *c;
	struct drc_nbd *n;
	size_t i = 0;

	*out = NULL;
	if ((n = nbd_new(image, bitmap, err, errlen)) == NULL)
		return -1;
	n->writable = writable == DRC_NBD_RW;
	if (strlen(socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		drc_err(err, errlen, "%s: socket path %s too long", image,
		    socket);
		goto fail;
	}
	snprintf(n->sock, sizeof(n->sock), "%s", socket);
	snprintf(sockopt, sizeof(sockopt), "--socket=%s", socket);
	snprintf(bitopt, sizeof(bitopt), "--bitmap=%s", bitmap ? bitmap : "");
	argv[i++] = "qemu-nbd";
	argv[i++] = sockopt;
	argv[i++] = "--shared=1";
	if (writable == DRC_NBD_RW) {
		argv[i++] = "--format=qcow2";
		argv[i++] = "--cache=writeback";
		argv[i++] = "--discard=unmap";
		argv[i++] = "--detect-zeroes=unmap";
	} else {
		argv[i++] = "--read-only";
		if (writable == DRC_NBD_RO)
			argv[i++] = "--format=qcow2";
	}
	if (bitmap != NULL)
		argv[i++] = bitopt;
	if (writable == DRC_NBD_RO_SHARED) {
		/* an image a running QEMU holds read-only (the backing file
		 * of its disk): opened beside it; commas doubled */
		o = opts + snprintf(opts, sizeof(opts), "driver=qcow2,"
		    "read-only=on,force-share=on,file.driver=file,"
		    "file.filename=");
		for (c = image; *c != '\0' && o < opts + sizeof(opts) - 3;
		    c++) {
			if (*c == ',')
				*o++ = ',';
			*o++ = *c;
		}
		*o = '\0';
		argv[i++] = "--image-opts";
		argv[i++] = opts;
	} else
		argv[i++] = image;
	argv[i] = NULL;
	if (unlink(socket) == -1 && errno != ENOENT) {
		drc_err(err, errlen, "%s: stale socket %s: %s", image, socket,
		    strerror(errno));
		goto fail;
	}
	if (drc_spawn(argv, &n->pid, &n->errfd, err, errlen) == -1 ||
	    serve_connect(n, err, errlen) == -1)
		goto fail;
	*out = n;
	return 0;
fail:
	drc_nbd_close(n, NULL, 0);
	return -1;
}

int
drc_nbd_close(struct drc_nbd *n, char *err, size_t errlen)
{
	char msg[512];
	int ret = 0;

	if (n == NULL)
		return 0;
	if (n->h != NULL) {
		if (n->writable && n->ready &&
		    drc_nbd_flush(n, err, errlen) == -1)
			ret = -1;
		nbd_shutdown(n->h, 0);
		nbd_close(n->h);
	}
	if (n->pid > 0 && drc_reap(n->pid, n->errfd, DRC_NBD_STOP_MS, NULL,
	    msg, sizeof(msg)) != 0 && ret == 0) {
		drc_err(err, errlen, "%s: qemu-nbd: %s", n->name, msg);
		ret = -1;
	}
	if (n->sock[0] != '\0')
		unlink(n->sock);
	free(n);
	return ret;
}

uint64_t
drc_nbd_size(const struct drc_nbd *n)
{
	return n->size;
}

/* A request inside the disk, or an error naming it. */
static int
in_disk(const struct drc_nbd *n, const char *what, uint64_t len,
    uint64_t off, char *err, size_t errlen)
{
	if (off <= n->size && len <= n->size - off)
		return 0;
	drc_err(err, errlen, "%s: %s at %" PRIu64 "+%" PRIu64 ": beyond the "
	    "end (%" PRIu64 ")", n->name, what, off, len, n->size);
	return -1;
}

static void
io_fail(const struct drc_nbd *n, const char *what, uint64_t len,
    uint64_t off, char *err, size_t errlen)
{
	if (nbd_get_errno() == ENOSPC)
		drc_err(err, errlen, "%s: %s at %" PRIu64 "+%" PRIu64 ": disk "
		    "full (no space left on device)", n->name, what, off, len);
	else
		drc_err(err, errlen, "%s: %s at %" PRIu64 "+%" PRIu64 ": %s",
		    n->name, what, off, len, nbd_get_error());
}

int
drc_nbd_pread(struct drc_nbd *n, void *buf, size_t len, uint64_t off,
    char *err, size_t errlen)
{
	size_t done, step;

	if (in_disk(n, "read", len, off, err, errlen) == -1)
		return -1;
	for (done = 0; done < len; done += step) {
		step = len - done < DRC_NBD_IO_MAX ? len - done : DRC_NBD_IO_MAX;
		if (nbd_pread(n->h, (char *)buf + done, step, off + done,
		    0) == -1) {
			io_fail(n, "read", step, off + done, err, errlen);
			return -1;
		}
	}
	return 0;
}

int
drc_nbd_pwrite(struct drc_nbd *n, const void *buf, size_t len, uint64_t off,
    char *err, size_t errlen)
{
	size_t done, step;

	if (in_disk(n, "write", len, off, err, errlen) == -1)
		return -1;
	for (done = 0; done < len; done += step) {
		step = len - done < DRC_NBD_IO_MAX ? len - done : DRC_NBD_IO_MAX;
		if (nbd_pwrite(n->h, (const char *)buf + done, step,
		    off + done, 0) == -1) {
			io_fail(n, "write", step, off + done, err, errlen);
			return -1;
		}
	}
	return 0;
}

int
drc_nbd_zero(struct drc_nbd *n, uint64_t len, uint64_t off, char *err,
    size_t errlen)
{
	uint64_t done, step;

	if (in_disk(n, "zero", len, off, err, errlen) == -1)
		return -1;
	for (done = 0; done < len; done += step) {
		step = len - done < DRC_NBD_ZERO_MAX ? len - done :
		    DRC_NBD_ZERO_MAX;
		if (nbd_zero(n->h, step, off + done, 0) == -1) {
			io_fail(n, "zero", step, off + done, err, errlen);
			return -1;
		}
	}
	return 0;
}

int
drc_nbd_flush(struct drc_nbd *n, char *err, size_t errlen)
{
	if (nbd_flush(n->h, 0) == -1) {
		io_fail(n, "flush", n->size, 0, err, errlen);
		return -1;
	}
	return 0;
}
