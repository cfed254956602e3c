/*
 * kvm_frame.h - the framing of a volume's sparse byte stream on a file
 * descriptor (kvm_volume_download_fd / kvm_volume_upload_fd), kept apart
 * from libvirt so that it can be tested and fuzzed on its own.
 *
 * Wire format (bump nothing silently: both sites must agree on it):
 *
 *	frame	= kind:1 length:8 (big-endian) payload
 *	'D'	data: length bytes of payload follow, 1 .. KVM_FRAME_DATA_MAX
 *	'H'	hole: length bytes of zeros, no payload, 1 .. KVM_FRAME_LEN_MAX
 *	'E'	end: length is the stream's total (data + holes); last frame
 *
 * A reader refuses, before reading any payload, an unknown kind, an empty
 * or oversized frame, a total that overflows, an end whose total differs
 * from what came, and a stream that stops before its end frame.  Nothing is
 * read past the end frame: the fd may carry more.
 */
#ifndef VMGW_KVM_FRAME_H
#define VMGW_KVM_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KVM_FRAME_HDR		9
#define KVM_FRAME_DATA_MAX	(16u << 20)	/* 16 MiB */
#define KVM_FRAME_LEN_MAX	((uint64_t)INT64_MAX)	/* libvirt's long long */
#define KVM_FRAME_DATA		'D'
#define KVM_FRAME_HOLE		'H'
#define KVM_FRAME_END		'E'

/* hdr = kind + BE64(len) */
void	kvm_frame_encode(uint8_t hdr[KVM_FRAME_HDR], int kind, uint64_t len);
/* Check a header on its own: 0 with kind and len, -1 with err. */
int	kvm_frame_decode(const uint8_t hdr[KVM_FRAME_HDR], int *kind,
	    uint64_t *len, char *err, size_t errlen);

/* Whole transfers: EINTR retried, short counts continued.  kvm_io_read
 * returns the bytes read (fewer than n only at end of file) or -1;
 * kvm_io_write returns 0 or -1 (MSG_NOSIGNAL on sockets).  errno is set. */
ssize_t	kvm_io_read(int fd, void *buf, size_t n);
int	kvm_io_write(int fd, const void *buf, size_t n);

struct kvm_frame_writer {
	int		fd;
	uint64_t	pos;		/* stream offset: data + holes written */
	uint64_t	wire;		/* bytes written to fd */
};
int	kvm_frame_put_data(struct kvm_frame_writer *, const void *data,
	    size_t n, char *err, size_t errlen);	/* n 0: nothing */
int	kvm_frame_put_hole(struct kvm_frame_writer *, uint64_t len, char *err,
	    size_t errlen);				/* len 0: nothing */
int	kvm_frame_put_end(struct kvm_frame_writer *, char *err, size_t errlen);

struct kvm_frame_reader {
	int		fd;
	uint64_t	pos;		/* stream offset reached */
	uint64_t	wire;		/* bytes read from fd */
	uint64_t	data_left;	/* payload of the current 'D' still unread */
	int		ended;		/* the end frame came and matched */
};
/*
 * Next section, once the current data frame is consumed: returns 'D' with
 * *len payload bytes to take with kvm_frame_get_data, 'H' with *len (pos
 * already advanced past it), 'E' at the (checked) end; -1 with err
 * ("at offset N (stream byte M): ...").
 */
int	kvm_frame_next(struct kvm_frame_reader *, uint64_t *len, char *err,
	    size_t errlen);
/* Up to n bytes of the current data frame: > 0, 0 once it is consumed,
 * or -1 with err (the stream ends inside the frame, or a read error). */
ssize_t	kvm_frame_get_data(struct kvm_frame_reader *, void *buf, size_t n,
	    char *err, size_t errlen);

#endif /* VMGW_KVM_FRAME_H */
