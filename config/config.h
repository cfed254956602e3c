/*
 * config.h - one gateway's configuration, loaded from YAML (libyaml).
 *
 * config_load() parses the whole file into a fresh struct vmgw_config,
 * validates it, reads the private key, and returns it only when everything
 * passed; otherwise it returns -1, nothing is allocated, and every error
 * found is reported, as a compiler does, one line each:
 *
 *     FILE:LINE:COL: key.path: what is wrong
 *
 * The load goes on after a bad value, an unknown key or a missing required
 * key; it stops at broken YAML (one error) and after CONFIG_ERRORS_MAX
 * errors ("FILE:LINE:COL: too many errors, stopping here").  Checks that
 * span sections (a guest plan against the peers' plans) run only when the
 * sections parsed cleanly, so that one mistake is not reported twice.
 * A running daemon swaps a new config in only on success (reload), as
 * OpenBSD's daemons do.
 *
 * Relative paths in the file (private_key, hooks) are relative to the
 * directory of the file.
 */
#ifndef VMGW_CONFIG_H
#define VMGW_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "keys.h"

#define CONFIG_DEFAULT_PATH	"/etc/vmgw/vmgw.yaml"
#define CONFIG_DEFAULT_CONTROL	"/run/vmgw/vmgw.sock"
#define CONFIG_DEFAULT_LIBVIRT	"qemu:///system"
#define CONFIG_DEFAULT_STATE	"/var/lib/vmgw"
#define CONFIG_DEFAULT_RUN	"/run/vmgw"
#define CONFIG_NAME_MAX		63	/* site, peer, guest, network names */
#define CONFIG_ERRORS_MAX	50	/* errors reported by one load */
/* size of an error buffer: room for CONFIG_ERRORS_MAX typical lines */
#define CONFIG_ERR_MAX		16384

/*
 * An address: "HOST:PORT" (HOST an IPv4 literal, [IPv6] literal or a DNS
 * name) or "unix:PATH" (absolute PATH, shorter than sun_path).
 */
enum addr_kind { ADDR_TCP = 1, ADDR_UNIX = 2 };
struct vmgw_addr {
	enum addr_kind	kind;
	char		host[256];	/* ADDR_TCP: without brackets */
	uint16_t	port;		/* ADDR_TCP: 1..65535 */
	char		path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		text[300];	/* as written, for messages and matching */
};

/* Parse an address; 0 or -1 with err ("what is wrong", no location). */
int	addr_parse(struct vmgw_addr *out, const char *text, char *err,
	    size_t errlen);
/* 1 when a and b name the same endpoint (case-insensitive host). */
int	addr_equal(const struct vmgw_addr *a, const struct vmgw_addr *b);

/*
 * Sizes and rates: an integer with an optional K, M, G or T suffix (powers of
 * 1024; "KiB"/"MiB"/... and "KB"... accepted as the same), e.g. "100M".
 * Returns 0 or -1 (not a number, unknown suffix, overflow).
 */
int	size_parse(uint64_t *out, const char *text);

/* A source name -> target name mapping (networks, storage directories). */
struct vmgw_map {
	char	*from;
	char	*to;
};

enum plan_mode { PLAN_NONE = 0, PLAN_ROUTE = 1, PLAN_L2 = 2 };

/*
 * Reachability plan for guests moved to or from a peer (issue: the guest
 * stays reachable).  Per peer; a guest entry may override any field.
 */
struct vmgw_plan {
	enum plan_mode	 mode;		/* route | l2 | none (default none) */
	char		*bridge;	/* guest bridge at this site */
	uint32_t	 table;		/* route: table for /32s (default 254, main) */
	int		 proxy_arp;	/* route: answer ARP for moved guests */
	char		*gateway;	/* route: anycast gateway "A.B.C.D/LEN" on bridge */
	uint32_t	 mtu;		/* l2: MTU of the TAP port (0: the bridge's) */
	char		*hooks;		/* directory of pre-move/post-move/rollback hooks */
	uint16_t	 probe_port;	/* TCP port probed after a move (0: ICMP only) */
	uint32_t	 probe_timeout_ms; /* default 10000 */
	unsigned	 set;		/* PLAN_SET_* bits: fields given explicitly */
};
#define PLAN_SET_MODE		0x001
#define PLAN_SET_BRIDGE		0x002
#define PLAN_SET_TABLE		0x004
#define PLAN_SET_PROXY_ARP	0x008
#define PLAN_SET_GATEWAY	0x010
#define PLAN_SET_MTU		0x020
#define PLAN_SET_HOOKS		0x040
#define PLAN_SET_PROBE_PORT	0x080
#define PLAN_SET_PROBE_TIMEOUT	0x100

/* What this gateway does with the channel data it sends to a peer. */
enum peer_compress {
	COMPRESS_AUTO = 0,	/* zstd while it pays (default) */
	COMPRESS_ZSTD = 1,	/* zstd always */
	COMPRESS_OFF = 2	/* never: no length side channel */
};

#define PEER_CONNECTIONS_MAX	16	/* peers.NAME.connections */

struct vmgw_peer {
	char		*name;
	int		 has_endpoint;	/* without one we never dial: it dials us */
	struct vmgw_addr endpoint;
	uint8_t		 public_key[KEY_LEN];
	struct vmgw_map	*networks;	/* source network -> target network */
	size_t		 n_networks;
	struct vmgw_map	*storage;	/* source dir -> target dir (absolute) */
	size_t		 n_storage;
	struct vmgw_map	*test_networks;	/* failover tests of its guests here:
					 * production network -> network
					 * here (none: vmgw makes one) */
	size_t		 n_test_networks;
	uint64_t	 bandwidth;	/* bytes/s, 0 = no cap */
	enum peer_compress compress;	/* default auto */
	unsigned	 connections;	/* TCP connections, 1 .. PEER_CONNECTIONS_MAX */
	struct vmgw_plan plan;
};

struct vmgw_guest {
	char		*name;		/* libvirt domain name */
	char		**addresses;	/* IPv4/IPv6 literals */
	size_t		 n_addresses;
	struct vmgw_plan plan;		/* only the fields in plan.set override */
};

/* A guest this site replicates to a backup site (protect:). */
struct vmgw_protect {
	char		*guest;		/* libvirt domain name */
	char		*to;		/* the backup site: a peer */
	uint32_t	 rpo_s;		/* target RPO, default 60 */
	uint32_t	 keep;		/* points kept there, default 24 */
	int		 quiesce;	/* freeze the guest's filesystems */
	uint64_t	 bandwidth;	/* bytes/s, 0 = none */
};

enum tunnel_suite {
	SUITE_AUTO = 0,		/* AESGCM when the CPU has AES-NI, else ChaChaPoly */
	SUITE_AESGCM = 1,	/* Noise_IK_25519_AESGCM_SHA256 */
	SUITE_CHACHAPOLY = 2	/* Noise_IK_25519_ChaChaPoly_BLAKE2b */
};

struct vmgw_tunnel_conf {
	enum tunnel_suite suite;	/* default auto */
	uint64_t	 rekey_bytes;	/* default 1G */
	uint32_t	 rekey_seconds;	/* default 120 */
	uint32_t	 keepalive;	/* seconds between pings, default 10 */
	uint32_t	 timeout;	/* seconds of silence before a peer is dead, default 30 */
	uint32_t	 handshake_timeout; /* seconds, default 10 */
	uint64_t	 window;	/* per-channel credit window, default 4M */
	uint32_t	 reconnect_max;	/* seconds, cap of the reconnect backoff, default 30 */
};

struct vmgw_config {
	char		*path;		/* the file this came from */
	char		*site;
	char		*private_key_path;
	struct vmgw_privkey key;	/* loaded and checked */
	struct vmgw_addr listen;	/* ADDR_TCP */
	char		*control;	/* CLI socket path */
	char		*libvirt;	/* libvirt URI */
	char		*state_dir;
	char		*run_dir;	/* job sockets: <run_dir>/jobs/<id>/ */
	struct vmgw_peer *peers;
	size_t		 n_peers;
	struct vmgw_addr *forward_targets;
	size_t		 n_forward_targets;
	struct vmgw_guest *guests;
	size_t		 n_guests;
	struct vmgw_protect *protects;
	size_t		 n_protects;
	struct vmgw_tunnel_conf tunnel;
	int		 has_metrics;	/* metrics: HOST:PORT (off by default) */
	struct vmgw_addr metrics;	/* Prometheus text exposition */
	uint8_t		 digest[32];	/* config_load: BLAKE2b-256 of the file */
};

/*
 * Load and validate path.  Returns 0 and *out, or -1 with *out NULL and
 * err holding every error, one "FILE:LINE:COL: key.path: what is wrong"
 * per line, joined by '\n' (no newline after the last).  The first line is
 * always there (cut when errlen is too small); a later line that does not
 * fit is left out and counted in a last line "FILE: N more errors not
 * shown".  CONFIG_ERR_MAX holds CONFIG_ERRORS_MAX lines of usual length.
 */
int	config_load(const char *path, struct vmgw_config **out, char *err,
	    size_t errlen);
/* Same, from a string (tests, fuzzing); name is used in messages. */
int	config_load_string(const char *name, const char *yaml, size_t len,
	    struct vmgw_config **out, char *err, size_t errlen);
/*
 * The same loads with each error handed to fn(arg, line) as it is found,
 * in the order found (file order within a section), line without a
 * newline.  fn may be NULL.
 */
typedef void	config_error_fn(void *arg, const char *line);
int	config_load_report(const char *path, struct vmgw_config **out,
	    config_error_fn *fn, void *arg);
int	config_load_string_report(const char *name, const char *yaml,
	    size_t len, struct vmgw_config **out, config_error_fn *fn,
	    void *arg);
void	config_free(struct vmgw_config *);	/* accepts NULL; wipes the key */

const struct vmgw_peer *config_peer_by_name(const struct vmgw_config *,
	    const char *name);
const struct vmgw_peer *config_peer_by_key(const struct vmgw_config *,
	    const uint8_t key[KEY_LEN]);
const struct vmgw_guest *config_guest(const struct vmgw_config *,
	    const char *name);
/* The peer's plan with the guest's overrides applied (guest may be NULL). */
void	config_effective_plan(struct vmgw_plan *out,
	    const struct vmgw_peer *peer, const struct vmgw_guest *guest);
/*
 * Read one top-level scalar (e.g. "control") without validating the file or
 * reading the key; out is "" when the key is absent.  0 or -1 with err.
 */
int	config_peek(const char *path, const char *key, char *out,
	    size_t outlen, char *err, size_t errlen);
/* "60s", "5m", "1h" or plain seconds (at most 7 days); 0 or -1. */
int	config_duration_parse(const char *, uint32_t *out);
/* Target of a mapping, or NULL when from is not mapped. */
const char *config_map_lookup(const struct vmgw_map *, size_t n,
	    const char *from);
/* 1 when a forward target is allowed by forward_targets. */
int	config_forward_allowed(const struct vmgw_config *,
	    const struct vmgw_addr *target);

#endif /* VMGW_CONFIG_H */
