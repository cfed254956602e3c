/*
 * l2.c - the "l2" plan: a guest segment stretched between two sites through
 * the encrypted tunnel, not through a clear-text VXLAN.
 *
 * For each peer whose plan is l2, this gateway keeps a TAP port on the
 * plan's bridge, and while the tunnel is up one channel (kind "l2", opened
 * by the tunnel's initiator) carries the port's frames, each as a 2-byte
 * length and the frame.  Frames cross inside TCP, so no frame is too big
 * for the WAN: the TAP port takes the bridge's MTU (or the plan's mtu) and
 * anything it hands over arrives whole.  Like a switch port, the stretch
 * drops rather than queues when the channel has no credit, and counts.
 *
 * It plugs into the transport from above: the channel kind "l2", a peer
 * observer that opens the stretch when a tunnel comes up, and the "l2"
 * field of the peer's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "guest.h"

#define L2_FRAME_MAX	65535

struct l2 {
	TAILQ_ENTRY(l2)	 entry;
	struct peer	*peer;
	char		 ifname[IFNAMSIZ];
	char		 bridge[IFNAMSIZ];
	int		 fd;
	struct event	*rev;
	struct channel	*ch;
	uint8_t		*in;		/* reassembly of the channel's frames */
	size_t		 inlen;
	uint64_t	 frames_out, frames_in, drops_out, drops_in;
};

static const struct chan_ops l2_ops;
static json_t	*l2_status_json(const struct peer *);
static TAILQ_HEAD(, l2) l2s = TAILQ_HEAD_INITIALIZER(l2s);

static struct l2 *
l2_of(const struct peer *p)
{
	struct l2	*l;

	TAILQ_FOREACH(l, &l2s, entry)
		if (l->peer == p)
			return l;
	return NULL;
}

static int
l2_ifreq(int req, struct ifreq *ifr)
{
	int	 s, r;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = ioctl(s, (unsigned long)req, ifr);
	close(s);
	return r;
}

/* Create the TAP port, give it the bridge's MTU, attach it, bring it up. */
static int
l2_tap(struct l2 *l, unsigned mtu, char *err, size_t errlen)
{
	struct ifreq	 ifr;
	unsigned	 idx;

	if ((l->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->ifname);
	if (ioctl(l->fd, TUNSETIFF, &ifr) == -1) {
		snprintf(err, errlen, "TAP %s: %s", l->ifname, strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->bridge);
	if (mtu == 0 && l2_ifreq(SIOCGIFMTU, &ifr) == 0)
		mtu = (unsigned)ifr.ifr_mtu;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->ifname);
	ifr.ifr_mtu = (int)(mtu ? mtu : 1500);
	if (l2_ifreq(SIOCSIFMTU, &ifr) == -1)
		log_warn("l2 %s: MTU %d", l->ifname, ifr.ifr_mtu);
	if ((idx = if_nametoindex(l->ifname)) == 0) {
		snprintf(err, errlen, "TAP %s vanished", l->ifname);
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->bridge);
	ifr.ifr_ifindex = (int)idx;
	if (l2_ifreq(SIOCBRADDIF, &ifr) == -1) {
		snprintf(err, errlen, "bridge %s: cannot attach %s: %s",
		    l->bridge, l->ifname, strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->ifname);
	if (l2_ifreq(SIOCGIFFLAGS, &ifr) == -1)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (l2_ifreq(SIOCSIFFLAGS, &ifr) == -1) {
		snprintf(err, errlen, "TAP %s: up: %s", l->ifname,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Frames from our bridge: over the channel, or dropped. */
static void
l2_read_ev(evutil_socket_t fd, short ev, void *arg)
{
	struct l2	*l = arg;
	uint8_t		 buf[2 + L2_FRAME_MAX];
	ssize_t		 n;
	int		 i;

	for (i = 0; i < 256; i++) {
		if ((n = read(fd, buf + 2, L2_FRAME_MAX)) <= 0)
			return;
		if (l->ch == NULL || chan_send_room(l->ch) < (uint64_t)n + 2) {
			l->drops_out++;
			continue;
		}
		buf[0] = (uint8_t)(n >> 8);
		buf[1] = (uint8_t)n;
		if (chan_send(l->ch, buf, (size_t)n + 2) == 0)
			l->frames_out++;
	}
}

static void
l2_data(struct channel *ch, const uint8_t *p, size_t len)
{
	struct l2	*l = ch->arg;
	size_t		 off = 0, flen;

	if (l->inlen + len > 2 * (2 + L2_FRAME_MAX)) {
		chan_reset(ch, "l2: frame stream out of step");
		l->ch = NULL;
		l->inlen = 0;
		return;
	}
	memcpy(l->in + l->inlen, p, len);
	l->inlen += len;
	while (l->inlen - off >= 2) {
		flen = (size_t)l->in[off] << 8 | l->in[off + 1];
		if (l->inlen - off < 2 + flen)
			break;
		if (write(l->fd, l->in + off + 2, flen) == (ssize_t)flen)
			l->frames_in++;
		else
			l->drops_in++;
		off += 2 + flen;
	}
	memmove(l->in, l->in + off, l->inlen - off);
	l->inlen -= off;
	chan_consumed(ch, len);
}

static void
l2_opened(struct channel *ch)
{
	struct l2	*l = ch->arg;

	log_info("%s: l2 stretch of %s up (%s)", l->peer->conf->name,
	    l->bridge, l->ifname);
}

static void
l2_closed(struct channel *ch, const char *reason)
{
	struct l2	*l = ch->arg;

	if (l->ch == ch)
		l->ch = NULL;
	l->inlen = 0;
	log_info("%s: l2 stretch of %s down%s%s", l->peer->conf->name,
	    l->bridge, reason ? ": " : "", reason ? reason : "");
}

static const struct chan_ops l2_ops = {
	.opened = l2_opened,
	.data = l2_data,
	.closed = l2_closed,
};

static void
l2_accept(struct channel *ch, json_t *req)
{
	struct l2	*l = l2_of(ch->tunnel->peer);

	if (l == NULL) {
		chan_accept_fail(ch, "no l2 plan for you at this site");
		return;
	}
	if (l->ch != NULL)
		chan_reset(l->ch, "replaced by a new l2 channel");
	snprintf(ch->what, sizeof(ch->what), "l2 %s", l->bridge);
	l->ch = ch;
	l->inlen = 0;
	chan_set_endpoint(ch, &l2_ops, l);
	chan_accept_ok(ch);
}

static void
l2_tunnel_up(struct peer *p, struct tunnel *t)
{
	struct l2	*l = l2_of(p);
	json_t		*req;

	if (l == NULL || !t->initiator)
		return;		/* the initiator opens the stretch */
	if (l->ch != NULL)
		chan_reset(l->ch, "new tunnel");
	/* frames are control traffic: ahead of bulk on the tunnel */
	req = json_pack("{s:s, s:b}", "kind", "l2", "priority", 1);
	l->inlen = 0;
	l->ch = chan_open(t, req, &l2_ops, l, "l2 stretch");
	json_decref(req);
}

int
l2_init(struct gw *gw)
{
	struct peer	*p;
	struct l2	*l;
	char		 err[256];

	if (accept_register(CHAN_KIND_L2, l2_accept, 0) == -1 ||
	    peer_observe(l2_tunnel_up, NULL) == -1 ||
	    peer_status_register("l2", l2_status_json) == -1)
		return -1;
	TAILQ_FOREACH(p, &gw->peers, entry) {
		if (p->conf->plan.mode != PLAN_L2 || p->conf->plan.bridge ==
		    NULL)
			continue;
		if ((l = calloc(1, sizeof(*l))) == NULL ||
		    (l->in = malloc(2 * (2 + L2_FRAME_MAX))) == NULL) {
			free(l);
			return -1;
		}
		l->peer = p;
		l->fd = -1;
		snprintf(l->ifname, sizeof(l->ifname), "vmgw-%.10s",
		    p->conf->name);
		snprintf(l->bridge, sizeof(l->bridge), "%s",
		    p->conf->plan.bridge);
		TAILQ_INSERT_TAIL(&l2s, l, entry);
		if (l2_tap(l, p->conf->plan.mtu, err, sizeof(err)) == -1 ||
		    (l->rev = event_new(gw->base, l->fd, EV_READ | EV_PERSIST,
		    l2_read_ev, l)) == NULL || event_add(l->rev, NULL) == -1) {
			log_warnx("%s: l2 stretch of %s: %s", p->conf->name,
			    l->bridge, err);
			return -1;
		}
		log_info("%s: l2 port %s on %s", p->conf->name, l->ifname,
		    l->bridge);
	}
	return 0;
}

void
l2_free(struct gw *gw)
{
	struct peer	*p;
	struct l2	*l;

	TAILQ_FOREACH(p, &gw->peers, entry) {
		if ((l = l2_of(p)) == NULL)
			continue;
		TAILQ_REMOVE(&l2s, l, entry);
		if (l->rev != NULL)
			event_free(l->rev);
		if (l->fd != -1)
			close(l->fd);	/* the TAP port goes with it */
		free(l->in);
		free(l);
	}
}

static json_t *
l2_status_json(const struct peer *p)
{
	const struct l2	*l = l2_of(p);

	if (l == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I}", "port",
	    l->ifname, "bridge", l->bridge, "up", l->ch != NULL &&
	    l->ch->state == CHAN_OPEN, "frames_out", (json_int_t)l->frames_out,
	    "frames_in", (json_int_t)l->frames_in, "drops_out",
	    (json_int_t)l->drops_out, "drops_in", (json_int_t)l->drops_in);
}
