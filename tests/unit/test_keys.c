/*
 * test_keys.c - key files (generate, load, everything a loader must
 * refuse), base64 keys and fingerprints.  Each test works in its own
 * directory under /tmp, removed afterwards.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 7748 section 6.1, Alice */
static const char rfc_priv_b64[] =
    "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
static const uint8_t rfc_pub[KEY_LEN] = {
	0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d,
	0xdc, 0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38,
	0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a
};

struct tdir {
	char	dir[64];
	char	buf[256];
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
setup(void **state)
{
	struct tdir	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	(void)snprintf(t->dir, sizeof(t->dir), "/tmp/vmgw-keys.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tdir	*t = *state;

	(void)nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

/* path of name in the test directory (one buffer: use before next call) */
static const char *
tpath(struct tdir *t, const char *name)
{
	(void)snprintf(t->buf, sizeof(t->buf), "%s/%s", t->dir, name);
	return t->buf;
}

static void
write_file(const char *path, const char *content, size_t len, mode_t mode)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd != -1);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* key_load_file(path) fails with exactly "path: why" */
static void
assert_load_fails(const char *path, const char *why)
{
	struct vmgw_privkey	k;
	char			err[512], want[512];

	(void)snprintf(want, sizeof(want), "%s: %s", path, why);
	assert_int_equal(key_load_file(path, &k, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_null(k.priv);
	assert_true(sodium_is_zero(k.pub, KEY_LEN));
}

static void
test_generate_load(void **state)
{
	struct tdir		*t = *state;
	struct vmgw_privkey	 g, l;
	struct stat		 st;
	uint8_t			 pub[KEY_LEN];
	char			 err[512], path[256];

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "a.key"));
	assert_int_equal(key_generate_file(path, &g, err, sizeof(err)), 0);
	assert_non_null(g.priv);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, KEY_B64_LEN + 1);

	assert_int_equal(key_load_file(path, &l, err, sizeof(err)), 0);
	assert_non_null(key_priv_open(&g));
	assert_non_null(key_priv_open(&l));
	assert_memory_equal(g.priv, l.priv, KEY_LEN);
	assert_memory_equal(g.pub, l.pub, KEY_LEN);
	assert_int_equal(crypto_scalarmult_base(pub, l.priv), 0);
	assert_memory_equal(pub, l.pub, KEY_LEN);
	key_priv_close(&g);
	key_priv_close(&l);
	key_free(&g);
	key_free(&l);
	assert_null(l.priv);
	key_free(&l);		/* twice is fine */
	key_free(NULL);
}

/* Outside key_priv_open/close the key cannot be read: a read faults. */
static int
read_faults(const uint8_t *p)
{
	pid_t	 pid;
	int	 st;

	if ((pid = fork()) == 0) {
		volatile uint8_t v;

		signal(SIGSEGV, SIG_DFL);	/* not ASan's report */
		signal(SIGBUS, SIG_DFL);
		v = p[0];
		(void)v;
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	/* a signal, or ASan's exit after its own handler */
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
test_priv_noaccess(void **state)
{
	struct tdir		*t = *state;
	struct vmgw_privkey	 k, none = { NULL, { 0 } };
	const uint8_t		*p;
	uint8_t			 pub[KEY_LEN];
	char			 err[512];

	assert_int_equal(key_generate_file(tpath(t, "n.key"), &k, err,
	    sizeof(err)), 0);
	assert_true(read_faults(k.priv));
	assert_non_null(p = key_priv_open(&k));
	assert_false(read_faults(p));
	assert_int_equal(crypto_scalarmult_base(pub, p), 0);
	assert_memory_equal(pub, k.pub, KEY_LEN);
	key_priv_close(&k);
	assert_true(read_faults(k.priv));
	key_free(&k);			/* wipes noaccess memory too */
	assert_null(key_priv_open(&none));
	assert_null(key_priv_open(NULL));
	key_priv_close(&none);
	key_priv_close(NULL);
}

static void
test_generate_no_out(void **state)
{
	struct tdir		*t = *state;
	struct vmgw_privkey	 l;
	char			 err[512], path[256];

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "b.key"));
	assert_int_equal(key_generate_file(path, NULL, err, sizeof(err)), 0);
	assert_int_equal(key_load_file(path, &l, err, sizeof(err)), 0);
	key_free(&l);
}

static void
test_generate_umask(void **state)
{
	struct tdir		*t = *state;
	struct vmgw_privkey	 l;
	struct stat		 st;
	char			 err[512], path[256];
	mode_t			 old;

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "c.key"));
	old = umask(0277);
	assert_int_equal(key_generate_file(path, NULL, err, sizeof(err)), 0);
	(void)umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(key_load_file(path, &l, err, sizeof(err)), 0);
	key_free(&l);
}

static void
test_refuse_overwrite(void **state)
{
	struct tdir		*t = *state;
	struct vmgw_privkey	 a, b, l;
	char			 err[512], want[512], path[256];

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "d.key"));
	assert_int_equal(key_generate_file(path, &a, err, sizeof(err)), 0);
	assert_int_equal(key_generate_file(path, &b, err, sizeof(err)), -1);
	(void)snprintf(want, sizeof(want), "%s: exists; refusing to overwrite",
	    path);
	assert_string_equal(err, want);
	assert_null(b.priv);
	/* the first key is still there */
	assert_int_equal(key_load_file(path, &l, err, sizeof(err)), 0);
	assert_memory_equal(a.pub, l.pub, KEY_LEN);
	key_free(&a);
	key_free(&l);
}

static void
test_refuse_overwrite_symlink(void **state)
{
	struct tdir	*t = *state;
	char		 err[512], want[512], path[256];

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "dangling"));
	assert_int_equal(symlink("/nonexistent/vmgw-target", path), 0);
	assert_int_equal(key_generate_file(path, NULL, err, sizeof(err)), -1);
	(void)snprintf(want, sizeof(want), "%s: exists; refusing to overwrite",
	    path);
	assert_string_equal(err, want);
}

static void
test_generate_bad_dir(void **state)
{
	struct tdir	*t = *state;
	char		 err[512], want[512], path[256];

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "no/such.key"));
	assert_int_equal(key_generate_file(path, NULL, err, sizeof(err)), -1);
	(void)snprintf(want, sizeof(want), "%s: cannot create: %s", path,
	    strerror(ENOENT));
	assert_string_equal(err, want);
}

static void
test_known_vector(void **state)
{
	struct tdir		*t = *state;
	struct vmgw_privkey	 l;
	char			 err[512], line[64], path[256];

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "rfc.key"));
	(void)snprintf(line, sizeof(line), "%s\n", rfc_priv_b64);
	write_file(path, line, strlen(line), 0600);
	assert_int_equal(key_load_file(path, &l, err, sizeof(err)), 0);
	assert_memory_equal(l.pub, rfc_pub, KEY_LEN);
	key_free(&l);

	/* blanks around the key, CRLF, mode 0400 are fine */
	(void)snprintf(line, sizeof(line), "  %s \r\n\n", rfc_priv_b64);
	write_file(path, line, strlen(line), 0400);
	assert_int_equal(key_load_file(path, &l, err, sizeof(err)), 0);
	assert_memory_equal(l.pub, rfc_pub, KEY_LEN);
	key_free(&l);
}

static void
test_bad_modes(void **state)
{
	static const mode_t	 modes[] = { 0644, 0640, 0604, 0620, 0602, 0610,
	    0601, 0666 };
	struct tdir		*t = *state;
	char			 why[512], line[64], path[256];
	size_t			 i;

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "mode.key"));
	(void)snprintf(line, sizeof(line), "%s\n", rfc_priv_b64);
	for (i = 0; i < nitems(modes); i++) {
		write_file(path, line, strlen(line), modes[i]);
		(void)snprintf(why, sizeof(why), "mode %04o is "
		    "group/world-accessible; run chmod 600 %s",
		    (unsigned)modes[i], path);
		assert_load_fails(path, why);
	}
}

struct bad_content {
	const char	*name;
	const char	*content;
	const char	*why;
};

static void
test_bad_contents(void **state)
{
	static const struct bad_content cases[] = {
		{ "empty", "", "empty; expected the base64 of a 32-byte key" },
		{ "newline", "\n", "empty; expected the base64 of a 32-byte "
		    "key" },
		{ "blanks", " \t \n\n", "empty; expected the base64 of a "
		    "32-byte key" },
		{ "not base64", "not a key at all!\n",
		    "not valid base64 (bad character at byte 4)" },
		{ "bad char inside",
		    "dwdtCnMYpX08FsFyUbJmRd9ML4frw*kqsXf7pR25LCo=\n",
		    "not valid base64 (bad character at byte 30)" },
		{ "31 bytes", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==\n",
		    "decodes to 31 bytes, not 32" },
		{ "33 bytes", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB\n",
		    "decodes to 33 bytes, not 32" },
		{ "missing padding",
		    "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo\n",
		    "not valid base64 (bad padding or length)" },
		{ "trailing garbage",
		    "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=garbage\n",
		    "unexpected data after the key at byte 45" },
		{ "two keys",
		    "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n"
		    "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n",
		    "unexpected data after the key at byte 46" },
		{ "nul byte",
		    "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\0\n",
		    "unexpected data after the key at byte 45" },
		{ "all zeros",
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		    "not a usable X25519 private key" },
	};
	struct tdir	*t = *state;
	char		 path[256];
	size_t		 i, len;

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "bad.key"));
	for (i = 0; i < nitems(cases); i++) {
		print_message("case: %s\n", cases[i].name);
		len = strlen(cases[i].content);
		if (strcmp(cases[i].name, "nul byte") == 0)
			len += 2;
		write_file(path, cases[i].content, len, 0600);
		assert_load_fails(path, cases[i].why);
	}
}

static void
test_too_large(void **state)
{
	struct tdir	*t = *state;
	char		 big[300], path[256];

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "big.key"));
	memset(big, 'A', sizeof(big));
	write_file(path, big, sizeof(big), 0600);
	assert_load_fails(path, "larger than 256 bytes; not a key file");
}

static void
test_not_regular(void **state)
{
	struct tdir	*t = *state;
	char		 target[256], link[256], dir[256], fifo[256], why[300];
	char		 line[64];

	(void)snprintf(target, sizeof(target), "%s", tpath(t, "t.key"));
	(void)snprintf(link, sizeof(link), "%s", tpath(t, "link.key"));
	(void)snprintf(dir, sizeof(dir), "%s", tpath(t, "dir.key"));
	(void)snprintf(fifo, sizeof(fifo), "%s", tpath(t, "fifo.key"));
	(void)snprintf(line, sizeof(line), "%s\n", rfc_priv_b64);
	write_file(target, line, strlen(line), 0600);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);

	assert_load_fails(link, "is a symbolic link; refusing to follow it");
	assert_load_fails(dir, "not a regular file");
	assert_load_fails(fifo, "not a regular file");	/* and does not hang */
	(void)snprintf(why, sizeof(why), "cannot open: %s", strerror(ENOENT));
	assert_load_fails(tpath(t, "missing.key"), why);
}

static void
test_owner(void **state)
{
	struct tdir	*t = *state;
	char		 line[64], why[256], path[256];

	if (geteuid() != 0)
		skip();		/* only root can give a file away */
	(void)snprintf(path, sizeof(path), "%s", tpath(t, "owner.key"));
	(void)snprintf(line, sizeof(line), "%s\n", rfc_priv_b64);
	write_file(path, line, strlen(line), 0600);
	assert_int_equal(chown(path, 12345, 12345), 0);
	(void)snprintf(why, sizeof(why), "owned by uid 12345, not by root");
	assert_load_fails(path, why);
}

/* messages quote places, never the key */
static void
test_no_key_in_messages(void **state)
{
	struct tdir		*t = *state;
	struct vmgw_privkey	 k;
	char			 err[512], line[128], path[256];

	(void)snprintf(path, sizeof(path), "%s", tpath(t, "leak.key"));
	(void)snprintf(line, sizeof(line), "%s junk\n", rfc_priv_b64);
	write_file(path, line, strlen(line), 0600);
	assert_int_equal(key_load_file(path, &k, err, sizeof(err)), -1);
	assert_null(strstr(err, "dwdtCnMY"));
	write_file(path, line, strlen(line), 0644);
	assert_int_equal(key_load_file(path, &k, err, sizeof(err)), -1);
	assert_null(strstr(err, "dwdtCnMY"));
}

static void
test_base64(void **state)
{
	uint8_t	key[KEY_LEN], back[KEY_LEN];
	char	b64[KEY_B64_LEN + 1], padded[128];
	int	i;

	for (i = 0; i < 16; i++) {
		randombytes_buf(key, sizeof(key));
		memset(b64, 'x', sizeof(b64));
		key_to_base64(b64, key);
		assert_int_equal(strlen(b64), KEY_B64_LEN);
		assert_int_equal(b64[KEY_B64_LEN - 1], '=');
		assert_int_equal(key_from_base64(back, b64), 0);
		assert_memory_equal(key, back, KEY_LEN);
		(void)snprintf(padded, sizeof(padded), " \t%s\r\n", b64);
		assert_int_equal(key_from_base64(back, padded), 0);
		assert_memory_equal(key, back, KEY_LEN);
	}
	assert_int_equal(key_from_base64(back, rfc_priv_b64), 0);
	key_to_base64(b64, back);
	assert_string_equal(b64, rfc_priv_b64);
}

static void
test_base64_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==",	/* 31 bytes */
		"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",	/* 33 bytes */
		"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",	/* no pad */
		"AQEBAQEBAQEBAQEB!QEBAQEBAQEBAQEBAQEBAQEBAQE=",	/* bad char */
		"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=x",	/* trailing */
		"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE= x",
		"AQEBAQEB AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",	/* blank in */
		"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE==",
		"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF=",	/* not canonical */
		"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE-",	/* url alphabet */
	};
	uint8_t	key[KEY_LEN];
	size_t	i;

	for (i = 0; i < nitems(bad); i++) {
		print_message("case %zu: '%s'\n", i, bad[i]);
		memset(key, 0xaa, sizeof(key));
		assert_int_equal(key_from_base64(key, bad[i]), -1);
		assert_true(sodium_is_zero(key, KEY_LEN));
	}
}

static void
test_fingerprint(void **state)
{
	uint8_t	pub[KEY_LEN];
	char	fpr[KEY_FPR_LEN + 4];
	size_t	i;

	for (i = 0; i < KEY_LEN; i++)
		pub[i] = (uint8_t)i;
	/* BLAKE2b-256 of 00..1f begins cb2f5160fc1f7e05 */
	key_fingerprint(fpr, pub);
	assert_string_equal(fpr, "cb2f:5160:fc1f:7e05");

	randombytes_buf(pub, sizeof(pub));
	key_fingerprint(fpr, pub);
	assert_int_equal(strlen(fpr), KEY_FPR_LEN + 3);
	for (i = 0; i < strlen(fpr); i++) {
		if (i % 5 == 4)
			assert_int_equal(fpr[i], ':');
		else
			assert_non_null(strchr("0123456789abcdef", fpr[i]));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generate_load, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_priv_noaccess, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_generate_no_out, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_generate_umask, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuse_overwrite, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuse_overwrite_symlink,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_generate_bad_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_known_vector, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_contents, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_key_in_messages, setup,
		    teardown),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_base64_bad),
		cmocka_unit_test(test_fingerprint),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
