/*
 * mig_net.c - the guest's network plan during a move (netplan/guest.h
 * does the work; this file says when, and what the job records of it).
 *
 *  source, at the checks  the guest's addresses and DHCP reservations, the
 *                         plan's steps for --dry-run, all in the job-prepare
 *  destination, at the    the source's plan must be ours; the bridge exists;
 *  prepare                the reservations are added here
 *  destination, at the    libvirt's "resumed" event: routes installed,
 *  switchover             announcements, probes start ("reachable after N
 *                         ms" counts from here), job-switched to the source
 *  source, at once        its routes withdrawn (and on a failure with the
 *                         guest still here: routed here, as before)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

void
mig_net_init(struct job *j)
{
	struct mig	*m = MIG(j);
	char		 tag[48];

	snprintf(tag, sizeof(tag), "job %s", j->id);
	np_guest_init(&m->g, j->gw, j->domain, j->uuid, j->peer != NULL ?
	    j->peer->conf : NULL, tag);
}

static void	np_step(json_t *, const char *, const char *, ...)
		    LOG_FMT(3, 4);

static void
np_step(json_t *plan, const char *site, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;
	json_t	*steps = json_object_get(plan, "steps");

	if (steps == NULL) {
		steps = json_array();
		json_object_set_new(plan, "steps", steps);
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(steps, json_pack("{s:s, s:s}", "site", site,
	    "step", buf));
}

/*
 * (worker, at the checks) the guest's addresses and reservations into g,
 * the plan's steps into plan: both the check call's own.
 */
int
mig_net_source_check(struct job *j, struct np_guest *g,
    const struct kvm_domain_info *info, json_t *plan, struct kvm *k,
    char *err, size_t errlen)
{
	const char	*me = j->gw->conf->site, *peer = j->peer_name, *from;
	const struct vmgw_plan *np = &g->plan;
	char		 addrs[512], hooks[512];
	json_t		*d;
	size_t		 i;

	from = np_guest_discover(g, k, info, j->peer->conf);
	json_object_set_new(plan, "addresses_from", json_string(from));
	np_join(g->addrs, addrs, sizeof(addrs));
	json_object_set_new(plan, "plan_mode",
	    json_string(np_mode_name(np->mode)));
	json_object_set(plan, "addresses", g->addrs);
	if (np_guest_check(g, err, errlen) == -1)
		return -1;
	if (np->hooks != NULL && hooks_list(np->hooks, hooks,
	    sizeof(hooks)) > 0)
		np_step(plan, me, "hooks in %s: pre-move before anything moves, "
		    "post-move after, rollback on failure: %s", np->hooks,
		    hooks);
	json_array_foreach(g->dhcp, i, d)
		np_step(plan, me, "DHCP reservation %s -> %s moves from network "
		    "%s here to %s at %s", json_string_value(json_object_get(d,
		    "mac")), json_string_value(json_object_get(d, "ip")),
		    json_string_value(json_object_get(d, "from")),
		    json_string_value(json_object_get(d, "to")), peer);
	if (np->mode != PLAN_NONE)
		np_step(plan, me, "after the switchover: withdraw %s from table "
		    "%u, flush neighbour entries on %s%s", addrs, np->table,
		    np->bridge, np->proxy_arp ? ", answer ARP for it "
		    "(proxy)" : "");
	if (json_array_size(g->addrs) > 0)
		np_step(plan, peer, "verify: %s answers (ICMP%s%s) from %s",
		    addrs, np->mode != PLAN_NONE ? ", or ARP / neighbour "
		    "solicitation where its bridge has no address" : "",
		    np->probe_port ? "; and TCP" : "", peer);
	else
		np_step(plan, peer, "verify: no address known, reachability not "
		    "checked");
	return 0;
}

json_t *
mig_net_request(const struct job *j)
{
	const struct mig	*m = MIG(j);

	return json_pack("{s:s, s:O, s:O, s:O}", "mode",
	    np_mode_name(m->g.plan.mode), "addresses", m->g.addrs, "macs",
	    m->g.macs, "dhcp", m->g.dhcp);
}

/* job-prepare at the destination: the source's plan against ours. */
int
mig_net_dest_prepare(struct job *j, json_t *req, char *err, size_t errlen)
{
	struct mig	*m = MIG(j);
	json_t		*p = json_object_get(req, "plan");
	int		 mode = np_mode_from(json_string_value(
			    json_object_get(p, "mode")));

	snprintf(m->g.uuid, sizeof(m->g.uuid), "%s", j->uuid);
	m->g.addrs = json_incref(json_object_get(p, "addresses"));
	m->g.macs = json_incref(json_object_get(p, "macs"));
	m->g.dhcp = json_incref(json_object_get(p, "dhcp"));
	if (m->g.addrs == NULL)
		m->g.addrs = json_array();
	if (m->g.macs == NULL)
		m->g.macs = json_array();
	if (m->g.dhcp == NULL)
		m->g.dhcp = json_array();
	if (p != NULL && mode != (int)m->g.plan.mode) {
		snprintf(err, errlen, "plan mismatch: %s uses %s, this site's "
		    "peers.%s.plan is %s", j->peer_name,
		    json_string_value(json_object_get(p, "mode")), j->peer_name,
		    np_mode_name(m->g.plan.mode));
		return -1;
	}
	return 0;
}

/* (worker, in the prepare) the plan can run here: a check for the summary. */
int
mig_net_dest_check(struct job *j, json_t *checks, char *err, size_t errlen)
{
	const struct np_guest	*g = &MIG(j)->g;
	char			 addrs[512], det[768];

	if (g->plan.mode == PLAN_NONE)
		return 0;
	if (np_bridge_check(g, err, errlen) == -1)
		return -1;
	np_join(g->addrs, addrs, sizeof(addrs));
	snprintf(det, sizeof(det), "%s: at the switchover %s via %s in table "
	    "%u, announced (%d rounds)%s", np_mode_name(g->plan.mode), addrs,
	    g->plan.bridge, g->plan.table, ANNOUNCE_ROUNDS,
	    g->plan.mode == PLAN_L2 ? "; segment stretched through the tunnel" :
	    "");
	json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "check",
	    "plan", "ok", 1, "detail", det));
	return 0;
}

/* (worker) the hooks of phase, for this job. */
int
mig_net_hooks(struct job *j, const char *phase, char *err, size_t errlen)
{
	const char	*from, *to;

	from = j->role == JOB_SOURCE ? j->gw->conf->site : j->peer_name;
	to = j->role == JOB_SOURCE ? j->peer_name : j->gw->conf->site;
	return np_hooks_run(&MIG(j)->g, phase, j->id, from, to, j->error,
	    err, errlen);
}

/* The guest now runs at the peer: this site lets go of it (idempotent). */
void
mig_net_source_switched(struct job *j)
{
	struct mig	*m = MIG(j);

	if (m->g.plan.mode == PLAN_NONE || m->switched)
		return;
	m->switched = 1;
	np_guest_release(&m->g);
}

/* The move failed and the guest runs here: make sure it is routed here. */
void
mig_net_source_restore(struct job *j)
{
	struct mig	*m = MIG(j);

	np_guest_hold(&m->g);
	m->switched = 0;
}

static void
mig_net_probe_done(void *arg)
{
	struct job	*j = arg;
	struct mig	*m = MIG(j);
	json_t		*r = m->d.probe->result;

	m->d.probing = 0;
	if (r != NULL)
		log_info("job %s: %s", j->id, json_is_true(json_object_get(r,
		    "ok")) ? "the guest answers here" : json_string_value(
		    json_object_get(r, "detail")));
	mig_dst_probed(j);
}

static void
mig_net_probe_work(void *arg)
{
	np_probe_run(MIG((struct job *)arg)->d.probe);
}

/* Probe the guest from here, from the switchover on (or from now). */
void
mig_net_probe_start(struct job *j)
{
	struct mig	*m = MIG(j);

	if (m->d.probe != NULL)
		return;
	/* after a post-copy pause, a new window from now (t0 0) */
	if ((m->d.probe = np_probe_new(&m->g, m->d.pc_interrupted ? 0 :
	    m->switch_ns)) == NULL)
		return;
	if (job_work(j, mig_net_probe_work, mig_net_probe_done, j) == -1) {
		np_probe_free(m->d.probe);
		m->d.probe = NULL;
		return;
	}
	m->d.probing = 1;
}

/* libvirt says the guest resumed here after its migration. */
void
mig_net_dest_switched(struct job *j)
{
	struct mig	*m = MIG(j);
	json_t		*msg;

	if (m->switched)
		return;
	m->switched = 1;
	m->switch_ns = mono_ns();
	job_save(j);
	np_guest_hold(&m->g);
	np_guest_announce(&m->g);
	log_info("job %s: %s resumed here: switchover%s", j->id, j->domain,
	    m->g.plan.mode != PLAN_NONE ? ", routes installed" : "");
	/* probe from now on: "reachable after N ms" counts from here */
	mig_net_probe_start(j);
	msg = json_pack("{s:s, s:s}", "op", PM_JOB_SWITCHED, "job", j->id);
	if (j->peer != NULL && j->peer->tunnel != NULL)
		pmsg_request(j->peer, msg, 5, NULL, NULL);
	json_decref(msg);
}
