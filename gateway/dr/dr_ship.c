/*
 * dr_ship.c - the home site's workers of one point (struct dr_cycle is the
 * calls' own data; the loop reads it only after each call's done()).
 *
 *   take   the guest's disks and its domain XML as mapped for the backup
 *          site; is the newest checkpoint still usable (after a hard kill
 *          of QEMU it is not: resync); [freeze]; pull-mode backup-begin,
 *          incremental from it, creating the point's checkpoint; [thaw]
 *   ship   per disk, the export's extents (dirty ranges, or everything for
 *          a full point), as chunk frames on the worker's end of the "dr"
 *          channel: DATA in pieces of at most DRC_CHUNK_PAYLOAD_MAX with
 *          their BLAKE2b, ZERO for ranges that read as zeros; frames before
 *          the backup site's next_seq are skipped (a resumed point: the
 *          same export gives the same frames); then the ACK of END_POINT,
 *          which means the point is committed there
 *   end    backup-end; when the point failed, its checkpoint is deleted
 *          too (its bitmap merges into the older one, which has been
 *          recording all along), so the next point is redone from there;
 *          when it succeeded, the older checkpoint goes (only the newest
 *          is ever needed) and the newest's definition is kept
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dr.h"

#define DR_WINDOW	(1ull << 30)	/* block status asked per window */
#define DR_ZERO_FRAME	(1u << 30)	/* one ZERO frame covers at most */

static int
dr_disks(struct dr_cycle *c, const struct kvm_domain_info *di)
{
	size_t	 i;

	c->n_disks = 0;
	for (i = 0; i < di->n_disks; i++) {
		const struct kvm_disk *d = &di->disks[i];

		if (d->readonly || strcmp(d->device, "disk") != 0 ||
		    d->path == NULL)
			continue;
		if (!d->is_file || d->shareable) {
			snprintf(c->err, sizeof(c->err), "%s: disk %s: vmgw "
			    "protects unshared file-backed disks only",
			    di->name, d->target);
			return -1;
		}
		if (c->n_disks == DRC_DISKS_MAX) {
			snprintf(c->err, sizeof(c->err), "%s: more than %d "
			    "disks", di->name, DRC_DISKS_MAX);
			return -1;
		}
		snprintf(c->disks[c->n_disks].target, sizeof(c->disks[0].target),
		    "%s", d->target);
		snprintf(c->disks[c->n_disks].path, sizeof(c->disks[0].path),
		    "%s", d->path);
		c->disks[c->n_disks].size = d->capacity;
		c->n_disks++;
	}
	if (c->n_disks == 0) {
		snprintf(c->err, sizeof(c->err), "%s: no disk to protect",
		    di->name);
		return -1;
	}
	return 0;
}

/*
 * A full point starts the tracking again: vmgw's older checkpoints of the
 * domain go (their bitmaps, or only their metadata when the bitmaps are
 * lost), or the new one could not be made under the same name.
 */
static void
dr_drop_checkpoints(struct kvm *k, const char *domain)
{
	struct kvm_checkpoint	*cp = NULL;
	size_t			 n = 0, i;
	char			 e[512];

	if (kvm_checkpoint_list(k, domain, &cp, &n, e, sizeof(e)) == -1) {
		log_warnx("%s: %s", domain, e);
		return;
	}
	for (i = n; i > 0; i--) {	/* children first */
		if (strncmp(cp[i - 1].name, DR_CHECKPOINT_PREFIX,
		    strlen(DR_CHECKPOINT_PREFIX)) != 0)
			continue;
		if (kvm_checkpoint_delete(k, domain, cp[i - 1].name, 0, e,
		    sizeof(e)) == -1 && kvm_checkpoint_delete(k, domain,
		    cp[i - 1].name, 1, e, sizeof(e)) == -1)
			log_warnx("%s: %s", domain, e);
	}
	kvm_checkpoint_list_free(cp, n);
}

void
dr_take_work(void *arg)
{
	struct dr_cycle		*c = arg;
	struct job		*j = c->job;
	const struct vmgw_peer	*pc = j->peer->conf;
	struct kvm		*k = NULL;
	struct kvm_domain_info	*di = NULL;
	struct kvm_backup_disk	 bd[DRC_DISKS_MAX];
	char			 why[256], e2[256];
	char			 scratch[DRC_DISKS_MAX][600];
	int			 usable, froze = 0, no_agent = 0, n;
	size_t			 i;

	if (kvm_open(&k, j->gw->conf->libvirt, c->err, sizeof(c->err)) == -1 ||
	    kvm_domain_inspect(k, j->domain, &di, c->err, sizeof(c->err)) == -1)
		goto out;
	snprintf(c->uuid, sizeof(c->uuid), "%s", di->uuid);
	if (di->state != KVM_DOM_RUNNING && di->state != KVM_DOM_PAUSED) {
		snprintf(c->err, sizeof(c->err), "%s is %s here: a point is "
		    "taken of a running guest", j->domain, di->state_str);
		goto out;
	}
	if (dr_disks(c, di) == -1 || kvm_xml_rewrite(di->xml, pc->networks,
	    pc->n_networks, pc->storage, pc->n_storage, &c->xml, c->err,
	    sizeof(c->err)) == -1)
		goto out;
	dr_chain_depth(j->gw, j->domain, &c->depth, &c->upkeep);
	if (c->from[0] != '\0') {
		usable = kvm_checkpoint_usable(k, j->domain, c->from, why,
		    sizeof(why), c->err, sizeof(c->err));
		if (usable == -1)
			goto out;
		if (usable == 0 && strncmp(why, "no checkpoint", 13) == 0 &&
		    c->from_xml != NULL) {
			/* libvirt forgot it (the guest was undefined and
			 * defined again): vmgw kept its definition, and the
			 * bitmaps are still in the images */
			if (kvm_checkpoint_redefine(k, j->domain, c->from_xml,
			    1, e2, sizeof(e2)) == 0 &&
			    (usable = kvm_checkpoint_usable(k, j->domain,
			    c->from, why, sizeof(why), c->err,
			    sizeof(c->err))) == 1)
				log_info("%s: checkpoint %s defined again from "
				    "vmgw's copy", j->domain, c->from);
			else if (usable == -1)
				goto out;
			else
				log_warnx("%s: checkpoint %s could not be "
				    "defined again: %s", j->domain, c->from, e2);
		}
		if (usable == 0) {
			/* lost change tracking: a full point, never trusted */
			c->resync = 1;
			snprintf(c->reason, sizeof(c->reason), "change "
			    "tracking lost (%s): resynchronised by comparing "
			    "block hashes", why);
			if (kvm_checkpoint_delete(k, j->domain, c->from, 1, e2,
			    sizeof(e2)) == -1)
				log_warnx("%s: %s", j->domain, e2);
			c->from[0] = '\0';
		}
	}
	/* a point of ours that a killed or restarted vmgwd left: its export
	 * ends and its checkpoint goes (the older one recorded everything) */
	if (kvm_backup_running(k, j->domain, e2, sizeof(e2)) == 1) {
		log_warnx("%s: a backup job left running: ended", j->domain);
		if (kvm_backup_end(k, j->domain, e2, sizeof(e2)) == -1)
			log_warnx("%s: %s", j->domain, e2);
	}
	if (kvm_checkpoint_delete(k, j->domain, c->checkpoint, 0, e2,
	    sizeof(e2)) == -1 && kvm_checkpoint_delete(k, j->domain,
	    c->checkpoint, 1, e2, sizeof(e2)) == -1)
		log_warnx("%s: %s", j->domain, e2);
	if (c->from[0] == '\0')
		dr_drop_checkpoints(k, j->domain);
	/* libvirt 9.0 wants a scratch file per disk in pull mode (it makes
	 * and removes it): beside the image, which QEMU can write */
	for (i = 0; i < c->n_disks; i++) {
		snprintf(scratch[i], sizeof(scratch[i]), "%s.vmgw-scratch",
		    c->disks[i].path);
		bd[i].target = c->disks[i].target;
		bd[i].scratch = scratch[i];
	}
	if (DR(j)->set.quiesce) {
		if ((n = kvm_fs_freeze(k, j->domain, &no_agent, why,
		    sizeof(why))) >= 0)
			froze = 1;
		else
			snprintf(c->reason, sizeof(c->reason), "not "
			    "app-consistent: %s", why);
	}
	c->start = (int64_t)time(NULL);
	if (kvm_backup_begin_pull(k, j->domain, c->sock, c->from[0] ? c->from :
	    NULL, c->checkpoint, bd, c->n_disks, c->err, sizeof(c->err)) == 0)
		c->began = 1;
	/* the new checkpoint's definition, kept with the protection */
	if (c->began && kvm_checkpoint_get_xml(k, j->domain, c->checkpoint,
	    &c->cp_xml, e2, sizeof(e2)) == -1)
		log_warnx("%s: %s", j->domain, e2);
	if (froze) {
		if (kvm_fs_thaw(k, j->domain, e2, sizeof(e2)) == -1)
			log_warnx("%s: thaw: %s", j->domain, e2);
		c->app = c->began;
	}
 out:
	kvm_domain_info_free(di);
	kvm_close(k);
}

/* ------------------------------------------------------------ final */

/*
 * (worker) A move's final point: the disks on new overlays in one atomic
 * snapshot; the images under them stop changing and are the point, read
 * with the bitmap of the newest checkpoint (QEMU stored it when it made
 * them read-only).  Nothing else holds the domain: the protection has
 * yielded to the move.
 */
void
dr_final_take_work(void *arg)
{
	struct dr_cycle		*c = arg;
	struct job		*j = c->job;
	const struct vmgw_peer	*pc = j->peer->conf;
	struct kvm		*k = NULL;
	struct kvm_domain_info	*di = NULL;
	const char		*targets[DRC_DISKS_MAX], *files[DRC_DISKS_MAX];
	char			 why[256], name[96];
	size_t			 i, d;
	int			 usable;

	if (kvm_open(&k, j->gw->conf->libvirt, c->err, sizeof(c->err)) == -1 ||
	    kvm_domain_inspect(k, j->domain, &di, c->err, sizeof(c->err)) == -1)
		goto out;
	snprintf(c->uuid, sizeof(c->uuid), "%s", di->uuid);
	if (di->state != KVM_DOM_RUNNING && di->state != KVM_DOM_PAUSED) {
		snprintf(c->err, sizeof(c->err), "%s is %s here", j->domain,
		    di->state_str);
		goto out;
	}
	if (dr_disks(c, di) == -1 || kvm_xml_rewrite(di->xml, pc->networks,
	    pc->n_networks, pc->storage, pc->n_storage, &c->xml, c->err,
	    sizeof(c->err)) == -1)
		goto out;
	for (i = 0; i < c->n_disks; i++) {
		for (d = 0; d < di->n_disks; d++)
			if (strcmp(di->disks[d].target, c->disks[i].target) == 0)
				break;
		if (d == di->n_disks || di->disks[d].format == NULL ||
		    strcmp(di->disks[d].format, "qcow2") != 0) {
			snprintf(c->err, sizeof(c->err), "disk %s is not a "
			    "qcow2 image", c->disks[i].target);
			goto out;
		}
		if (strchr(c->disks[i].path, ',') != NULL) {
			snprintf(c->err, sizeof(c->err), "disk %s: its path has "
			    "a comma", c->disks[i].target);
			goto out;
		}
	}
	if ((usable = kvm_checkpoint_usable(k, j->domain, c->from, why,
	    sizeof(why), c->err, sizeof(c->err))) != 1) {
		if (usable == 0)
			snprintf(c->err, sizeof(c->err), "checkpoint %s: %s",
			    c->from, why);
		goto out;
	}
	for (i = 0; i < c->n_disks; i++) {
		snprintf(c->tops[i], sizeof(c->tops[i]), "%s.vmgw-move-%s",
		    c->disks[i].path, c->id);
		targets[i] = c->disks[i].target;
		files[i] = c->tops[i];
	}
	snprintf(name, sizeof(name), "%smove-%s", DR_CHECKPOINT_PREFIX, c->id);
	c->start = (int64_t)time(NULL);
	if (kvm_disks_overlay(k, j->domain, name, targets, files, c->n_disks,
	    c->err, sizeof(c->err)) == -1)
		goto out;
	c->n_tops = c->n_disks;
	c->began = 1;
	snprintf(c->reason, sizeof(c->reason), "the final point of a move");
 out:
	kvm_domain_info_free(di);
	kvm_close(k);
}

/*
 * (worker) The overlays' writes back into the images under them, and the
 * overlays gone: the guest runs on its own images again.  0, or -1 with
 * the overlays left as they are (the guest runs on them, nothing lost).
 */
int
dr_tops_commit(struct kvm *k, const char *domain, const struct dr_disk *disks,
    size_t n, char tops[][600], size_t n_tops, char *err, size_t errlen)
{
	const char	*targets[DRC_DISKS_MAX];
	size_t		 i;

	if (n_tops == 0)
		return 0;
	for (i = 0; i < n && i < n_tops; i++)
		targets[i] = disks[i].target;
	if (kvm_disks_commit(k, domain, targets, n_tops, err, errlen) == -1)
		return -1;
	for (i = 0; i < n_tops; i++)
		if (unlink(tops[i]) == -1 && errno != ENOENT)
			log_warnx("%s: %s: %s", domain, tops[i],
			    strerror(errno));
	return 0;
}

/* (worker) the final point failed: the guest goes back on its images */
void
dr_final_end_work(void *arg)
{
	struct dr_cycle	*c = arg;
	struct job	*j = c->job;
	struct kvm	*k = NULL;
	char		 err[512];

	if (c->rc == 0 || c->n_tops == 0)
		return;
	if (kvm_open(&k, j->gw->conf->libvirt, err, sizeof(err)) == -1 ||
	    dr_tops_commit(k, j->domain, c->disks, c->n_disks, c->tops,
	    c->n_tops, err, sizeof(err)) == -1)
		log_warnx("%s: after its failed final point, its disks stay on "
		    "overlays (%s): %s", j->domain, c->tops[0], err);
	else
		c->n_tops = 0;
	kvm_close(k);
}

/* ------------------------------------------------------------ ship */

struct dr_out {
	struct dr_cycle		*c;
	uint64_t		 seq;		/* the next frame's */
	uint64_t		 acked;		/* ACKs up to this seq + 1 */
	struct drc_chunk_dec	 ackdec;
	uint8_t			 in[4096];
	size_t			 inlen;
	int			 eof;
};

static int
dr_write_all(int fd, const void *p, size_t len)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (len > 0) {
		if ((w = write(fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Take the ACKs that came (wait up to ms); -1 when the stream failed. */
static int
dr_read_acks(struct dr_out *o, int ms)
{
	struct dr_cycle	*c = o->c;
	struct pollfd	 pfd = { c->fd, POLLIN, 0 };
	struct drc_chunk ck;
	ssize_t		 r;
	size_t		 used;
	int		 d;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	if ((r = read(c->fd, o->in + o->inlen, sizeof(o->in) - o->inlen)) <=
	    0) {
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			return 0;
		o->eof = 1;
		return 0;
	}
	o->inlen += (size_t)r;
	for (;;) {
		d = drc_chunk_decode(&o->ackdec, o->in, o->inlen, &ck, &used,
		    c->err, sizeof(c->err));
		if (d == -1)
			return -1;
		if (d == 0)
			break;
		o->acked = ck.seq + 1;
		memmove(o->in, o->in + used, o->inlen - used);
		o->inlen -= used;
	}
	return 0;
}

static int
dr_frame(struct dr_out *o, struct drc_chunk *ck)
{
	struct dr_cycle	*c = o->c;
	uint8_t		 hdr[DRC_CHUNK_HDR];

	ck->seq = o->seq++;
	if (ck->seq < c->next_seq)
		return 0;		/* the backup site has it */
	if (drc_chunk_encode(hdr, ck, c->err, sizeof(c->err)) == -1)
		return -1;
	if (dr_write_all(c->fd, hdr, sizeof(hdr)) == -1 ||
	    (ck->type == DRC_CHUNK_DATA && dr_write_all(c->fd, ck->payload,
	    ck->length) == -1)) {
		snprintf(c->err, sizeof(c->err), "the backup site's channel "
		    "closed at frame %llu", (unsigned long long)ck->seq);
		return -1;
	}
	c->bytes += DRC_CHUNK_HDR + (ck->type == DRC_CHUNK_DATA ? ck->length :
	    0);
	return dr_read_acks(o, 0);
}

/* One extent: DATA pieces (read from the export) or ZERO frames. */
static int
dr_extent(struct dr_out *o, struct drc_nbd *nbd, unsigned disk,
    const struct drc_extent *e, uint8_t *buf)
{
	struct dr_cycle	*c = o->c;
	struct drc_chunk ck;
	uint64_t	 off = e->offset, end = e->offset + e->length, n;

	while (off < end) {
		n = end - off;
		if (n > (e->zero ? DR_ZERO_FRAME : DRC_CHUNK_PAYLOAD_MAX))
			n = e->zero ? DR_ZERO_FRAME : DRC_CHUNK_PAYLOAD_MAX;
		memset(&ck, 0, sizeof(ck));
		ck.type = e->zero ? DRC_CHUNK_ZERO : DRC_CHUNK_DATA;
		ck.disk = (uint16_t)disk;
		ck.offset = off;
		ck.length = (uint32_t)n;
		if (!e->zero) {
			/* no read for a frame the backup site has */
			if (o->seq >= c->next_seq && drc_nbd_pread(nbd, buf,
			    (size_t)n, off, c->err, sizeof(c->err)) == -1)
				return -1;
			ck.payload = buf;
			/* data that reads as zeros goes as a range */
			if (o->seq >= c->next_seq && buf[0] == 0 &&
			    memcmp(buf, buf + 1, (size_t)n - 1) == 0) {
				ck.type = DRC_CHUNK_ZERO;
				ck.payload = NULL;
			}
		}
		if (dr_frame(o, &ck) == -1)
			return -1;
		off += n;
	}
	c->changed += e->length;
	return 0;
}

/* (resync) the ranges where this disk and the backup site's differ */
static int
dr_resync_ranges(struct dr_cycle *c, struct drc_nbd *nbd, unsigned disk,
    struct drc_extent **ext, size_t *n)
{
	struct drc_hashes	 lh;
	uint64_t		 size = drc_nbd_size(nbd);
	size_t			 i;

	if (drc_hash_disk(nbd, &lh, c->err, sizeof(c->err)) == -1)
		return -1;
	if (drc_hash_diff(&lh, &c->remote[disk], ext, n, c->err,
	    sizeof(c->err)) == -1) {
		drc_hashes_free(&lh);
		return -1;
	}
	drc_hashes_free(&lh);
	for (i = 0; i < *n; i++) {	/* nothing past this disk's end */
		if ((*ext)[i].offset >= size)
			(*ext)[i].length = 0;
		else if ((*ext)[i].offset + (*ext)[i].length > size)
			(*ext)[i].length = size - (*ext)[i].offset;
		(*ext)[i].zero = 0;
	}
	return 0;
}

static int
dr_ship_disk(struct dr_out *o, unsigned disk, uint8_t *buf)
{
	struct dr_cycle		*c = o->c;
	struct drc_nbd		*nbd = NULL;
	struct drc_extent	*ext = NULL;
	struct drc_chunk	 ck;
	char			 bitmap[64], e2[256];
	uint64_t		 size, off = 0;
	size_t			 n, i;
	int			 ret = -1;

	snprintf(bitmap, sizeof(bitmap), "backup-%s", c->disks[disk].target);
	if (c->final) {
		/* the frozen image under the overlay, its bitmap of `from` */
		char	 sock[600];

		snprintf(sock, sizeof(sock), "%s.%u", c->sock, disk);
		if (drc_nbd_serve(&nbd, c->disks[disk].path, sock,
		    DRC_NBD_RO_SHARED, c->from, c->err, sizeof(c->err)) == -1)
			goto out;
	} else if (drc_nbd_connect(&nbd, c->sock, c->disks[disk].target,
	    c->from[0] ? bitmap : NULL, c->err, sizeof(c->err)) == -1)
		goto out;
	size = drc_nbd_size(nbd);
	if (c->resync && c->remote[disk].h != NULL) {
		/* compare: hash this disk, ship the blocks that differ */
		if (dr_resync_ranges(c, nbd, disk, &ext, &n) == -1)
			goto out;
		for (i = 0; i < n; i++)
			if (dr_extent(o, nbd, disk, &ext[i], buf) == -1)
				goto out;
		free(ext);
		ext = NULL;
		off = size;
	}
	for (off = off == size ? size : 0; off < size; off += DR_WINDOW) {
		if (drc_nbd_extents(nbd, off, size - off < DR_WINDOW ?
		    size - off : DR_WINDOW, &ext, &n, c->err,
		    sizeof(c->err)) == -1)
			goto out;
		for (i = 0; i < n; i++)
			if (dr_extent(o, nbd, disk, &ext[i], buf) == -1)
				goto out;
		free(ext);
		ext = NULL;
	}
	memset(&ck, 0, sizeof(ck));
	ck.type = DRC_CHUNK_END_DISK;
	ck.disk = (uint16_t)disk;
	ck.offset = size;
	ret = dr_frame(o, &ck);
 out:
	free(ext);
	drc_nbd_close(nbd, e2, sizeof(e2));
	return ret;
}

void
dr_ship_work(void *arg)
{
	struct dr_cycle	*c = arg;
	struct dr_out	 o;
	struct drc_chunk ck;
	uint8_t		*buf = NULL;
	uint64_t	 last;
	time_t		 until;
	unsigned	 d;

	c->rc = -1;
	memset(&o, 0, sizeof(o));
	o.c = c;
	drc_chunk_dec_init(&o.ackdec, 1, 0, 0, NULL, 0);
	if ((buf = malloc(DRC_CHUNK_PAYLOAD_MAX)) == NULL) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		goto out;
	}
	for (d = 0; d < c->n_disks; d++)
		if (dr_ship_disk(&o, d, buf) == -1)
			goto out;
	memset(&ck, 0, sizeof(ck));
	ck.type = DRC_CHUNK_END_POINT;
	if (dr_frame(&o, &ck) == -1)
		goto out;
	/* the ACK of END_POINT: the point is committed at the backup site */
	last = o.seq;
	until = time(NULL) + DR_ACK_TIMEOUT_S;
	while (o.acked < last && !o.eof && time(NULL) < until)
		if (dr_read_acks(&o, 1000) == -1)
			goto out;
	if (o.acked < last) {
		snprintf(c->err, sizeof(c->err), "the backup site did not "
		    "confirm the point (%s)", o.eof ? "its channel closed" :
		    "no answer");
		goto out;
	}
	c->rc = 0;
 out:
	free(buf);
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

void
dr_end_work(void *arg)
{
	struct dr_cycle	*c = arg;
	struct job	*j = c->job;
	struct kvm	*k = NULL;
	char		 err[512];

	if (kvm_open(&k, j->gw->conf->libvirt, err, sizeof(err)) == -1) {
		log_warnx("%s: backup end: %s", j->domain, err);
		return;
	}
	if (kvm_backup_end(k, j->domain, err, sizeof(err)) == -1)
		log_warnx("%s: %s", j->domain, err);
	if (c->rc != 0 && c->began && kvm_checkpoint_delete(k, j->domain,
	    c->checkpoint, 0, err, sizeof(err)) == -1)
		log_warnx("%s: %s", j->domain, err);
	if (c->rc == 0 && c->from[0] != '\0') {
		/* only the newest checkpoint is needed: the older one goes (a
		 * bitmap per point would record every write forever), and the
		 * newest's definition, now without a parent, is what vmgw keeps
		 * to define it again when libvirt forgets it */
		if (kvm_checkpoint_delete(k, j->domain, c->from, 0, err,
		    sizeof(err)) == -1)
			log_warnx("%s: %s", j->domain, err);
		free(c->cp_xml);
		c->cp_xml = NULL;
		if (kvm_checkpoint_get_xml(k, j->domain, c->checkpoint,
		    &c->cp_xml, err, sizeof(err)) == -1)
			log_warnx("%s: %s", j->domain, err);
	}
	kvm_close(k);
}
