/*
 * peerproto.h - every message one gateway sends another, above the records
 * of proto.h: the peer messages (REC_MSG on channel 0) and the channel
 * kinds (the JSON of REC_OPEN).  Part of the wire protocol: bump
 * VMGW_PROTO_VERSION in proto.h if anything here changes.
 *
 * The transport carries these without knowing them; the layer named with
 * each registers its handler (pmsg_register, accept_register).
 *
 * Peer messages.  A request is
 *   {"kind": "request", "id": N, "op": OP, ...fields}
 * and its answer
 *   {"kind": "reply", "id": N, ...fields}  or  {"kind": "reply", "id": N,
 *   "error": "one line"}.
 * A request has no life beyond its tunnel: when the tunnel goes, the
 * asking side gets "tunnel to X lost" at once.  Unknown ops are answered
 * with an error ("unknown request 'OP'").
 *
 *   op (direction)            request fields -> reply fields
 *
 *   forward-check             target ("host:port" or "unix:/path")
 *     (forward.c, asker ->      -> {}, or an error when target is not in the
 *      target site)               target site's forward_targets
 *
 *   job-prepare               job ("j" + 10 hex), domain, uuid, dry_run,
 *     (migrate: source ->     offline, bandwidth (bytes/s, 0 none),
 *      destination)           disks [{target, source, path, format,
 *                             capacity, allocation}], networks [names at the
 *                             destination], xml (the domain as mapped for the
 *                             destination), plan {mode, addresses, macs,
 *                             dhcp [{mac, ip, name, from, to}]}
 *                               -> checks [{check, ok, detail}]
 *   job-finish                job
 *     (source -> destination)   -> live: state "running", downtime_ms,
 *                               memory_bytes, disk_bytes, elapsed_ms, reach
 *                               {ok, ms, detail}, hooks (warning text);
 *                               offline: state "defined"
 *   job-abort                 job, reason, source_running (bool)
 *     (source -> destination)   -> note (what was left, or "no such job",
 *                               "already ended", "cleaning up when ...")
 *   job-bandwidth             job, bandwidth (bytes/s, 0 none)  -> {}
 *     (source -> destination)
 *   job-switched              job  -> {}
 *     (destination -> source: the guest resumed there; the source lets go
 *      of its routes at once)
 *
 *   dr-begin                  guest, uuid, point ("p000017"), seq, start
 *     (dr: home -> backup:    (unix s), consistency ("crash" | "app"),
 *      a point is coming)     reason, disks [{target, source (the home
 *                             site's image), size}], xml (the domain as
 *                             mapped for the backup site), incremental
 *                             (bool), keep, resume (bool: go on with the
 *                             point of the same id), resync (bool: the
 *                             backup site hashes its newest point for a
 *                             compare: see dr-hashes)
 *                               -> dir (the chain's directory there),
 *                               next_seq (the first frame it still needs),
 *                               points (complete points kept); an error
 *                               with newest_seq when the point cannot
 *                               stack ("... a full point is needed")
 *   dr-hashes                 guest, point, disk (index), from, count
 *     (home -> backup, for a  (at most 1024)  -> size (the disk's), n (its
 *      resync point, after    blocks), block (bytes), hashes (base64 of
 *      its dr-begin)          count BLAKE2b-256 of blocks from..from+count
 *                             of the chain's newest point)
 *   dr-adopt                  guest, to, rpo, keep, quiesce, bandwidth
 *     (old home -> new home,    -> {}: the new home protects the guest to
 *      after a move)            `to` from now on (or an error why not)
 *   dr-status                 guest  -> running (bool), state
 *     (backup -> home, the split-brain guard of a failover)
 *   dr-points                 guest, source (the home site's image of
 *                             its first disk)  -> points [{id, seq, start, end,
 *     (any -> backup)         consistency, reason, bytes, pinned, disks
 *                             [{target, file}]}], dir, newest_seq
 *
 *   dr-drop                   guest, source  -> dir, bytes, files
 *     (home -> backup)        the replica removed (unprotect); refused
 *                             while failed over, pinned or receiving
 *
 *   dr-reverse                guest, uuid, source, disks [{target, size}]
 *     (new home -> old home,    -> dir, again, settings {rpo, keep,
 *      reprotect)               quiesce, bandwidth}: the old copy (off)
 *                             is the base of a chain from the new home
 *
 * Channel kinds.  REC_OPEN carries {"kind": KIND, ...fields}; the
 * receiving gateway accepts (REC_OPEN_OK) or refuses with a reason.
 *
 *   forward  target: a listed forward target          (forward.c)
 *   bench    (none): a sink that discards             (bench.c)
 *   l2       (none): the l2 plan's stretch            (netplan/l2.c)
 *   job      job, sock ("libvirt", "mig", "nbd", or "disk" with disk: the
 *            target, offline), seq (order of opening) (migrate/)
 *   dr       guest, point: one point's chunk frames (dr/core drcore.h),
 *            ACKs back; only after its dr-begin        (dr/)
 */
#ifndef VMGW_PEERPROTO_H
#define VMGW_PEERPROTO_H

/* peer-message ops */
#define PM_FORWARD_CHECK	"forward-check"
#define PM_JOB_PREPARE		"job-prepare"
#define PM_JOB_FINISH		"job-finish"
#define PM_JOB_ABORT		"job-abort"
#define PM_JOB_BANDWIDTH	"job-bandwidth"
#define PM_JOB_SWITCHED		"job-switched"
#define PM_DR_BEGIN		"dr-begin"
#define PM_DR_POINTS		"dr-points"
#define PM_DR_HASHES		"dr-hashes"
#define PM_DR_ADOPT		"dr-adopt"
#define PM_DR_STATUS		"dr-status"
#define PM_DR_DROP		"dr-drop"
#define PM_DR_REVERSE		"dr-reverse"

/* channel kinds */
#define CHAN_KIND_FORWARD	"forward"
#define CHAN_KIND_BENCH		"bench"
#define CHAN_KIND_L2		"l2"
#define CHAN_KIND_JOB		"job"
#define CHAN_KIND_DR		"dr"

#endif /* VMGW_PEERPROTO_H */
