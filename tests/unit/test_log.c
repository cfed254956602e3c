/*
 * test_log.c - the log's journal fields (MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER, VMGW_PEER/JOB/GUEST where set) and its detection of
 * the journal stream; and that a line with a context prints on stderr
 * exactly what the same line without one prints.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "log.h"

static char *
field(const struct log_fields *f, int i)
{
	static char	 buf[4096];

	assert_true(i < f->n);
	snprintf(buf, sizeof(buf), "%.*s", (int)f->iov[i].iov_len,
	    (const char *)f->iov[i].iov_base);
	return buf;
}

static void
test_fields_all(void **state)
{
	struct log_fields	 f;
	struct log_ctx		 c = { "site-b", "j0123456789", "web1" };

	log_journal_fields(&f, LOG_WARNING, "vmgwd", &c,
	    "job j0123456789 (web1): tunnel to site-b lost");
	assert_int_equal(f.n, 6);
	assert_string_equal(field(&f, 0),
	    "MESSAGE=job j0123456789 (web1): tunnel to site-b lost");
	assert_string_equal(field(&f, 1), "PRIORITY=4");
	assert_string_equal(field(&f, 2), "SYSLOG_IDENTIFIER=vmgwd");
	assert_string_equal(field(&f, 3), "VMGW_PEER=site-b");
	assert_string_equal(field(&f, 4), "VMGW_JOB=j0123456789");
	assert_string_equal(field(&f, 5), "VMGW_GUEST=web1");
}

static void
test_fields_some(void **state)
{
	struct log_fields	 f;
	struct log_ctx		 peer = { "site-c", NULL, "" };

	log_journal_fields(&f, LOG_INFO, "vmgwd", &peer, "site-c: tunnel up");
	assert_int_equal(f.n, 4);
	assert_string_equal(field(&f, 1), "PRIORITY=6");
	assert_string_equal(field(&f, 3), "VMGW_PEER=site-c");
	log_journal_fields(&f, LOG_DEBUG, "vmgwd", NULL, "plain");
	assert_int_equal(f.n, 3);
	assert_string_equal(field(&f, 0), "MESSAGE=plain");
	assert_string_equal(field(&f, 1), "PRIORITY=7");
	/* an empty message is still an entry */
	log_journal_fields(&f, LOG_INFO, "vmgwd", NULL, "");
	assert_string_equal(field(&f, 0), "MESSAGE=-");
}

static void
test_fields_long(void **state)
{
	struct log_fields	 f;
	struct log_ctx		 c = { "p", "j", "g" };
	char			 msg[8000];

	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	log_journal_fields(&f, LOG_ERR, "vmgwd", &c, msg);
	/* the message is cut to the buffer, the rest does not fit */
	assert_true(f.n >= 1);
	assert_true(f.iov[0].iov_len < sizeof(f.buf));
	assert_memory_equal(f.iov[0].iov_base, "MESSAGE=xxx", 11);
}

static void
test_journal_stream(void **state)
{
	char		 path[] = "/tmp/vmgw-test-log.XXXXXX", env[64];
	struct stat	 st;
	int		 fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	unsetenv("JOURNAL_STREAM");
	assert_int_equal(log_fd_is_journal(fd), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	assert_int_equal(log_fd_is_journal(fd), 1);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", env, 1);
	assert_int_equal(log_fd_is_journal(fd), 0);
	setenv("JOURNAL_STREAM", "garbage", 1);
	assert_int_equal(log_fd_is_journal(fd), 0);
	unsetenv("JOURNAL_STREAM");
	close(fd);
	unlink(path);
}

/* Run fn with stderr going to a file; the text written, timestamps cut. */
static void
capture(void (*fn)(void), char *out, size_t outlen)
{
	char	 path[] = "/tmp/vmgw-test-log.XXXXXX", line[1024];
	int	 fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE	*fp;
	size_t	 n = 0;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	out[0] = '\0';
	assert_non_null(fp = fdopen(fd, "r"));
	rewind(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* "HH:MM:SS.mmm " */
		assert_true(strlen(line) > 13 && line[2] == ':' &&
		    line[8] == '.' && line[12] == ' ');
		n += (size_t)snprintf(out + n, outlen - n, "%s", line + 13);
	}
	fclose(fp);
	unlink(path);
}

static const struct log_ctx lc = { "site-b", "j00000000aa", "web1" };

static void
lines_plain(void)
{
	log_info("job %s: %s", "j00000000aa", "running");
	log_warnx("site-b: tunnel closed: %s", "timeout");
	errno = ENOENT;
	log_warn("job %s: record", "j00000000aa");
	log_debug("hidden");
}

static void
lines_ctx(void)
{
	log_ctx_info(&lc, "job %s: %s", "j00000000aa", "running");
	log_ctx_warnx(&lc, "site-b: tunnel closed: %s", "timeout");
	errno = ENOENT;
	log_ctx_warn(&lc, "job %s: record", "j00000000aa");
	log_ctx_debug(&lc, "hidden");
}

static void
test_stderr_unchanged(void **state)
{
	char	 plain[4096], ctx[4096];

	unsetenv("JOURNAL_STREAM");
	log_init(1, 0, "vmgwd");
	assert_int_equal(log_sink(), LOG_TO_STDERR);
	capture(lines_plain, plain, sizeof(plain));
	capture(lines_ctx, ctx, sizeof(ctx));
	assert_string_equal(plain, "job j00000000aa: running\n"
	    "site-b: tunnel closed: timeout\n"
	    "job j00000000aa: record: No such file or directory\n");
	assert_string_equal(plain, ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_all),
		cmocka_unit_test(test_fields_some),
		cmocka_unit_test(test_fields_long),
		cmocka_unit_test(test_journal_stream),
		cmocka_unit_test(test_stderr_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
