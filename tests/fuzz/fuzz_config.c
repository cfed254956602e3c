/*
 * fuzz_config.c - the YAML config: the input is a whole vmgw.yaml, loaded
 * with config_load_string() (the file loader's own parser) as
 * DIR/vmgw.yaml, where DIR holds a valid private key file site-a.key, so
 * that a good input gets through the key check to a loaded config.  The
 * same bytes also go to config_peek() through a memfd.
 *
 * Checks: a load succeeds with a config or fails with none and at least
 * one message; every message line names the file; the callback API sees
 * at most CONFIG_ERRORS_MAX + 1 lines, the first being the buffer's first;
 * a loaded config answers its lookups (ASan watches the pointers).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "fuzz.h"

static char	dir[64], name[128], keypath[128];
static char	err[CONFIG_ERR_MAX];

/* base64 of 32 bytes of 0x41: a fixed private key */
#define FUZZ_KEY_B64	"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n"

static void
cleanup(void)
{
	(void)unlink(keypath);
	(void)rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	fd;

	if (sodium_init() < 0)
		return -1;
	(void)snprintf(dir, sizeof(dir), "/tmp/vmgw-fuzz-config.XXXXXX");
	FUZZ_CHECK(mkdtemp(dir) != NULL);
	(void)snprintf(name, sizeof(name), "%s/vmgw.yaml", dir);
	(void)snprintf(keypath, sizeof(keypath), "%s/site-a.key", dir);
	FUZZ_CHECK((fd = open(keypath, O_WRONLY | O_CREAT | O_EXCL, 0600)) !=
	    -1);
	FUZZ_CHECK(write(fd, FUZZ_KEY_B64, sizeof(FUZZ_KEY_B64) - 1) ==
	    (ssize_t)sizeof(FUZZ_KEY_B64) - 1);
	FUZZ_CHECK(close(fd) == 0);
	(void)atexit(cleanup);
	return 0;
}

struct seen {
	size_t	n;
	char	first[CONFIG_ERR_MAX];
};

static void
count(void *arg, const char *line)
{
	struct seen	*s = arg;

	FUZZ_CHECK(strchr(line, '\n') == NULL);
	FUZZ_CHECK(strncmp(line, name, strlen(name)) == 0);
	if (s->n++ == 0)
		(void)snprintf(s->first, sizeof(s->first), "%s", line);
}

/* Every line of the joined buffer names the file. */
static void
check_lines(const char *text)
{
	const char	*p = text, *nl;

	FUZZ_CHECK(*text != '\0');
	for (;;) {
		FUZZ_CHECK(strncmp(p, name, strlen(name)) == 0);
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		p = nl + 1;
	}
}

static void
use(const struct vmgw_config *cfg)
{
	const struct vmgw_peer	*p;
	struct vmgw_plan	 plan;
	size_t			 i, j;

	FUZZ_CHECK(cfg->site != NULL && cfg->n_peers > 0);
	for (i = 0; i < cfg->n_peers; i++) {
		p = &cfg->peers[i];
		FUZZ_CHECK(config_peer_by_name(cfg, p->name) == p);
		FUZZ_CHECK(config_peer_by_key(cfg, p->public_key) == p);
		for (j = 0; j < cfg->n_guests; j++) {
			FUZZ_CHECK(config_guest(cfg, cfg->guests[j].name) ==
			    &cfg->guests[j]);
			config_effective_plan(&plan, p, &cfg->guests[j]);
		}
		for (j = 0; j < p->n_networks; j++)
			FUZZ_CHECK(config_map_lookup(p->networks,
			    p->n_networks, p->networks[j].from) != NULL);
	}
	for (i = 0; i < cfg->n_forward_targets; i++)
		FUZZ_CHECK(config_forward_allowed(cfg,
		    &cfg->forward_targets[i]));
}

static void
peek(const uint8_t *data, size_t size)
{
	char	path[64], out[256], why[512];
	int	fd;

	if ((fd = memfd_create("vmgw-fuzz", MFD_CLOEXEC)) == -1)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		(void)config_peek(path, "control", out, sizeof(out), why,
		    sizeof(why));
	}
	(void)close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmgw_config	*cfg = NULL;
	struct seen		 seen;
	const char		*nl;
	int			 rc, rc2;

	rc = config_load_string(name, (const char *)data, size, &cfg, err,
	    sizeof(err));
	FUZZ_CHECK((rc == 0) == (cfg != NULL) && (rc == 0 || rc == -1));
	if (rc == 0) {
		use(cfg);
		config_free(cfg);
	} else
		check_lines(err);

	memset(&seen, 0, sizeof(seen));
	rc2 = config_load_string_report(name, (const char *)data, size, &cfg,
	    count, &seen);
	FUZZ_CHECK(rc2 == rc && (rc == 0) == (seen.n == 0));
	FUZZ_CHECK(seen.n <= CONFIG_ERRORS_MAX + 1);
	if (rc == -1) {
		nl = strchr(err, '\n');
		FUZZ_CHECK(strncmp(err, seen.first, nl != NULL ?
		    (size_t)(nl - err) : strlen(err)) == 0);
	}
	config_free(cfg);
	peek(data, size);
	return 0;
}
