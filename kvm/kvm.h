/*
 * kvm.h - everything vmgw does to guests, through libvirt and nothing else.
 *
 * Every function here may block (libvirt RPC): the daemon calls them from
 * worker threads, never from the event loop.  A struct kvm is one libvirt
 * connection; it may be used by one thread at a time (libvirt connections are
 * thread safe, but the error buffer here is not).
 *
 * Errors: 0 / -1; on -1 err holds one line that names the domain (or volume,
 * pool, network) and the step, with libvirt's own message from
 * virGetLastErrorMessage(), e.g.
 *   "web1: migrate: operation failed: job 'migration out' failed ..."
 *   "site-b: pool images-b: 2.1 GiB free, 8.0 GiB needed"
 */
#ifndef VMGW_KVM_H
#define VMGW_KVM_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define KVM_WUR __attribute__((warn_unused_result))
#define KVM_UUID_LEN 36

/*
 * libvirt's vocabulary, as vmgw names it.  Nothing outside kvm/ includes a
 * libvirt header or compares against a libvirt constant: these enums are
 * what the rest of vmgw sees.  The domain states keep libvirt's values
 * (virDomainState; conn.c checks at compile time).
 */
enum kvm_dom_state {
	KVM_DOM_NOSTATE		= 0,
	KVM_DOM_RUNNING		= 1,
	KVM_DOM_BLOCKED		= 2,
	KVM_DOM_PAUSED		= 3,
	KVM_DOM_SHUTDOWN	= 4,
	KVM_DOM_SHUTOFF		= 5,
	KVM_DOM_CRASHED		= 6,
	KVM_DOM_PMSUSPENDED	= 7
};

/* Why a paused domain is paused, where vmgw cares (kvm_domain_state). */
enum kvm_pause_reason {
	KVM_PAUSED_OTHER	= 0,
	KVM_PAUSED_POSTCOPY,		/* incoming post-copy, running at the source */
	KVM_PAUSED_POSTCOPY_FAILED	/* post-copy broke: neither side runs it */
};

/* Lifecycle events (kvm_events_start), from libvirt's event and detail. */
enum kvm_event {
	KVM_EV_OTHER		= 0,
	KVM_EV_DEFINED,
	KVM_EV_UNDEFINED,
	KVM_EV_STARTED,
	KVM_EV_SUSPENDED,
	KVM_EV_RESUMED,			/* resumed, not by a migration */
	KVM_EV_RESUMED_MIGRATED,	/* an incoming migration switched over here */
	KVM_EV_RESUMED_POSTCOPY,	/* ... and runs here in post-copy */
	KVM_EV_STOPPED,
	KVM_EV_SHUTDOWN,
	KVM_EV_CRASHED,
	KVM_EV_CLOSED			/* the events connection closed */
};

struct kvm;

struct kvm_disk {
	char		*target;	/* "vda" */
	char		*path;		/* source file (type='file') or volume path */
	char		*format;	/* driver type: "qcow2", "raw" */
	char		*device;	/* "disk", "cdrom", "floppy", "lun" */
	uint64_t	 capacity;	/* virtual size, bytes */
	uint64_t	 allocation;	/* bytes used on the host */
	int		 readonly;	/* <readonly/> or device cdrom: not copied */
	int		 shareable;	/* <shareable/>: refused for migration */
	int		 is_file;	/* type='file' (or a volume of a dir pool) */
};

struct kvm_nic {
	char		*mac;		/* "52:54:00:..." */
	char		*type;		/* "network", "bridge", ... */
	char		*source;	/* network name or bridge name */
	char		*model;		/* "virtio" */
};

struct kvm_domain_info {
	char		*name;
	char		 uuid[KVM_UUID_LEN + 1];
	int		 state;		/* enum kvm_dom_state */
	int		 reason;	/* libvirt's reason (for logs) */
	const char	*state_str;	/* "running", "shut off", ... (static) */
	int		 persistent;
	char		*virt_type;	/* domain type: "kvm" or "qemu" */
	char		*cpu_model;	/* <cpu><model> or the cpu mode, may be NULL */
	uint64_t	 memory_kib;
	unsigned	 vcpus;
	struct kvm_disk	*disks;
	size_t		 n_disks;
	struct kvm_nic	*nics;
	size_t		 n_nics;
	char		*xml;		/* virDomainGetXMLDesc(VIR_DOMAIN_XML_SECURE|MIGRATABLE) */
};

struct kvm_job_stats {
	int		 type;		/* libvirt's job type (0: none, for logs) */
	int		 operation;	/* libvirt's job operation (for logs) */
	uint64_t	 time_elapsed_ms;
	uint64_t	 data_total, data_processed, data_remaining;
	uint64_t	 mem_total, mem_processed, mem_remaining;
	uint64_t	 mem_bps;	/* throughput, bytes/s */
	uint64_t	 mem_dirty_rate;	/* pages/s */
	uint64_t	 mem_page_size;
	uint64_t	 mem_iteration;
	uint64_t	 disk_total, disk_processed, disk_remaining;
	uint64_t	 disk_bps;
	uint64_t	 downtime_ms;	/* expected while running, actual when completed */
	int		 postcopy;	/* 1 once in post-copy (from the job's state) */
	int		 has_downtime;
	/* added for kvm/: */
	uint64_t	 time_remaining_ms;	/* libvirt's estimate, 0 unknown */
	uint64_t	 setup_time_ms;
	uint64_t	 mem_postcopy_reqs;	/* page requests served in post-copy */
	int		 success;	/* completed: 1 ok, 0 failed, -1 not said */
	char		 errmsg[256];	/* completed and failed: libvirt's reason */
};

/* A plan for one migration, computed at the source from the domain and the peer's mappings. */
struct kvm_migrate_opts {
	const char	*dest_uri;	/* "qemu+unix:///system?socket=/run/vmgw/jobs/ID/libvirt.sock" */
	const char	*migrate_uri;	/* "unix:///run/vmgw/jobs/ID/mig.sock" */
	const char	*disks_uri;	/* "unix:///run/vmgw/jobs/ID/nbd.sock" or NULL */
	const char	*dest_xml;	/* rewritten domain XML for the destination */
	const char	*dest_persist_xml; /* persistent definition, may equal dest_xml */
	const char	*const *copy_disks; /* NULL-terminated targets to copy ("vda"), or NULL */
	int		 live;		/* 1 unless offline */
	int		 postcopy;	/* VIR_MIGRATE_POSTCOPY (the switch is kvm_postcopy_start) */
	int		 parallel;	/* >1: VIR_MIGRATE_PARALLEL with that many connections */
	unsigned	 max_downtime_ms; /* 0: libvirt's default */
	int		 keep_source;	/* 0: VIR_MIGRATE_UNDEFINE_SOURCE */
	uint64_t	 bandwidth;	/* bytes/s for QEMU, 0 = unlimited */
	/* the destination has the disks' backing chain: the mirror copies
	 * only their top images (VIR_MIGRATE_NON_SHARED_INC) */
	int		 copy_top_only;
	/* resume a post-copy migration that failed when its connection broke
	 * (VIR_MIGRATE_POSTCOPY_RESUME): the same options as the original */
	int		 postcopy_resume;
};

/* Connection */
int	kvm_open(struct kvm **out, const char *uri, char *err,
	    size_t errlen) KVM_WUR;
void	kvm_close(struct kvm *);	/* accepts NULL */
/* The UNIX socket of the libvirt daemon uri reaches (no libvirt call). */
void	kvm_daemon_socket(const char *uri, char *out, size_t len);
/* 1 while the connection is up (close callback not fired, libvirt says alive) */
int	kvm_alive(struct kvm *);
/*
 * The user and group QEMU runs as: libvirt's DAC base label ("+UID:+GID",
 * type kvm, else qemu) in the host capabilities, i.e. qemu.conf's user and
 * group.  0 with both set; 1 when libvirt names none (no DAC model, as in
 * a session or test driver: QEMU runs as the connection's user); -1 error.
 * kvm_caps_qemu_owner reads it from a capabilities document (pure).
 */
int	kvm_qemu_owner(struct kvm *, long *uid, long *gid, char *err,
	    size_t errlen);
int	kvm_caps_qemu_owner(const char *caps_xml, long *uid, long *gid,
	    char *err, size_t errlen);

/* Inspection */
int	kvm_domain_inspect(struct kvm *, const char *name,
	    struct kvm_domain_info **out, char *err, size_t errlen) KVM_WUR;
void	kvm_domain_info_free(struct kvm_domain_info *);
/* 1 exists (name and/or uuid may be NULL), 0 does not, -1 error */
int	kvm_domain_exists(struct kvm *, const char *name, const char *uuid,
	    char *found_name, size_t found_len, char *err, size_t errlen);
/* current state (enum kvm_dom_state) and, when paused, the reason (enum
 * kvm_pause_reason; 0 in any other state); -1 when the domain is absent */
/* 1: the domain is in a post-copy migration not yet complete (running or
 * paused, its connection broken or not), 0: it is not, -1: absent */
int	kvm_domain_postcopy(struct kvm *, const char *name, char *err,
	    size_t errlen);
int	kvm_domain_state(struct kvm *, const char *name, int *state,
	    int *reason, char *err, size_t errlen) KVM_WUR;

/*
 * XML rewrite for the target site (libxml2; pure, no libvirt call):
 * <interface type='network'><source network=N> -> peer->networks[N]
 * (an unmapped network is an error naming it), bridge interfaces are kept,
 * <disk type='file'><source file=DIR/F> -> storage[DIR]/F for every copied
 * disk (longest DIR prefix wins; an unmapped directory is an error naming
 * the disk and the directory).
 */
int	kvm_xml_rewrite(const char *xml, const struct vmgw_map *networks,
	    size_t n_networks, const struct vmgw_map *storage, size_t n_storage,
	    char **out_xml, char *err, size_t errlen) KVM_WUR;
/* The file-backed disks (target, source file) of a domain XML; pure. */
struct kvm_xml_disk {
	char	*target;
	char	*path;
};
int	kvm_xml_disks(const char *xml, struct kvm_xml_disk **out, size_t *n,
	    char *err, size_t errlen) KVM_WUR;
void	kvm_xml_disks_free(struct kvm_xml_disk *, size_t n);
/*
 * The transient copy of a failover test (pure): named name, no <uuid> (a
 * fresh one from libvirt), each replicated disk's source file from disks
 * (target -> overlay; any other file disk is an error, so the copy never
 * opens a production image), every interface of type network or bridge
 * put on networks[its network] or else on isolated (NULL: an error), any
 * other interface type refused; host-side names and channel socket paths
 * dropped.  *used_isolated: some interface went on isolated.
 */
int	kvm_xml_test_copy(const char *xml, const char *name,
	    const struct vmgw_map *disks, size_t n_disks,
	    const struct vmgw_map *networks, size_t n_networks,
	    const char *isolated, int *used_isolated, char **out_xml,
	    char *err, size_t errlen) KVM_WUR;
/*
 * A clone from a recovery point (pure): named name, no <uuid> and no <mac>
 * (libvirt makes fresh ones), each file disk's source from disks (target ->
 * the clone's image; any other file disk is an error), every interface on
 * network (NULL: the ones in xml kept), interfaces other than network or
 * bridge and hostdev devices refused; host-side paths and ports that would
 * collide with the original's dropped (taps, channel sockets, fixed
 * graphics ports, serial files and sockets become ptys, a per-domain
 * NVRAM file).
 */
int	kvm_xml_clone(const char *xml, const char *name,
	    const struct vmgw_map *disks, size_t n_disks, const char *network,
	    char **out_xml, char *err, size_t errlen) KVM_WUR;
/* The networks of its <interface type='network'> (pure). */
int	kvm_xml_networks(const char *xml, char ***out, size_t *n, char *err,
	    size_t errlen) KVM_WUR;
void	kvm_xml_strings_free(char **, size_t n);
/* Map one path through storage mappings; NULL when unmapped (malloc'd). */
char	*kvm_map_path(const char *path, const struct vmgw_map *storage,
	    size_t n_storage);

/* Destination-side checks and storage */
int	kvm_network_exists(struct kvm *, const char *name, char *err,
	    size_t errlen) KVM_WUR;	/* 0 exists and active, -1 otherwise */
/* Pool whose target path is dirname(path): name and free bytes. */
int	kvm_pool_for_path(struct kvm *, const char *path, char *pool,
	    size_t poollen, uint64_t *available, char *err, size_t errlen) KVM_WUR;
/* Create a volume at path (format, capacity); fails if it exists. */
int	kvm_volume_create(struct kvm *, const char *path, const char *format,
	    uint64_t capacity, char *err, size_t errlen) KVM_WUR;
/* Create a qcow2 volume at path on the image `backing` (qcow2). */
int	kvm_volume_create_over(struct kvm *, const char *path,
	    const char *backing, uint64_t capacity, char *err,
	    size_t errlen) KVM_WUR;
/*
 * A running guest's disks (targets) on new qcow2 overlays (files), in one
 * atomic disk-only snapshot without metadata (overlay.c); and their writes
 * committed back into the images under them, the guest pivoted onto those.
 */
int	kvm_disks_overlay(struct kvm *, const char *domain, const char *name,
	    const char *const *targets, const char *const *files, size_t n,
	    char *err, size_t errlen) KVM_WUR;
int	kvm_disks_commit(struct kvm *, const char *domain,
	    const char *const *targets, size_t n, char *err,
	    size_t errlen) KVM_WUR;
/* A running disk's images from top down to just above base merged into
 * base (libvirt repoints the image above top), capped at bandwidth bytes/s
 * (0: none); it waits for the end.  Whether it worked: the caller looks. */
int	kvm_disk_commit_below(struct kvm *, const char *domain,
	    const char *target, const char *top, const char *base,
	    uint64_t bandwidth, char *err, size_t errlen) KVM_WUR;
/*
 * A running guest paused and resumed; its memory and device state saved to
 * file (the guest stops; libvirt writes it), and a guest restored from one
 * (xml: its definition there, NULL: the saved one), paused or running.
 */
int	kvm_domain_suspend(struct kvm *, const char *name, char *err,
	    size_t errlen) KVM_WUR;
int	kvm_domain_resume(struct kvm *, const char *name, char *err,
	    size_t errlen) KVM_WUR;
int	kvm_domain_save(struct kvm *, const char *name, const char *file,
	    char *err, size_t errlen) KVM_WUR;
int	kvm_domain_restore(struct kvm *, const char *file, const char *xml,
	    int paused, char *err, size_t errlen) KVM_WUR;
/* Delete the volume at path (refresh its pool first); 0 if absent too. */
int	kvm_volume_delete(struct kvm *, const char *path, char *err,
	    size_t errlen) KVM_WUR;
/* Capacity / allocation / format of the volume at path. */
int	kvm_volume_info(struct kvm *, const char *path, uint64_t *capacity,
	    uint64_t *allocation, char *format, size_t formatlen, char *err,
	    size_t errlen) KVM_WUR;

/*
 * Offline disk copy: the volume's bytes as a framed sparse stream on an fd
 * (the gateway relays the fd's other end through a tunnel channel).
 * Frame: 1 byte kind ('D' data, 'H' hole, 'E' end) + 8 bytes BE length,
 * then length bytes for 'D'.  'E' carries the total virtual length.
 * Both block until the stream ends; both close nothing.  Limits and checks:
 * kvm_frame.h.  *bytes: the stream's length (data + holes).
 * Upload makes the file at path an exact copy of the stream: a missing
 * volume is created, a non-empty file volume is replaced by an empty one
 * first (holes are skipped, so old bytes under them would survive);
 * libvirt re-reads its format afterwards.  The pool must cover dirname(path).
 */
int	kvm_volume_download_fd(struct kvm *, const char *path, int fd,
	    uint64_t *bytes, char *err, size_t errlen) KVM_WUR;
int	kvm_volume_upload_fd(struct kvm *, const char *path, int fd,
	    uint64_t *bytes, char *err, size_t errlen) KVM_WUR;

/* A transient domain started from XML (a failover test's copy); its
 * UUID as libvirt made it (uuid: KVM_UUID_LEN + 1). */
int	kvm_domain_create(struct kvm *, const char *xml, char *uuid,
	    char *err, size_t errlen) KVM_WUR;
/* Define a persistent domain from XML (offline move); undefine one. */
int	kvm_domain_define(struct kvm *, const char *xml, char *err,
	    size_t errlen) KVM_WUR;
int	kvm_domain_undefine(struct kvm *, const char *name, char *err,
	    size_t errlen) KVM_WUR;
/* Start a defined domain (a clone). */
int	kvm_domain_start(struct kvm *, const char *name, char *err,
	    size_t errlen) KVM_WUR;
/* Keep a domain off: autostart off, destroyed if it runs, still defined
 * (the home site of a guest that failed over).  0 also when absent. */
int	kvm_domain_fence(struct kvm *, const char *name, int *was_running,
	    char *err, size_t errlen) KVM_WUR;
/* Destroy (if active) and undefine; used to clean a half-made destination. */
int	kvm_domain_remove(struct kvm *, const char *name, char *err,
	    size_t errlen) KVM_WUR;

/*
 * Migration (source side).  kvm_migrate blocks until libvirt returns; it
 * refuses live=0 (offline moves copy volumes and define).  max_downtime_ms
 * is set on the domain just before the job (libvirt 9 has no typed
 * parameter for it).  bandwidth caps the NBD disk mirror as well.
 */
int	kvm_migrate(struct kvm *, const char *name,
	    const struct kvm_migrate_opts *, char *err, size_t errlen) KVM_WUR;
/* The virDomainMigrateFlags kvm_migrate uses for opts (for plans, tests). */
unsigned int kvm_migrate_flags(const struct kvm_migrate_opts *);
/*
 * Job statistics of the running job, or of the completed one (completed=1).
 * Completed statistics live on the domain: at a source migrated without
 * keep_source the domain is gone (-1); the destination keeps the incoming
 * job's (VIR_DOMAIN_JOB_COMPLETED, operation MIGRATION_IN, with downtime).
 */
int	kvm_job_stats(struct kvm *, const char *name, int completed,
	    struct kvm_job_stats *out, char *err, size_t errlen) KVM_WUR;
int	kvm_job_abort(struct kvm *, const char *name, char *err,
	    size_t errlen) KVM_WUR;
/* Post-copy can start only in the memory phase (stats mem_total > 0): QEMU
 * refuses it while the disks are still being mirrored. */
int	kvm_postcopy_start(struct kvm *, const char *name, char *err,
	    size_t errlen) KVM_WUR;
/* QEMU's own migration rate for a running job (set-bandwidth); 0: none */
int	kvm_set_max_speed(struct kvm *, const char *name, uint64_t bytes_per_s,
	    char *err, size_t errlen) KVM_WUR;
int	kvm_set_max_downtime(struct kvm *, const char *name, unsigned ms,
	    char *err, size_t errlen) KVM_WUR;

/*
 * Isolated networks of failover tests: a transient network with no forward
 * mode, no address and no DHCP on a bridge of that name (nothing routes in
 * or out); destroyed again (0 also when absent).  kvm_network_bridge: the
 * bridge of an active network (bridge: IFNAMSIZ).
 */
int	kvm_network_create_isolated(struct kvm *, const char *name,
	    const char *bridge, char *err, size_t errlen) KVM_WUR;
int	kvm_network_destroy(struct kvm *, const char *name, char *err,
	    size_t errlen) KVM_WUR;
int	kvm_network_bridge(struct kvm *, const char *name, char *bridge,
	    size_t bridgelen, char *err, size_t errlen) KVM_WUR;

/* Network: DHCP host reservations and guest addresses (reachability). */
struct kvm_dhcp_host {
	char	mac[18];
	char	ip[46];
	char	name[64];
};
/* Reservation for mac in network's first IPv4 <dhcp>; 1 found, 0 none, -1 error. */
int	kvm_dhcp_host_get(struct kvm *, const char *network, const char *mac,
	    struct kvm_dhcp_host *out, char *err, size_t errlen);
/* Add is a no-op when the same reservation exists and an error when mac has
 * another; del is a no-op when there is none (ip "" matches any). */
int	kvm_dhcp_host_add(struct kvm *, const char *network,
	    const struct kvm_dhcp_host *, char *err, size_t errlen) KVM_WUR;
int	kvm_dhcp_host_del(struct kvm *, const char *network,
	    const struct kvm_dhcp_host *, char *err, size_t errlen) KVM_WUR;
/*
 * Guest IP addresses for a MAC (NULL: any but loopback): from the network's
 * DHCP leases, then the guest agent, then libvirt's ARP source; the first
 * source that answers wins.  Fills up to max strings (caller frees each);
 * returns how many (0: nobody knows), -1 on error.
 */
int	kvm_guest_addresses(struct kvm *, const char *name, const char *mac,
	    char **out, int max, char *err, size_t errlen);
/* No announce-self call: libvirt 9 has no API for it (only the QMP
 * pass-through of libvirt-qemu, which taints the domain), and QEMU announces
 * the guest by itself (RARP/GARP rounds) when an incoming migration ends. */

/*
 * Lifecycle events: a thread running libvirt's default event loop delivers
 * every domain lifecycle event of this connection to cb (in that thread).
 * KVM_EV_CLOSED (domain and uuid NULL): the events connection closed, no
 * more events come; stop and start again.
 */
typedef void (*kvm_event_cb)(void *arg, const char *domain, const char *uuid,
    enum kvm_event event);
struct kvm_events;
int	kvm_events_start(struct kvm_events **out, const char *uri,
	    kvm_event_cb cb, void *arg, char *err, size_t errlen) KVM_WUR;
/* When it returns cb is not running and never runs again; not from cb. */
void	kvm_events_stop(struct kvm_events *);	/* accepts NULL */

/* "running", "shut off", ... (static) for an enum kvm_dom_state */
const char *kvm_state_name(int state);

#endif /* VMGW_KVM_H */
