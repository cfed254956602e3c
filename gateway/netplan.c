/*
 * netplan.c - a job's network plan: the guest keeps its address and stays
 * reachable after a move.
 *
 *  source, at the checks  the guest's addresses (config, then the
 *                         network's DHCP leases, the guest agent, ARP), its
 *                         DHCP reservations, the plan's steps for --dry-run
 *  destination, at the    libvirt's "resumed" lifecycle event for the
 *  switchover             guest (migrated or post-copy): /32 (/128) host
 *                         routes in the plan's table on the bridge, stale
 *                         neighbour entries flushed, the addresses announced
 *                         (ANNOUNCE_ROUNDS), then "job-switched" to the source
 *  source, right after    its host routes withdrawn, its neighbour entries
 *                         for the guest flushed, proxy entries if proxy_arp
 *  destination, at the    each address probed (ICMP, and TCP probe_port)
 *  finish                 until it answers or probe_timeout passes:
 *                         "reachable from site-b after N ms", or a loud
 *                         failure and the rollback hooks
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include <libvirt/libvirt.h>

#include "job.h"
#include "netplan.h"

static const char *const plan_modes[] = { "none", "route", "l2" };

const char *
netplan_mode_name(enum plan_mode m)
{
	return (unsigned)m < 3 ? plan_modes[m] : "?";
}

static int
netplan_mode_from(const char *s)
{
	int	 i;

	for (i = 0; i < 3; i++)
		if (s != NULL && strcmp(s, plan_modes[i]) == 0)
			return i;
	return -1;
}

/* The plan this site applies for job j (its peer's, with the guest's overrides). */
void
netplan_job_plan(struct job *j)
{
	const struct vmgw_peer	*pc;

	memset(&j->np, 0, sizeof(j->np));
	if (j->peer == NULL)
		return;
	pc = j->peer->conf;
	config_effective_plan(&j->np, pc, config_guest(j->gw->conf,
	    j->domain));
}

static void
np_step(struct job *j, const char *site, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;
	json_t	*steps = json_object_get(j->plan, "steps");

	if (steps == NULL) {
		steps = json_array();
		json_object_set_new(j->plan, "steps", steps);
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(steps, json_pack("{s:s, s:s}", "site", site,
	    "step", buf));
}

static void
np_join(json_t *a, char *out, size_t outlen)
{
	json_t	*v;
	size_t	 i, o = 0;

	out[0] = '\0';
	json_array_foreach(a, i, v)
		o += (size_t)snprintf(out + o, o < outlen ? outlen - o : 0,
		    "%s%s", i ? " " : "", json_string_value(v));
}

/* ------------------------------------------------------------ source */

static void
np_find_addresses(struct job *j, struct kvm *k)
{
	const struct vmgw_guest	*g = config_guest(j->gw->conf, j->domain);
	char			*found[16], err[256];
	size_t			 i;
	int			 n, m;

	if (g != NULL && g->n_addresses > 0) {
		for (i = 0; i < g->n_addresses; i++)
			json_array_append_new(j->addrs,
			    json_string(g->addresses[i]));
		json_object_set_new(j->plan, "addresses_from",
		    json_string("config"));
		return;
	}
	for (i = 0; i < j->info->n_nics; i++) {
		if (j->info->nics[i].mac == NULL)
			continue;
		if ((n = kvm_guest_addresses(k, j->domain, j->info->nics[i].mac,
		    found, 16, err, sizeof(err))) <= 0)
			continue;
		for (m = 0; m < n; m++) {
			json_array_append_new(j->addrs, json_string(found[m]));
			free(found[m]);
		}
	}
	json_object_set_new(j->plan, "addresses_from",
	    json_string("libvirt (DHCP leases, guest agent, ARP)"));
}

static void
np_find_dhcp(struct job *j, struct kvm *k)
{
	const struct vmgw_peer	*pc = j->peer->conf;
	struct kvm_dhcp_host	 h;
	const char		*to;
	char			 err[256];
	size_t			 i;

	for (i = 0; i < j->info->n_nics; i++) {
		const struct kvm_nic *n = &j->info->nics[i];

		if (n->type == NULL || strcmp(n->type, "network") != 0 ||
		    n->mac == NULL)
			continue;
		if (kvm_dhcp_host_get(k, n->source, n->mac, &h, err,
		    sizeof(err)) != 1)
			continue;
		to = config_map_lookup(pc->networks, pc->n_networks,
		    n->source);
		json_array_append_new(j->dhcp, json_pack("{s:s, s:s, s:s, "
		    "s:s, s:s}", "mac", h.mac, "ip", h.ip, "name", h.name,
		    "from", n->source, "to", to ? to : n->source));
	}
}

/* At the checks (worker): addresses, reservations, the plan's steps. */
int
netplan_source_check(struct job *j, struct kvm *k, char *err, size_t errlen)
{
	const char	*me = j->gw->conf->site, *peer = j->peer_name;
	char		 addrs[512], hooks[512];
	json_t		*d;
	size_t		 i;

	netplan_job_plan(j);
	j->addrs = json_array();
	j->macs = json_array();
	j->dhcp = json_array();
	for (i = 0; i < j->info->n_nics; i++)
		if (j->info->nics[i].mac != NULL)
			json_array_append_new(j->macs,
			    json_string(j->info->nics[i].mac));
	np_find_addresses(j, k);
	np_find_dhcp(j, k);
	np_join(j->addrs, addrs, sizeof(addrs));
	json_object_set_new(j->plan, "plan_mode",
	    json_string(netplan_mode_name(j->np.mode)));
	json_object_set(j->plan, "addresses", j->addrs);
	if (j->np.mode != PLAN_NONE && json_array_size(j->addrs) == 0) {
		snprintf(err, errlen, "%s: no IP address known, and plan %s "
		    "needs one (set guests.%s.addresses, or use a network with "
		    "DHCP or a guest agent)", j->domain,
		    netplan_mode_name(j->np.mode), j->domain);
		return -1;
	}
	if (j->np.mode != PLAN_NONE && (j->np.bridge == NULL ||
	    if_nametoindex(j->np.bridge) == 0)) {
		snprintf(err, errlen, "plan %s: bridge %s does not exist here",
		    netplan_mode_name(j->np.mode), j->np.bridge ?
		    j->np.bridge : "(none)");
		return -1;
	}
	if (j->np.hooks != NULL && hooks_list(j->np.hooks, hooks,
	    sizeof(hooks)) > 0)
		np_step(j, me, "hooks in %s: pre-move before anything moves, "
		    "post-move after, rollback on failure: %s", j->np.hooks,
		    hooks);
	json_array_foreach(j->dhcp, i, d)
		np_step(j, me, "DHCP reservation %s -> %s moves from network "
		    "%s here to %s at %s", json_string_value(json_object_get(d,
		    "mac")), json_string_value(json_object_get(d, "ip")),
		    json_string_value(json_object_get(d, "from")),
		    json_string_value(json_object_get(d, "to")), peer);
	if (j->np.mode != PLAN_NONE)
		np_step(j, me, "after the switchover: withdraw %s from table "
		    "%u, flush neighbour entries on %s%s", addrs, j->np.table,
		    j->np.bridge, j->np.proxy_arp ? ", answer ARP for it "
		    "(proxy)" : "");
	if (json_array_size(j->addrs) > 0)
		np_step(j, peer, "verify: %s answers (ICMP%s) from %s",
		    addrs, j->np.probe_port ? " and TCP" : "", peer);
	else
		np_step(j, peer, "verify: no address known, reachability not "
		    "checked");
	return 0;
}

json_t *
netplan_request(const struct job *j)
{
	return json_pack("{s:s, s:O, s:O, s:O}", "mode",
	    netplan_mode_name(j->np.mode), "addresses", j->addrs, "macs",
	    j->macs, "dhcp", j->dhcp);
}

/* Hook environment: the guest, both sites, this job. */
char **
netplan_hook_env(const struct job *j, const char *phase)
{
	char		**env = calloc(16, sizeof(char *));
	char		 addrs[512], macs[512];
	const char	*from, *to;
	int		 n = 0;

	if (env == NULL)
		return NULL;
	np_join(j->addrs, addrs, sizeof(addrs));
	np_join(j->macs, macs, sizeof(macs));
	from = j->role == JOB_SOURCE ? j->gw->conf->site : j->peer_name;
	to = j->role == JOB_SOURCE ? j->peer_name : j->gw->conf->site;
#define ENV(...) do { if (asprintf(&env[n], __VA_ARGS__) != -1) n++; } while (0)
	ENV("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	ENV("VMGW_HOOK=%s", phase);
	ENV("VMGW_JOB=%s", j->id);
	ENV("VMGW_GUEST=%s", j->domain);
	ENV("VMGW_UUID=%s", j->uuid);
	ENV("VMGW_MACS=%s", macs);
	ENV("VMGW_ADDRESSES=%s", addrs);
	ENV("VMGW_FROM=%s", from);
	ENV("VMGW_TO=%s", to);
	ENV("VMGW_SITE=%s", j->gw->conf->site);
	ENV("VMGW_PLAN=%s", netplan_mode_name(j->np.mode));
	ENV("VMGW_RESULT=%s", j->error[0] ? j->error : "ok");
#undef ENV
	env[n] = NULL;
	return env;
}

void
netplan_env_free(char **env)
{
	size_t	 i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

int
netplan_run_hooks(struct job *j, const char *phase, char *err, size_t errlen)
{
	char	**env, tag[64];
	int	 r;

	if (j->np.hooks == NULL)
		return 0;
	if ((env = netplan_hook_env(j, phase)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(tag, sizeof(tag), "job %s", j->id);
	r = hooks_run(j->np.hooks, phase, env, tag, err, errlen);
	netplan_env_free(env);
	return r;
}

/* The guest now runs at the peer: this site lets go of it (idempotent). */
void
netplan_source_switched(struct job *j)
{
	json_t	*a;
	size_t	 i;
	char	 err[256];

	if (j->np.mode == PLAN_NONE || j->switched)
		return;
	j->switched = 1;
	json_array_foreach(j->addrs, i, a) {
		const char *ip = json_string_value(a);

		if (nl_host_route(0, ip, j->np.bridge, j->np.table, err,
		    sizeof(err)) == -1)
			log_warnx("job %s: %s", j->id, err);
		if (nl_neigh_flush(ip, j->np.bridge, err, sizeof(err)) == -1)
			log_warnx("job %s: %s", j->id, err);
		if (j->np.proxy_arp && nl_neigh_proxy(1, ip, j->np.bridge, err,
		    sizeof(err)) == -1)
			log_warnx("job %s: %s", j->id, err);
	}
	log_info("job %s: %s withdrawn from %s here (table %u)", j->id,
	    j->domain, j->np.bridge, j->np.table);
}

/*
 * This site holds the guest now: its host routes here, no proxy entries
 * for it, no stale neighbour entries.  (Idempotent.)
 */
static void
np_hold(struct job *j)
{
	json_t	*a;
	size_t	 i;
	char	 err[256];

	if (j->np.mode == PLAN_NONE || j->addrs == NULL)
		return;
	json_array_foreach(j->addrs, i, a) {
		const char *ip = json_string_value(a);

		if (nl_host_route(1, ip, j->np.bridge, j->np.table, err,
		    sizeof(err)) == -1)
			log_warnx("job %s: %s", j->id, err);
		nl_neigh_proxy(0, ip, j->np.bridge, err, sizeof(err));
		nl_neigh_flush(ip, j->np.bridge, err, sizeof(err));
	}
}

/* The move failed and the guest runs here: make sure it is routed here. */
void
netplan_source_restore(struct job *j)
{
	np_hold(j);
	j->switched = 0;
}

/* ------------------------------------------------------------ destination */

/* A reservation as the job records it: { mac, ip, name, from, to }. */
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

/* job-prepare at the destination: the source's plan against ours. */
int
netplan_dest_prepare(struct job *j, json_t *req, char *err, size_t errlen)
{
	json_t		*p = json_object_get(req, "plan");
	int		 mode = netplan_mode_from(json_string_value(
			    json_object_get(p, "mode")));

	netplan_job_plan(j);
	j->addrs = json_incref(json_object_get(p, "addresses"));
	j->macs = json_incref(json_object_get(p, "macs"));
	j->dhcp = json_incref(json_object_get(p, "dhcp"));
	if (j->addrs == NULL)
		j->addrs = json_array();
	if (j->macs == NULL)
		j->macs = json_array();
	if (j->dhcp == NULL)
		j->dhcp = json_array();
	if (p != NULL && mode != (int)j->np.mode) {
		snprintf(err, errlen, "plan mismatch: %s uses %s, this site's "
		    "peers.%s.plan is %s", j->peer_name,
		    json_string_value(json_object_get(p, "mode")), j->peer_name,
		    netplan_mode_name(j->np.mode));
		return -1;
	}
	return 0;
}

/* (worker) the bridge exists; DHCP reservations added here. */
int
netplan_dest_check(struct job *j, struct kvm *k, json_t *checks, char *err,
    size_t errlen)
{
	struct kvm_dhcp_host	 h;
	char			 addrs[512], det[768];
	json_t			*d;
	size_t			 i;

	np_join(j->addrs, addrs, sizeof(addrs));
	if (j->np.mode != PLAN_NONE) {
		if (j->np.bridge == NULL || if_nametoindex(j->np.bridge) == 0) {
			snprintf(err, errlen, "plan %s: bridge %s does not "
			    "exist here", netplan_mode_name(j->np.mode),
			    j->np.bridge ? j->np.bridge : "(none)");
			return -1;
		}
		snprintf(det, sizeof(det), "%s: at the switchover %s via %s in "
		    "table %u, announced (%d rounds)%s",
		    netplan_mode_name(j->np.mode), addrs, j->np.bridge,
		    j->np.table, ANNOUNCE_ROUNDS, j->np.mode == PLAN_L2 ?
		    "; segment stretched through the tunnel" : "");
		json_array_append_new(checks, json_pack("{s:s, s:b, s:s}",
		    "check", "plan", "ok", 1, "detail", det));
	}
	if (j->dry_run)
		return 0;
	json_array_foreach(j->dhcp, i, d) {
		np_dhcp_host(&h, d);
		if (kvm_dhcp_host_add(k, json_string_value(json_object_get(d,
		    "to")), &h, err, errlen) == -1)
			return -1;
		json_object_set_new(d, "added", json_true());
		job_save(j);
	}
	return 0;
}

/* (worker) undo the reservations this job added here. */
void
netplan_dest_undo(struct job *j, struct kvm *k)
{
	struct kvm_dhcp_host	 h;
	char			 err[256];
	json_t			*d, *a;
	size_t			 i;

	json_array_foreach(j->dhcp, i, d) {
		if (!json_is_true(json_object_get(d, "added")))
			continue;
		np_dhcp_host(&h, d);
		if (kvm_dhcp_host_del(k, json_string_value(json_object_get(d,
		    "to")), &h, err, sizeof(err)) == -1)
			log_warnx("job %s: %s", j->id, err);
	}
	if (j->switched && j->np.mode != PLAN_NONE)
		json_array_foreach(j->addrs, i, a)
			nl_host_route(0, json_string_value(a), j->np.bridge,
			    j->np.table, err, sizeof(err));
}

/* (worker, at the source after a confirmed move) our reservations go. */
void
netplan_source_done(struct job *j, struct kvm *k)
{
	struct kvm_dhcp_host	 h;
	char			 err[256];
	json_t			*d;
	size_t			 i;

	json_array_foreach(j->dhcp, i, d) {
		np_dhcp_host(&h, d);
		if (kvm_dhcp_host_del(k, json_string_value(json_object_get(d,
		    "from")), &h, err, sizeof(err)) == -1)
			log_warnx("job %s: %s", j->id, err);
	}
}

static void
np_announce_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct job	*j = arg;
	struct timeval	 tv = { 0, 100000 << j->announced };
	json_t		*a;
	size_t		 i;
	char		 err[256];

	json_array_foreach(j->addrs, i, a) {
		/* the guest's first MAC answers for its addresses */
		if (announce_address(j->np.bridge, json_string_value(a),
		    json_string_value(json_array_get(j->macs, 0)), err,
		    sizeof(err)) == -1 && j->announced == 0)
			log_warnx("job %s: %s", j->id, err);
	}
	if (++j->announced < ANNOUNCE_ROUNDS)
		evtimer_add(j->announce, &tv);
}

static void
np_verify_work(void *arg)
{
	struct job	*j = arg;

	netplan_dest_verify(j);
	__atomic_store_n(&j->verify_state, 2, __ATOMIC_RELEASE);
}

static void
np_verify_done(void *arg)
{
	struct job	*j = arg;

	if (j->reach != NULL)
		log_info("job %s: %s", j->id, json_is_true(json_object_get(
		    j->reach, "ok")) ? "the guest answers here" :
		    json_string_value(json_object_get(j->reach, "detail")));
}

/*
 * Wait for the probes started at the switchover (from a worker: job-finish),
 * or probe now if none were started.
 */
void
netplan_dest_verified(struct job *j)
{
	if (__atomic_load_n(&j->verify_state, __ATOMIC_ACQUIRE) == 0) {
		netplan_dest_verify(j);
		return;
	}
	while (__atomic_load_n(&j->verify_state, __ATOMIC_ACQUIRE) != 2)
		usleep(20000);
}

/* libvirt says the guest resumed here after its migration. */
void
netplan_dest_switched(struct job *j)
{
	json_t		*m;
	struct timeval	 now = { 0, 0 };

	if (j->switched)
		return;
	j->switched = 1;
	j->switch_ns = mono_ns();
	job_save(j);
	np_hold(j);
	if (j->np.mode != PLAN_NONE) {
		if (json_array_size(j->macs) > 0 && (j->announce = evtimer_new(
		    j->gw->base, np_announce_tick, j)) != NULL)
			evtimer_add(j->announce, &now);
	}
	log_info("job %s: %s resumed here: switchover%s", j->id, j->domain,
	    j->np.mode != PLAN_NONE ? ", routes installed" : "");
	/* probe from now on: "reachable after N ms" counts from here (the
	 * state is set first: the worker may end before worker_run returns) */
	__atomic_store_n(&j->verify_state, 1, __ATOMIC_RELEASE);
	if (worker_run(j->gw, np_verify_work, np_verify_done, j) == -1)
		__atomic_store_n(&j->verify_state, 0, __ATOMIC_RELEASE);
	m = json_pack("{s:s, s:s}", "op", "job-switched", "job", j->id);
	if (j->peer != NULL && j->peer->tunnel != NULL)
		pmsg_request(j->peer, m, 5, NULL, NULL);
	json_decref(m);
}

/*
 * (worker) probe every address from here until it answers or the plan's
 * probe_timeout has passed since the switchover.  Fills j->reach.
 */
void
netplan_dest_verify(struct job *j)
{
	uint64_t	 t0 = j->switch_ns ? j->switch_ns : mono_ns();
	uint64_t	 limit = (uint64_t)(j->np.probe_timeout_ms ?
			    j->np.probe_timeout_ms : 10000) * 1000000ull;
	json_t		*a;
	size_t		 i;
	char		 err[256] = "", what[512] = "";
	int		 ok;

	if (json_array_size(j->addrs) == 0) {
		j->reach = json_pack("{s:b, s:s}", "ok", 1, "detail",
		    "no address known: not verified");
		return;
	}
	json_array_foreach(j->addrs, i, a) {
		const char *ip = json_string_value(a);

		for (;;) {
			ok = probe_icmp(ip, 200, err, sizeof(err)) == 0;
			if (ok && j->np.probe_port)
				ok = probe_tcp(ip, j->np.probe_port, 500, err,
				    sizeof(err)) == 0;
			if (ok || mono_ns() - t0 > limit)
				break;
			usleep(50000);
		}
		if (!ok) {
			snprintf(what, sizeof(what), "%s did not answer at %s "
			    "(%s%s) from %s within %llu ms: %s", j->domain, ip,
			    "ICMP", j->np.probe_port ? " and TCP" : "",
			    j->gw->conf->site, (unsigned long long)
			    (limit / 1000000), err);
			j->reach = json_pack("{s:b, s:s}", "ok", 0, "detail",
			    what);
			return;
		}
	}
	j->reach = json_pack("{s:b, s:I, s:s}", "ok", 1, "ms", (json_int_t)
	    ((mono_ns() - t0) / 1000000), "detail", "");
}

/* ------------------------------------------------------------ events */

struct np_event {
	char	 domain[128];
	char	 uuid[KVM_UUID_LEN + 1];
	int	 event, detail;
};

struct netplan_events {
	struct gw		*gw;
	struct kvm_events	*ev;
	pthread_mutex_t		 lock;
	struct np_event		 q[64];
	size_t			 nq;
	struct event		*wake;
	int			 starting;
};

/* libvirt's event thread: queue, wake the loop. */
static void
np_event_cb(void *arg, const char *domain, const char *uuid, int event,
    int detail)
{
	struct netplan_events	*ne = arg;

	if (domain == NULL)
		return;		/* the connection closed: restarted on demand */
	pthread_mutex_lock(&ne->lock);
	if (ne->nq < sizeof(ne->q) / sizeof(ne->q[0])) {
		snprintf(ne->q[ne->nq].domain, sizeof(ne->q[0].domain), "%s",
		    domain);
		snprintf(ne->q[ne->nq].uuid, sizeof(ne->q[0].uuid), "%s",
		    uuid ? uuid : "");
		ne->q[ne->nq].event = event;
		ne->q[ne->nq].detail = detail;
		ne->nq++;
	}
	pthread_mutex_unlock(&ne->lock);
	event_active(ne->wake, EV_TIMEOUT, 0);
}

static void
np_event_wake(evutil_socket_t fd, short ev, void *arg)
{
	struct netplan_events	*ne = arg;
	struct np_event		 q[64];
	struct job		*j;
	size_t			 n, i;

	pthread_mutex_lock(&ne->lock);
	n = ne->nq;
	memcpy(q, ne->q, n * sizeof(q[0]));
	ne->nq = 0;
	pthread_mutex_unlock(&ne->lock);
	for (i = 0; i < n; i++) {
		if (q[i].event != VIR_DOMAIN_EVENT_RESUMED ||
		    (q[i].detail != VIR_DOMAIN_EVENT_RESUMED_MIGRATED &&
		    q[i].detail != VIR_DOMAIN_EVENT_RESUMED_POSTCOPY))
			continue;
		TAILQ_FOREACH(j, ne->gw->jobs, entry)
			if (j->role == JOB_DEST && j->state == JOB_RUNNING &&
			    strcmp(j->domain, q[i].domain) == 0)
				netplan_dest_switched(j);
	}
}

static void
np_events_work(void *arg)
{
	struct netplan_events	*ne = arg;
	char			 err[256];

	if (kvm_events_start(&ne->ev, ne->gw->conf->libvirt, np_event_cb, ne,
	    err, sizeof(err)) == -1)
		log_warnx("libvirt events: %s (the switchover will be seen "
		    "when the migration returns)", err);
}

static void
np_events_done(void *arg)
{
	struct netplan_events	*ne = arg;

	ne->starting = 0;
	if (ne->ev != NULL)
		log_info("libvirt events: watching %s", ne->gw->conf->libvirt);
}

/* Watch libvirt's lifecycle events from now on (a destination job needs them). */
void
netplan_events_ensure(struct gw *gw)
{
	struct netplan_events	*ne = gw->npev;

	if (ne == NULL) {
		if ((ne = calloc(1, sizeof(*ne))) == NULL)
			return;
		ne->gw = gw;
		pthread_mutex_init(&ne->lock, NULL);
		if ((ne->wake = event_new(gw->base, -1, 0, np_event_wake,
		    ne)) == NULL) {
			free(ne);
			return;
		}
		gw->npev = ne;
	}
	if (ne->ev != NULL || ne->starting)
		return;
	if (worker_run(gw, np_events_work, np_events_done, ne) == 0)
		ne->starting = 1;
}

void
netplan_events_free(struct gw *gw)
{
	struct netplan_events	*ne = gw->npev;

	if (ne == NULL || ne->starting)
		return;	/* a worker still holds it: we exit anyway */
	kvm_events_stop(ne->ev);
	event_free(ne->wake);
	pthread_mutex_destroy(&ne->lock);
	free(ne);
	gw->npev = NULL;
}
