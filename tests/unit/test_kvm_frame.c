/*
 * test_kvm_frame.c - the framed sparse stream of kvm_frame.h on its own:
 * header layout, a table of headers that must be refused, a writer ->
 * reader round trip through a file, and streams cut or corrupted at every
 * interesting place (in a header, in a payload, before the end frame, a bad
 * end total, garbage kinds, oversized frames refused before their payload
 * is read, offsets that would overflow).  The I/O helpers are checked for
 * short reads, EINTR and a closed peer (no SIGPIPE).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvm_frame.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* A file holding bytes, positioned at 0. */
static int
mkfile(const void *buf, size_t len)
{
	FILE *f = tmpfile();
	int fd;

	assert_non_null(f);
	fd = dup(fileno(f));
	fclose(f);
	assert_true(fd >= 0);
	if (len > 0)
		assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static size_t
hdr(uint8_t *p, int kind, uint64_t len)
{
	kvm_frame_encode(p, kind, len);
	return KVM_FRAME_HDR;
}

static void
test_encode_layout(void **state)
{
	uint8_t h[KVM_FRAME_HDR];
	static const uint8_t want[KVM_FRAME_HDR] = {
		'D', 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
	};
	int kind;
	uint64_t len;
	char err[128];

	kvm_frame_encode(h, 'D', 0x0102030405060708ULL);
	assert_memory_equal(h, want, sizeof(want));
	kvm_frame_encode(h, 'D', 0x1000);
	assert_int_equal(kvm_frame_decode(h, &kind, &len, err, sizeof(err)), 0);
	assert_int_equal(kind, 'D');
	assert_int_equal(len, 0x1000);
	kvm_frame_encode(h, 'E', 0);
	assert_int_equal(kvm_frame_decode(h, &kind, &len, err, sizeof(err)), 0);
	assert_int_equal(kind, 'E');
	assert_int_equal(len, 0);
}

static void
test_decode_refused(void **state)
{
	static const struct {
		int kind;
		uint64_t len;
		const char *want;
	} t[] = {
		{ 'D', 0, "data frame of 0 bytes" },
		{ 'D', KVM_FRAME_DATA_MAX + 1ULL, "data frame of 16777217 bytes" },
		{ 'D', UINT64_MAX, "data frame of" },
		{ 'H', 0, "hole frame of 0 bytes" },
		{ 'H', (uint64_t)INT64_MAX + 1, "hole frame of" },
		{ 'E', UINT64_MAX, "end frame total" },
		{ 'X', 1, "unknown frame kind 0x58" },
		{ 0, 1, "unknown frame kind 0x00" },
		{ 'd', 1, "unknown frame kind 0x64" },
	};
	uint8_t h[KVM_FRAME_HDR];
	char err[128];
	int kind = 0;
	uint64_t len = 0;
	size_t i;

	for (i = 0; i < nitems(t); i++) {
		kvm_frame_encode(h, t[i].kind, t[i].len);
		err[0] = '\0';
		assert_int_equal(kvm_frame_decode(h, &kind, &len, err,
		    sizeof(err)), -1);
		if (strstr(err, t[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err, t[i].want);
	}
	/* the largest frames allowed pass */
	kvm_frame_encode(h, 'D', KVM_FRAME_DATA_MAX);
	assert_int_equal(kvm_frame_decode(h, &kind, &len, err, sizeof(err)), 0);
	kvm_frame_encode(h, 'H', (uint64_t)INT64_MAX);
	assert_int_equal(kvm_frame_decode(h, &kind, &len, err, sizeof(err)), 0);
}

/* Read a whole stream from fd into buf (holes as zeros); 0 or -1 with err. */
static int
drain(int fd, uint8_t *buf, size_t cap, uint64_t *total, char *err,
    size_t errlen)
{
	struct kvm_frame_reader r = { .fd = fd };
	uint64_t len;
	ssize_t got;
	int kind;

	for (;;) {
		if ((kind = kvm_frame_next(&r, &len, err, errlen)) < 0)
			return -1;
		if (kind == KVM_FRAME_END)
			break;
		if (kind == KVM_FRAME_HOLE) {
			if (r.pos <= cap)	/* huge holes: checked, not kept */
				memset(buf + r.pos - len, 0, len);
			continue;
		}
		while (r.data_left > 0) {
			size_t want = r.data_left > 1000 ? 1000 : r.data_left;

			assert_true(r.pos + want <= cap);
			if ((got = kvm_frame_get_data(&r, buf + r.pos, want, err,
			    errlen)) < 0)
				return -1;
			assert_true(got > 0);
		}
	}
	*total = r.pos;
	assert_int_equal(kvm_frame_next(&r, &len, err, errlen), KVM_FRAME_END);
	return 0;
}

static void
test_roundtrip(void **state)
{
	struct kvm_frame_writer w;
	uint8_t src[20000], dst[20000];
	uint64_t total = 0;
	char err[256];
	size_t i;
	FILE *f = tmpfile();
	int fd;

	assert_non_null(f);
	fd = fileno(f);
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	memset(src + 3000, 0, 5000);		/* a hole */
	memset(src + 19000, 0, 1000);		/* a trailing hole */
	w = (struct kvm_frame_writer){ .fd = fd };
	assert_int_equal(kvm_frame_put_data(&w, src, 3000, err, sizeof(err)), 0);
	assert_int_equal(kvm_frame_put_hole(&w, 5000, err, sizeof(err)), 0);
	assert_int_equal(kvm_frame_put_hole(&w, 0, err, sizeof(err)), 0);
	assert_int_equal(kvm_frame_put_data(&w, src + 8000, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(kvm_frame_put_data(&w, src + 8000, 11000, err,
	    sizeof(err)), 0);
	assert_int_equal(kvm_frame_put_hole(&w, 1000, err, sizeof(err)), 0);
	assert_int_equal(kvm_frame_put_end(&w, err, sizeof(err)), 0);
	assert_int_equal(w.pos, sizeof(src));
	/* 2 data + 2 holes + end, empty ones not written */
	assert_int_equal(w.wire, 5 * KVM_FRAME_HDR + 3000 + 11000);
	/* something after the end frame must not be read */
	assert_int_equal(write(fd, "trailer", 7), 7);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);

	memset(dst, 0xaa, sizeof(dst));
	if (drain(fd, dst, sizeof(dst), &total, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(total, sizeof(src));
	assert_memory_equal(src, dst, sizeof(src));
	assert_int_equal(lseek(fd, 0, SEEK_CUR), (off_t)w.wire);
	fclose(f);
}

/* Build a stream from parts, read it, expect failure naming want. */
static void
expect_bad(const uint8_t *buf, size_t len, const char *want, const char *want2)
{
	static uint8_t out[1 << 16];
	char err[256] = "";
	uint64_t total;
	int fd = mkfile(buf, len);

	assert_int_equal(drain(fd, out, sizeof(out), &total, err, sizeof(err)),
	    -1);
	if (strstr(err, want) == NULL)
		fail_msg("'%s' lacks '%s'", err, want);
	if (want2 != NULL && strstr(err, want2) == NULL)
		fail_msg("'%s' lacks '%s'", err, want2);
	close(fd);
}

static void
test_truncated(void **state)
{
	uint8_t b[256] = { 0 };
	size_t n;

	/* nothing at all */
	expect_bad(b, 0, "at offset 0 (stream byte 0): stream ends without an "
	    "end frame", NULL);
	/* cut inside the first header */
	n = hdr(b, 'D', 4);
	expect_bad(b, 5, "at offset 0 (stream byte 0): stream ends inside a "
	    "frame header (5 of 9 bytes)", NULL);
	/* cut inside a payload: 4 announced, 2 sent */
	memcpy(b + n, "ab", 2);
	expect_bad(b, n + 2, "stream ends inside a data frame (2 bytes missing)",
	    NULL);
	/* whole frames but no end frame */
	memcpy(b + n, "abcd", 4);
	n += 4;
	n += hdr(b + n, 'H', 100);
	expect_bad(b, n, "at offset 104 (stream byte 22): stream ends without "
	    "an end frame", NULL);
	/* cut inside the end frame */
	hdr(b + n, 'E', 104);
	expect_bad(b, n + 8, "at offset 104 (stream byte 22): stream ends "
	    "inside a frame header (8 of 9 bytes)", NULL);
}

static void
test_garbage(void **state)
{
	uint8_t b[256];
	size_t n;

	/* unknown kind after a good frame: offset and fd byte named */
	n = hdr(b, 'D', 3);
	memcpy(b + n, "xyz", 3);
	n += 3;
	n += hdr(b + n, 'Z', 3);
	expect_bad(b, n, "at offset 3 (stream byte 12): unknown frame kind 0x5a",
	    NULL);
	/* text where a stream should be */
	expect_bad((const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18,
	    "at offset 0 (stream byte 0): unknown frame kind 0x47", NULL);
	/* end total that does not match */
	n = hdr(b, 'D', 3);
	memcpy(b + n, "xyz", 3);
	n += 3;
	n += hdr(b + n, 'E', 4);
	expect_bad(b, n, "end frame says 4 bytes, the stream carried 3", NULL);
	/* empty frames are refused */
	n = hdr(b, 'D', 0);
	expect_bad(b, n, "data frame of 0 bytes", NULL);
	n = hdr(b, 'H', 0);
	expect_bad(b, n, "hole frame of 0 bytes", NULL);
}

static void
test_oversized_not_read(void **state)
{
	uint8_t b[64];
	struct kvm_frame_reader r;
	char err[256];
	uint64_t len;
	int fd;

	/* 2^40 announced: refused from the header alone */
	hdr(b, 'D', 1ULL << 40);
	memset(b + KVM_FRAME_HDR, 'x', 32);
	fd = mkfile(b, KVM_FRAME_HDR + 32);
	r = (struct kvm_frame_reader){ .fd = fd };
	assert_int_equal(kvm_frame_next(&r, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "data frame of 1099511627776 bytes"));
	assert_int_equal(r.wire, KVM_FRAME_HDR);	/* no payload read */
	assert_int_equal(lseek(fd, 0, SEEK_CUR), KVM_FRAME_HDR);
	close(fd);
}

static void
test_overflow(void **state)
{
	uint8_t b[64];
	size_t n = 0;

	/* two holes that together pass INT64_MAX */
	n += hdr(b + n, 'H', (uint64_t)INT64_MAX);
	n += hdr(b + n, 'H', 1);
	expect_bad(b, n, "frame of 1 bytes overflows the stream", NULL);
	/* a hole then data past the limit */
	n = hdr(b, 'H', (uint64_t)INT64_MAX - 1);
	n += hdr(b + n, 'D', 2);
	memcpy(b + n, "ab", 2);
	expect_bad(b, n + 2, "overflows the stream", NULL);
}

static void
test_reader_misuse(void **state)
{
	uint8_t b[64];
	struct kvm_frame_reader r;
	char err[256];
	uint64_t len;
	int fd;
	size_t n;

	/* asking for the next frame with payload unread is an error */
	n = hdr(b, 'D', 4);
	memcpy(b + n, "abcd", 4);
	fd = mkfile(b, n + 4);
	r = (struct kvm_frame_reader){ .fd = fd };
	assert_int_equal(kvm_frame_next(&r, &len, err, sizeof(err)), 'D');
	assert_int_equal(len, 4);
	assert_int_equal(kvm_frame_next(&r, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "4 bytes of the data frame unread"));
	/* reading data past the frame gives only the frame */
	assert_int_equal(kvm_frame_get_data(&r, b, sizeof(b), err, sizeof(err)),
	    4);
	assert_int_equal(kvm_frame_get_data(&r, b, sizeof(b), err, sizeof(err)),
	    0);
	close(fd);
}

struct slow_writer {
	int fd;
	const uint8_t *buf;
	size_t len;
	pthread_t reader;
};

static void
on_usr1(int sig)
{
	(void)sig;
}

/* Writes in 1..7 byte pieces and interrupts the reader with signals. */
static void *
slow_write(void *arg)
{
	struct slow_writer *s = arg;
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	size_t off = 0, piece;

	while (off < s->len) {
		nanosleep(&ts, NULL);
		pthread_kill(s->reader, SIGUSR1);
		piece = 1 + off % 7;
		if (piece > s->len - off)
			piece = s->len - off;
		if (write(s->fd, s->buf + off, piece) != (ssize_t)piece)
			abort();	/* no cmocka asserts off the main thread */
		off += piece;
	}
	close(s->fd);
	return NULL;
}

static void
test_io_short_and_eintr(void **state)
{
	struct sigaction sa;
	struct slow_writer s;
	pthread_t t;
	uint8_t src[300], dst[400];
	int p[2];
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART: read gets EINTR */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)i;
	assert_int_equal(pipe(p), 0);
	s = (struct slow_writer){ .fd = p[1], .buf = src, .len = sizeof(src),
	    .reader = pthread_self() };
	assert_int_equal(pthread_create(&t, NULL, slow_write, &s), 0);
	/* asks for more than comes: all of it, then EOF ends the read */
	assert_int_equal(kvm_io_read(p[0], dst, sizeof(dst)), sizeof(src));
	assert_memory_equal(src, dst, sizeof(src));
	assert_int_equal(kvm_io_read(p[0], dst, 1), 0);
	pthread_join(t, NULL);
	close(p[0]);
	signal(SIGUSR1, SIG_DFL);
}

static void
test_io_write_closed_peer(void **state)
{
	struct kvm_frame_writer w;
	uint8_t buf[4096] = { 1 };
	char err[256];
	int sv[2], p[2], i, rc = 0;

	/* a socket: EPIPE, and the process is not killed (MSG_NOSIGNAL) */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	errno = 0;
	assert_int_equal(kvm_io_write(sv[0], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EPIPE);
	w = (struct kvm_frame_writer){ .fd = sv[0] };
	assert_int_equal(kvm_frame_put_data(&w, buf, 10, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at offset 0 (stream byte 0): write:"));
	close(sv[0]);
	/* a pipe falls back to write(); SIGPIPE is the caller's business */
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	for (i = 0; i < 4 && rc == 0; i++)
		rc = kvm_io_write(p[1], buf, sizeof(buf));
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

static void
test_large_data_split(void **state)
{
	struct kvm_frame_writer w;
	size_t len = KVM_FRAME_DATA_MAX + 100;
	uint8_t *buf = calloc(1, len), h[KVM_FRAME_HDR];
	char err[256];
	int kind;
	uint64_t flen;
	FILE *f = tmpfile();

	assert_non_null(buf);
	assert_non_null(f);
	w = (struct kvm_frame_writer){ .fd = fileno(f) };
	assert_int_equal(kvm_frame_put_data(&w, buf, len, err, sizeof(err)), 0);
	assert_int_equal(w.wire, 2 * KVM_FRAME_HDR + len);
	/* two frames: 16 MiB, then 100 */
	assert_int_equal(pread(fileno(f), h, sizeof(h), 0), sizeof(h));
	assert_int_equal(kvm_frame_decode(h, &kind, &flen, err, sizeof(err)), 0);
	assert_int_equal(flen, KVM_FRAME_DATA_MAX);
	assert_int_equal(pread(fileno(f), h, sizeof(h),
	    KVM_FRAME_HDR + KVM_FRAME_DATA_MAX), sizeof(h));
	assert_int_equal(kvm_frame_decode(h, &kind, &flen, err, sizeof(err)), 0);
	assert_int_equal(flen, 100);
	fclose(f);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_decode_refused),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_oversized_not_read),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_reader_misuse),
		cmocka_unit_test(test_io_short_and_eintr),
		cmocka_unit_test(test_io_write_closed_peer),
		cmocka_unit_test(test_large_data_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
