/*
 * hooks.c - an operator's executables around a move: every executable in
 * the plan's hooks directory, in name order (as run-parts), runs with the
 * phase as its first argument and in VMGW_HOOK, and the guest and both
 * sites in its environment:
 *
 *   pre-move   at the source, before anything moves; a failure refuses
 *              the move
 *   post-move  at both sites, after the guest answered at its new site
 *   rollback   at both sites, when a move fails after pre-move ran, or the
 *              guest did not answer after the move
 *
 * Output goes to the daemon's log, line by line, tagged with the job.  A
 * hook that runs longer than HOOK_TIMEOUT_S is killed.  Hooks run as root,
 * so a hook (or its directory) that others could have written is refused.
 * Blocking: run from a worker thread.  A recovery plan's post script is
 * one such executable by its path (hook_file_ok, hook_exec), run the same
 * way with the same checks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "netplan.h"
#include "log.h"

#define HOOKS_MAX	64

static int
hook_name_ok(const char *n)
{
	size_t	 l = strlen(n);

	return n[0] != '.' && l > 0 && n[l - 1] != '~' &&
	    strstr(n, ".dpkg-") == NULL && strstr(n, ".rpm") == NULL;
}

static int
hook_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The executables of dir, sorted; -1 when dir is unsafe or unreadable. */
static int
hooks_scan(const char *dir, char **names, size_t max, size_t *n, char *err,
    size_t errlen)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 p[4096];

	*n = 0;
	if (stat(dir, &st) == -1) {
		if (errno == ENOENT)
			return 0;	/* no hooks */
		snprintf(err, errlen, "hooks %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_mode & 022) != 0 ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		snprintf(err, errlen, "hooks %s: not a directory only root may "
		    "write to", dir);
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "hooks %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL && *n < max) {
		if (!hook_name_ok(de->d_name))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (st.st_mode & 0111) == 0)
			continue;
		if ((st.st_mode & 022) != 0 || (st.st_uid != 0 &&
		    st.st_uid != geteuid())) {
			snprintf(err, errlen, "hook %s: writable by others: "
			    "refused", p);
			closedir(d);
			while (*n > 0)
				free(names[--*n]);
			return -1;
		}
		names[(*n)++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof(names[0]), hook_cmp);
	return 0;
}

int
hooks_list(const char *dir, char *out, size_t outlen)
{
	char	*names[HOOKS_MAX], err[256];
	size_t	 n, i, o = 0;

	out[0] = '\0';
	if (dir == NULL || hooks_scan(dir, names, HOOKS_MAX, &n, err,
	    sizeof(err)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		o += (size_t)snprintf(out + o, o < outlen ? outlen - o : 0,
		    "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	return (int)n;
}

/* Read the hook's output until it exits or time runs out; log each line. */
static int
hook_collect(pid_t pid, int fd, const char *tag, const char *name,
    char *last, size_t lastlen, int *status)
{
	char		 buf[HOOK_OUTPUT_MAX], *nl, *line;
	size_t		 len = 0;
	ssize_t		 r;
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	time_t		 end = time(NULL) + HOOK_TIMEOUT_S;
	int		 timed_out = 0;

	for (;;) {
		int left = (int)(end - time(NULL));

		if (left <= 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, left * 1000) <= 0)
			continue;
		if ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			log_info("%s: hook %s: %s", tag, name, line);
			snprintf(last, lastlen, "%s", line);
			line = nl + 1;
		}
		len = strlen(line);
		memmove(buf, line, len);
		if (len == sizeof(buf) - 1)
			len = 0;	/* an endless line: drop it */
	}
	if (len > 0) {
		buf[len] = '\0';
		log_info("%s: hook %s: %s", tag, name, buf);
		snprintf(last, lastlen, "%s", buf);
	}
	while (waitpid(pid, status, 0) == -1 && errno == EINTR)
		;
	return timed_out;
}

static int
hook_run_one(const char *dir, const char *name, const char *phase,
    char *const env[], const char *tag, char *err, size_t errlen)
{
	posix_spawn_file_actions_t	 fa;
	char				 path[4096], last[256] = "";
	char				*argv[3];
	int				 p[2], status = 0, timed_out;
	pid_t				 pid;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "hook %s: pipe: %s", name,
		    strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	argv[0] = path;
	argv[1] = (char *)phase;
	argv[2] = NULL;
	errno = posix_spawn(&pid, path, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (errno != 0) {
		snprintf(err, errlen, "hook %s %s: %s", phase, name,
		    strerror(errno));
		close(p[0]);
		return -1;
	}
	timed_out = hook_collect(pid, p[0], tag, name, last, sizeof(last),
	    &status);
	close(p[0]);
	if (timed_out) {
		snprintf(err, errlen, "hook %s %s: killed after %ds", phase,
		    name, HOOK_TIMEOUT_S);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "hook %s %s %s %d%s%s", phase, name,
		    WIFEXITED(status) ? "exited" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    last[0] ? ": " : "", last);
		return -1;
	}
	return 0;
}

int
hooks_run(const char *dir, const char *phase, char *const env[],
    const char *tag, char *err, size_t errlen)
{
	char	*names[HOOKS_MAX];
	size_t	 n, i;
	int	 ret = 0;

	if (dir == NULL)
		return 0;
	if (hooks_scan(dir, names, HOOKS_MAX, &n, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (ret == 0 && hook_run_one(dir, names[i], phase, env, tag,
		    err, errlen) == -1)
			ret = -1;	/* the first failure stops the rest */
		free(names[i]);
	}
	return ret;
}

/* owned by root or us, not writable by group or others */
static int
hook_owner_ok(const struct stat *st)
{
	return (st->st_mode & 022) == 0 && (st->st_uid == 0 ||
	    st->st_uid == geteuid());
}

int
hook_file_ok(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	char		 dir[4096], *slash;

	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: not an absolute path",
		    path != NULL ? path : "(none)");
		return -1;
	}
	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
		snprintf(err, errlen, "%s: not an executable file", path);
		return -1;
	}
	if (!hook_owner_ok(&st)) {
		snprintf(err, errlen, "%s: writable by others or not owned by "
		    "root: refused", path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) == -1 || !hook_owner_ok(&st)) {
		snprintf(err, errlen, "%s: its directory %s is writable by "
		    "others or not owned by root: refused", path, dir);
		return -1;
	}
	return 0;
}

int
hook_exec(const char *path, const char *arg, char *const env[],
    const char *tag, char *err, size_t errlen)
{
	char	 dir[4096], *slash;

	if (hook_file_ok(path, err, errlen) == -1)
		return -1;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	return hook_run_one(dir[0] != '\0' ? dir : "/", slash + 1, arg, env,
	    tag, err, errlen);
}
