/*
 * mig_replicated.c - `vmgw migrate DOMAIN --to SITE --replicated` at the
 * source (issue 10, item 1): the snapshot-overlay scheme.
 *
 *   pause    the guest stops running here (virDomainSuspend)
 *   final    its protection's final point (the disks on overlays, the
 *            frozen images shipped): with the guest paused, the replica's
 *            newest point is its disks exactly
 *   prepare  the peer puts the disks on overlays on that point
 *   save     its memory and device state to a file beside its first disk
 *            (virDomainSaveFlags)
 *   state    the file through a "job" channel of its own ("state")
 *   finish   job-finish: the peer defines it, restores it paused on the
 *            overlays, makes a checkpoint, resumes it (the switchover),
 *            routes, probes, hooks; the old home's copy, which equals the
 *            final point, is the base of the replica from the new home,
 *            whose first point is incremental from that checkpoint
 *
 * Any failure before job-finish was sent, and a restart of this gateway
 * before it (the job record keeps the state's file): the guest is restored
 * (or just resumed) here, and the peer removes what it made.  A job-finish whose
 * answer is lost with the tunnel leaves the saved state here (the guest may
 * run there): vmgw says so and deletes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "migrate.h"

struct mig_rep_call {
	struct job	*job;
	int		 fd;
	uint64_t	 bytes;
	int		 rc;
	char		 err[512];
};

static struct mig_rep_call *
rep_call(struct job *j)
{
	struct mig_rep_call *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->job = j;
		c->fd = -1;
	}
	return c;
}

static void
rep_fail(struct job *j, const char *what, const char *why)
{
	struct mig	*m = MIG(j);

	if (m->s.cancel)
		job_fail(j, JOB_CANCELLED, "cancelled during %s", j->phase);
	else
		job_fail(j, JOB_FAILED, "%s%s%s", what, what[0] ? ": " : "",
		    why);
	mig_src_failed(j, m->s.cancel ? VMGW_EXIT_CANCELLED : VMGW_EXIT_FAIL);
}

/* ------------------------------------------------------------ pause */

static void
rep_pause_work(void *arg)
{
	struct mig_rep_call	*c = arg;
	struct kvm		*k = NULL;

	c->rc = -1;
	if (kvm_open(&k, c->job->gw->conf->libvirt, c->err,
	    sizeof(c->err)) == 0 && kvm_domain_suspend(k, c->job->domain,
	    c->err, sizeof(c->err)) == 0)
		c->rc = 0;
	kvm_close(k);
}

static void
rep_paused(void *arg)
{
	struct mig_rep_call	*c = arg;
	struct job		*j = c->job;
	struct mig		*m = MIG(j);

	j->busy = 0;
	if (c->rc == 0) {
		m->s.paused = 1;
		m->s.pause_ns = mono_ns();
		job_save(j);
		log_info("job %s: %s paused for its replicated move", j->id,
		    j->domain);
	} else {
		job_fail(j, JOB_FAILED, "%s", c->err);
		free(c);
		mig_src_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	free(c);
	mig_final_go(j);
}

/* after the protection yielded: pause, then mig_final_go (mig_src.c) */
void
mig_rep_pause(struct job *j)
{
	struct mig_rep_call	*c;

	snprintf(j->phase, sizeof(j->phase), "pausing");
	mig_src_event(j, "phase", json_pack("{s:s}", "phase", j->phase));
	if ((c = rep_call(j)) == NULL || job_work(j, rep_pause_work,
	    rep_paused, c) == -1) {
		free(c);
		job_fail(j, JOB_FAILED, "cannot start a thread");
		mig_src_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	j->busy = 1;
}

/* ------------------------------------------------------------ save, ship */

static void
rep_send_work(void *arg)
{
	struct mig_rep_call	*c = arg;
	struct mig		*m = MIG(c->job);
	char			 buf[1 << 16];
	ssize_t			 n, w, off;
	uint64_t		 t0 = mono_ns(), due;
	int			 in;

	c->rc = -1;
	if ((in = open(m->s.state_file, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(c->err, sizeof(c->err), "%s: %s", m->s.state_file,
		    strerror(errno));
		goto out;
	}
	for (;;) {
		if ((n = read(in, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(c->err, sizeof(c->err), "%s: %s",
			    m->s.state_file, strerror(errno));
			break;
		}
		if (n == 0) {
			c->rc = 0;
			break;
		}
		for (off = 0; off < n; off += w)
			if ((w = write(c->fd, buf + off, (size_t)(n - off))) ==
			    -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				snprintf(c->err, sizeof(c->err), "the state's "
				    "channel: %s", strerror(errno));
				goto done;
			}
		c->bytes += (uint64_t)n;
		/* --bandwidth caps the state's copy too */
		if (m->o.bandwidth > 0 && (due = t0 + c->bytes * 1000000000ull /
		    m->o.bandwidth) > mono_ns())
			usleep((useconds_t)((due - mono_ns()) / 1000));
	}
 done:
	close(in);
 out:
	shutdown(c->fd, SHUT_WR);	/* the relay sends the channel's EOF */
	close(c->fd);
	c->fd = -1;
}

static void
rep_sent(void *arg)
{
	struct mig_rep_call	*c = arg;
	struct job		*j = c->job;
	struct mig		*m = MIG(j);

	j->busy = 0;
	m->s.state_bytes = c->bytes;
	log_info("job %s: state of %s: %llu bytes sent", j->id, j->domain,
	    (unsigned long long)c->bytes);
	if (c->rc == -1 || j->conn_err[0] != '\0' || m->s.cancel) {
		rep_fail(j, "the state's copy", c->rc == -1 ? c->err :
		    j->conn_err);
		free(c);
		return;
	}
	free(c);
	job_set_state(j, JOB_RUNNING, "restoring");
	mig_src_event(j, "phase", json_pack("{s:s}", "phase", "restoring"));
	m->s.finish_sent = 1;
	job_save(j);
	mig_src_finish(j);
}

static void
rep_send(struct job *j)
{
	struct mig		*m = MIG(j);
	struct tunnel		*t = j->peer->tunnel;
	struct mig_rep_call	*c;
	struct relay		*r;
	json_t			*req;
	int			 sv[2], opened = 0;

	snprintf(j->phase, sizeof(j->phase), "state copy");
	mig_src_event(j, "phase", json_pack("{s:s}", "phase", j->phase));
	if ((c = rep_call(j)) == NULL || socketpair(AF_UNIX, SOCK_STREAM |
	    SOCK_CLOEXEC, 0, sv) == -1) {
		free(c);
		rep_fail(j, "the state's copy", strerror(errno));
		return;
	}
	c->fd = sv[0];
	set_nonblock_cloexec(sv[1]);
	if ((r = relay_new(j->gw, sv[1], NULL)) != NULL) {
		job_conn_add(j, r, "state");
		struct stat	 sb;

		/* its size: the destination refuses a state cut short;
		 * paced: on the tunnel, in the destination's rate group */
		req = json_pack("{s:s, s:s, s:s, s:i, s:I, s:b}", "kind",
		    CHAN_KIND_JOB, "job", j->id, "sock", "state", "seq",
		    (int)m->s.seq++, "size", (json_int_t)(stat(m->s.state_file,
		    &sb) == 0 ? sb.st_size : -1), "paced", 1);
		if (t != NULL && relay_open(r, j->peer, req, "state") == 0)
			opened = 1;
		else
			relay_abort(r, "cannot open a channel");
		json_decref(req);
	} else
		close(sv[1]);
	if (!opened || job_work(j, rep_send_work, rep_sent, c) == -1) {
		close(c->fd);
		free(c);
		rep_fail(j, "the state's copy", "no channel to the peer");
		return;
	}
	j->busy = 1;
}

static void
rep_save_work(void *arg)
{
	struct mig_rep_call	*c = arg;
	struct job		*j = c->job;
	struct kvm		*k = NULL;

	c->rc = -1;
	if (kvm_open(&k, j->gw->conf->libvirt, c->err, sizeof(c->err)) == 0 &&
	    kvm_domain_save(k, j->domain, MIG(j)->s.state_file, c->err,
	    sizeof(c->err)) == 0)
		c->rc = 0;
	kvm_close(k);
}

static void
rep_saved(void *arg)
{
	struct mig_rep_call	*c = arg;
	struct job		*j = c->job;
	struct mig		*m = MIG(j);

	j->busy = 0;
	if (c->rc == -1) {
		rep_fail(j, "", c->err);
		free(c);
		return;
	}
	m->s.saved = 1;
	job_save(j);
	free(c);
	if (m->s.cancel) {
		rep_fail(j, "", "cancelled");
		return;
	}
	rep_send(j);
}

/*
 * prepared at the peer: save the state here, then ship it.  The file goes
 * beside the first disk (its filesystem holds the guest's data; the job's
 * run directory goes when the job fails, and the file must outlive that
 * to restore the guest from it).
 */
void
mig_src_start_replicated(struct job *j)
{
	struct mig		*m = MIG(j);
	struct mig_rep_call	*c;
	const char		*src = json_string_value(json_object_get(
				    json_array_get(json_object_get(m->plan,
				    "disks"), 0), "source"));

	if (src == NULL || (size_t)snprintf(m->s.state_file,
	    sizeof(m->s.state_file), "%s.vmgw-state-%s", src, j->id) >=
	    sizeof(m->s.state_file)) {
		rep_fail(j, "the state's file", "no place for it");
		return;
	}
	unlink(m->s.state_file);
	snprintf(j->phase, sizeof(j->phase), "saving state");
	mig_src_event(j, "phase", json_pack("{s:s}", "phase", j->phase));
	if ((c = rep_call(j)) == NULL || job_work(j, rep_save_work, rep_saved,
	    c) == -1) {
		free(c);
		rep_fail(j, "", "cannot start a thread");
		return;
	}
	j->busy = 1;
}

/*
 * (worker, a failure) The guest back to running here, when nothing can run
 * it at the peer: paused, it resumes; saved, it is restored from its state
 * (unless job-finish went out, and the peer may have restored it).  0 when
 * it runs here.
 */
int
mig_rep_undo(struct job *j, struct kvm *k, char *err, size_t errlen)
{
	struct mig	*m = MIG(j);
	int		 st = -1, reason;

	if (!m->s.paused)
		return -1;
	if (kvm_domain_state(k, j->domain, &st, &reason, err, errlen) == -1)
		return -1;
	if (st == KVM_DOM_RUNNING)
		return 0;
	if (st == KVM_DOM_PAUSED)
		return kvm_domain_resume(k, j->domain, err, errlen);
	if (!m->s.saved || m->s.finish_sent) {
		snprintf(err, errlen, "%s is %s here%s", j->domain,
		    kvm_state_name(st), m->s.finish_sent ? " and its restore "
		    "at the peer was asked for: its state stays" : "");
		return -1;
	}
	if (kvm_domain_restore(k, m->s.state_file, NULL, 0, err, errlen) ==
	    -1) {
		/* never left without a running copy: booted, its RAM lost */
		log_warnx("job %s: %s: %s; booting it from its disks (the "
		    "state stays in %s)", j->id, j->domain, err,
		    m->s.state_file);
		return kvm_domain_start(k, j->domain, err, errlen);
	}
	log_info("job %s: %s restored here from its saved state", j->id,
	    j->domain);
	unlink(m->s.state_file);
	return 0;
}
