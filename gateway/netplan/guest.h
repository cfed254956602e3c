/*
 * guest.h - the network plan of one guest at this site, with no job in it:
 * a migration, a failover or a test failover all hand the same struct
 * np_guest to these functions (guest.c), plus the L2 stretch (l2.c) and
 * libvirt's lifecycle events (events.c).
 *
 * The host-level primitives underneath (routes, neighbours, announcements,
 * probes, hooks) are netplan.h.  Functions marked (worker) block and run on
 * a worker thread; the others run on the event loop.
 */
#ifndef VMGW_NETPLAN_GUEST_H
#define VMGW_NETPLAN_GUEST_H

#include <net/if.h>

#include <jansson.h>

#include "transport.h"
#include "kvm.h"
#include "netplan.h"

struct np_guest {
	struct gw	*gw;
	char		 name[128];
	char		 uuid[KVM_UUID_LEN + 1];
	char		 tag[48];	/* for logs: "job j0123456789" */
	struct vmgw_plan plan;		/* this site's effective plan */
	json_t		*addrs;		/* its IP addresses ["10.0.0.5", ...] */
	json_t		*macs;		/* its MACs; the first answers ARP */
	json_t		*dhcp;		/* reservations that move with it:
					 * [{mac, ip, name, from, to, added}] */
	struct event	*announce;
	int		 announced;
};

/* guest.c */
const char *np_mode_name(enum plan_mode);
int	 np_mode_from(const char *);	/* -1: not a mode */
/* The plan this site applies for name toward or from peer (NULL: none). */
void	 np_guest_init(struct np_guest *, struct gw *, const char *name,
	    const char *uuid, const struct vmgw_peer *peer, const char *tag);
void	 np_guest_clear(struct np_guest *);	/* frees what it holds */
/* The strings of a JSON array, space-separated (addresses, MACs). */
void	 np_join(json_t *, char *out, size_t outlen);
/* (worker) MACs, addresses (config, else libvirt) and the reservations
 * that move to peer `to` (NULL: none); returns where the addresses came
 * from. */
const char *np_guest_discover(struct np_guest *, struct kvm *,
	    const struct kvm_domain_info *, const struct vmgw_peer *to);
/* The plan can run here: an address when it needs one, its bridge. */
int	 np_guest_check(const struct np_guest *, char *err, size_t errlen);
int	 np_bridge_check(const struct np_guest *, char *err, size_t errlen);
/* This site holds the guest: host routes here, no proxy or stale
 * neighbour entries (idempotent). */
void	 np_guest_hold(struct np_guest *);
/* The guest left: routes withdrawn, neighbours flushed, proxy ARP if the
 * plan says so. */
void	 np_guest_release(struct np_guest *);
void	 np_guest_unroute(struct np_guest *);	/* host routes only */
void	 np_guest_announce(struct np_guest *);	/* ANNOUNCE_ROUNDS, timed */
/* (worker) reservations: add each at its "to" network (marking "added",
 * then calling progress), undo those added, or remove them at "from". */
int	 np_dhcp_add(struct kvm *, json_t *dhcp, const char *tag,
	    void (*progress)(void *), void *arg, char *err, size_t errlen);
void	 np_dhcp_undo(struct kvm *, json_t *dhcp, const char *tag);
void	 np_dhcp_release(struct kvm *, json_t *dhcp, const char *tag);
/* (worker) every executable of the plan's hooks directory for phase,
 * with the guest and both sites in the environment (README). */
char	**np_hook_env(const struct np_guest *, const char *phase,
	    const char *job, const char *from, const char *to,
	    const char *result);
void	 np_env_free(char **);
int	 np_hooks_run(const struct np_guest *, const char *phase,
	    const char *job, const char *from, const char *to,
	    const char *result, char *err, size_t errlen);

/* One verification: every address probed from here until it answers or
 * the plan's probe_timeout passed since t0.  Its own copy of what it needs:
 * np_probe_run (worker) writes only into it.  An address is asked by ICMP
 * (and TCP probe_port), or, when the plan's bridge has no address of its
 * family here (a pure layer-2 site), by ARP probe / neighbour solicitation
 * on the bridge, answered from the guest's MAC (and TCP probe_port). */
struct np_probe {
	char		 name[128];
	char		 site[CONFIG_NAME_MAX + 1];
	char		 bridge[IFNAMSIZ];	/* the plan's; "": none */
	char		 mac[18];	/* the guest's first; "": unknown */
	json_t		*addrs;
	unsigned	 probe_port;
	unsigned	 timeout_ms;
	uint64_t	 t0_ns;
	json_t		*result;	/* {ok, ms, detail} */
};
struct np_probe *np_probe_new(const struct np_guest *, uint64_t t0_ns);
void	 np_probe_run(void *);		/* (worker) */
void	 np_probe_free(struct np_probe *);

/* events.c: lifecycle events of this site's libvirt, on the loop */
typedef void (*np_event_fn)(struct gw *, const char *domain,
	    enum kvm_event, void *arg);
int	 netplan_events_subscribe(np_event_fn, void *arg);
void	 netplan_events_ensure(struct gw *);	/* start watching, once */
void	 netplan_events_free(struct gw *);

/* l2.c: the l2 plan's stretch of a bridge through the tunnel */
int	 l2_init(struct gw *);
void	 l2_free(struct gw *);

#endif /* VMGW_NETPLAN_GUEST_H */
