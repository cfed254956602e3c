/*
 * kvm_backup.h - the libvirt side of disaster recovery: pull-mode
 * incremental backups (one point of a protected guest's disks), the
 * checkpoints that mark those points, and filesystem freeze / thaw through
 * the guest agent for app-consistent points.  kvm/backup.c (backups and
 * the XML), kvm/checkpoint.c and kvm/agent.c implement it.
 *
 * The same rules as kvm.h: every call may block, worker threads only, one
 * struct kvm per thread; 0 / -1 (or a count / a 1-0 answer where said);
 * on -1 err holds one line naming the domain and the step with libvirt's
 * own message, e.g.
 *   "web1: backup begin (incremental from c1, checkpoint c2): checkpoint
 *    inconsistent: missing or broken bitmap 'c1' for disk 'vda'"
 *
 * Mechanism (libvirt 9.0, QEMU 7.2; tests/lab/DR-NOTES.md has the measured
 * details): virDomainBackupBegin in pull mode makes QEMU export each listed
 * disk as it was at that instant over NBD on one UNIX socket (export name
 * = the disk target, "vda"); with an incremental source, the blocks written
 * since that checkpoint are the meta context "qemu:dirty-bitmap:backup-vda".
 * The same call creates the next checkpoint (a persistent dirty bitmap in
 * each qcow2 image; qcow2 v3 only: on compat 0.10 images QEMU says "Cannot
 * store dirty bitmaps in qcow2 v2 files").  The export lives until
 * kvm_backup_end.  A backup job and a migration exclude each other: the
 * second one waits 30 s for libvirt's job lock, then fails with "Timed out
 * during operation: cannot acquire state change lock (held by
 * monitor=remoteDispatchDomainBackupBegin)" (or ...MigratePerform3Params);
 * ask kvm_backup_running first.
 */
#ifndef VMGW_KVM_BACKUP_H
#define VMGW_KVM_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "kvm.h"

#define KVM_BACKUP_SOCK_MAX	107	/* sun_path: QEMU's NBD server socket */
#define KVM_CHECKPOINT_NAME_MAX	128
#define KVM_BACKUP_END_WAIT_MS	10000	/* kvm_backup_end waits this long */

/* One disk of a point. */
struct kvm_backup_disk {
	const char	*target;	/* "vda" (the domain's <target dev>) */
	/* pull mode: where QEMU keeps the blocks the guest overwrites while
	 * the export is open (created and deleted by libvirt; its directory
	 * must be writable by QEMU's user).  NULL: libvirt chooses. */
	const char	*scratch;
};

/*
 * XML builders: pure, no libvirt call; the result is malloc'd (free()),
 * NULL on error with err set.  Names are checked (a checkpoint name: 1 to
 * KVM_CHECKPOINT_NAME_MAX bytes, no '/', no control characters, not
 * starting with '.'; a target: [a-z0-9]; paths absolute, the socket
 * shorter than KVM_BACKUP_SOCK_MAX).  Every listed disk takes part; a disk
 * not listed does not.
 *
 * <domainbackup mode='pull'>[<incremental>FROM</incremental>]
 *   <server transport='unix' socket='SOCK'/>
 *   <disks><disk name='vda' backup='yes' type='file'><scratch file='S'/>
 *   </disk>...</disks></domainbackup>
 */
char	*kvm_backup_xml(const char *socket_path, const char *incremental_from,
	    const struct kvm_backup_disk *disks, size_t n_disks, char *err,
	    size_t errlen);
/* <domaincheckpoint><name>N</name><disks><disk name='vda'
 * checkpoint='bitmap'/>...</disks></domaincheckpoint> */
char	*kvm_checkpoint_xml(const char *name,
	    const struct kvm_backup_disk *disks, size_t n_disks, char *err,
	    size_t errlen);
/* 0 when name is acceptable as a checkpoint name (see above), else -1 */
int	kvm_checkpoint_name_ok(const char *name);

/*
 * Pull-mode backup of a running domain: the export on socket_path, full
 * (incremental_from NULL) or incremental since that checkpoint, creating
 * checkpoint new_checkpoint (NULL: none) at the same instant.  libvirt
 * creates the socket; its directory must be reachable by QEMU's user.
 */
int	kvm_backup_begin_pull(struct kvm *, const char *domain,
	    const char *socket_path, const char *incremental_from,
	    const char *new_checkpoint, const struct kvm_backup_disk *disks,
	    size_t n_disks, char *err, size_t errlen) KVM_WUR;
/* End the domain's backup job (close the export, drop the scratch files)
 * and wait until it has ended (virDomainAbortJob returns before QEMU's
 * block jobs are done; at most KVM_BACKUP_END_WAIT_MS).  0 also when no
 * backup runs, the domain is shut off or gone; another kind of job (a
 * migration) is left alone. */
int	kvm_backup_end(struct kvm *, const char *domain, char *err,
	    size_t errlen) KVM_WUR;
/* 1 a backup job runs, 0 none (or another kind of job), -1 error */
int	kvm_backup_running(struct kvm *, const char *domain, char *err,
	    size_t errlen);

/* Checkpoints */
struct kvm_checkpoint {
	char		*name;
	char		*parent;	/* NULL for a root */
	int64_t		 creation_time;	/* seconds since the Epoch */
};
/* All of the domain's checkpoints, parents before children; *out NULL and
 * *n 0 when there are none. */
int	kvm_checkpoint_list(struct kvm *, const char *domain,
	    struct kvm_checkpoint **out, size_t *n, char *err,
	    size_t errlen) KVM_WUR;
void	kvm_checkpoint_list_free(struct kvm_checkpoint *, size_t n);
/* The checkpoint's full definition (with its <domain>), to keep and give
 * back to kvm_checkpoint_redefine later; malloc'd into *xml. */
int	kvm_checkpoint_get_xml(struct kvm *, const char *domain,
	    const char *name, char **xml, char *err, size_t errlen) KVM_WUR;
/* Delete a checkpoint (its bitmaps too, merged into the parent's, unless
 * metadata_only).  0 also when it does not exist. */
int	kvm_checkpoint_delete(struct kvm *, const char *domain,
	    const char *name, int metadata_only, char *err,
	    size_t errlen) KVM_WUR;
/* Define a checkpoint again from saved XML (VIR_DOMAIN_CHECKPOINT_CREATE_
 * REDEFINE): after the domain was undefined and defined, migrated, or
 * restored; parents first.  A live migration to qcow2 v3 images carries
 * the bitmaps but not the checkpoints: redefining them at the destination
 * (with or without the source's <domain>) makes them usable there.
 * validate: also have libvirt check the bitmaps (REDEFINE_VALIDATE;
 * running domains only, else "domain is not running"). */
int	kvm_checkpoint_redefine(struct kvm *, const char *domain,
	    const char *xml, int validate, char *err, size_t errlen) KVM_WUR;
/* Create a checkpoint now, for the listed disks, of a running (or paused)
 * domain; libvirt 9.0 refuses a shut-off one ("Operation not supported:
 * cannot create checkpoint for inactive domain"). */
int	kvm_checkpoint_create(struct kvm *, const char *domain,
	    const char *name, const struct kvm_backup_disk *disks,
	    size_t n_disks, char *err, size_t errlen) KVM_WUR;
/* Failover: start the defined domain paused, create checkpoint name for
 * the disks, resume: the first write of the guest is already tracked.  If
 * the checkpoint fails the domain is destroyed again (it never ran). */
int	kvm_start_with_checkpoint(struct kvm *, const char *domain,
	    const char *name, const struct kvm_backup_disk *disks,
	    size_t n_disks, char *err, size_t errlen) KVM_WUR;
/*
 * Can an incremental backup start from checkpoint name?  1 yes; 0 no, why
 * says what is wrong ("no checkpoint c7", "checkpoint c1: disk vda: bitmap
 * missing or inconsistent ..."); -1 error.  A running domain is asked
 * through VIR_DOMAIN_CHECKPOINT_XML_SIZE (libvirt gives no size to a disk
 * whose bitmap is missing or inconsistent); for a shut-off one only the
 * metadata is checked.  After a hard kill of QEMU every checkpoint of the
 * domain is unusable (the bitmaps made in that run are lost, the older
 * ones are left "in-use" in the image, inconsistent on the next start).
 * See checkpoint.c for why no QMP is used.
 */
int	kvm_checkpoint_usable(struct kvm *, const char *domain,
	    const char *name, char *why, size_t whylen, char *err,
	    size_t errlen);

/*
 * Guest agent.  kvm_fs_freeze freezes every guest filesystem the agent can
 * freeze and returns how many (>= 0); on -1 err says why, and *no_agent
 * (may be NULL) is 1 when the reason is that no agent is configured or
 * connected: the caller may then take a crash-consistent point instead.
 * kvm_fs_thaw returns how many it thawed (0 when none was frozen).
 */
int	kvm_fs_freeze(struct kvm *, const char *domain, int *no_agent,
	    char *err, size_t errlen);
int	kvm_fs_thaw(struct kvm *, const char *domain, char *err,
	    size_t errlen);
/* 1 the agent's channel is connected (the domain's live XML says
 * state='connected'), 0 not (why: "no guest agent channel", "disconnected",
 * "domain not running"), -1 error. */
int	kvm_agent_connected(struct kvm *, const char *domain, char *why,
	    size_t whylen, char *err, size_t errlen);

#endif /* VMGW_KVM_BACKUP_H */
