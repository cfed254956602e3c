/*
 * frame.c - encode and decode the framed sparse stream of kvm_frame.h, and
 * the whole-transfer read/write helpers under it.  No libvirt here: the
 * volume code in stream.c drives these from libvirt's stream callbacks.
 *
 * The reader checks every header before it reads a payload byte, never
 * allocates (the caller's buffer takes the payload), and names the stream
 * offset and the fd byte where a bad frame starts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kvm_frame.h"

#define FRAME_PRINTF(a, b)	__attribute__((format(printf, a, b)))

void
kvm_frame_encode(uint8_t hdr[KVM_FRAME_HDR], int kind, uint64_t len)
{
	int i;

	hdr[0] = (uint8_t)kind;
	for (i = 0; i < 8; i++)
		hdr[1 + i] = (uint8_t)(len >> (56 - 8 * i));
}

int
kvm_frame_decode(const uint8_t hdr[KVM_FRAME_HDR], int *kind, uint64_t *len,
    char *err, size_t errlen)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | hdr[1 + i];
	switch (hdr[0]) {
	case KVM_FRAME_DATA:
		if (v == 0 || v > KVM_FRAME_DATA_MAX) {
			snprintf(err, errlen, "data frame of %llu bytes (1 to "
			    "%u allowed)", (unsigned long long)v,
			    KVM_FRAME_DATA_MAX);
			return -1;
		}
		break;
	case KVM_FRAME_HOLE:
		if (v == 0 || v > KVM_FRAME_LEN_MAX) {
			snprintf(err, errlen, "hole frame of %llu bytes",
			    (unsigned long long)v);
			return -1;
		}
		break;
	case KVM_FRAME_END:
		if (v > KVM_FRAME_LEN_MAX) {
			snprintf(err, errlen, "end frame total %llu too large",
			    (unsigned long long)v);
			return -1;
		}
		break;
	default:
		snprintf(err, errlen, "unknown frame kind 0x%02x", hdr[0]);
		return -1;
	}
	*kind = hdr[0];
	*len = v;
	return 0;
}

ssize_t
kvm_io_read(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
kvm_io_write(int fd, const void *buf, size_t n)
{
	size_t done = 0;
	ssize_t r;
	int sock = 1;

	while (done < n) {
		if (sock) {
			r = send(fd, (const char *)buf + done, n - done,
			    MSG_NOSIGNAL);
			if (r < 0 && errno == ENOTSOCK) {
				sock = 0;
				continue;
			}
		} else
			r = write(fd, (const char *)buf + done, n - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

static void FRAME_PRINTF(4, 5)
werr(const struct kvm_frame_writer *w, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;
	size_t len;

	snprintf(err, errlen, "at offset %llu (stream byte %llu): ",
	    (unsigned long long)w->pos, (unsigned long long)w->wire);
	len = strlen(err);
	va_start(ap, fmt);
	vsnprintf(err + len, errlen - len, fmt, ap);
	va_end(ap);
}

static int
put(struct kvm_frame_writer *w, int kind, uint64_t len, const void *data,
    char *err, size_t errlen)
{
	uint8_t hdr[KVM_FRAME_HDR];

	kvm_frame_encode(hdr, kind, len);
	if (kvm_io_write(w->fd, hdr, sizeof(hdr)) < 0 ||
	    (data != NULL && kvm_io_write(w->fd, data, (size_t)len) < 0)) {
		werr(w, err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	w->wire += sizeof(hdr) + (data ? len : 0);
	if (kind != KVM_FRAME_END)
		w->pos += len;
	return 0;
}

int
kvm_frame_put_data(struct kvm_frame_writer *w, const void *data, size_t n,
    char *err, size_t errlen)
{
	const char *p = data;
	size_t chunk;

	while (n > 0) {
		chunk = n > KVM_FRAME_DATA_MAX ? KVM_FRAME_DATA_MAX : n;
		if (w->pos + chunk > KVM_FRAME_LEN_MAX) {
			werr(w, err, errlen, "stream longer than %llu bytes",
			    (unsigned long long)KVM_FRAME_LEN_MAX);
			return -1;
		}
		if (put(w, KVM_FRAME_DATA, chunk, p, err, errlen) < 0)
			return -1;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

int
kvm_frame_put_hole(struct kvm_frame_writer *w, uint64_t len, char *err,
    size_t errlen)
{
	if (len == 0)
		return 0;
	if (len > KVM_FRAME_LEN_MAX - w->pos) {
		werr(w, err, errlen, "hole of %llu bytes overflows the stream",
		    (unsigned long long)len);
		return -1;
	}
	return put(w, KVM_FRAME_HOLE, len, NULL, err, errlen);
}

int
kvm_frame_put_end(struct kvm_frame_writer *w, char *err, size_t errlen)
{
	return put(w, KVM_FRAME_END, w->pos, NULL, err, errlen);
}

static void FRAME_PRINTF(5, 6)
rerr(const struct kvm_frame_reader *r, uint64_t wire, char *err,
    size_t errlen, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	snprintf(err, errlen, "at offset %llu (stream byte %llu): ",
	    (unsigned long long)r->pos, (unsigned long long)wire);
	len = strlen(err);
	va_start(ap, fmt);
	vsnprintf(err + len, errlen - len, fmt, ap);
	va_end(ap);
}

int
kvm_frame_next(struct kvm_frame_reader *r, uint64_t *len, char *err,
    size_t errlen)
{
	uint8_t hdr[KVM_FRAME_HDR];
	char why[96];
	uint64_t v, at = r->wire;
	ssize_t got;
	int kind;

	*len = 0;
	if (r->ended)
		return KVM_FRAME_END;
	if (r->data_left > 0) {
		rerr(r, at, err, errlen, "%llu bytes of the data frame unread",
		    (unsigned long long)r->data_left);
		return -1;
	}
	if ((got = kvm_io_read(r->fd, hdr, sizeof(hdr))) < 0) {
		rerr(r, at, err, errlen, "read: %s", strerror(errno));
		return -1;
	}
	r->wire += (uint64_t)got;
	if (got == 0) {
		rerr(r, at, err, errlen, "stream ends without an end frame");
		return -1;
	}
	if ((size_t)got < sizeof(hdr)) {
		rerr(r, at, err, errlen, "stream ends inside a frame header "
		    "(%zd of %d bytes)", got, KVM_FRAME_HDR);
		return -1;
	}
	if (kvm_frame_decode(hdr, &kind, &v, why, sizeof(why)) < 0) {
		rerr(r, at, err, errlen, "%s", why);
		return -1;
	}
	switch (kind) {
	case KVM_FRAME_DATA:
	case KVM_FRAME_HOLE:
		if (v > KVM_FRAME_LEN_MAX - r->pos) {
			rerr(r, at, err, errlen, "frame of %llu bytes overflows "
			    "the stream", (unsigned long long)v);
			return -1;
		}
		if (kind == KVM_FRAME_DATA)
			r->data_left = v;
		else
			r->pos += v;
		break;
	case KVM_FRAME_END:
		if (v != r->pos) {
			rerr(r, at, err, errlen, "end frame says %llu bytes, "
			    "the stream carried %llu", (unsigned long long)v,
			    (unsigned long long)r->pos);
			return -1;
		}
		r->ended = 1;
		break;
	}
	*len = v;
	return kind;
}

ssize_t
kvm_frame_get_data(struct kvm_frame_reader *r, void *buf, size_t n, char *err,
    size_t errlen)
{
	ssize_t got;

	if (n > r->data_left)
		n = (size_t)r->data_left;
	if (n == 0)
		return 0;
	if ((got = kvm_io_read(r->fd, buf, n)) < 0) {
		rerr(r, r->wire, err, errlen, "read: %s", strerror(errno));
		return -1;
	}
	r->wire += (uint64_t)got;
	r->pos += (uint64_t)got;
	r->data_left -= (uint64_t)got;
	if ((size_t)got < n) {
		rerr(r, r->wire, err, errlen, "stream ends inside a data frame "
		    "(%llu bytes missing)", (unsigned long long)(r->data_left));
		return -1;
	}
	return got;
}
