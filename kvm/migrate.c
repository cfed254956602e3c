/*
 * migrate.c - the source side of a live migration: start it
 * (virDomainMigrateToURI3, peer-to-peer, with typed parameters), and, from
 * other threads on other connections while it runs, read its statistics,
 * abort it, switch it to post-copy and change its maximum downtime.
 *
 * libvirt 9.0 has no typed migration parameter for the maximum downtime;
 * kvm_migrate sets it on the domain just before the job starts
 * (virDomainMigrateSetMaxDowntime sets QEMU's downtime-limit, which the
 * migration then uses), and kvm_set_max_downtime changes it while it runs.
 *
 * Offline moves do not come here: the gateway copies the volumes
 * (kvm_volume_download_fd / kvm_volume_upload_fd) and defines the domain at
 * the destination (kvm_domain_define).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_int.h"

static int
build_params(const struct kvm_migrate_opts *o, virTypedParameterPtr *params,
    int *n, int *max)
{
	size_t i;

	if (o->migrate_uri != NULL && virTypedParamsAddString(params, n, max,
	    VIR_MIGRATE_PARAM_URI, o->migrate_uri) < 0)
		return -1;
	if (o->dest_xml != NULL && virTypedParamsAddString(params, n, max,
	    VIR_MIGRATE_PARAM_DEST_XML, o->dest_xml) < 0)
		return -1;
	if (o->dest_persist_xml != NULL && virTypedParamsAddString(params, n,
	    max, VIR_MIGRATE_PARAM_PERSIST_XML, o->dest_persist_xml) < 0)
		return -1;
	if (o->copy_disks != NULL && o->copy_disks[0] != NULL) {
		if (o->disks_uri != NULL && virTypedParamsAddString(params, n,
		    max, VIR_MIGRATE_PARAM_DISKS_URI, o->disks_uri) < 0)
			return -1;
		/* one string parameter per disk, the same name repeated */
		for (i = 0; o->copy_disks[i] != NULL; i++)
			if (virTypedParamsAddString(params, n, max,
			    VIR_MIGRATE_PARAM_MIGRATE_DISKS,
			    o->copy_disks[i]) < 0)
				return -1;
	}
	if (o->parallel > 1 && virTypedParamsAddInt(params, n, max,
	    VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS, o->parallel) < 0)
		return -1;
	/* MiB/s, rounded up so that a small cap does not become "none" */
	if (o->bandwidth != 0 && virTypedParamsAddULLong(params, n, max,
	    VIR_MIGRATE_PARAM_BANDWIDTH,
	    (o->bandwidth + (1ULL << 20) - 1) >> 20) < 0)
		return -1;
	return 0;
}

unsigned int
kvm_migrate_flags(const struct kvm_migrate_opts *o)
{
	unsigned int flags = VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST |
	    VIR_MIGRATE_ABORT_ON_ERROR;

	if (o->live)
		flags |= VIR_MIGRATE_LIVE;
	if (o->copy_disks != NULL && o->copy_disks[0] != NULL)
		flags |= o->copy_top_only ? VIR_MIGRATE_NON_SHARED_INC :
		    VIR_MIGRATE_NON_SHARED_DISK;
	if (o->postcopy)
		flags |= VIR_MIGRATE_POSTCOPY;
	if (o->postcopy_resume)
		flags |= VIR_MIGRATE_POSTCOPY | VIR_MIGRATE_POSTCOPY_RESUME;
	if (o->parallel > 1)
		flags |= VIR_MIGRATE_PARALLEL;
	if (!o->keep_source)
		flags |= VIR_MIGRATE_UNDEFINE_SOURCE;
	return flags;
}

int
kvm_migrate(struct kvm *k, const char *name, const struct kvm_migrate_opts *o,
    char *err, size_t errlen)
{
	virDomainPtr dom;
	virTypedParameterPtr params = NULL;
	int n = 0, max = 0, ret = -1;

	if (o == NULL || o->dest_uri == NULL) {
		kvm_err(err, errlen, "%s: migrate: no destination URI",
		    name ? name : "domain");
		return -1;
	}
	if (!o->live) {
		kvm_err(err, errlen, "%s: migrate: an offline move copies the "
		    "volumes and defines the domain at the destination; it "
		    "does not use kvm_migrate", name ? name : "domain");
		return -1;
	}
	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	if (build_params(o, &params, &n, &max) < 0) {
		kvm_lverr(err, errlen, "%s: migrate: parameters", name);
		goto out;
	}
	if (o->max_downtime_ms != 0 && !o->postcopy_resume &&
	    virDomainMigrateSetMaxDowntime(dom, o->max_downtime_ms, 0) < 0) {
		kvm_lverr(err, errlen, "%s: migrate: max downtime %u ms", name,
		    o->max_downtime_ms);
		goto out;
	}
	if (virDomainMigrateToURI3(dom, o->dest_uri, params, (unsigned int)n,
	    kvm_migrate_flags(o)) < 0) {
		kvm_lverr(err, errlen, "%s: migrate", name);
		goto out;
	}
	ret = 0;
 out:
	virTypedParamsFree(params, n);
	virDomainFree(dom);
	return ret;
}

static uint64_t
ull(virTypedParameterPtr p, int n, const char *name, int *found)
{
	unsigned long long v = 0;
	int rc = virTypedParamsGetULLong(p, n, name, &v);

	if (found != NULL)
		*found = rc == 1;
	return rc == 1 ? v : 0;
}

int
kvm_job_stats(struct kvm *k, const char *name, int completed,
    struct kvm_job_stats *out, char *err, size_t errlen)
{
	virDomainPtr dom;
	virTypedParameterPtr p = NULL;
	const char *msg = NULL;
	int n = 0, type, v, found, state, reason, ret = -1;

	memset(out, 0, sizeof(*out));
	out->success = -1;
	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	/* KEEP_COMPLETED: `virsh domjobinfo --completed` still shows it */
	if (virDomainGetJobStats(dom, &type, &p, &n, completed ?
	    VIR_DOMAIN_JOB_STATS_COMPLETED |
	    VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED : 0) < 0) {
		kvm_lverr(err, errlen, "%s: job stats", name);
		goto out;
	}
	out->type = type;
	if (virTypedParamsGetInt(p, n, VIR_DOMAIN_JOB_OPERATION, &v) == 1)
		out->operation = v;
	out->time_elapsed_ms = ull(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED, NULL);
	out->time_remaining_ms = ull(p, n, VIR_DOMAIN_JOB_TIME_REMAINING,
	    NULL);
	out->data_total = ull(p, n, VIR_DOMAIN_JOB_DATA_TOTAL, NULL);
	out->data_processed = ull(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED, NULL);
	out->data_remaining = ull(p, n, VIR_DOMAIN_JOB_DATA_REMAINING, NULL);
	out->mem_total = ull(p, n, VIR_DOMAIN_JOB_MEMORY_TOTAL, NULL);
	out->mem_processed = ull(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED, NULL);
	out->mem_remaining = ull(p, n, VIR_DOMAIN_JOB_MEMORY_REMAINING, NULL);
	out->mem_bps = ull(p, n, VIR_DOMAIN_JOB_MEMORY_BPS, NULL);
	out->mem_dirty_rate = ull(p, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE,
	    NULL);
	out->mem_page_size = ull(p, n, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, NULL);
	out->mem_iteration = ull(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION, NULL);
	out->mem_postcopy_reqs = ull(p, n,
	    VIR_DOMAIN_JOB_MEMORY_POSTCOPY_REQS, NULL);
	out->disk_total = ull(p, n, VIR_DOMAIN_JOB_DISK_TOTAL, NULL);
	out->disk_processed = ull(p, n, VIR_DOMAIN_JOB_DISK_PROCESSED, NULL);
	out->disk_remaining = ull(p, n, VIR_DOMAIN_JOB_DISK_REMAINING, NULL);
	out->disk_bps = ull(p, n, VIR_DOMAIN_JOB_DISK_BPS, NULL);
	out->downtime_ms = ull(p, n, VIR_DOMAIN_JOB_DOWNTIME, &found);
	out->has_downtime = found;
	out->setup_time_ms = ull(p, n, VIR_DOMAIN_JOB_SETUP_TIME, NULL);
	/* libvirt 9 says "success" for backup jobs only; the type tells too */
	if (virTypedParamsGetBoolean(p, n, VIR_DOMAIN_JOB_SUCCESS, &v) == 1)
		out->success = v != 0;
	else if (completed && type == VIR_DOMAIN_JOB_COMPLETED)
		out->success = 1;
	else if (completed && (type == VIR_DOMAIN_JOB_FAILED ||
	    type == VIR_DOMAIN_JOB_CANCELLED))
		out->success = 0;
	if (virTypedParamsGetString(p, n, VIR_DOMAIN_JOB_ERRMSG, &msg) == 1 &&
	    msg != NULL)
		snprintf(out->errmsg, sizeof(out->errmsg), "%s", msg);
	/* post-copy shows in the source's state, not in the statistics */
	if (!completed && virDomainGetState(dom, &state, &reason, 0) == 0)
		out->postcopy = (state == VIR_DOMAIN_PAUSED &&
		    (reason == VIR_DOMAIN_PAUSED_POSTCOPY ||
		    reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED)) ||
		    (state == VIR_DOMAIN_RUNNING &&
		    reason == VIR_DOMAIN_RUNNING_POSTCOPY);
	ret = 0;
 out:
	virTypedParamsFree(p, n);
	virDomainFree(dom);
	return ret;
}

int
kvm_job_abort(struct kvm *k, const char *name, char *err, size_t errlen)
{
	virDomainPtr dom;
	int ret = 0;

	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	if (virDomainAbortJob(dom) < 0) {
		kvm_lverr(err, errlen, "%s: abort job", name);
		ret = -1;
	}
	virDomainFree(dom);
	return ret;
}

int
kvm_set_max_speed(struct kvm *k, const char *name, uint64_t bytes_per_s,
    char *err, size_t errlen)
{
	virDomainPtr dom;
	int ret = 0;

	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	/* MiB/s, rounded up; 0: none (libvirt's "unlimited" is its maximum) */
	if (virDomainMigrateSetMaxSpeed(dom, bytes_per_s == 0 ?
	    8796093022207UL : (bytes_per_s + (1ULL << 20) - 1) >> 20, 0) < 0) {
		kvm_lverr(err, errlen, "%s: migration bandwidth", name);
		ret = -1;
	}
	virDomainFree(dom);
	return ret;
}

int
kvm_postcopy_start(struct kvm *k, const char *name, char *err, size_t errlen)
{
	virDomainPtr dom;
	int ret = 0;

	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	if (virDomainMigrateStartPostCopy(dom, 0) < 0) {
		kvm_lverr(err, errlen, "%s: start post-copy", name);
		ret = -1;
	}
	virDomainFree(dom);
	return ret;
}

int
kvm_set_max_downtime(struct kvm *k, const char *name, unsigned ms, char *err,
    size_t errlen)
{
	virDomainPtr dom;
	int ret = 0;

	if (ms == 0) {
		kvm_err(err, errlen, "%s: max downtime: 0 ms", name);
		return -1;
	}
	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	if (virDomainMigrateSetMaxDowntime(dom, ms, 0) < 0) {
		kvm_lverr(err, errlen, "%s: max downtime %u ms", name, ms);
		ret = -1;
	}
	virDomainFree(dom);
	return ret;
}
