/*
 * rplan.c - loading a recovery plan (rplan.h) with the config's walker
 * (yamlwalk.c): the same "FILE:LINE:COL: key.path: what" errors, the same
 * refusal of duplicate keys, deep nesting and alias bombs, every error of
 * the file reported.  A file is at most RPLAN_FILE_MAX bytes; the counts
 * (groups, guests per group and per plan) are checked before a sequence
 * is walked, so a hostile file costs little.  Checks across groups (a
 * group name or a guest used twice) name where the first one is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "rplan.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* what the walk keeps of the file while it runs */
struct rp_walk {
	struct rplan		*p;
	struct rplan_group	*g;		/* the group being read */
	yaml_mark_t		 gmark[RPLAN_GROUPS_MAX];	/* names */
	const char		*gname[RPLAN_GROUPS_MAX];
	struct {
		const char	*name;
		size_t		 group;
		yaml_mark_t	 mark;
	}			 seen[RPLAN_GROUPS_MAX * RPLAN_GROUP_GUESTS_MAX];
	size_t			 n_seen;
	size_t			 cur;		/* index of the group read */
};

static int	rp_name(struct cfg_ctx *, yaml_node_t *, void *);
static int	rp_from(struct cfg_ctx *, yaml_node_t *, void *);
static int	rp_to(struct cfg_ctx *, yaml_node_t *, void *);
static int	rp_parallel(struct cfg_ctx *, yaml_node_t *, void *);
static int	rp_groups(struct cfg_ctx *, yaml_node_t *, void *);
static int	rg_name(struct cfg_ctx *, yaml_node_t *, void *);
static int	rg_guests(struct cfg_ctx *, yaml_node_t *, void *);
static int	rg_check(struct cfg_ctx *, yaml_node_t *, void *);
static int	rg_post(struct cfg_ctx *, yaml_node_t *, void *);
static int	rc_tcp(struct cfg_ctx *, yaml_node_t *, void *);
static int	rc_timeout(struct cfg_ctx *, yaml_node_t *, void *);

static const struct cfg_key plan_keys[] = {
	{ "plan",	rp_name,	1 },
	{ "from",	rp_from,	1 },
	{ "to",		rp_to,		1 },
	{ "parallel",	rp_parallel,	0 },
	{ "groups",	rp_groups,	1 },
};

static const struct cfg_key group_keys[] = {
	{ "name",	rg_name,	1 },
	{ "guests",	rg_guests,	1 },
	{ "check",	rg_check,	0 },
	{ "post",	rg_post,	0 },
};

static const struct cfg_key check_keys[] = {
	{ "tcp",	rc_tcp,		1 },
	{ "timeout",	rc_timeout,	0 },
};

static int
rp_name(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	return cfg_name(ctx, node, &((struct rp_walk *)obj)->p->name);
}

static int
rp_from(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	return cfg_name(ctx, node, &((struct rp_walk *)obj)->p->from);
}

static int
rp_to(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	return cfg_name(ctx, node, &((struct rp_walk *)obj)->p->to);
}

static int
rp_parallel(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	uint64_t	 v;

	if (cfg_uint(ctx, node, 1, RPLAN_PARALLEL_MAX, &v) == -1)
		return -1;
	((struct rp_walk *)obj)->p->parallel = (unsigned)v;
	return 0;
}

/* a name no earlier group has */
static int
rg_name(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct rp_walk	*w = obj;
	size_t		 i;

	if (cfg_name(ctx, node, &w->g->name) == -1)
		return -1;
	for (i = 0; i < w->cur; i++)
		if (w->gname[i] != NULL && strcmp(w->gname[i], w->g->name) ==
		    0)
			return cfg_error(ctx, node, "a second group '%s' (the "
			    "first at %zu:%zu)", w->g->name,
			    w->gmark[i].line + 1, w->gmark[i].column + 1);
	w->gname[w->cur] = w->g->name;
	w->gmark[w->cur] = node->start_mark;
	return 0;
}

/* one guest: a libvirt name, in no other place of the plan */
static int
rg_guest(struct cfg_ctx *ctx, yaml_node_t *node, size_t i, void *obj)
{
	struct rp_walk	*w = obj;
	const char	*s;
	size_t		 k;

	if (cfg_scalar(ctx, node, "a guest name", &s) == -1 ||
	    cfg_check_label(ctx, node, s) == -1)
		return -1;
	for (k = 0; k < w->n_seen; k++) {
		if (strcmp(w->seen[k].name, s) != 0)
			continue;
		if (w->seen[k].group == w->cur)
			return cfg_error(ctx, node, "guest '%s' twice in this "
			    "group (first at %zu:%zu)", s,
			    w->seen[k].mark.line + 1,
			    w->seen[k].mark.column + 1);
		return cfg_error(ctx, node, "guest '%s' is in group '%s' "
		    "already (at %zu:%zu): a guest is in one group",
		    s, w->p->groups[w->seen[k].group].name != NULL ?
		    w->p->groups[w->seen[k].group].name : "?",
		    w->seen[k].mark.line + 1, w->seen[k].mark.column + 1);
	}
	if (w->p->n_guests >= RPLAN_GUESTS_MAX)
		return cfg_error(ctx, node, "more than %d guests in the plan",
		    RPLAN_GUESTS_MAX);
	if ((w->g->guests[i] = strdup(s)) == NULL)
		return cfg_oom(ctx, node);
	w->g->n_guests = i + 1;
	w->seen[w->n_seen].name = w->g->guests[i];
	w->seen[w->n_seen].group = w->cur;
	w->seen[w->n_seen++].mark = node->start_mark;
	w->p->n_guests++;
	return 0;
}

static int
rg_guests(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct rp_walk	*w = obj;
	size_t		 n;

	if (node->type != YAML_SEQUENCE_NODE)
		return cfg_error(ctx, node, "expected a sequence of guest "
		    "names, e.g. [web1, web2]");
	if ((n = cfg_count(node)) == 0)
		return cfg_error(ctx, node, "an empty group: it needs a guest");
	if (n > RPLAN_GROUP_GUESTS_MAX)
		return cfg_error(ctx, node, "%zu guests: at most %d in a group",
		    n, RPLAN_GROUP_GUESTS_MAX);
	if ((w->g->guests = calloc(n, sizeof(char *))) == NULL)
		return cfg_oom(ctx, node);
	return cfg_items(ctx, node, rg_guest, w);
}

static int
rc_tcp(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	uint64_t	 v;

	if (cfg_uint(ctx, node, 1, 65535, &v) == -1)
		return -1;
	((struct rplan_check *)obj)->tcp = (uint16_t)v;
	return 0;
}

static int
rc_timeout(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct rplan_check	*c = obj;
	const char		*s;
	char			 q[CFG_QUOTE_MAX];
	uint32_t		 v;

	if (cfg_scalar(ctx, node, "a duration", &s) == -1)
		return -1;
	if (config_duration_parse(s, &v) == -1 || v < 1 ||
	    v > RPLAN_TIMEOUT_MAX)
		return cfg_error(ctx, node, "'%s' is not a duration between "
		    "1s and 1h (e.g. 30s, 2m)", cfg_quote(q, s));
	c->timeout_s = v;
	return 0;
}

static int
rg_check(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct rplan_check	*c = &((struct rp_walk *)obj)->g->check;

	if (node->type != YAML_MAPPING_NODE)
		return cfg_error(ctx, node, "expected a mapping such as "
		    "{ tcp: 80, timeout: 60s }");
	c->set = 1;
	c->timeout_s = RPLAN_TIMEOUT_DEFAULT;
	return cfg_struct(ctx, node, check_keys, nitems(check_keys), c);
}

static int
rg_post(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct rp_walk	*w = obj;
	const char	*s;

	if (node->type == YAML_SCALAR_NODE && (s = (const char *)
	    node->data.scalar.value)[0] == '/' && s[strlen(s) - 1] == '/')
		return cfg_error(ctx, node, "a script, not a directory");
	return cfg_abspath(ctx, node, RPLAN_PATH_MAX, &w->g->post);
}

static int
rp_group(struct cfg_ctx *ctx, yaml_node_t *node, size_t i, void *obj)
{
	struct rp_walk	*w = obj;

	w->cur = i;
	w->g = &w->p->groups[i];
	w->p->n_groups = i + 1;
	return cfg_struct(ctx, node, group_keys, nitems(group_keys), w);
}

static int
rp_groups(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct rp_walk	*w = obj;
	size_t		 n;

	if (node->type != YAML_SEQUENCE_NODE)
		return cfg_error(ctx, node, "expected a sequence of groups "
		    "(- name: ..., guests: [...])");
	if ((n = cfg_count(node)) == 0)
		return cfg_error(ctx, node, "no group: a plan needs one");
	if (n > RPLAN_GROUPS_MAX)
		return cfg_error(ctx, node, "%zu groups: at most %d", n,
		    RPLAN_GROUPS_MAX);
	if ((w->p->groups = calloc(n, sizeof(*w->p->groups))) == NULL)
		return cfg_oom(ctx, node);
	return cfg_items(ctx, node, rp_group, w);
}

static int
rp_root(struct cfg_ctx *ctx, struct rp_walk *w)
{
	yaml_node_t	*root;
	int		 ret;

	if ((root = yaml_document_get_root_node(ctx->doc)) == NULL)
		return cfg_error(ctx, NULL, "empty; expected a mapping with "
		    "plan, from, to and groups");
	ret = cfg_struct(ctx, root, plan_keys, nitems(plan_keys), w);
	if (ctx->stop)
		return -1;
	if (w->p->from != NULL && w->p->to != NULL &&
	    strcmp(w->p->from, w->p->to) == 0)
		ret = cfg_error(ctx, cfg_get(ctx, root, "to"), "to: '%s' is "
		    "the from site too", w->p->to);
	return ret;
}

void
rplan_free(struct rplan *p)
{
	size_t	 i, k;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_groups; i++) {
		for (k = 0; k < p->groups[i].n_guests; k++)
			free(p->groups[i].guests[k]);
		free(p->groups[i].guests);
		free(p->groups[i].name);
		free(p->groups[i].post);
	}
	free(p->groups);
	free(p->path);
	free(p->name);
	free(p->from);
	free(p->to);
	free(p);
}

int
rplan_load_string(const char *name, const char *yaml, size_t len,
    struct rplan **out, config_error_fn *fn, void *arg)
{
	struct cfg_ctx	 ctx;
	struct rp_walk	*w = NULL;
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	int		 have_parser = 0, have_doc = 0, ret = -1;

	*out = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.file = name;
	ctx.doc = &doc;
	ctx.report = fn;
	ctx.report_arg = arg;
	if (yaml == NULL)
		yaml = "";
	if (len > RPLAN_FILE_MAX) {
		cfg_report(&ctx, "%s: larger than %d KiB; refusing to read it",
		    name, RPLAN_FILE_MAX / 1024);
		return -1;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->p = calloc(1, sizeof(*w->p))) == NULL ||
	    (w->p->path = strdup(name)) == NULL ||
	    !(have_parser = yaml_parser_initialize(&parser))) {
		cfg_report(&ctx, "%s: out of memory", name);
		goto out;
	}
	w->p->parallel = RPLAN_PARALLEL_DEFAULT;
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (cfg_check_depth(&ctx, yaml, len) == -1 ||
	    cfg_load_doc(&ctx, &parser, &doc, &have_doc, yaml, len) == -1 ||
	    rp_root(&ctx, w) == -1 || ctx.nerr > 0)
		goto out;
	*out = w->p;
	w->p = NULL;
	ret = 0;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	if (w != NULL)
		rplan_free(w->p);
	free(w);
	return ret;
}

int
rplan_load(const char *path, struct rplan **out, config_error_fn *fn,
    void *arg)
{
	char	*buf, err[CFG_LINE_MAX];
	size_t	 len;
	int	 ret;

	*out = NULL;
	if (cfg_read_file(path, RPLAN_FILE_MAX, &buf, &len, err,
	    sizeof(err)) == -1) {
		if (fn != NULL)
			fn(arg, err);
		return -1;
	}
	ret = rplan_load_string(path, buf, len, out, fn, arg);
	free(buf);
	return ret;
}

const struct rplan_group *
rplan_group_of(const struct rplan *p, const char *guest)
{
	size_t	 i, k;

	for (i = 0; i < p->n_groups; i++)
		for (k = 0; k < p->groups[i].n_guests; k++)
			if (strcmp(p->groups[i].guests[k], guest) == 0)
				return &p->groups[i];
	return NULL;
}
