/*
 * stream.c - offline disk copies: a volume's bytes, holes kept, as the
 * framed stream of kvm_frame.h on a file descriptor (download), and back
 * into a volume (upload).  The gateway relays the fd's other end through a
 * tunnel channel; neither function closes the fd.
 *
 * libvirt drives the transfer (virStreamSparseRecvAll / SparseSendAll) and
 * calls back into the frame writer and reader.  When a callback fails,
 * libvirt aborts the stream itself (virStreamAbort) and we report our own
 * reason, which names the volume and the offset; libvirt's message is used
 * only when the failure was libvirt's.
 *
 * Upload writes into an empty file: libvirt skips holes by seeking, so bytes
 * already under a hole would survive.  A non-empty file volume is therefore
 * replaced by an empty raw one first (libvirt re-reads the format when the
 * upload is done), and a missing one is created.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "kvm_int.h"
#include "kvm_frame.h"

struct xfer {
	struct kvm_frame_writer	w;
	struct kvm_frame_reader	r;
	char			why[256];	/* our own failure */
};

static int
dl_data(virStreamPtr st, const char *data, size_t n, void *arg)
{
	struct xfer *x = arg;

	(void)st;
	if (n > INT_MAX) {
		snprintf(x->why, sizeof(x->why), "chunk of %zu bytes", n);
		return -1;
	}
	if (kvm_frame_put_data(&x->w, data, n, x->why, sizeof(x->why)) < 0)
		return -1;
	return (int)n;
}

static int
dl_hole(virStreamPtr st, long long len, void *arg)
{
	struct xfer *x = arg;

	(void)st;
	if (len < 0) {
		snprintf(x->why, sizeof(x->why), "at offset %llu: hole of %lld "
		    "bytes", (unsigned long long)x->w.pos, len);
		return -1;
	}
	return kvm_frame_put_hole(&x->w, (uint64_t)len, x->why,
	    sizeof(x->why));
}

int
kvm_volume_download_fd(struct kvm *k, const char *path, int fd,
    uint64_t *bytes, char *err, size_t errlen)
{
	virStorageVolPtr vol;
	virStreamPtr st = NULL;
	struct xfer x;
	int absent, running = 0, ret = -1;

	if (bytes != NULL)
		*bytes = 0;
	memset(&x, 0, sizeof(x));
	x.w.fd = fd;
	if ((vol = kvm_vol_get(k, path, &absent, err, errlen)) == NULL)
		return -1;
	if ((st = virStreamNew(k->conn, 0)) == NULL) {
		kvm_lverr(err, errlen, "%s: download: new stream", path);
		goto out;
	}
	if (virStorageVolDownload(vol, st, 0, 0,
	    VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM) < 0) {
		kvm_lverr(err, errlen, "%s: download", path);
		goto out;
	}
	running = 1;
	if (virStreamSparseRecvAll(st, dl_data, dl_hole, &x) < 0) {
		if (x.why[0] != '\0')
			kvm_err(err, errlen, "%s: download: %s", path, x.why);
		else
			kvm_lverr(err, errlen, "%s: download at offset %llu",
			    path, (unsigned long long)x.w.pos);
		goto out;
	}
	running = 0;
	if (virStreamFinish(st) < 0) {
		kvm_lverr(err, errlen, "%s: download: finish", path);
		goto out;
	}
	if (kvm_frame_put_end(&x.w, x.why, sizeof(x.why)) < 0) {
		kvm_err(err, errlen, "%s: download: %s", path, x.why);
		goto out;
	}
	if (bytes != NULL)
		*bytes = x.w.pos;
	ret = 0;
 out:
	if (running)
		virStreamAbort(st);	/* a no-op if libvirt did it already */
	if (st != NULL)
		virStreamFree(st);
	virStorageVolFree(vol);
	return ret;
}

static int
ul_hole(virStreamPtr st, int *in_data, long long *len, void *arg)
{
	struct xfer *x = arg;
	uint64_t l;
	int kind;

	(void)st;
	if ((kind = kvm_frame_next(&x->r, &l, x->why, sizeof(x->why))) < 0)
		return -1;
	/* 'E': no data and no hole, which libvirt takes for the end */
	*in_data = kind == KVM_FRAME_DATA;
	*len = kind == KVM_FRAME_END ? 0 : (long long)l;
	return 0;
}

static int
ul_skip(virStreamPtr st, long long len, void *arg)
{
	(void)st;
	(void)len;
	(void)arg;
	return 0;		/* kvm_frame_next moved past the hole */
}

static int
ul_data(virStreamPtr st, char *buf, size_t n, void *arg)
{
	struct xfer *x = arg;

	(void)st;
	if (n > INT_MAX)
		n = INT_MAX;
	return (int)kvm_frame_get_data(&x->r, buf, n, x->why, sizeof(x->why));
}

/* The volume at path, as an empty file if it is a file (see the top). */
static virStorageVolPtr
upload_target(struct kvm *k, const char *path, char *err, size_t errlen)
{
	virStorageVolPtr vol;
	virStorageVolInfo vi;
	int absent;

	vol = kvm_vol_get(k, path, &absent, err, errlen);
	if (vol == NULL && !absent)
		return NULL;
	if (vol != NULL) {
		if (virStorageVolGetInfoFlags(vol, &vi,
		    VIR_STORAGE_VOL_GET_PHYSICAL) < 0) {
			kvm_lverr(err, errlen, "%s: upload: volume info", path);
			virStorageVolFree(vol);
			return NULL;
		}
		/* with GET_PHYSICAL, allocation is the file's size */
		if (vi.type != VIR_STORAGE_VOL_FILE || vi.allocation == 0)
			return vol;
		if (virStorageVolDelete(vol, 0) < 0) {
			kvm_lverr(err, errlen, "%s: upload: empty the volume",
			    path);
			virStorageVolFree(vol);
			return NULL;
		}
		virStorageVolFree(vol);
	}
	if (kvm_volume_create(k, path, "raw", 0, err, errlen) < 0)
		return NULL;
	return kvm_vol_get(k, path, &absent, err, errlen);
}

int
kvm_volume_upload_fd(struct kvm *k, const char *path, int fd, uint64_t *bytes,
    char *err, size_t errlen)
{
	virStorageVolPtr vol;
	virStoragePoolPtr pool;
	virStreamPtr st = NULL;
	struct xfer x;
	int running = 0, ret = -1;

	if (bytes != NULL)
		*bytes = 0;
	memset(&x, 0, sizeof(x));
	x.r.fd = fd;
	if ((vol = upload_target(k, path, err, errlen)) == NULL)
		return -1;
	if ((st = virStreamNew(k->conn, 0)) == NULL) {
		kvm_lverr(err, errlen, "%s: upload: new stream", path);
		goto out;
	}
	if (virStorageVolUpload(vol, st, 0, 0,
	    VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) < 0) {
		kvm_lverr(err, errlen, "%s: upload", path);
		goto out;
	}
	running = 1;
	if (virStreamSparseSendAll(st, ul_data, ul_hole, ul_skip, &x) < 0) {
		if (x.why[0] != '\0')
			kvm_err(err, errlen, "%s: upload: %s", path, x.why);
		else
			kvm_lverr(err, errlen, "%s: upload at offset %llu",
			    path, (unsigned long long)x.r.pos);
		goto out;
	}
	if (!x.r.ended) {
		kvm_err(err, errlen, "%s: upload: at offset %llu: stream ended "
		    "without an end frame", path, (unsigned long long)x.r.pos);
		goto out;
	}
	running = 0;
	if (virStreamFinish(st) < 0) {
		kvm_lverr(err, errlen, "%s: upload: finish", path);
		goto out;
	}
	/* let libvirt see the new format and size now (best effort) */
	if ((pool = virStoragePoolLookupByVolume(vol)) != NULL) {
		if (virStoragePoolRefresh(pool, 0) < 0)
			virResetLastError();
		virStoragePoolFree(pool);
	} else
		virResetLastError();
	if (bytes != NULL)
		*bytes = x.r.pos;
	ret = 0;
 out:
	if (running)
		virStreamAbort(st);	/* a no-op if libvirt did it already */
	if (st != NULL)
		virStreamFree(st);
	virStorageVolFree(vol);
	return ret;
}
