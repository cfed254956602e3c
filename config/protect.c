/*
 * protect.c - the protect: section, the guests this site replicates to a
 * backup site (disaster recovery):
 *
 *   protect:
 *     web1: { to: site-b, rpo: 60s, keep: 24, quiesce: true, bandwidth: 50M }
 *
 * to is required and must name a peer (checked once the peers parsed, in
 * config.c); rpo is a duration (s, m, h; default 60s; 10s to 7 days), keep
 * 1..1000 points (default 24), quiesce a boolean, bandwidth a rate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static int	prot_to(struct cfg_ctx *, yaml_node_t *, void *);
static int	prot_rpo(struct cfg_ctx *, yaml_node_t *, void *);
static int	prot_keep(struct cfg_ctx *, yaml_node_t *, void *);
static int	prot_quiesce(struct cfg_ctx *, yaml_node_t *, void *);
static int	prot_bandwidth(struct cfg_ctx *, yaml_node_t *, void *);

static const struct cfg_key protect_keys[] = {
	{ "to",		prot_to,	1 },
	{ "rpo",	prot_rpo,	0 },
	{ "keep",	prot_keep,	0 },
	{ "quiesce",	prot_quiesce,	0 },
	{ "bandwidth",	prot_bandwidth,	0 },
};

void
cfg_protect_free(struct vmgw_protect *p)
{
	free(p->guest);
	free(p->to);
}

static int
prot_to(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	return cfg_name(ctx, node, &((struct vmgw_protect *)obj)->to);
}

/* "60s", "5m", "1h" or plain seconds */
int
config_duration_parse(const char *s, uint32_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end == 'm')
		v *= 60;
	else if (*end == 'h')
		v *= 3600;
	else if (*end != 's' && *end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > 7 * 86400ull)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
prot_rpo(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_protect	*p = obj;
	const char		*s;

	if (cfg_scalar(ctx, node, "a duration", &s) == -1)
		return -1;
	if (config_duration_parse(s, &p->rpo_s) == -1 || p->rpo_s < 10)
		return cfg_error(ctx, node, "'%s' is not a duration between "
		    "10s and 7 days (e.g. 60s, 5m, 1h)", s);
	return 0;
}

static int
prot_keep(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_protect	*p = obj;
	uint64_t		 v;

	if (cfg_uint(ctx, node, 1, 1000, &v) == -1)
		return -1;
	p->keep = (uint32_t)v;
	return 0;
}

static int
prot_quiesce(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	return cfg_bool(ctx, node, &((struct vmgw_protect *)obj)->quiesce);
}

static int
prot_bandwidth(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	return cfg_size(ctx, node, 0, UINT64_MAX,
	    &((struct vmgw_protect *)obj)->bandwidth);
}

static int
cfg_protect(struct cfg_ctx *ctx, yaml_node_t *key, yaml_node_t *value,
    void *obj)
{
	struct vmgw_config	*cfg = obj;
	struct vmgw_protect	*p = &cfg->protects[cfg->n_protects++];
	const char		*name = (const char *)key->data.scalar.value;
	int			 ret = 0;

	p->rpo_s = 60;
	p->keep = 24;
	if (cfg_check_label(ctx, key, name) == -1)
		ret = -1;
	else if ((p->guest = strdup(name)) == NULL)
		return cfg_oom(ctx, key);
	if (cfg_struct(ctx, value, protect_keys, nitems(protect_keys), p) == -1)
		ret = -1;
	return ret;
}

int
cfg_protects(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;
	size_t			 n = cfg_count(node);

	if (n > 0 && node->type == YAML_MAPPING_NODE &&
	    (cfg->protects = calloc(n, sizeof(*cfg->protects))) == NULL)
		return cfg_oom(ctx, node);
	return cfg_pairs(ctx, node, cfg_protect, cfg);
}

/* Each protection's backup site is a peer (after the peers parsed). */
int
cfg_check_protects(struct cfg_ctx *ctx, yaml_node_t *root,
    struct vmgw_config *cfg)
{
	const struct vmgw_protect *p;
	size_t			 i, j, len;
	int			 ret = 0;

	for (i = 0; i < cfg->n_protects; i++) {
		p = &cfg->protects[i];
		if (p->to == NULL)
			continue;
		for (j = 0; j < cfg->n_peers; j++)
			if (cfg->peers[j].name != NULL &&
			    strcmp(cfg->peers[j].name, p->to) == 0)
				break;
		if (j < cfg->n_peers)
			continue;
		len = cfg_push(ctx, "protect");
		(void)cfg_push(ctx, p->guest);
		(void)cfg_push(ctx, "to");
		ret = cfg_error(ctx, cfg_get(ctx, cfg_get(ctx, cfg_get(ctx, root,
		    "protect"), p->guest), "to"), "'%s' is not a peer%s", p->to,
		    cfg->site != NULL && strcmp(cfg->site, p->to) == 0 ?
		    " (it is this site)" : "");
		cfg_pop(ctx, len);
	}
	return ret;
}
