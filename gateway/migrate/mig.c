/*
 * mig.c - the migration kind: its ops for the job framework (records,
 * recovery, cancel, bandwidth, free), and its registration with the layers
 * below: the kind, the "migrate" command, the job-* peer messages, the
 * "job" channel kind, the peer observer and the lifecycle events that tell
 * a destination its guest switched over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

/* The kind's fields of a record, as they were before kinds existed. */
static void
mig_save(const struct job *j, json_t *o)
{
	const struct mig	*m = MIG(j);

	json_object_set(o, "volumes", m->volumes);
	json_object_set_new(o, "options", json_pack("{s:b, s:b, s:b, s:b, "
	    "s:i, s:i, s:I}", "dry_run", m->o.dry_run, "offline", m->o.offline,
	    "postcopy", m->o.postcopy, "keep_source", m->o.keep_source,
	    "parallel", m->o.parallel, "max_downtime_ms",
	    (int)m->o.max_downtime_ms, "bandwidth", (json_int_t)m->o.bandwidth));
	json_object_set_new(o, "switched", json_boolean(m->switched));
	/* a replicated move at the source: a restart restores the guest
	 * from its state unless its restore at the peer was asked for */
	if (j->role == JOB_SOURCE && m->o.replicated)
		json_object_set_new(o, "replicated", json_pack("{s:b, s:b, "
		    "s:b, s:s}", "paused", m->s.paused, "saved", m->s.saved,
		    "finish_sent", m->s.finish_sent, "state_file",
		    m->s.state_file));
	if (m->g.addrs != NULL)
		json_object_set(o, "addresses", m->g.addrs);
	if (m->g.dhcp != NULL)
		json_object_set(o, "dhcp", m->g.dhcp);
	if (m->reach != NULL)
		json_object_set(o, "reach", m->reach);
	if (m->s.has_final)
		json_object_set_new(o, "result", json_pack("{s:I, s:I, s:I, "
		    "s:I}", "downtime_ms", (json_int_t)m->s.final.downtime_ms,
		    "memory_bytes", (json_int_t)m->s.final.mem_processed,
		    "disk_bytes", (json_int_t)m->s.final.disk_processed,
		    "elapsed_ms", (json_int_t)m->s.final.time_elapsed_ms));
}

static int
mig_load(struct job *j, json_t *o)
{
	struct mig	*m = MIG(j);
	json_t		*opt = json_object_get(o, "options"), *rep;
	const char	*sf;

	m->o.offline = json_is_true(json_object_get(opt, "offline"));
	m->o.dry_run = json_is_true(json_object_get(opt, "dry_run"));
	m->switched = json_is_true(json_object_get(o, "switched"));
	if ((rep = json_object_get(o, "replicated")) != NULL &&
	    (sf = json_string_value(json_object_get(rep, "state_file"))) !=
	    NULL && strlen(sf) < sizeof(m->s.state_file)) {
		m->o.replicated = 1;
		m->s.paused = json_is_true(json_object_get(rep, "paused"));
		m->s.saved = json_is_true(json_object_get(rep, "saved"));
		m->s.finish_sent = json_is_true(json_object_get(rep,
		    "finish_sent"));
		snprintf(m->s.state_file, sizeof(m->s.state_file), "%s", sf);
	}
	if (json_is_array(json_object_get(o, "addresses")))
		m->g.addrs = json_incref(json_object_get(o, "addresses"));
	if (json_is_array(json_object_get(o, "dhcp")))
		m->g.dhcp = json_incref(json_object_get(o, "dhcp"));
	if (json_is_array(json_object_get(o, "volumes"))) {
		json_decref(m->volumes);
		m->volumes = json_incref(json_object_get(o, "volumes"));
	}
	return 0;
}

static void
mig_recover(struct job *j)
{
	if (j->role == JOB_SOURCE)
		mig_src_recover(j);
	else
		mig_dst_recover(j);
}

static void
mig_free(struct job *j)
{
	struct mig	*m = MIG(j);
	size_t		 i;

	if (m == NULL)
		return;
	if (m->s.tick != NULL)
		event_free(m->s.tick);
	if (m->s.pc_timer != NULL)
		event_free(m->s.pc_timer);
	for (i = 0; i < MIG_SOCKS; i++)
		if (m->s.lis[i] != NULL)
			evconnlistener_free(m->s.lis[i]);
	kvm_domain_info_free(m->s.info);
	kvm_close(m->s.kstats);
	free(m->s.dest_xml);
	mig_dst_free(j);
	np_guest_clear(&m->g);
	json_decref(m->plan);
	json_decref(m->volumes);
	json_decref(m->reach);
	free(m);
	j->priv = NULL;
}

static int
mig_init(struct job *j)
{
	struct mig	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->volumes = json_array()) == NULL) {
		free(m);
		return -1;
	}
	j->priv = m;
	m->job = j;
	mig_net_init(j);
	return 0;
}

const struct job_kind mig_kind = {
	.name = "migration",
	.init = mig_init,
	.save = mig_save,
	.load = mig_load,
	.recover = mig_recover,
	.cancel = mig_src_cancel,
	.set_bandwidth = mig_src_set_bandwidth,
	.free = mig_free,
	.reports_downtime = 1,
};

int
migrate_init(struct gw *gw)
{
	if (job_kind_register(&mig_kind) == -1 ||
	    ctl_register(CTL_MIGRATE, ctl_migrate) == -1 ||
	    pmsg_register(PM_JOB_PREPARE, mig_pm_prepare) == -1 ||
	    pmsg_register(PM_JOB_FINISH, mig_pm_finish) == -1 ||
	    pmsg_register(PM_JOB_ABORT, mig_pm_abort) == -1 ||
	    pmsg_register(PM_JOB_BANDWIDTH, mig_pm_bandwidth) == -1 ||
	    pmsg_register(PM_JOB_SWITCHED, mig_pm_switched) == -1 ||
	    accept_register(CHAN_KIND_JOB, mig_dst_accept, 1) == -1 ||
	    peer_observe(NULL, mig_dst_tunnel_down) == -1 ||
	    netplan_events_subscribe(mig_dst_event, NULL) == -1)
		return -1;
	return 0;
}
