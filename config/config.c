/*
 * config.c - loading one gateway's configuration.
 *
 * config_load() reads the file (a regular file of at most 1 MiB) and hands
 * it to config_load_string(), which parses it with libyaml's document API
 * into a fresh struct vmgw_config, walks it against the schema (the keys
 * of the top level are here, the nested sections in sections.c), checks
 * what involves several sections (a peer named like this site, a peer with
 * this site's key, guest plans against peer plans), and loads the private
 * key last.  Every error is reported (config.h says how) and nothing is
 * kept; the checks across sections run where what they read parsed.  The
 * rest of the file answers questions about a loaded config.
 *
 * config_load_string()'s name is both the file name in messages and the
 * base of relative paths: "private_key: site-a.key" in "/etc/vmgw/vmgw.yaml"
 * is /etc/vmgw/site-a.key, and in "vmgw.yaml" it is site-a.key in the
 * working directory.  YAML aliases are allowed (a plan shared by several
 * guests); the schema bounds how deep the walk goes, so a cycle through an
 * alias ends in an error, not a loop.  An empty value ("guests:") is an
 * empty collection.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config_int.h"

#define CONFIG_FILE_MAX	(1024 * 1024)
#define CONFIG_DEPTH_MAX 32	/* the schema needs 5 */
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static int	cfg_site(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_private_key(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_listen(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_control(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_libvirt(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_state_dir(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_run_dir(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_metrics(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_forward_target(struct cfg_ctx *, yaml_node_t *, size_t,
		    void *);
static int	cfg_forward_targets(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_check_peer_names(struct cfg_ctx *, yaml_node_t *,
		    struct vmgw_config *);
static int	cfg_check_guest_plans(struct cfg_ctx *, yaml_node_t *,
		    struct vmgw_config *);
static int	cfg_check_metrics(struct cfg_ctx *, yaml_node_t *,
		    struct vmgw_config *);
static int	cfg_load_key(struct cfg_ctx *, yaml_node_t *,
		    struct vmgw_config *);
static int	cfg_root(struct cfg_ctx *, struct vmgw_config *);
static int	cfg_syntax_error(struct cfg_ctx *, yaml_parser_t *,
		    const char *, size_t);
static int	cfg_dirname(struct cfg_ctx *);
static struct vmgw_config *config_new(const char *);
struct cfg_errbuf;
static void	cfg_errbuf_add(void *, const char *);
static void	cfg_errbuf_end(struct cfg_errbuf *);

static const struct cfg_key top_keys[] = {
	{ "site",		cfg_site,		1 },
	{ "private_key",	cfg_private_key,	1 },
	{ "listen",		cfg_listen,		1 },
	{ "control",		cfg_control,		0 },
	{ "libvirt",		cfg_libvirt,		0 },
	{ "state_dir",		cfg_state_dir,		0 },
	{ "run_dir",		cfg_run_dir,		0 },
	{ "peers",		cfg_peers,		1 },
	{ "forward_targets",	cfg_forward_targets,	0 },
	{ "guests",		cfg_guests,		0 },
	{ "protect",		cfg_protects,		0 },
	{ "tunnel",		cfg_tunnel,		0 },
	{ "metrics",		cfg_metrics,		0 },
};

static int
cfg_site(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;

	return cfg_name(ctx, node, &cfg->site);
}

static int
cfg_private_key(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;

	return cfg_relpath(ctx, node, &cfg->private_key_path);
}

static int
cfg_listen(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;

	if (cfg_addr(ctx, node, &cfg->listen) == -1)
		return -1;
	if (cfg->listen.kind != ADDR_TCP)
		return cfg_error(ctx, node, "must be HOST:PORT, not a unix: "
		    "address");
	return 0;
}

static int
cfg_control(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;

	return cfg_abspath(ctx, node,
	    sizeof(((struct sockaddr_un *)0)->sun_path), &cfg->control);
}

static int
cfg_libvirt(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;

	return cfg_string(ctx, node, &cfg->libvirt);
}

static int
cfg_state_dir(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;

	return cfg_abspath(ctx, node, PATH_MAX, &cfg->state_dir);
}

static int
cfg_run_dir(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;

	return cfg_abspath(ctx, node, PATH_MAX, &cfg->run_dir);
}

/* metrics: HOST:PORT of the Prometheus endpoint; not the peers' port. */
static int
cfg_metrics(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;

	if (cfg_addr(ctx, node, &cfg->metrics) == -1)
		return -1;
	if (cfg->metrics.kind != ADDR_TCP)
		return cfg_error(ctx, node, "must be HOST:PORT, not a unix: "
		    "address");
	cfg->has_metrics = 1;
	return 0;
}

/* The metrics endpoint cannot share the peers' address (keys in any order). */
static int
cfg_check_metrics(struct cfg_ctx *ctx, yaml_node_t *root,
    struct vmgw_config *cfg)
{
	if (!cfg->has_metrics || !addr_equal(&cfg->metrics, &cfg->listen))
		return 0;
	(void)cfg_push(ctx, "metrics");
	return cfg_error(ctx, cfg_get(ctx, root, "metrics"), "the same "
	    "address as listen");
}

static int
cfg_forward_target(struct cfg_ctx *ctx, yaml_node_t *node, size_t i,
    void *obj)
{
	struct vmgw_config	*cfg = obj;

	if (cfg_addr(ctx, node, &cfg->forward_targets[i]) == -1)
		return -1;
	cfg->n_forward_targets++;
	return 0;
}

static int
cfg_forward_targets(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;
	size_t			 n = cfg_count(node);

	if (n > 0 && node->type == YAML_SEQUENCE_NODE &&
	    (cfg->forward_targets = calloc(n,
	    sizeof(*cfg->forward_targets))) == NULL)
		return cfg_oom(ctx, node);
	return cfg_items(ctx, node, cfg_forward_target, cfg);
}

/* No peer may be called like this site (its key node is wrong). */
static int
cfg_check_peer_names(struct cfg_ctx *ctx, yaml_node_t *root,
    struct vmgw_config *cfg)
{
	yaml_node_t	*peers = cfg_get(ctx, root, "peers");
	size_t		 i, len;
	int		 ret = 0;

	for (i = 0; i < cfg->n_peers; i++) {
		if (cfg->peers[i].name == NULL ||
		    strcmp(cfg->peers[i].name, cfg->site) != 0)
			continue;
		len = cfg_push(ctx, "peers");
		(void)cfg_push(ctx, cfg->peers[i].name);
		ret = cfg_error(ctx, cfg_get_key(ctx, peers, cfg->peers[i].name),
		    "a peer cannot have this site's name");
		cfg_pop(ctx, len);
	}
	return ret;
}

/*
 * A guest that asks for mode route or l2 without naming a bridge takes the
 * bridge from the peer's plan: every peer must have one then.
 */
static int
cfg_check_guest_plans(struct cfg_ctx *ctx, yaml_node_t *root,
    struct vmgw_config *cfg)
{
	const struct vmgw_guest	*g;
	yaml_node_t		*node;
	size_t			 i, j, len;
	int			 ret = 0;

	for (i = 0; i < cfg->n_guests; i++) {
		g = &cfg->guests[i];
		if (!(g->plan.set & PLAN_SET_MODE) || g->plan.mode == PLAN_NONE ||
		    (g->plan.set & PLAN_SET_BRIDGE))
			continue;
		for (j = 0; j < cfg->n_peers; j++)
			if (cfg->peers[j].plan.bridge == NULL)
				break;
		if (j == cfg->n_peers)
			continue;
		node = cfg_get(ctx, cfg_get(ctx, cfg_get(ctx, root,
		    "guests"), g->name), "plan");
		len = cfg_push(ctx, "guests");
		(void)cfg_push(ctx, g->name);
		(void)cfg_push(ctx, "plan");
		ret = cfg_error(ctx, node, "mode '%s' needs 'bridge' (peer '%s' "
		    "has none)", g->plan.mode == PLAN_ROUTE ? "route" : "l2",
		    cfg->peers[j].name);
		cfg_pop(ctx, len);
	}
	return ret;
}

/* Load the private key; no peer may have its public key. */
static int
cfg_load_key(struct cfg_ctx *ctx, yaml_node_t *root, struct vmgw_config *cfg)
{
	yaml_node_t	*peer;
	char		 why[CFG_LINE_MAX / 2];
	size_t		 i, len;
	int		 ret = 0;

	if (key_load_file(cfg->private_key_path, &cfg->key, why,
	    sizeof(why)) == -1) {
		len = cfg_push(ctx, "private_key");
		ret = cfg_error(ctx, cfg_get(ctx, root, "private_key"), "%s",
		    why);
		cfg_pop(ctx, len);
		return ret;
	}
	/* a peer whose key did not parse has zeros, never a public key */
	for (i = 0; i < cfg->n_peers; i++) {
		if (cfg->peers[i].name == NULL ||
		    sodium_memcmp(cfg->peers[i].public_key, cfg->key.pub,
		    KEY_LEN) != 0)
			continue;
		peer = cfg_get(ctx, cfg_get(ctx, root, "peers"),
		    cfg->peers[i].name);
		len = cfg_push(ctx, "peers");
		(void)cfg_push(ctx, cfg->peers[i].name);
		(void)cfg_push(ctx, "public_key");
		ret = cfg_error(ctx, cfg_get(ctx, peer, "public_key"),
		    "this site's own public key (of private_key)");
		cfg_pop(ctx, len);
	}
	return ret;
}

static int
cfg_root(struct cfg_ctx *ctx, struct vmgw_config *cfg)
{
	yaml_node_t	*root;
	int		 ret;

	if ((root = yaml_document_get_root_node(ctx->doc)) == NULL)
		return cfg_error(ctx, NULL, "empty; expected a mapping with "
		    "site, private_key, listen and peers");
	ret = cfg_struct(ctx, root, top_keys, nitems(top_keys), cfg);
	if (ctx->stop || root->type != YAML_MAPPING_NODE)
		return -1;
	/* names and the key file are checked whatever else is wrong ... */
	if (cfg->site != NULL && cfg_check_peer_names(ctx, root, cfg) == -1)
		ret = -1;
	/* ... guest plans only against peers and guests that parsed */
	if (ret == 0 && cfg_check_guest_plans(ctx, root, cfg) == -1)
		ret = -1;
	if (ret == 0 && cfg_check_protects(ctx, root, cfg) == -1)
		ret = -1;
	if (ret == 0 && cfg_check_metrics(ctx, root, cfg) == -1)
		ret = -1;
	if (cfg->private_key_path != NULL && !ctx->stop &&
	    cfg_load_key(ctx, root, cfg) == -1)
		ret = -1;
	return ctx->stop ? -1 : ret;
}

/* "FILE:LINE:COL: YAML syntax error: problem (context)" */
static int
cfg_syntax_error(struct cfg_ctx *ctx, yaml_parser_t *p, const char *yaml,
    size_t len)
{
	size_t	line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
	size_t	i;

	if (p->error == YAML_MEMORY_ERROR) {
		cfg_report(ctx, "%s: out of memory", ctx->file);
		return -1;
	}
	if (p->error == YAML_READER_ERROR) {
		/* the reader counts bytes, not lines */
		line = col = 1;
		for (i = 0; i < p->problem_offset && i < len; i++, col++) {
			if (yaml[i] == '\n') {
				line++;
				col = 0;
			}
		}
	}
	cfg_report(ctx, "%s:%zu:%zu: YAML syntax error: "
	    "%s%s%s%s", ctx->file, line, col,
	    p->problem != NULL ? p->problem : "unknown problem",
	    p->context != NULL ? " (" : "",
	    p->context != NULL ? p->context : "",
	    p->context != NULL ? ")" : "");
	return -1;
}

/*
 * libyaml 0.2.5's scanner spends time in proportion to the nesting depth on
 * every token, so that a file of 1 MiB of '[' takes many minutes.  A first
 * pass over the events stops at the first node nested too deep, before the
 * cost grows; it also reports syntax errors exactly as the load would.
 */
int
cfg_check_depth(struct cfg_ctx *ctx, const char *yaml, size_t len)
{
	yaml_parser_t	p;
	yaml_event_t	ev;
	int		depth = 0, done = 0, ret = -1;

	if (!yaml_parser_initialize(&p)) {
		cfg_report(ctx, "%s: out of memory", ctx->file);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			cfg_syntax_error(ctx, &p, yaml, len);
			goto out;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT ||
		    ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		else if (ev.type == YAML_STREAM_END_EVENT)
			done = 1;
		if (depth > CONFIG_DEPTH_MAX) {
			cfg_error_at(ctx, &ev.start_mark, "nested deeper than "
			    "%d levels", CONFIG_DEPTH_MAX);
			yaml_event_delete(&ev);
			goto out;
		}
		yaml_event_delete(&ev);
	}
	ret = 0;
out:
	yaml_parser_delete(&p);
	return ret;
}

/* Load the one document of the stream into doc (*loaded: delete it). */
int
cfg_load_doc(struct cfg_ctx *ctx, yaml_parser_t *parser, yaml_document_t *doc,
    int *loaded, const char *yaml, size_t len)
{
	yaml_document_t	 next;
	yaml_node_t	*root;
	int		 ret = 0;

	if (!yaml_parser_load(parser, doc))
		return cfg_syntax_error(ctx, parser, yaml, len);
	*loaded = 1;
	if (yaml_document_get_root_node(doc) == NULL)
		return 0;
	if (!yaml_parser_load(parser, &next))
		return cfg_syntax_error(ctx, parser, yaml, len);
	if ((root = yaml_document_get_root_node(&next)) != NULL)
		ret = cfg_error(ctx, root, "a second YAML document; the file "
		    "must hold one");
	yaml_document_delete(&next);
	return ret;
}

/* ctx->dir: the directory part of the file name, NULL for none. */
static int
cfg_dirname(struct cfg_ctx *ctx)
{
	const char	*slash = strrchr(ctx->file, '/');

	if (slash == NULL)
		return 0;
	ctx->dir = strndup(ctx->file, (size_t)(slash - ctx->file));
	return ctx->dir == NULL ? -1 : 0;
}

static struct vmgw_config *
config_new(const char *path)
{
	struct vmgw_config	*cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg_tunnel_defaults(&cfg->tunnel);
	if ((cfg->path = strdup(path)) == NULL ||
	    (cfg->control = strdup(CONFIG_DEFAULT_CONTROL)) == NULL ||
	    (cfg->libvirt = strdup(CONFIG_DEFAULT_LIBVIRT)) == NULL ||
	    (cfg->state_dir = strdup(CONFIG_DEFAULT_STATE)) == NULL ||
	    (cfg->run_dir = strdup(CONFIG_DEFAULT_RUN)) == NULL) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

int
config_load_string_report(const char *name, const char *yaml, size_t len,
    struct vmgw_config **out, config_error_fn *fn, void *arg)
{
	struct cfg_ctx		 ctx;
	struct vmgw_config	*cfg = NULL;
	yaml_parser_t		 parser;
	yaml_document_t		 doc;
	int			 have_parser = 0, have_doc = 0, ret = -1;

	*out = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.file = name;
	ctx.doc = &doc;
	ctx.report = fn;
	ctx.report_arg = arg;
	if (yaml == NULL)
		yaml = "";
	if (cfg_dirname(&ctx) == -1 || (cfg = config_new(name)) == NULL ||
	    !(have_parser = yaml_parser_initialize(&parser))) {
		cfg_report(&ctx, "%s: out of memory", name);
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (cfg_check_depth(&ctx, yaml, len) == -1 ||
	    cfg_load_doc(&ctx, &parser, &doc, &have_doc, yaml, len) == -1 ||
	    cfg_root(&ctx, cfg) == -1)
		goto out;
	*out = cfg;
	cfg = NULL;
	ret = 0;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	config_free(cfg);
	free(ctx.dir);
	return ret;
}

/* "1 MiB", "256 KiB": a file size bound for a message */
static const char *
cfg_max_str(char buf[32], size_t max)
{
	if (max >= 1024 * 1024 && max % (1024 * 1024) == 0)
		(void)snprintf(buf, 32, "%zu MiB", max / (1024 * 1024));
	else
		(void)snprintf(buf, 32, "%zu KiB", max / 1024);
	return buf;
}

/* The whole of a regular file of at most max bytes (config: 1 MiB). */
int
cfg_read_file(const char *path, size_t max, char **out, size_t *outlen,
    char *err, size_t errlen)
{
	char		 mb[32];
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, ret = -1;

	*out = NULL;
	*outlen = 0;
	/* O_NONBLOCK: a FIFO must not hang the open; fstat refuses it next */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1 ||
	    fstat(fd, &st) == -1) {
		(void)snprintf(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > (uint64_t)max) {
		(void)snprintf(err, errlen, "%s: larger than %s; refusing "
		    "to read it", path, cfg_max_str(mb, max));
		goto out;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len <= max) {
		n = read(fd, buf + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			(void)snprintf(err, errlen, "%s: cannot read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		(void)snprintf(err, errlen, "%s: larger than %s; refusing "
		    "to read it", path, cfg_max_str(mb, max));
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	ret = 0;
out:
	if (fd != -1)
		(void)close(fd);
	free(buf);
	return ret;
}

int
config_load_report(const char *path, struct vmgw_config **out,
    config_error_fn *fn, void *arg)
{
	char	*buf, err[CFG_LINE_MAX];
	size_t	 len;
	int	 ret;

	*out = NULL;
	if (cfg_read_file(path, CONFIG_FILE_MAX, &buf, &len, err,
	    sizeof(err)) == -1) {
		if (fn != NULL)
			fn(arg, err);
		return -1;
	}
	ret = config_load_string_report(path, buf, len, out, fn, arg);
	if (ret == 0)	/* what `vmgw status` shows of the file loaded */
		crypto_generichash((*out)->digest, sizeof((*out)->digest),
		    (const unsigned char *)buf, len, NULL, 0);
	free(buf);
	return ret;
}

/*
 * The error buffer of config_load(): the first line always (cut to fit),
 * each later one only whole, keeping room for the note that says how many
 * did not fit.
 */
struct cfg_errbuf {
	const char	*name;
	char		*buf;
	size_t		 size, used, nlines, dropped;
};

static void
cfg_errbuf_add(void *arg, const char *line)
{
	struct cfg_errbuf	*eb = arg;
	size_t			 n = strlen(line);
	size_t			 room = strlen(eb->name) + 48;

	if (eb->buf == NULL || eb->size == 0)
		return;
	if (eb->nlines++ == 0) {
		(void)snprintf(eb->buf, eb->size, "%s", line);
		eb->used = strnlen(eb->buf, eb->size - 1);
		return;
	}
	if (eb->used + 1 + n + room >= eb->size) {
		eb->dropped++;
		return;
	}
	eb->buf[eb->used++] = '\n';
	memcpy(eb->buf + eb->used, line, n + 1);
	eb->used += n;
}

static void
cfg_errbuf_end(struct cfg_errbuf *eb)
{
	if (eb->dropped == 0 || eb->buf == NULL || eb->size == 0)
		return;
	(void)snprintf(eb->buf + eb->used, eb->size - eb->used, "\n%s: %zu "
	    "more error%s not shown", eb->name, eb->dropped,
	    eb->dropped == 1 ? "" : "s");
}

int
config_load_string(const char *name, const char *yaml, size_t len,
    struct vmgw_config **out, char *err, size_t errlen)
{
	struct cfg_errbuf	eb = { name, err, errlen, 0, 0, 0 };
	int			ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	ret = config_load_string_report(name, yaml, len, out, cfg_errbuf_add,
	    &eb);
	cfg_errbuf_end(&eb);
	return ret;
}

int
config_load(const char *path, struct vmgw_config **out, char *err,
    size_t errlen)
{
	struct cfg_errbuf	eb = { path, err, errlen, 0, 0, 0 };
	int			ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	ret = config_load_report(path, out, cfg_errbuf_add, &eb);
	cfg_errbuf_end(&eb);
	return ret;
}

void
config_free(struct vmgw_config *cfg)
{
	size_t	i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n_peers; i++)
		cfg_peer_free(&cfg->peers[i]);
	for (i = 0; i < cfg->n_guests; i++)
		cfg_guest_free(&cfg->guests[i]);
	for (i = 0; i < cfg->n_protects; i++)
		cfg_protect_free(&cfg->protects[i]);
	free(cfg->protects);
	free(cfg->peers);
	free(cfg->guests);
	free(cfg->forward_targets);
	free(cfg->path);
	free(cfg->site);
	free(cfg->private_key_path);
	free(cfg->control);
	free(cfg->libvirt);
	free(cfg->state_dir);
	free(cfg->run_dir);
	key_free(&cfg->key);
	sodium_memzero(cfg, sizeof(*cfg));
	free(cfg);
}

const struct vmgw_peer *
config_peer_by_name(const struct vmgw_config *cfg, const char *name)
{
	size_t	i;

	for (i = 0; i < cfg->n_peers; i++)
		if (strcmp(cfg->peers[i].name, name) == 0)
			return &cfg->peers[i];
	return NULL;
}

const struct vmgw_peer *
config_peer_by_key(const struct vmgw_config *cfg, const uint8_t key[KEY_LEN])
{
	const struct vmgw_peer	*found = NULL;
	size_t			 i;

	/* no early exit: the time does not tell which peer matched */
	for (i = 0; i < cfg->n_peers; i++)
		if (sodium_memcmp(cfg->peers[i].public_key, key, KEY_LEN) == 0)
			found = &cfg->peers[i];
	return found;
}

const struct vmgw_guest *
config_guest(const struct vmgw_config *cfg, const char *name)
{
	size_t	i;

	for (i = 0; i < cfg->n_guests; i++)
		if (strcmp(cfg->guests[i].name, name) == 0)
			return &cfg->guests[i];
	return NULL;
}

/* Strings in *out point into the config; they live as long as it does. */
void
config_effective_plan(struct vmgw_plan *out, const struct vmgw_peer *peer,
    const struct vmgw_guest *guest)
{
	const struct vmgw_plan	*g;

	if (peer != NULL)
		*out = peer->plan;
	else
		cfg_plan_defaults(out);
	if (guest == NULL)
		return;
	g = &guest->plan;
	if (g->set & PLAN_SET_MODE)
		out->mode = g->mode;
	if (g->set & PLAN_SET_BRIDGE)
		out->bridge = g->bridge;
	if (g->set & PLAN_SET_TABLE)
		out->table = g->table;
	if (g->set & PLAN_SET_PROXY_ARP)
		out->proxy_arp = g->proxy_arp;
	if (g->set & PLAN_SET_GATEWAY)
		out->gateway = g->gateway;
	if (g->set & PLAN_SET_MTU)
		out->mtu = g->mtu;
	if (g->set & PLAN_SET_HOOKS)
		out->hooks = g->hooks;
	if (g->set & PLAN_SET_PROBE_PORT)
		out->probe_port = g->probe_port;
	if (g->set & PLAN_SET_PROBE_TIMEOUT)
		out->probe_timeout_ms = g->probe_timeout_ms;
	out->set |= g->set;
}

const char *
config_map_lookup(const struct vmgw_map *map, size_t n, const char *from)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (map[i].from != NULL && strcmp(map[i].from, from) == 0)
			return map[i].to;
	return NULL;
}

int
config_forward_allowed(const struct vmgw_config *cfg,
    const struct vmgw_addr *target)
{
	size_t	i;

	for (i = 0; i < cfg->n_forward_targets; i++)
		if (addr_equal(&cfg->forward_targets[i], target))
			return 1;
	return 0;
}
