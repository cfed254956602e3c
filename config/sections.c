/*
 * sections.c - the nested parts of the config: peers (with their name and
 * storage mappings and their reachability plan), guests (plan overrides)
 * and the tunnel parameters.  Each key is one small parser listed in a
 * table; checks that need more than one key of the same mapping (a plan's
 * mode needs a bridge, timeout > keepalive) run after the mapping is read.
 * Checks across sections are in config.c.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config_int.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const plan_modes[] = { "route", "l2", "none" };
static const enum plan_mode plan_mode_val[] = { PLAN_ROUTE, PLAN_L2, PLAN_NONE };
static const char *const tunnel_suites[] = { "auto", "aesgcm", "chachapoly" };
static const char *const peer_compress_modes[] = { "auto", "zstd", "off" };

static int	cfg_u32(struct cfg_ctx *, yaml_node_t *, uint32_t, uint32_t,
		    uint32_t *);
static int	plan_mode(struct cfg_ctx *, yaml_node_t *, void *);
static int	plan_bridge(struct cfg_ctx *, yaml_node_t *, void *);
static int	plan_table(struct cfg_ctx *, yaml_node_t *, void *);
static int	plan_proxy_arp(struct cfg_ctx *, yaml_node_t *, void *);
static int	plan_gateway(struct cfg_ctx *, yaml_node_t *, void *);
static int	plan_mtu(struct cfg_ctx *, yaml_node_t *, void *);
static int	plan_hooks(struct cfg_ctx *, yaml_node_t *, void *);
static int	plan_probe_port(struct cfg_ctx *, yaml_node_t *, void *);
static int	plan_probe_timeout(struct cfg_ctx *, yaml_node_t *, void *);
static int	peer_endpoint(struct cfg_ctx *, yaml_node_t *, void *);
static int	peer_public_key(struct cfg_ctx *, yaml_node_t *, void *);
static int	peer_network(struct cfg_ctx *, yaml_node_t *, yaml_node_t *,
		    void *);
static int	peer_networks(struct cfg_ctx *, yaml_node_t *, void *);
static int	peer_test_network(struct cfg_ctx *, yaml_node_t *,
		    yaml_node_t *, void *);
static int	peer_test_networks(struct cfg_ctx *, yaml_node_t *, void *);
static int	peer_dir(struct cfg_ctx *, yaml_node_t *, yaml_node_t *,
		    void *);
static int	peer_storage(struct cfg_ctx *, yaml_node_t *, void *);
static int	peer_bandwidth(struct cfg_ctx *, yaml_node_t *, void *);
static int	peer_compress(struct cfg_ctx *, yaml_node_t *, void *);
static int	peer_connections(struct cfg_ctx *, yaml_node_t *, void *);
static int	peer_plan(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_peer(struct cfg_ctx *, yaml_node_t *, yaml_node_t *,
		    void *);
static int	guest_address(struct cfg_ctx *, yaml_node_t *, size_t, void *);
static int	guest_addresses(struct cfg_ctx *, yaml_node_t *, void *);
static int	guest_plan(struct cfg_ctx *, yaml_node_t *, void *);
static int	cfg_guest(struct cfg_ctx *, yaml_node_t *, yaml_node_t *,
		    void *);
static int	tunnel_suite(struct cfg_ctx *, yaml_node_t *, void *);
static int	tunnel_rekey_bytes(struct cfg_ctx *, yaml_node_t *, void *);
static int	tunnel_rekey_seconds(struct cfg_ctx *, yaml_node_t *, void *);
static int	tunnel_keepalive(struct cfg_ctx *, yaml_node_t *, void *);
static int	tunnel_timeout(struct cfg_ctx *, yaml_node_t *, void *);
static int	tunnel_handshake(struct cfg_ctx *, yaml_node_t *, void *);
static int	tunnel_window(struct cfg_ctx *, yaml_node_t *, void *);
static int	tunnel_reconnect(struct cfg_ctx *, yaml_node_t *, void *);

static const struct cfg_key plan_keys[] = {
	{ "mode",		plan_mode,		0 },
	{ "bridge",		plan_bridge,		0 },
	{ "table",		plan_table,		0 },
	{ "proxy_arp",		plan_proxy_arp,		0 },
	{ "gateway",		plan_gateway,		0 },
	{ "mtu",		plan_mtu,		0 },
	{ "hooks",		plan_hooks,		0 },
	{ "probe_port",		plan_probe_port,	0 },
	{ "probe_timeout",	plan_probe_timeout,	0 },
};

static const struct cfg_key peer_keys[] = {
	{ "endpoint",		peer_endpoint,		0 },
	{ "public_key",		peer_public_key,	1 },
	{ "networks",		peer_networks,		0 },
	{ "storage",		peer_storage,		0 },
	{ "test_networks",	peer_test_networks,	0 },
	{ "bandwidth",		peer_bandwidth,		0 },
	{ "compress",		peer_compress,		0 },
	{ "connections",	peer_connections,	0 },
	{ "plan",		peer_plan,		0 },
};

static const struct cfg_key guest_keys[] = {
	{ "addresses",		guest_addresses,	0 },
	{ "plan",		guest_plan,		0 },
};

static const struct cfg_key tunnel_keys[] = {
	{ "suite",		tunnel_suite,		0 },
	{ "rekey_bytes",	tunnel_rekey_bytes,	0 },
	{ "rekey_seconds",	tunnel_rekey_seconds,	0 },
	{ "keepalive",		tunnel_keepalive,	0 },
	{ "timeout",		tunnel_timeout,		0 },
	{ "handshake_timeout",	tunnel_handshake,	0 },
	{ "window",		tunnel_window,		0 },
	{ "reconnect_max",	tunnel_reconnect,	0 },
};

void
cfg_plan_defaults(struct vmgw_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->mode = PLAN_NONE;
	p->table = 254;
	p->probe_timeout_ms = 10000;
}

void
cfg_tunnel_defaults(struct vmgw_tunnel_conf *t)
{
	t->suite = SUITE_AUTO;
	t->rekey_bytes = 1ULL << 30;
	t->rekey_seconds = 120;
	t->keepalive = 10;
	t->timeout = 30;
	t->handshake_timeout = 10;
	t->window = 4ULL << 20;
	t->reconnect_max = 30;
}

void
cfg_plan_free(struct vmgw_plan *p)
{
	free(p->bridge);
	free(p->gateway);
	free(p->hooks);
	p->bridge = p->gateway = p->hooks = NULL;
}

void
cfg_peer_free(struct vmgw_peer *p)
{
	size_t	i;

	for (i = 0; i < p->n_networks; i++) {
		free(p->networks[i].from);
		free(p->networks[i].to);
	}
	for (i = 0; i < p->n_storage; i++) {
		free(p->storage[i].from);
		free(p->storage[i].to);
	}
	for (i = 0; i < p->n_test_networks; i++) {
		free(p->test_networks[i].from);
		free(p->test_networks[i].to);
	}
	free(p->networks);
	free(p->storage);
	free(p->test_networks);
	free(p->name);
	cfg_plan_free(&p->plan);
	sodium_memzero(p, sizeof(*p));
}

void
cfg_guest_free(struct vmgw_guest *g)
{
	size_t	i;

	for (i = 0; i < g->n_addresses; i++)
		free(g->addresses[i]);
	free(g->addresses);
	free(g->name);
	cfg_plan_free(&g->plan);
	memset(g, 0, sizeof(*g));
}

static int
cfg_u32(struct cfg_ctx *ctx, yaml_node_t *node, uint32_t lo, uint32_t hi,
    uint32_t *out)
{
	uint64_t	v;

	if (cfg_uint(ctx, node, lo, hi, &v) == -1)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* plan: the reachability plan of a peer, or a guest's overrides */

static int
plan_mode(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_plan	*p = obj;
	int			 i;

	if (cfg_choice(ctx, node, plan_modes, nitems(plan_modes), &i) == -1)
		return -1;
	p->mode = plan_mode_val[i];
	p->set |= PLAN_SET_MODE;
	return 0;
}

/* A Linux interface name: shorter than IFNAMSIZ (16), no '/' or blanks. */
static int
plan_bridge(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_plan	*p = obj;
	const char		*s;
	char			 q[CFG_QUOTE_MAX];
	size_t			 n;

	if (cfg_scalar(ctx, node, "an interface name", &s) == -1)
		return -1;
	n = strlen(s);
	if (n < 1 || n > 15 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return cfg_error(ctx, node, "'%s' is not an interface name: 1 "
		    "to 15 of A-Z a-z 0-9 _ . -", cfg_quote(q, s));
	if (cfg_string(ctx, node, &p->bridge) == -1)
		return -1;
	p->set |= PLAN_SET_BRIDGE;
	return 0;
}

static int
plan_table(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_plan	*p = obj;
	const char		*s;
	char			 q[CFG_QUOTE_MAX];

	if (cfg_scalar(ctx, node, "a routing table", &s) == -1)
		return -1;
	if (strcmp(s, "main") == 0)
		p->table = 254;
	else if (*s == '\0' || strspn(s, "0123456789") != strlen(s))
		return cfg_error(ctx, node, "expected 'main' or a table number "
		    "between 1 and 4294967294, got '%s'", cfg_quote(q, s));
	else if (cfg_u32(ctx, node, 1, 4294967294U, &p->table) == -1)
		return -1;
	p->set |= PLAN_SET_TABLE;
	return 0;
}

static int
plan_proxy_arp(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_plan	*p = obj;

	if (cfg_bool(ctx, node, &p->proxy_arp) == -1)
		return -1;
	p->set |= PLAN_SET_PROXY_ARP;
	return 0;
}

/* "A.B.C.D/LEN" with LEN 0..32 */
static int
plan_gateway(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_plan	*p = obj;
	struct in_addr		 a;
	const char		*s, *slash;
	char			 ip[INET_ADDRSTRLEN], q[CFG_QUOTE_MAX];
	size_t			 n;
	int			 ok = 0;

	if (cfg_scalar(ctx, node, "an IPv4 address/prefix", &s) == -1)
		return -1;
	if ((slash = strchr(s, '/')) != NULL &&
	    (n = (size_t)(slash - s)) < sizeof(ip)) {
		memcpy(ip, s, n);
		ip[n] = '\0';
		n = strlen(slash + 1);
		ok = inet_pton(AF_INET, ip, &a) == 1 && n >= 1 && n <= 2 &&
		    strspn(slash + 1, "0123456789") == n &&
		    atoi(slash + 1) <= 32;
	}
	if (!ok)
		return cfg_error(ctx, node, "expected an IPv4 address and "
		    "prefix length such as 10.99.1.1/24, got '%s'",
		    cfg_quote(q, s));
	if (cfg_string(ctx, node, &p->gateway) == -1)
		return -1;
	p->set |= PLAN_SET_GATEWAY;
	return 0;
}

static int
plan_mtu(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_plan	*p = obj;

	if (cfg_u32(ctx, node, 576, 65535, &p->mtu) == -1)
		return -1;
	p->set |= PLAN_SET_MTU;
	return 0;
}

static int
plan_hooks(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_plan	*p = obj;

	if (cfg_relpath(ctx, node, &p->hooks) == -1)
		return -1;
	p->set |= PLAN_SET_HOOKS;
	return 0;
}

static int
plan_probe_port(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_plan	*p = obj;
	uint32_t		 port;

	if (cfg_u32(ctx, node, 1, 65535, &port) == -1)
		return -1;
	p->probe_port = (uint16_t)port;
	p->set |= PLAN_SET_PROBE_PORT;
	return 0;
}

static int
plan_probe_timeout(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_plan	*p = obj;

	if (cfg_u32(ctx, node, 1, 600000, &p->probe_timeout_ms) == -1)
		return -1;
	p->set |= PLAN_SET_PROBE_TIMEOUT;
	return 0;
}

/* peers.NAME */

static int
peer_endpoint(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_peer	*p = obj;

	if (cfg_addr(ctx, node, &p->endpoint) == -1)
		return -1;
	if (p->endpoint.kind != ADDR_TCP)
		return cfg_error(ctx, node, "must be HOST:PORT, not a unix: "
		    "address");
	p->has_endpoint = 1;
	return 0;
}

static int
peer_public_key(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_peer	*p = obj;
	const char		*s;

	if (cfg_scalar(ctx, node, "a base64 key", &s) == -1)
		return -1;
	if (key_from_base64(p->public_key, s) == -1)
		return cfg_error(ctx, node, "not 32 bytes of base64");
	if (sodium_is_zero(p->public_key, KEY_LEN))
		return cfg_error(ctx, node, "all zeros; not a public key");
	return 0;
}

/* networks: source network name -> target network name */
static int
peer_network(struct cfg_ctx *ctx, yaml_node_t *key, yaml_node_t *value,
    void *obj)
{
	struct vmgw_peer	*p = obj;
	struct vmgw_map		*m = &p->networks[p->n_networks++];
	const char		*from = (const char *)key->data.scalar.value;
	const char		*to;

	if (cfg_check_label(ctx, key, from) == -1 ||
	    cfg_scalar(ctx, value, "a network name", &to) == -1 ||
	    cfg_check_label(ctx, value, to) == -1)
		return -1;
	if ((m->from = strdup(from)) == NULL || (m->to = strdup(to)) == NULL)
		return cfg_oom(ctx, key);
	return 0;
}

static int
peer_networks(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_peer	*p = obj;
	size_t			 n = cfg_count(node);

	if (n > 0 && node->type == YAML_MAPPING_NODE &&
	    (p->networks = calloc(n, sizeof(*p->networks))) == NULL)
		return cfg_oom(ctx, node);
	return cfg_pairs(ctx, node, peer_network, p);
}

/* test_networks: production network name -> an isolated network here */
static int
peer_test_network(struct cfg_ctx *ctx, yaml_node_t *key, yaml_node_t *value,
    void *obj)
{
	struct vmgw_peer	*p = obj;
	struct vmgw_map		*m = &p->test_networks[p->n_test_networks++];
	const char		*from = (const char *)key->data.scalar.value;
	const char		*to;

	if (cfg_check_label(ctx, key, from) == -1 ||
	    cfg_scalar(ctx, value, "a network name", &to) == -1 ||
	    cfg_check_label(ctx, value, to) == -1)
		return -1;
	/* a test copy on a production network is what the test must avoid */
	if (config_map_lookup(p->networks, p->n_networks, to) != NULL)
		return cfg_error(ctx, value, "'%s' is a production network "
		    "(networks:), not an isolated one", to);
	if ((m->from = strdup(from)) == NULL || (m->to = strdup(to)) == NULL)
		return cfg_oom(ctx, key);
	return 0;
}

static int
peer_test_networks(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_peer	*p = obj;
	size_t			 n = cfg_count(node);

	if (n > 0 && node->type == YAML_MAPPING_NODE &&
	    (p->test_networks = calloc(n, sizeof(*p->test_networks))) == NULL)
		return cfg_oom(ctx, node);
	return cfg_pairs(ctx, node, peer_test_network, p);
}

/* storage: source directory -> target directory, both absolute */
static int
peer_dir(struct cfg_ctx *ctx, yaml_node_t *key, yaml_node_t *value,
    void *obj)
{
	struct vmgw_peer	*p = obj;
	struct vmgw_map		*m = &p->storage[p->n_storage++];

	if (cfg_abspath(ctx, key, PATH_MAX, &m->from) == -1)
		return -1;
	if (config_map_lookup(p->storage, p->n_storage - 1, m->from) != NULL)
		return cfg_error(ctx, key, "the same directory as an earlier "
		    "entry");
	return cfg_abspath(ctx, value, PATH_MAX, &m->to);
}

static int
peer_storage(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_peer	*p = obj;
	size_t			 n = cfg_count(node);

	if (n > 0 && node->type == YAML_MAPPING_NODE &&
	    (p->storage = calloc(n, sizeof(*p->storage))) == NULL)
		return cfg_oom(ctx, node);
	return cfg_pairs(ctx, node, peer_dir, p);
}

static int
peer_bandwidth(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_peer	*p = obj;

	return cfg_size(ctx, node, 0, UINT64_MAX, &p->bandwidth);
}

/* compress: auto | zstd | off, in the order of enum peer_compress */
static int
peer_compress(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_peer	*p = obj;
	int			 i;

	if (cfg_choice(ctx, node, peer_compress_modes,
	    nitems(peer_compress_modes), &i) == -1)
		return -1;
	p->compress = (enum peer_compress)i;
	return 0;
}

/* connections: 1 .. PEER_CONNECTIONS_MAX TCP connections to this peer */
static int
peer_connections(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_peer	*p = obj;
	uint64_t		 v;

	if (cfg_uint(ctx, node, 1, PEER_CONNECTIONS_MAX, &v) == -1)
		return -1;
	p->connections = (unsigned)v;
	return 0;
}

static int
peer_plan(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_peer	*p = obj;

	if (cfg_struct(ctx, node, plan_keys, nitems(plan_keys), &p->plan) == -1)
		return -1;
	if (p->plan.mode != PLAN_NONE && p->plan.bridge == NULL)
		return cfg_error(ctx, node, "mode '%s' needs 'bridge'",
		    p->plan.mode == PLAN_ROUTE ? "route" : "l2");
	return 0;
}

static int
cfg_peer(struct cfg_ctx *ctx, yaml_node_t *key, yaml_node_t *value,
    void *obj)
{
	struct vmgw_config	*cfg = obj;
	struct vmgw_peer	*p = &cfg->peers[cfg->n_peers++];
	const char		*name = (const char *)key->data.scalar.value;
	size_t			 i, len;
	int			 ret = 0;

	cfg_plan_defaults(&p->plan);
	p->connections = 1;
	/* a bad name is reported and the peer's keys are still checked */
	if (cfg_check_name(ctx, key, name) == -1)
		ret = -1;
	else if ((p->name = strdup(name)) == NULL)
		return cfg_oom(ctx, key);
	if (cfg_struct(ctx, value, peer_keys, nitems(peer_keys), p) == -1 ||
	    ret == -1)
		return -1;
	/* earlier peers that failed have no name or no key: not compared */
	for (i = 0; i + 1 < cfg->n_peers; i++) {
		if (cfg->peers[i].name == NULL ||
		    sodium_memcmp(cfg->peers[i].public_key, p->public_key,
		    KEY_LEN) != 0)
			continue;
		len = cfg_push(ctx, "public_key");
		ret = cfg_error(ctx, cfg_get(ctx, value, "public_key"),
		    "same key as peer '%s'", cfg->peers[i].name);
		cfg_pop(ctx, len);
		break;
	}
	return ret;
}

int
cfg_peers(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;
	size_t			 n = cfg_count(node);

	if (cfg_null(node) || (node->type == YAML_MAPPING_NODE && n == 0))
		return cfg_error(ctx, node, "at least one peer is needed");
	if (n > 0 && node->type == YAML_MAPPING_NODE &&
	    (cfg->peers = calloc(n, sizeof(*cfg->peers))) == NULL)
		return cfg_oom(ctx, node);
	return cfg_pairs(ctx, node, cfg_peer, cfg);
}

/* guests.NAME */

static int
guest_address(struct cfg_ctx *ctx, yaml_node_t *node, size_t i, void *obj)
{
	struct vmgw_guest	*g = obj;
	struct in6_addr		 a;
	const char		*s;
	char			 q[CFG_QUOTE_MAX];

	if (cfg_scalar(ctx, node, "an IP address", &s) == -1)
		return -1;
	if (inet_pton(AF_INET, s, &a) != 1 && inet_pton(AF_INET6, s, &a) != 1)
		return cfg_error(ctx, node, "'%s' is not an IPv4 or IPv6 "
		    "address", cfg_quote(q, s));
	if ((g->addresses[g->n_addresses] = strdup(s)) == NULL)
		return cfg_oom(ctx, node);
	g->n_addresses++;
	return 0;
}

static int
guest_addresses(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_guest	*g = obj;
	size_t			 n = cfg_count(node);

	if (n > 0 && node->type == YAML_SEQUENCE_NODE &&
	    (g->addresses = calloc(n, sizeof(*g->addresses))) == NULL)
		return cfg_oom(ctx, node);
	return cfg_items(ctx, node, guest_address, g);
}

/* Only the fields given are recorded (plan.set); checked in config.c. */
static int
guest_plan(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_guest	*g = obj;

	return cfg_struct(ctx, node, plan_keys, nitems(plan_keys), &g->plan);
}

static int
cfg_guest(struct cfg_ctx *ctx, yaml_node_t *key, yaml_node_t *value,
    void *obj)
{
	struct vmgw_config	*cfg = obj;
	struct vmgw_guest	*g = &cfg->guests[cfg->n_guests++];
	const char		*name = (const char *)key->data.scalar.value;
	int			 ret = 0;

	cfg_plan_defaults(&g->plan);
	if (cfg_check_label(ctx, key, name) == -1)
		ret = -1;
	else if ((g->name = strdup(name)) == NULL)
		return cfg_oom(ctx, key);
	if (cfg_struct(ctx, value, guest_keys, nitems(guest_keys), g) == -1)
		ret = -1;
	return ret;
}

int
cfg_guests(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;
	size_t			 n = cfg_count(node);

	if (n > 0 && node->type == YAML_MAPPING_NODE &&
	    (cfg->guests = calloc(n, sizeof(*cfg->guests))) == NULL)
		return cfg_oom(ctx, node);
	return cfg_pairs(ctx, node, cfg_guest, cfg);
}

/* tunnel */

static int
tunnel_suite(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_tunnel_conf	*t = obj;
	int			 i;

	if (cfg_choice(ctx, node, tunnel_suites, nitems(tunnel_suites),
	    &i) == -1)
		return -1;
	t->suite = (enum tunnel_suite)i;
	return 0;
}

static int
tunnel_rekey_bytes(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_tunnel_conf	*t = obj;

	return cfg_size(ctx, node, 64ULL << 10, UINT64_MAX, &t->rekey_bytes);
}

static int
tunnel_rekey_seconds(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_tunnel_conf	*t = obj;

	return cfg_u32(ctx, node, 10, 86400, &t->rekey_seconds);
}

static int
tunnel_keepalive(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_tunnel_conf	*t = obj;

	return cfg_u32(ctx, node, 1, 3600, &t->keepalive);
}

static int
tunnel_timeout(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_tunnel_conf	*t = obj;

	return cfg_u32(ctx, node, 1, 86400, &t->timeout);
}

static int
tunnel_handshake(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_tunnel_conf	*t = obj;

	return cfg_u32(ctx, node, 1, 300, &t->handshake_timeout);
}

static int
tunnel_window(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_tunnel_conf	*t = obj;

	return cfg_size(ctx, node, 64ULL << 10, 256ULL << 20, &t->window);
}

static int
tunnel_reconnect(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_tunnel_conf	*t = obj;

	return cfg_u32(ctx, node, 1, 3600, &t->reconnect_max);
}

int
cfg_tunnel(struct cfg_ctx *ctx, yaml_node_t *node, void *obj)
{
	struct vmgw_config	*cfg = obj;
	struct vmgw_tunnel_conf	*t = &cfg->tunnel;
	yaml_node_t		*n;
	size_t			 len;
	int			 ret;

	if (cfg_struct(ctx, node, tunnel_keys, nitems(tunnel_keys), t) == -1)
		return -1;
	if (t->timeout > t->keepalive)
		return 0;
	if ((n = cfg_get(ctx, node, "timeout")) != NULL) {
		len = cfg_push(ctx, "timeout");
		ret = cfg_error(ctx, n, "must be greater than keepalive (%u), "
		    "got %u", t->keepalive, t->timeout);
	} else {
		n = cfg_get(ctx, node, "keepalive");
		len = cfg_push(ctx, "keepalive");
		ret = cfg_error(ctx, n, "must be less than timeout (%u), got %u",
		    t->timeout, t->keepalive);
	}
	cfg_pop(ctx, len);
	return ret;
}
