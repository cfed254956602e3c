/*
 * fuzz_gw.h - one gateway in one process for the harnesses of what reaches
 * the daemon's layers (fuzz_peermsg.c, fuzz_ctl.c, fuzz_drrec.c): the
 * config of site "site-a" with one peer "site-b" (storage and network
 * mappings, no endpoint, so nothing is ever dialled), its state_dir under a
 * fresh directory in /dev/shm (or /tmp), removed at exit, and every layer's registrations made as vmgwd's
 * gw_start makes them (transport's ops and commands, jobs, migrate, dr),
 * without the listeners: the peer has no tunnel, so what the handlers
 * answer is built and dropped.
 *
 * The workers are this file's: worker_run() refuses (as when a thread
 * cannot start), so a handler validates its request and then gives up
 * before any blocking call (libvirt, qemu-img, the disks).  Defining
 * worker_run and worker_oldest here keeps core/worker.c out of the link.
 *
 * fuzz_gw_reset() forgets the jobs an input made and removes the records
 * they wrote (state_dir/jobs/, plans/, clones/: the files, not the
 * directories), so that inputs do not depend on one another and the
 * state_dir does not grow with every execution (it reached 640,000 records
 * and 2.5 GB of /dev/shm in a run of 10^6, and each write slowed with it).
 */
#ifndef VMGW_FUZZ_GW_H
#define VMGW_FUZZ_GW_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "transport.h"
#include "job.h"
#include "migrate.h"
#include "dr.h"
#include "worker.h"
#include "keys.h"
#include "fuzz.h"

int
worker_run(struct gw *gw, void (*work)(void *), void (*done)(void *),
    void *arg)
{
	(void)gw;
	(void)work;
	(void)done;
	(void)arg;
	return -1;
}

uint64_t
worker_oldest(struct gw *gw)
{
	(void)gw;
	return 0;
}

/* site-b's public key (packaging/vmgw.yaml.example's) */
#define FUZZ_GW_PEER_KEY	"fFX+ngvE1vHZ/Gu7x6KSH/9vKuSrDqg5mqzvOmOvF2E="

static struct gw	*fuzz_gw;
static char		 fuzz_dir[64];	/* /dev/shm (job records are written
					 * at every state change) or /tmp */

static int
fuzz_gw_rm(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

/* at exit: the state_dir and key go (libFuzzer and replay exit normally) */
static void
fuzz_gw_cleanup(void)
{
	nftw(fuzz_dir, fuzz_gw_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static struct gw *
fuzz_gw_make(void)
{
	struct vmgw_privkey	 k = { 0 };
	struct gw		*gw;
	char			 yaml[4096], path[600], err[CONFIG_ERR_MAX];

	snprintf(fuzz_dir, sizeof(fuzz_dir), "/dev/shm/vmgw-fuzz.XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL) {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/vmgw-fuzz.XXXXXX");
		if (mkdtemp(fuzz_dir) == NULL)
			abort();
	}
	if (sodium_init() < 0)
		abort();
	atexit(fuzz_gw_cleanup);
	log_init(0, 0, "fuzz");
	snprintf(path, sizeof(path), "%s/site-a.key", fuzz_dir);
	if (key_generate_file(path, &k, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_gw: %s\n", err);
		abort();
	}
	key_free(&k);
	snprintf(yaml, sizeof(yaml),
	    "site: site-a\nprivate_key: %s/site-a.key\n"
	    "listen: 127.0.0.1:7400\ncontrol: %s/ctl.sock\n"
	    "state_dir: %s/state\n"
	    "peers:\n  site-b:\n    public_key: \"" FUZZ_GW_PEER_KEY "\"\n"
	    "    networks:\n      default: lan-b\n      backend: backend-b\n"
	    "    storage:\n      /var/lib/libvirt/images: %s/images\n"
	    "      /data: %s/data\n"
	    "forward_targets: [ \"127.0.0.1:22\", \"unix:/run/x.sock\" ]\n",
	    fuzz_dir, fuzz_dir, fuzz_dir, fuzz_dir, fuzz_dir);
	if ((gw = calloc(1, sizeof(*gw))) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/vmgw.yaml", fuzz_dir);
	if (config_load_string(path, yaml, strlen(yaml), &gw->conf, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_gw: %s\n", err);
		abort();
	}
	gw_init(gw, gw->conf);
	if ((gw->base = event_base_new()) == NULL)
		abort();
	if (mkdir_p(gw->conf->state_dir, 0700) == -1)
		abort();
	/* vmgwd's gw_start without its sockets (transport_init's listener) */
	forward_init();
	bench_init();
	if (peers_reload_init() == -1 || peer_metrics_init() == -1 ||
	    ctl_register(CTL_CHECK, ctl_check) == -1 ||
	    ctl_register(CTL_STATUS, ctl_status) == -1 ||
	    ctl_register(CTL_FORWARD, ctl_forward) == -1 ||
	    ctl_register(CTL_BENCH, ctl_bench) == -1 ||
	    pmsg_init(gw) == -1 || peers_init(gw) == -1 ||
	    jobs_init(gw) == -1 || migrate_init(gw) == -1 ||
	    dr_init(gw) == -1)
		abort();
	fuzz_gw = gw;
	return gw;
}

/* The peer every message comes from. */
static FUZZ_UNUSED struct peer *
fuzz_gw_peer(struct gw *gw)
{
	return peer_find(gw, "site-b");
}

static int
fuzz_gw_rm_file(const char *path, const struct stat *st, int flag,
    struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_F || flag == FTW_SL)
		unlink(path);
	return 0;
}

/* Run what the input left due now, then forget its jobs and their
 * records. */
static FUZZ_UNUSED void
fuzz_gw_reset(struct gw *gw)
{
	event_base_loop(gw->base, EVLOOP_NONBLOCK);
	jobs_free(gw);
	nftw(gw->conf->state_dir, fuzz_gw_rm_file, 16, FTW_PHYS);
	if ((gw->jobs = calloc(1, sizeof(*gw->jobs))) == NULL)
		abort();
	TAILQ_INIT(gw->jobs);
}

#endif /* VMGW_FUZZ_GW_H */
