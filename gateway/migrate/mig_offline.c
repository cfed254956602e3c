/*
 * mig_offline.c - `vmgw migrate --offline` at the source: a shut-off
 * guest's volumes, each read from libvirt (kvm_volume_download_fd) into one
 * end of a socket pair on its worker, the other end relayed through a "job"
 * channel of its own to the destination, which writes it into the volume
 * it created.  When every copy has ended, job-finish has the destination
 * define the guest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "migrate.h"

struct mig_disk {			/* the copy of one volume: its call */
	struct job	*job;
	char		 target[32];
	char		 path[512];
	int		 fd;
	uint64_t	 bytes;
	int		 rc;
	char		 err[512];
};

static void
mig_download_work(void *arg)
{
	struct mig_disk	*md = arg;
	struct kvm	*k = NULL;

	md->rc = -1;
	if (kvm_open(&k, md->job->gw->conf->libvirt, md->err,
	    sizeof(md->err)) == 0)
		md->rc = kvm_volume_download_fd(k, md->path, md->fd, &md->bytes,
		    md->err, sizeof(md->err));
	shutdown(md->fd, SHUT_WR);	/* the relay sends the channel's EOF */
	close(md->fd);
	kvm_close(k);
}

static void
mig_offline_finish(struct job *j)
{
	struct mig	*m = MIG(j);

	if (m->s.mig_err[0] != '\0' || j->conn_err[0] != '\0' ||
	    m->s.cancel) {
		if (m->s.cancel)
			job_fail(j, JOB_CANCELLED, "cancelled during the disk "
			    "copy");
		else if (strncmp(j->conn_err, "reset by ", 9) == 0)
			/* the destination's reason (a full disk there), not
			 * what our read of the disk then met ("Broken pipe") */
			job_fail(j, JOB_FAILED, "%s", j->conn_err + 9);
		else
			job_fail(j, JOB_FAILED, "%s", m->s.mig_err[0] ?
			    m->s.mig_err : j->conn_err);
		mig_src_failed(j, m->s.cancel ? VMGW_EXIT_CANCELLED :
		    VMGW_EXIT_FAIL);
		return;
	}
	job_set_state(j, JOB_RUNNING, "defining");
	mig_src_finish(j);
}

static void
mig_disk_ended(struct job *j)
{
	struct mig	*m = MIG(j);

	if (--m->s.disks_left == 0) {
		j->busy = 0;
		mig_offline_finish(j);
	}
}

static void
mig_download_done(void *arg)
{
	struct mig_disk	*md = arg;
	struct job	*j = md->job;
	struct mig	*m = MIG(j);

	if (md->rc == -1 && m->s.mig_err[0] == '\0')
		snprintf(m->s.mig_err, sizeof(m->s.mig_err), "%s", md->err);
	m->s.stats.disk_processed += md->bytes;
	log_info("job %s: disk %s: %llu bytes read", j->id, md->target,
	    (unsigned long long)md->bytes);
	free(md);
	mig_disk_ended(j);
}

/* One volume: a socket pair, its relay and channel, its worker. */
static void
mig_copy_disk(struct job *j, json_t *d)
{
	struct mig	*m = MIG(j);
	struct tunnel	*t = j->peer->tunnel;
	struct mig_disk	*md;
	struct relay	*r;
	json_t		*req;
	int		 sv[2];

	md = calloc(1, sizeof(*md));
	if (md == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv) == -1) {
		free(md);
		snprintf(m->s.mig_err, sizeof(m->s.mig_err), "disk copy: %s",
		    strerror(errno));
		mig_disk_ended(j);
		return;
	}
	md->job = j;
	md->fd = sv[0];
	snprintf(md->target, sizeof(md->target), "%s",
	    json_string_value(json_object_get(d, "target")));
	snprintf(md->path, sizeof(md->path), "%s",
	    json_string_value(json_object_get(d, "source")));
	set_nonblock_cloexec(sv[1]);
	r = relay_new(j->gw, sv[1], NULL);
	if (r != NULL)
		job_conn_add(j, r, md->target);
	/* paced: on the tunnel, in the destination's rate group, so that
	 * --bandwidth and any later set-bandwidth hold it */
	req = json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}", "kind", CHAN_KIND_JOB,
	    "job", j->id, "sock", "disk", "disk", md->target, "seq",
	    (int)m->s.seq++, "paced", 1);
	if (r != NULL && (t == NULL || relay_open(r, j->peer, req,
	    md->target) == -1))
		relay_abort(r, "cannot open a channel");
	json_decref(req);
	if (job_work(j, mig_download_work, mig_download_done, md) == -1) {
		close(md->fd);
		free(md);
		mig_disk_ended(j);
	}
}

void
mig_src_start_offline(struct job *j)
{
	struct mig	*m = MIG(j);
	json_t		*disks = json_object_get(m->plan, "disks"), *d;
	size_t		 i;

	m->s.disks_left = (int)json_array_size(disks);
	if (m->s.disks_left == 0) {
		mig_offline_finish(j);
		return;
	}
	j->busy = 1;
	json_array_foreach(disks, i, d)
		mig_copy_disk(j, d);
}
