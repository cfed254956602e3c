/*
 * yamlwalk.c - walking a libyaml document against the schema.
 *
 * The walker keeps the dotted key path of the node it is in ("peers.site-b.
 * plan") and every check reports "FILE:LINE:COL: path: what is wrong" at
 * the node that is wrong: the value when a value is bad, the key when the
 * key itself is (unknown, duplicate).  Mappings are checked for non-scalar
 * and duplicate keys before any of their values is looked at; the values of
 * the other keys are still walked.  cfg_emit() hands each error to the
 * caller and stops the walk after CONFIG_ERRORS_MAX.  The typed
 * getters below (cfg_uint, cfg_size, ...) each accept one kind of scalar
 * and name the accepted range in their message.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

struct cfg_keyref {
	const yaml_node_t	*node;
	size_t			 pos;
};

static void	 cfg_verror(struct cfg_ctx *, const yaml_mark_t *, const char *,
		    va_list) __attribute__((format(printf, 3, 0)));
static int	 cfg_expect(struct cfg_ctx *, yaml_node_t *, yaml_node_type_t,
		    const char *);
static int	 cfg_keycmp(const void *, const void *);
static int	 cfg_samekey(const struct cfg_keyref *,
		    const struct cfg_keyref *);
static int	 cfg_check_keys(struct cfg_ctx *, yaml_node_t *, uint8_t **);
static int	 cfg_has_cntrl(const char *);
static int	 cfg_visit(struct cfg_ctx *, const yaml_node_t *);
static const char *cfg_size_str(char [32], uint64_t);

/*
 * Hand one error line to the caller: the first CONFIG_ERRORS_MAX as they
 * are, then one "too many errors" at the next, and the walk stops.
 */
static void
cfg_emit(struct cfg_ctx *ctx, const char *line, const yaml_mark_t *mark)
{
	char	buf[CFG_LINE_MAX];

	if (ctx->stop)
		return;
	if (ctx->nerr++ == CONFIG_ERRORS_MAX) {
		(void)snprintf(buf, sizeof(buf), "%s:%zu:%zu: too many errors, "
		    "stopping here", ctx->file, mark != NULL ? mark->line + 1 :
		    1, mark != NULL ? mark->column + 1 : 1);
		line = buf;
		ctx->stop = 1;
	}
	if (ctx->report != NULL)
		ctx->report(ctx->report_arg, line);
}

static void
cfg_verror(struct cfg_ctx *ctx, const yaml_mark_t *mark, const char *fmt,
    va_list ap)
{
	char	msg[CFG_LINE_MAX], line[CFG_LINE_MAX];
	size_t	l = 1, col = 1;

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (mark != NULL) {
		l = mark->line + 1;
		col = mark->column + 1;
	}
	if (ctx->pathlen > 0)
		(void)snprintf(line, sizeof(line), "%s:%zu:%zu: %s: %s",
		    ctx->file, l, col, ctx->path, msg);
	else
		(void)snprintf(line, sizeof(line), "%s:%zu:%zu: %s",
		    ctx->file, l, col, msg);
	cfg_emit(ctx, line, mark);
}

/* "FILE:LINE:COL: path: message" at node (NULL: at 1:1) */
int
cfg_error(struct cfg_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cfg_verror(ctx, node != NULL ? &node->start_mark : NULL, fmt, ap);
	va_end(ap);
	return -1;
}

/* Same, at a mark (for events, which have no node). */
int
cfg_error_at(struct cfg_ctx *ctx, const yaml_mark_t *mark, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cfg_verror(ctx, mark, fmt, ap);
	va_end(ap);
	return -1;
}

/* A whole line as it is (no location or path added). */
void
cfg_report(struct cfg_ctx *ctx, const char *fmt, ...)
{
	char	line[CFG_LINE_MAX];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cfg_emit(ctx, line, NULL);
}

/* Out of memory: reported once, and the walk stops. */
int
cfg_oom(struct cfg_ctx *ctx, const yaml_node_t *node)
{
	cfg_error(ctx, node, "out of memory");
	ctx->stop = 1;
	return -1;
}

/* Append ".key" (or "key" at the top) to the path; returns the old length. */
size_t
cfg_push(struct cfg_ctx *ctx, const char *key)
{
	size_t	old = ctx->pathlen, n = ctx->pathlen;

	if (n > 0 && n + 1 < sizeof(ctx->path))
		ctx->path[n++] = '.';
	for (; *key != '\0' && n + 1 < sizeof(ctx->path); key++)
		ctx->path[n++] = ((unsigned char)*key < 0x20 || *key == 0x7f) ?
		    '?' : *key;
	ctx->path[n] = '\0';
	ctx->pathlen = n;
	return old;
}

size_t
cfg_push_index(struct cfg_ctx *ctx, size_t i)
{
	size_t	old = ctx->pathlen;
	int	n;

	n = snprintf(ctx->path + old, sizeof(ctx->path) - old, "[%zu]", i);
	if (n > 0)
		ctx->pathlen += (size_t)n;
	if (ctx->pathlen >= sizeof(ctx->path))
		ctx->pathlen = sizeof(ctx->path) - 1;
	return old;
}

void
cfg_pop(struct cfg_ctx *ctx, size_t len)
{
	ctx->pathlen = len;
	ctx->path[len] = '\0';
}

/* A value for a message: control characters as '?', long ones cut. */
const char *
cfg_quote(char buf[CFG_QUOTE_MAX], const char *s)
{
	const size_t	 max = CFG_QUOTE_MAX - 4;
	size_t		 n;

	for (n = 0; s[n] != '\0' && n < max; n++)
		buf[n] = ((unsigned char)s[n] < 0x20 || s[n] == 0x7f) ?
		    '?' : s[n];
	if (s[n] != '\0') {
		/* do not cut a UTF-8 sequence in two */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

yaml_node_t *
cfg_node(struct cfg_ctx *ctx, int index)
{
	return yaml_document_get_node(ctx->doc, index);
}

/* The key node of key in mapping map, or NULL. */
yaml_node_t *
cfg_get_key(struct cfg_ctx *ctx, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;
	size_t			 len = strlen(key);

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = cfg_node(ctx, p->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    k->data.scalar.length == len &&
		    memcmp(k->data.scalar.value, key, len) == 0)
			return k;
	}
	return NULL;
}

/* The value node of key in mapping map, or NULL. */
yaml_node_t *
cfg_get(struct cfg_ctx *ctx, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;

	if ((k = cfg_get_key(ctx, map, key)) == NULL)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++)
		if (cfg_node(ctx, p->key) == k)
			return cfg_node(ctx, p->value);
	return NULL;
}

size_t
cfg_count(const yaml_node_t *node)
{
	if (node->type == YAML_MAPPING_NODE)
		return (size_t)(node->data.mapping.pairs.top -
		    node->data.mapping.pairs.start);
	if (node->type == YAML_SEQUENCE_NODE)
		return (size_t)(node->data.sequence.items.top -
		    node->data.sequence.items.start);
	return 0;
}

/* A plain empty, "~" or "null" scalar: YAML's null. */
int
cfg_null(const yaml_node_t *n)
{
	const char	*s = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return strcmp(s, "") == 0 || strcmp(s, "~") == 0 ||
	    strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0;
}

/* The node must be of type; what names the expected thing ("a mapping"). */
static int
cfg_expect(struct cfg_ctx *ctx, yaml_node_t *node, yaml_node_type_t type,
    const char *what)
{
	char	q[CFG_QUOTE_MAX];

	if (node->type == type && !cfg_null(node))
		return 0;
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return cfg_error(ctx, node, "expected %s, got a mapping", what);
	case YAML_SEQUENCE_NODE:
		return cfg_error(ctx, node, "expected %s, got a sequence", what);
	default:
		if (cfg_null(node))
			return cfg_error(ctx, node, "expected %s, got an "
			    "empty value", what);
		return cfg_error(ctx, node, "expected %s, got '%s'", what,
		    cfg_quote(q, (const char *)node->data.scalar.value));
	}
}

static int
cfg_keycmp(const void *a, const void *b)
{
	const struct cfg_keyref	*x = a, *y = b;
	size_t			 lx = x->node->data.scalar.length;
	size_t			 ly = y->node->data.scalar.length;
	int			 c;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	if ((c = memcmp(x->node->data.scalar.value,
	    y->node->data.scalar.value, lx)) != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
cfg_samekey(const struct cfg_keyref *x, const struct cfg_keyref *y)
{
	return x->node->data.scalar.length == y->node->data.scalar.length &&
	    memcmp(x->node->data.scalar.value, y->node->data.scalar.value,
	    x->node->data.scalar.length) == 0;
}

/*
 * Every key of the mapping is a scalar without NUL bytes and appears once.
 * Duplicates are found by sorting, so that a hostile file with many keys
 * costs n log n.  Each bad key is reported, in file order: a repeat names
 * where the key first appeared.  *skipp (caller frees; NULL for an empty
 * mapping) marks the pairs the walk must leave out: bad keys and repeats.
 */
static int
cfg_check_keys(struct cfg_ctx *ctx, yaml_node_t *map, uint8_t **skipp)
{
	struct cfg_keyref	*refs = NULL;
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *first;
	size_t			*dup = NULL;	/* 1 + position of the first */
	uint8_t			*skip = NULL;
	char			 q[CFG_QUOTE_MAX];
	size_t			 i, g, nrefs = 0, n = cfg_count(map);
	int			 ret = -1;

	*skipp = NULL;
	if (n == 0)
		return 0;
	if ((refs = calloc(n, sizeof(*refs))) == NULL ||
	    (dup = calloc(n, sizeof(*dup))) == NULL ||
	    (skip = calloc(n, 1)) == NULL) {
		cfg_oom(ctx, map);
		goto out;
	}
	for (i = 0, p = map->data.mapping.pairs.start; i < n; i++, p++) {
		k = cfg_node(ctx, p->key);
		if (k->type != YAML_SCALAR_NODE ||
		    strlen((char *)k->data.scalar.value) !=
		    k->data.scalar.length) {
			skip[i] = 1;
			continue;
		}
		refs[nrefs].node = k;
		refs[nrefs++].pos = i;
	}
	qsort(refs, nrefs, sizeof(*refs), cfg_keycmp);
	for (g = 0, i = 1; i < nrefs; i++) {
		if (!cfg_samekey(&refs[g], &refs[i]))
			g = i;
		else
			dup[refs[i].pos] = refs[g].pos + 1;
	}
	ret = 0;
	for (i = 0, p = map->data.mapping.pairs.start; i < n && !ctx->stop;
	    i++, p++) {
		k = cfg_node(ctx, p->key);
		if (k->type != YAML_SCALAR_NODE)
			ret = cfg_error(ctx, k, "expected a string as key, got "
			    "%s", k->type == YAML_MAPPING_NODE ? "a mapping" :
			    "a sequence");
		else if (skip[i])
			ret = cfg_error(ctx, k, "key contains a NUL byte");
		else if (dup[i] != 0) {
			first = cfg_node(ctx,
			    map->data.mapping.pairs.start[dup[i] - 1].key);
			skip[i] = 1;
			ret = cfg_error(ctx, k, "duplicate key '%s' (first at "
			    "%zu:%zu)", cfg_quote(q,
			    (const char *)k->data.scalar.value),
			    first->start_mark.line + 1,
			    first->start_mark.column + 1);
		}
	}
	*skipp = skip;
	skip = NULL;
out:
	free(refs);
	free(dup);
	free(skip);
	return ret;
}

/* Count one value walked; past CFG_WALK_MAX the walk stops. */
static int
cfg_visit(struct cfg_ctx *ctx, const yaml_node_t *node)
{
	if (++ctx->visits <= CFG_WALK_MAX)
		return 0;
	cfg_error(ctx, node, "aliases expand the file to more than %d values",
	    CFG_WALK_MAX);
	ctx->stop = 1;
	return -1;
}

/*
 * A mapping with the fixed keys of keys[]: unknown keys are errors, each
 * value goes to its key's parser with obj, required keys must be there.
 * A bad key or value is reported and the walk goes on with the next pair.
 */
int
cfg_struct(struct cfg_ctx *ctx, yaml_node_t *node, const struct cfg_key *keys,
    size_t nkeys, void *obj)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;
	const char		*name;
	uint8_t			*skip = NULL;
	char			 q[CFG_QUOTE_MAX];
	size_t			 i, j, len;
	int			 ret = 0;

	if (cfg_null(node))
		goto required;		/* an empty value is an empty mapping */
	if (cfg_expect(ctx, node, YAML_MAPPING_NODE, "a mapping") == -1)
		return -1;
	if (cfg_check_keys(ctx, node, &skip) == -1)
		ret = -1;
	for (j = 0, p = node->data.mapping.pairs.start;
	    p < node->data.mapping.pairs.top && !ctx->stop; j++, p++) {
		if (skip != NULL && skip[j])
			continue;
		k = cfg_node(ctx, p->key);
		name = (const char *)k->data.scalar.value;
		for (i = 0; i < nkeys; i++)
			if (strcmp(keys[i].name, name) == 0)
				break;
		if (i == nkeys) {
			ret = cfg_error(ctx, k, "unknown key '%s'",
			    cfg_quote(q, name));
			continue;
		}
		len = cfg_push(ctx, name);
		if (cfg_visit(ctx, cfg_node(ctx, p->value)) == -1 ||
		    keys[i].parse(ctx, cfg_node(ctx, p->value), obj) == -1)
			ret = -1;
		cfg_pop(ctx, len);
	}
	free(skip);
required:
	for (i = 0; i < nkeys && !ctx->stop; i++)
		if (keys[i].required && cfg_get_key(ctx, node, keys[i].name) ==
		    NULL)
			ret = cfg_error(ctx, node, "missing required key '%s'",
			    keys[i].name);
	return ctx->stop ? -1 : ret;
}

/*
 * A mapping with free keys (peer names, ...): fn(key, value) for each.
 * Here and in cfg_struct() and cfg_items() an empty value ("guests:" with
 * every guest commented out) is an empty collection, and a failed pair or
 * item does not stop the walk.
 */
int
cfg_pairs(struct cfg_ctx *ctx, yaml_node_t *node, cfg_pair_fn fn, void *arg)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;
	uint8_t			*skip = NULL;
	size_t			 j, len;
	int			 ret = 0;

	if (cfg_null(node))
		return 0;
	if (cfg_expect(ctx, node, YAML_MAPPING_NODE, "a mapping") == -1)
		return -1;
	if (cfg_check_keys(ctx, node, &skip) == -1)
		ret = -1;
	for (j = 0, p = node->data.mapping.pairs.start;
	    p < node->data.mapping.pairs.top && !ctx->stop; j++, p++) {
		if (skip != NULL && skip[j])
			continue;
		k = cfg_node(ctx, p->key);
		len = cfg_push(ctx, (const char *)k->data.scalar.value);
		if (cfg_visit(ctx, cfg_node(ctx, p->value)) == -1 ||
		    fn(ctx, k, cfg_node(ctx, p->value), arg) == -1)
			ret = -1;
		cfg_pop(ctx, len);
	}
	free(skip);
	return ctx->stop ? -1 : ret;
}

/* A sequence: fn(item, index) for each; the path gets "[index]". */
int
cfg_items(struct cfg_ctx *ctx, yaml_node_t *node, cfg_item_fn fn, void *arg)
{
	yaml_node_item_t	*it;
	size_t			 i, len;
	int			 ret = 0;

	if (cfg_null(node))
		return 0;
	if (cfg_expect(ctx, node, YAML_SEQUENCE_NODE, "a sequence") == -1)
		return -1;
	for (i = 0, it = node->data.sequence.items.start;
	    it < node->data.sequence.items.top && !ctx->stop; it++, i++) {
		len = cfg_push_index(ctx, i);
		if (cfg_visit(ctx, cfg_node(ctx, *it)) == -1 ||
		    fn(ctx, cfg_node(ctx, *it), i, arg) == -1)
			ret = -1;
		cfg_pop(ctx, len);
	}
	return ctx->stop ? -1 : ret;
}

/* A non-empty-value scalar without NUL bytes; what is "a string", ... */
int
cfg_scalar(struct cfg_ctx *ctx, yaml_node_t *node, const char *what,
    const char **out)
{
	*out = NULL;
	if (cfg_expect(ctx, node, YAML_SCALAR_NODE, what) == -1)
		return -1;
	if (strlen((char *)node->data.scalar.value) !=
	    node->data.scalar.length) {
		cfg_error(ctx, node, "contains a NUL byte");
		return -1;
	}
	*out = (const char *)node->data.scalar.value;
	return 0;
}

static int
cfg_has_cntrl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* A scalar that is not empty and has no control characters. */
static int
cfg_text(struct cfg_ctx *ctx, yaml_node_t *node, const char *what,
    const char **out)
{
	if (cfg_scalar(ctx, node, what, out) == -1)
		return -1;
	if (**out == '\0')
		return cfg_error(ctx, node, "must not be empty");
	if (cfg_has_cntrl(*out))
		return cfg_error(ctx, node, "contains a control character");
	return 0;
}

/* Store an allocated value in *out, replacing what was there; NULL: OOM. */
static int
cfg_keep(struct cfg_ctx *ctx, yaml_node_t *node, char *copy, char **out)
{
	if (copy == NULL)
		return cfg_oom(ctx, node);
	free(*out);
	*out = copy;
	return 0;
}

/* A non-empty string, copied to *out (replacing what was there). */
int
cfg_string(struct cfg_ctx *ctx, yaml_node_t *node, char **out)
{
	const char	*s;

	if (cfg_text(ctx, node, "a string", &s) == -1)
		return -1;
	return cfg_keep(ctx, node, strdup(s), out);
}

/* Site and peer names: [a-z0-9][a-z0-9._-]{0,62}. */
int
cfg_check_name(struct cfg_ctx *ctx, yaml_node_t *node, const char *s)
{
	char	q[CFG_QUOTE_MAX];
	size_t	n = strlen(s);

	if (n >= 1 && n <= CONFIG_NAME_MAX &&
	    strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]) != NULL &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n)
		return 0;
	return cfg_error(ctx, node, "'%s' is not a valid name: 1 to %d of "
	    "a-z 0-9 . _ - starting with a letter or digit", cfg_quote(q, s),
	    CONFIG_NAME_MAX);
}

int
cfg_name(struct cfg_ctx *ctx, yaml_node_t *node, char **out)
{
	const char	*s;

	if (cfg_scalar(ctx, node, "a string", &s) == -1 ||
	    cfg_check_name(ctx, node, s) == -1)
		return -1;
	return cfg_keep(ctx, node, strdup(s), out);
}

/* libvirt domain and network names: 1..63 bytes, no '/', no controls. */
int
cfg_check_label(struct cfg_ctx *ctx, yaml_node_t *node, const char *s)
{
	char	q[CFG_QUOTE_MAX];
	size_t	n = strlen(s);

	if (n >= 1 && n <= CONFIG_NAME_MAX && strchr(s, '/') == NULL &&
	    !cfg_has_cntrl(s))
		return 0;
	return cfg_error(ctx, node, "'%s' is not a valid name: 1 to %d bytes "
	    "without '/' or control characters", cfg_quote(q, s),
	    CONFIG_NAME_MAX);
}

/* A decimal integer in [lo, hi]. */
int
cfg_uint(struct cfg_ctx *ctx, yaml_node_t *node, uint64_t lo, uint64_t hi,
    uint64_t *out)
{
	const char	*s, *p;
	char		 q[CFG_QUOTE_MAX];
	uint64_t	 v = 0;
	unsigned	 d;

	if (cfg_scalar(ctx, node, "an integer", &s) == -1)
		return -1;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			break;
		v = v * 10 + d;
	}
	if (p == s || *p != '\0' || v < lo || v > hi)
		return cfg_error(ctx, node, "must be an integer between %"
		    PRIu64 " and %" PRIu64 ", got '%s'", lo, hi,
		    cfg_quote(q, s));
	*out = v;
	return 0;
}

/* 65536 -> "64K": the largest unit that divides v exactly. */
static const char *
cfg_size_str(char buf[32], uint64_t v)
{
	const char	*units = "KMGT";
	int		 u = -1;

	while (u < 3 && v != 0 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		(void)snprintf(buf, 32, "%" PRIu64, v);
	else
		(void)snprintf(buf, 32, "%" PRIu64 "%c", v, units[u]);
	return buf;
}

/* A size_parse() size in [lo, hi]; hi UINT64_MAX is "no upper bound". */
int
cfg_size(struct cfg_ctx *ctx, yaml_node_t *node, uint64_t lo, uint64_t hi,
    uint64_t *out)
{
	const char	*s;
	char		 q[CFG_QUOTE_MAX], a[32], b[32];
	uint64_t	 v;

	if (cfg_scalar(ctx, node, "a size", &s) == -1)
		return -1;
	if (size_parse(&v, s) == -1)
		return cfg_error(ctx, node, "expected a size such as 512K, "
		    "4M or 1G, got '%s'", cfg_quote(q, s));
	if (v < lo && hi == UINT64_MAX)
		return cfg_error(ctx, node, "must be at least %s, got '%s'",
		    cfg_size_str(a, lo), cfg_quote(q, s));
	if (v < lo || v > hi)
		return cfg_error(ctx, node, "must be between %s and %s, got "
		    "'%s'", cfg_size_str(a, lo), cfg_size_str(b, hi),
		    cfg_quote(q, s));
	*out = v;
	return 0;
}

int
cfg_bool(struct cfg_ctx *ctx, yaml_node_t *node, int *out)
{
	const char	*s;
	char		 q[CFG_QUOTE_MAX];

	if (cfg_scalar(ctx, node, "true or false", &s) == -1)
		return -1;
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0)
		*out = 1;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0)
		*out = 0;
	else
		return cfg_error(ctx, node, "expected true or false, got '%s'",
		    cfg_quote(q, s));
	return 0;
}

/* One of names[0..n); *out is its index. */
int
cfg_choice(struct cfg_ctx *ctx, yaml_node_t *node, const char *const *names,
    size_t n, int *out)
{
	const char	*s;
	char		 q[CFG_QUOTE_MAX], list[256] = "";
	size_t		 i;

	if (cfg_scalar(ctx, node, "a string", &s) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			(void)strncat(list, i + 1 == n ? " or " : ", ",
			    sizeof(list) - strlen(list) - 1);
		(void)strncat(list, names[i], sizeof(list) - strlen(list) - 1);
	}
	return cfg_error(ctx, node, "expected %s, got '%s'", list,
	    cfg_quote(q, s));
}

/* An absolute path shorter than max; one trailing '/' is dropped. */
int
cfg_abspath(struct cfg_ctx *ctx, yaml_node_t *node, size_t max, char **out)
{
	const char	*s;
	char		 q[CFG_QUOTE_MAX], *copy;
	size_t		 n;

	if (cfg_scalar(ctx, node, "a path", &s) == -1)
		return -1;
	if (s[0] != '/')
		return cfg_error(ctx, node, "must be an absolute path, got "
		    "'%s'", cfg_quote(q, s));
	if (cfg_has_cntrl(s))
		return cfg_error(ctx, node, "contains a control character");
	if ((n = strlen(s)) >= max)
		return cfg_error(ctx, node, "longer than %zu bytes", max - 1);
	if ((copy = strdup(s)) != NULL && n > 1 && copy[n - 1] == '/')
		copy[n - 1] = '\0';
	return cfg_keep(ctx, node, copy, out);
}

/* A path; a relative one is taken relative to the config file's directory. */
int
cfg_relpath(struct cfg_ctx *ctx, yaml_node_t *node, char **out)
{
	const char	*s;
	char		*copy;

	if (cfg_text(ctx, node, "a path", &s) == -1)
		return -1;
	if (strlen(s) >= PATH_MAX)
		return cfg_error(ctx, node, "longer than %d bytes",
		    PATH_MAX - 1);
	if (s[0] == '/' || ctx->dir == NULL)
		copy = strdup(s);
	else if (asprintf(&copy, "%s/%s", ctx->dir, s) == -1)
		copy = NULL;
	return cfg_keep(ctx, node, copy, out);
}

int
cfg_addr(struct cfg_ctx *ctx, yaml_node_t *node, struct vmgw_addr *out)
{
	const char	*s;
	char		 why[CONFIG_ERR_MAX / 2];

	if (cfg_scalar(ctx, node, "an address", &s) == -1)
		return -1;
	if (addr_parse(out, s, why, sizeof(why)) == -1)
		return cfg_error(ctx, node, "%s", why);
	return 0;
}
