/*
 * vmgwd.c - the gateway daemon: load the config, start the layers bottom
 * up (core: signals, control socket; transport: peers, tunnels; netplan:
 * the l2 stretch; jobs; the job kinds; the metrics endpoint), run until
 * SIGTERM/SIGINT, and stop them top down.  SIGHUP reloads the configuration
 * (core/reload.c: each layer registered what a reload means for it).  This file is where the layers meet: each registers what
 * it serves (commands, peer messages, channel kinds, observers) in its own
 * init function, called from here.
 *
 *   vmgwd [-dnv] [-c FILE]
 *     -c FILE  configuration (default /etc/vmgw/vmgw.yaml)
 *     -d       stay in the foreground and log to stderr (else: syslog)
 *     -n       check the configuration and exit (0 good, 2 bad)
 *     -v       verbose (debug) logging
 *   vmgwd --help | --version
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <netinet/in.h>

#include <event2/thread.h>

#include "gw.h"
#include "control.h"
#include "metrics.h"
#include "reload.h"
#include "sdnotify.h"
#include "transport.h"
#include "guest.h"
#include "job.h"
#include "migrate.h"
#include "dr.h"
#include "keys.h"
#include "kvm.h"

/* the usage on stderr (exit 2), or with --help on stdout (exit 0) */
static void
usage(FILE *f, int ret)
{
	fprintf(f, "usage: vmgwd [-dnv] [-c FILE]\n"
	    "       vmgwd --help | --version\n\n"
	    "  -c FILE       configuration (default %s)\n"
	    "  -d            stay in the foreground, log to stderr (else: "
	    "syslog)\n"
	    "  -n            check the configuration and exit (0 good, 2 bad)\n"
	    "  -v            verbose (debug) logging\n"
	    "  -h, --help    this help\n"
	    "  -V, --version the version\n", CONFIG_DEFAULT_PATH);
	exit(ret);
}

static void
gw_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct gw	*gw = arg;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: shutting down", (int)sig);
		sdn_stopping(gw);
		gw->shutting_down = 1;
		event_base_loopexit(gw->base, NULL);
		break;
	case SIGHUP:
		if (!gw->shutting_down)
			gw_reload(gw);
		break;
	}
}

static int
gw_signals(struct gw *gw)
{
	if ((gw->sig_term = evsignal_new(gw->base, SIGTERM, gw_signal, gw)) ==
	    NULL || (gw->sig_int = evsignal_new(gw->base, SIGINT, gw_signal,
	    gw)) == NULL || (gw->sig_hup = evsignal_new(gw->base, SIGHUP,
	    gw_signal, gw)) == NULL)
		return -1;
	evsignal_add(gw->sig_term, NULL);
	evsignal_add(gw->sig_int, NULL);
	evsignal_add(gw->sig_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Top down: jobs, the control socket, tunnels, the l2 stretch, peers. */
static void
gw_free(struct gw *gw)
{
	gw->shutting_down = 1;
	if (gw->watchdog != NULL)
		event_free(gw->watchdog);
	metrics_free(gw);
	jobs_free(gw);
	control_free(gw);
	transport_close(gw);
	/* run the deferred closes once */
	event_base_loop(gw->base, EVLOOP_NONBLOCK);
	event_base_loop(gw->base, EVLOOP_NONBLOCK);
	l2_free(gw);
	netplan_events_free(gw);
	transport_free(gw);
	if (gw->sig_term != NULL)
		event_free(gw->sig_term);
	if (gw->sig_int != NULL)
		event_free(gw->sig_int);
	if (gw->sig_hup != NULL)
		event_free(gw->sig_hup);
	if (gw->dns != NULL)
		evdns_base_free(gw->dns, 0);
	event_base_free(gw->base);
	conf_retired_free(gw);
	config_free(gw->conf);
	free(gw);
}

/*
 * gw->qemu_owner: the user QEMU runs as, from libvirt's capabilities (its
 * DAC base label); QEMU is this daemon's user where libvirt has no DAC
 * model.  Blocks for one local RPC: at start, and again only while libvirt
 * had not answered (the first job that needs it asks).
 */
static int
gw_qemu_owner(struct gw *gw, long *uid, char *err, size_t errlen)
{
	struct kvm	*k;
	long		 gid;
	int		 rc;

	if (kvm_open(&k, gw->conf->libvirt, err, errlen) == -1)
		return -1;
	rc = kvm_qemu_owner(k, uid, &gid, err, errlen);
	kvm_close(k);
	if (rc == 1)
		*uid = (long)geteuid();
	return rc == -1 ? -1 : 0;
}

static int
gw_start(struct gw *gw)
{
	char	 fpr[KEY_FPR_LEN + 4], err[256];
	long	 uid;

	if (mkdir_p(gw->conf->state_dir, 0700) == -1) {
		log_warn("state_dir %s", gw->conf->state_dir);
		return -1;
	}
	if ((gw->base = event_base_new()) == NULL ||
	    (gw->dns = evdns_base_new(gw->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL) {
		/* no resolv.conf: numeric addresses still work */
		if (gw->base == NULL ||
		    (gw->dns = evdns_base_new(gw->base, 0)) == NULL)
			return -1;
	}
	/* bottom up; records are read back once every kind is there */
	if (gw_signals(gw) == -1 || transport_init(gw) == -1 ||
	    l2_init(gw) == -1 || jobs_init(gw) == -1 ||
	    migrate_init(gw) == -1 || dr_init(gw) == -1 || jobs_load(gw) == -1 ||
	    dr_start(gw) == -1 ||
	    control_init(gw) == -1 || metrics_init(gw) == -1)
		return -1;
	gw->qemu_owner = gw_qemu_owner;
	if (gw_qemu_owner(gw, &uid, err, sizeof(err)) == 0) {
		gw->qemu_uid = uid;
		log_info("QEMU runs as uid %ld, vmgwd as uid %ld", uid,
		    (long)geteuid());
	} else
		log_warnx("QEMU's user not known yet (asked again for the "
		    "first job): %s", err);
	key_fingerprint(fpr, gw->conf->key.pub);
	log_info("vmgwd %s: site %s (key %s) listening on %s, control %s",
	    VMGW_VERSION, gw->conf->site, fpr, gw->conf->listen.text,
	    gw->conf->control);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*path = CONFIG_DEFAULT_PATH;
	struct gw	*gw;
	char		 err[CONFIG_ERR_MAX];
	int		 ch, debug = 0, check = 0, verbose = 0, ret = 1;
	struct rlimit	 rl = { 0, 0 };
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};

	/* a probe namespace's helper: vmgwd re-executed by itself, without
	 * capabilities (netplan/netns.c) */
	if (argc == 2 && strcmp(argv[1], NETNS_HELPER_ARG) == 0)
		return dr_probe_ns_helper();
	while ((ch = getopt_long(argc, argv, "c:dnvhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'V':
			printf("vmgwd %s\n", VMGW_VERSION);
			return 0;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	if (sodium_init() < 0) {
		fprintf(stderr, "vmgwd: libsodium initialisation failed\n");
		return 1;
	}
	setrlimit(RLIMIT_CORE, &rl);	/* no core files with keys in them */
	/*
	 * Stream buffers come and go in 64-256 KiB pieces.  With glibc's
	 * defaults each one may be mmap()ed, faulted in, zeroed and given
	 * back; keeping them in the heap saves ~5% CPU on a busy tunnel.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	if ((gw = calloc(1, sizeof(*gw))) == NULL)
		return 1;
	if (config_load(path, &gw->conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		free(gw);
		return 2;
	}
	if (check) {
		printf("%s: configuration OK (site %s, %zu peer%s)\n", path,
		    gw->conf->site, gw->conf->n_peers,
		    gw->conf->n_peers == 1 ? "" : "s");
		config_free(gw->conf);
		free(gw);
		return 0;
	}
	log_init(debug, verbose, "vmgwd");
	evthread_use_pthreads();
	if (!debug && daemon(0, 0) == -1)
		fatal("daemon");
	gw_init(gw, gw->conf);
	if (gw_start(gw) == 0 && sdn_ready(gw) == 0) {
		event_base_dispatch(gw->base);
		ret = 0;
	}
	log_info("vmgwd stopped");
	gw_free(gw);
	return ret;
}
