/*
 * guest.c - the network plan of one guest at this site: the guest keeps its
 * address and stays reachable wherever it runs.  No job here: a migration
 * (migrate/mig_net.c), and later a failover, drive these steps.
 *
 *  where it starts   its addresses (config, then the network's DHCP leases,
 *                    the guest agent, ARP) and the DHCP reservations that
 *                    move with it
 *  where it arrives  /32 (/128) host routes in the plan's table on the
 *                    bridge, stale neighbour entries flushed, the addresses
 *                    announced (ANNOUNCE_ROUNDS); its reservations added
 *  where it left     its host routes withdrawn, its neighbour entries
 *                    flushed, proxy entries if proxy_arp; reservations gone
 *  verification      each address probed (ICMP, and TCP probe_port) until
 *                    it answers or probe_timeout passes; ARP or neighbour
 *                    solicitation instead of ICMP where the bridge has no
 *                    address of the guest's (pure layer 2), and for IPv6
 *                    (no ICMPv6 echo here)
 *  hooks             every executable of the plan's directory, per phase
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include "guest.h"

static const char *const plan_modes[] = { "none", "route", "l2" };

const char *
np_mode_name(enum plan_mode m)
{
	return (unsigned)m < 3 ? plan_modes[m] : "?";
}

int
np_mode_from(const char *s)
{
	int	 i;

	for (i = 0; i < 3; i++)
		if (s != NULL && strcmp(s, plan_modes[i]) == 0)
			return i;
	return -1;
}

void
np_guest_init(struct np_guest *g, struct gw *gw, const char *name,
    const char *uuid, const struct vmgw_peer *peer, const char *tag)
{
	memset(g, 0, sizeof(*g));
	g->gw = gw;
	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(g->uuid, sizeof(g->uuid), "%s", uuid ? uuid : "");
	snprintf(g->tag, sizeof(g->tag), "%s", tag);
	if (peer != NULL)
		config_effective_plan(&g->plan, peer, config_guest(gw->conf,
		    name));
}

void
np_guest_clear(struct np_guest *g)
{
	json_decref(g->addrs);
	json_decref(g->macs);
	json_decref(g->dhcp);
	g->addrs = g->macs = g->dhcp = NULL;
	if (g->announce != NULL)
		event_free(g->announce);
	g->announce = NULL;
}

void
np_join(json_t *a, char *out, size_t outlen)
{
	json_t	*v;
	size_t	 i, o = 0;

	out[0] = '\0';
	json_array_foreach(a, i, v)
		o += (size_t)snprintf(out + o, o < outlen ? outlen - o : 0,
		    "%s%s", i ? " " : "", json_string_value(v));
}

/* ------------------------------------------------------------ discovery */

static const char *
np_find_addresses(struct np_guest *g, struct kvm *k,
    const struct kvm_domain_info *info)
{
	const struct vmgw_guest	*cg = config_guest(g->gw->conf, g->name);
	char			*found[16], err[256];
	size_t			 i;
	int			 n, m;

	if (cg != NULL && cg->n_addresses > 0) {
		for (i = 0; i < cg->n_addresses; i++)
			json_array_append_new(g->addrs,
			    json_string(cg->addresses[i]));
		return "config";
	}
	for (i = 0; i < info->n_nics; i++) {
		if (info->nics[i].mac == NULL)
			continue;
		if ((n = kvm_guest_addresses(k, info->name, info->nics[i].mac,
		    found, 16, err, sizeof(err))) <= 0)
			continue;
		for (m = 0; m < n; m++) {
			json_array_append_new(g->addrs, json_string(found[m]));
			free(found[m]);
		}
	}
	return "libvirt (DHCP leases, guest agent, ARP)";
}

static void
np_find_dhcp(struct np_guest *g, struct kvm *k,
    const struct kvm_domain_info *info, const struct vmgw_peer *to_peer)
{
	struct kvm_dhcp_host	 h;
	const char		*to;
	char			 err[256];
	size_t			 i;

	if (to_peer == NULL)
		return;		/* no move: no reservation moves */
	for (i = 0; i < info->n_nics; i++) {
		const struct kvm_nic *n = &info->nics[i];

		if (n->type == NULL || strcmp(n->type, "network") != 0 ||
		    n->mac == NULL)
			continue;
		if (kvm_dhcp_host_get(k, n->source, n->mac, &h, err,
		    sizeof(err)) != 1)
			continue;
		to = config_map_lookup(to_peer->networks, to_peer->n_networks,
		    n->source);
		json_array_append_new(g->dhcp, json_pack("{s:s, s:s, s:s, "
		    "s:s, s:s}", "mac", h.mac, "ip", h.ip, "name", h.name,
		    "from", n->source, "to", to ? to : n->source));
	}
}

const char *
np_guest_discover(struct np_guest *g, struct kvm *k,
    const struct kvm_domain_info *info, const struct vmgw_peer *to)
{
	const char	*from;
	size_t		 i;

	np_guest_clear(g);
	g->addrs = json_array();
	g->macs = json_array();
	g->dhcp = json_array();
	for (i = 0; i < info->n_nics; i++)
		if (info->nics[i].mac != NULL)
			json_array_append_new(g->macs,
			    json_string(info->nics[i].mac));
	from = np_find_addresses(g, k, info);
	np_find_dhcp(g, k, info, to);
	return from;
}

int
np_bridge_check(const struct np_guest *g, char *err, size_t errlen)
{
	if (g->plan.mode != PLAN_NONE && (g->plan.bridge == NULL ||
	    if_nametoindex(g->plan.bridge) == 0)) {
		snprintf(err, errlen, "plan %s: bridge %s does not exist here",
		    np_mode_name(g->plan.mode), g->plan.bridge ?
		    g->plan.bridge : "(none)");
		return -1;
	}
	return 0;
}

int
np_guest_check(const struct np_guest *g, char *err, size_t errlen)
{
	if (g->plan.mode != PLAN_NONE && json_array_size(g->addrs) == 0) {
		snprintf(err, errlen, "%s: no IP address known, and plan %s "
		    "needs one (set guests.%s.addresses, or use a network with "
		    "DHCP or a guest agent)", g->name,
		    np_mode_name(g->plan.mode), g->name);
		return -1;
	}
	return np_bridge_check(g, err, errlen);
}

/* ------------------------------------------------------------ routes */

void
np_guest_release(struct np_guest *g)
{
	json_t	*a;
	size_t	 i;
	char	 err[256];

	if (g->plan.mode == PLAN_NONE)
		return;
	json_array_foreach(g->addrs, i, a) {
		const char *ip = json_string_value(a);

		if (nl_host_route(0, ip, g->plan.bridge, g->plan.table, err,
		    sizeof(err)) == -1)
			log_warnx("%s: %s", g->tag, err);
		if (nl_neigh_flush(ip, g->plan.bridge, err, sizeof(err)) == -1)
			log_warnx("%s: %s", g->tag, err);
		if (g->plan.proxy_arp && nl_neigh_proxy(1, ip, g->plan.bridge,
		    err, sizeof(err)) == -1)
			log_warnx("%s: %s", g->tag, err);
	}
	log_info("%s: %s withdrawn from %s here (table %u)", g->tag, g->name,
	    g->plan.bridge, g->plan.table);
}

void
np_guest_hold(struct np_guest *g)
{
	json_t	*a;
	size_t	 i;
	char	 err[256];

	if (g->plan.mode == PLAN_NONE || g->addrs == NULL)
		return;
	json_array_foreach(g->addrs, i, a) {
		const char *ip = json_string_value(a);

		if (nl_host_route(1, ip, g->plan.bridge, g->plan.table, err,
		    sizeof(err)) == -1)
			log_warnx("%s: %s", g->tag, err);
		nl_neigh_proxy(0, ip, g->plan.bridge, err, sizeof(err));
		nl_neigh_flush(ip, g->plan.bridge, err, sizeof(err));
	}
}

void
np_guest_unroute(struct np_guest *g)
{
	json_t	*a;
	size_t	 i;
	char	 err[256];

	if (g->plan.mode == PLAN_NONE)
		return;
	json_array_foreach(g->addrs, i, a)
		nl_host_route(0, json_string_value(a), g->plan.bridge,
		    g->plan.table, err, sizeof(err));
}

static void
np_announce_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct np_guest	*g = arg;
	struct timeval	 tv = { 0, 100000 << g->announced };
	json_t		*a;
	size_t		 i;
	char		 err[256];

	json_array_foreach(g->addrs, i, a) {
		/* the guest's first MAC answers for its addresses */
		if (announce_address(g->plan.bridge, json_string_value(a),
		    json_string_value(json_array_get(g->macs, 0)), err,
		    sizeof(err)) == -1 && g->announced == 0)
			log_warnx("%s: %s", g->tag, err);
	}
	if (++g->announced < ANNOUNCE_ROUNDS)
		evtimer_add(g->announce, &tv);
}

void
np_guest_announce(struct np_guest *g)
{
	struct timeval	 now = { 0, 0 };

	if (g->plan.mode == PLAN_NONE || json_array_size(g->macs) == 0 ||
	    g->announce != NULL)
		return;
	if ((g->announce = evtimer_new(g->gw->base, np_announce_tick, g)) !=
	    NULL)
		evtimer_add(g->announce, &now);
}

/* ------------------------------------------------------------ DHCP */

/* A reservation as recorded: { mac, ip, name, from, to }. */
static void
np_dhcp_host(struct kvm_dhcp_host *h, json_t *d)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->mac, sizeof(h->mac), "%s", json_string_value(
	    json_object_get(d, "mac")) ?: "");
	snprintf(h->ip, sizeof(h->ip), "%s", json_string_value(
	    json_object_get(d, "ip")) ?: "");
	snprintf(h->name, sizeof(h->name), "%s", json_string_value(
	    json_object_get(d, "name")) ?: "");
}

int
np_dhcp_add(struct kvm *k, json_t *dhcp, const char *tag,
    void (*progress)(void *), void *arg, char *err, size_t errlen)
{
	struct kvm_dhcp_host	 h;
	json_t			*d;
	size_t			 i;

	json_array_foreach(dhcp, i, d) {
		np_dhcp_host(&h, d);
		if (kvm_dhcp_host_add(k, json_string_value(json_object_get(d,
		    "to")), &h, err, errlen) == -1)
			return -1;
		json_object_set_new(d, "added", json_true());
		if (progress != NULL)
			progress(arg);
	}
	return 0;
}

void
np_dhcp_undo(struct kvm *k, json_t *dhcp, const char *tag)
{
	struct kvm_dhcp_host	 h;
	char			 err[256];
	json_t			*d;
	size_t			 i;

	json_array_foreach(dhcp, i, d) {
		if (!json_is_true(json_object_get(d, "added")))
			continue;
		np_dhcp_host(&h, d);
		if (kvm_dhcp_host_del(k, json_string_value(json_object_get(d,
		    "to")), &h, err, sizeof(err)) == -1)
			log_warnx("%s: %s", tag, err);
	}
}

void
np_dhcp_release(struct kvm *k, json_t *dhcp, const char *tag)
{
	struct kvm_dhcp_host	 h;
	char			 err[256];
	json_t			*d;
	size_t			 i;

	json_array_foreach(dhcp, i, d) {
		np_dhcp_host(&h, d);
		if (kvm_dhcp_host_del(k, json_string_value(json_object_get(d,
		    "from")), &h, err, sizeof(err)) == -1)
			log_warnx("%s: %s", tag, err);
	}
}

/* ------------------------------------------------------------ hooks */

char **
np_hook_env(const struct np_guest *g, const char *phase, const char *job,
    const char *from, const char *to, const char *result)
{
	char		**env = calloc(16, sizeof(char *));
	char		 addrs[512], macs[512];
	int		 n = 0;

	if (env == NULL)
		return NULL;
	np_join(g->addrs, addrs, sizeof(addrs));
	np_join(g->macs, macs, sizeof(macs));
#define ENV(...) do { if (asprintf(&env[n], __VA_ARGS__) != -1) n++; } while (0)
	ENV("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	ENV("VMGW_HOOK=%s", phase);
	ENV("VMGW_JOB=%s", job);
	ENV("VMGW_GUEST=%s", g->name);
	ENV("VMGW_UUID=%s", g->uuid);
	ENV("VMGW_MACS=%s", macs);
	ENV("VMGW_ADDRESSES=%s", addrs);
	ENV("VMGW_FROM=%s", from);
	ENV("VMGW_TO=%s", to);
	ENV("VMGW_SITE=%s", g->gw->conf->site);
	ENV("VMGW_PLAN=%s", np_mode_name(g->plan.mode));
	ENV("VMGW_RESULT=%s", result != NULL && result[0] ? result : "ok");
#undef ENV
	env[n] = NULL;
	return env;
}

void
np_env_free(char **env)
{
	size_t	 i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

int
np_hooks_run(const struct np_guest *g, const char *phase, const char *job,
    const char *from, const char *to, const char *result, char *err,
    size_t errlen)
{
	char	**env;
	int	 r;

	if (g->plan.hooks == NULL)
		return 0;
	if ((env = np_hook_env(g, phase, job, from, to, result)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = hooks_run(g->plan.hooks, phase, env, g->tag, err, errlen);
	np_env_free(env);
	return r;
}

/* ------------------------------------------------------------ probes */

struct np_probe *
np_probe_new(const struct np_guest *g, uint64_t t0_ns)
{
	struct np_probe	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", g->name);
	snprintf(p->site, sizeof(p->site), "%s", g->gw->conf->site);
	if (g->plan.mode != PLAN_NONE && g->plan.bridge != NULL)
		snprintf(p->bridge, sizeof(p->bridge), "%s", g->plan.bridge);
	if (json_is_string(json_array_get(g->macs, 0)))
		snprintf(p->mac, sizeof(p->mac), "%s", json_string_value(
		    json_array_get(g->macs, 0)));
	p->addrs = g->addrs != NULL ? json_deep_copy(g->addrs) : json_array();
	p->probe_port = g->plan.probe_port;
	p->timeout_ms = g->plan.probe_timeout_ms ? g->plan.probe_timeout_ms :
	    10000;
	p->t0_ns = t0_ns ? t0_ns : mono_ns();
	return p;
}

void
np_probe_free(struct np_probe *p)
{
	if (p == NULL)
		return;
	json_decref(p->addrs);
	json_decref(p->result);
	free(p);
}

/*
 * How to ask ip from here: "ICMP" where an address of ip's family on the
 * bridge (or no bridge: the routes) can reach it; on a bridge without one
 * (a pure layer-2 site) "ARP", or for IPv6 "NS" (there is no ICMPv6 echo
 * probe, and a neighbour solicitation on the bridge is a better question
 * than none).
 */
static const char *
np_probe_how(const struct np_probe *p, const char *ip)
{
	int	 v6 = strchr(ip, ':') != NULL;

	if (p->bridge[0] == '\0')
		return "ICMP";
	if (v6)
		return "NS";
	return dev_has_addr_for(p->bridge, ip) == 0 ? "ARP" : "ICMP";
}

static int
np_probe_once(const struct np_probe *p, const char *how, const char *ip,
    char *err, size_t errlen)
{
	if (strcmp(how, "ARP") == 0)
		return probe_arp(p->bridge, ip, p->mac, 200, err, errlen);
	if (strcmp(how, "NS") == 0)
		return probe_ns(p->bridge, ip, p->mac, 200, err, errlen);
	return probe_icmp(ip, 200, err, errlen);
}

/* (worker) fills p->result */
void
np_probe_run(void *arg)
{
	struct np_probe	*p = arg;
	uint64_t	 limit = (uint64_t)p->timeout_ms * 1000000ull;
	json_t		*a;
	size_t		 i;
	char		 err[256] = "", what[512] = "";
	const char	*how = "ICMP";
	int		 ok;

	if (json_array_size(p->addrs) == 0) {
		p->result = json_pack("{s:b, s:s}", "ok", 1, "detail",
		    "no address known: not verified");
		return;
	}
	json_array_foreach(p->addrs, i, a) {
		const char *ip = json_string_value(a);

		how = np_probe_how(p, ip);
		for (;;) {
			ok = np_probe_once(p, how, ip, err, sizeof(err)) == 0;
			if (ok && p->probe_port)
				ok = probe_tcp(ip, (uint16_t)p->probe_port, 500,
				    err, sizeof(err)) == 0;
			if (ok || mono_ns() - p->t0_ns > limit)
				break;
			usleep(50000);
		}
		if (!ok) {
			snprintf(what, sizeof(what), "%s did not answer at %s "
			    "(%s%s) from %s within %llu ms: %s", p->name, ip,
			    how, p->probe_port ? " and TCP" : "", p->site,
			    (unsigned long long)(limit / 1000000), err);
			p->result = json_pack("{s:b, s:s, s:s}", "ok", 0,
			    "detail", what, "probe", how);
			return;
		}
	}
	p->result = json_pack("{s:b, s:I, s:s, s:s}", "ok", 1, "ms",
	    (json_int_t)((mono_ns() - p->t0_ns) / 1000000), "detail", "",
	    "probe", how);
}
