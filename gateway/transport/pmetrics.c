/*
 * pmetrics.c - the tunnels on the metrics endpoint (core/metrics.c): per
 * configured peer, whether its tunnel is up, bytes each way, handshakes,
 * rekeys, tunnels closed for a bad record by reason, and the round trip.
 * Counters are the peer's since vmgwd started (closed tunnels included).
 */
#include "transport.h"
#include "metrics.h"

static const char *const peer_drop_names[PEER_DROPS] = {
	[PEER_DROP_LENGTH] = "length",
	[PEER_DROP_AUTH] = "auth",
	[PEER_DROP_PROTOCOL] = "protocol",
};

static int
peer_up(const struct peer *p)
{
	return p->tunnel != NULL && p->tunnel->state == TUN_ESTABLISHED;
}

static void
peer_metrics(struct gw *gw, struct evbuffer *out)
{
	struct peer		*p;
	struct peer_totals	 d;
	const char		*n;
	int			 i;

	metrics_family(out, "vmgw_tunnel_up", "gauge",
	    "1 when the tunnel to the peer is established.");
	TAILQ_FOREACH(p, &gw->peers, entry)
		metrics_u64(out, "vmgw_tunnel_up", peer_up(p), "peer",
		    p->conf->name, NULL);
	metrics_family(out, "vmgw_tunnel_bytes_total", "counter",
	    "Bytes of records through the peer's tunnels, as on the wire.");
	TAILQ_FOREACH(p, &gw->peers, entry) {
		n = p->conf->name;
		peer_conns_totals(p, &d);
		metrics_u64(out, "vmgw_tunnel_bytes_total", p->bytes_in +
		    d.bytes_in + (p->tunnel ? p->tunnel->bytes_in : 0), "peer",
		    n, "direction", "in", NULL);
		metrics_u64(out, "vmgw_tunnel_bytes_total", p->bytes_out +
		    d.bytes_out + (p->tunnel ? p->tunnel->bytes_out : 0),
		    "peer", n, "direction", "out", NULL);
	}
	metrics_family(out, "vmgw_tunnel_connections", "gauge",
	    "TCP connections to the peer that are up: the tunnel and its data "
	    "connections (peers.NAME.connections).");
	TAILQ_FOREACH(p, &gw->peers, entry) {
		peer_conns_totals(p, &d);
		metrics_u64(out, "vmgw_tunnel_connections", d.up + peer_up(p),
		    "peer", p->conf->name, NULL);
	}
	metrics_family(out, "vmgw_tunnel_handshakes_total", "counter",
	    "Tunnels to the peer that completed the handshake.");
	TAILQ_FOREACH(p, &gw->peers, entry)
		metrics_u64(out, "vmgw_tunnel_handshakes_total", p->handshakes,
		    "peer", p->conf->name, NULL);
	metrics_family(out, "vmgw_tunnel_rekeys_total", "counter",
	    "Rekeys of the peer's tunnels, both directions.");
	TAILQ_FOREACH(p, &gw->peers, entry)
		metrics_u64(out, "vmgw_tunnel_rekeys_total", peer_rekeys(p),
		    "peer", p->conf->name, NULL);
	metrics_family(out, "vmgw_tunnel_dropped_records_total", "counter",
	    "Tunnels to the peer closed for a bad record, by reason.");
	TAILQ_FOREACH(p, &gw->peers, entry)
		for (i = 0; i < PEER_DROPS; i++)
			metrics_u64(out, "vmgw_tunnel_dropped_records_total",
			    __atomic_load_n(&p->drops[i], __ATOMIC_RELAXED),
			    "peer", p->conf->name, "reason",
			    peer_drop_names[i], NULL);
	metrics_family(out, "vmgw_tunnel_rtt_seconds", "gauge",
	    "Round trip through the peer's tunnel (last keepalive, or the "
	    "handshake we dialled); only while it is up and measured.");
	TAILQ_FOREACH(p, &gw->peers, entry)
		if (peer_up(p) && p->tunnel->rtt_us > 0)
			metrics_dbl(out, "vmgw_tunnel_rtt_seconds",
			    (double)p->tunnel->rtt_us / 1e6, "peer",
			    p->conf->name, NULL);
	metrics_family(out, "vmgw_tunnel_channels", "gauge",
	    "Channels open in the peer's tunnel.");
	TAILQ_FOREACH(p, &gw->peers, entry) {
		peer_conns_totals(p, &d);
		metrics_u64(out, "vmgw_tunnel_channels", d.channels +
		    (p->tunnel != NULL ? chan_count(p->tunnel) : 0), "peer",
		    p->conf->name, NULL);
	}
}

int
peer_metrics_init(void)
{
	return metrics_register(peer_metrics);
}
