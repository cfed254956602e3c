/*
 * fuzz_frame.c - a volume's framed sparse stream as the receiving gateway
 * reads it (kvm/frame.c kvm_frame_next, kvm_frame_get_data): the input is
 * the byte stream on the fd, here a memfd.  The other gateway writes it, so
 * every byte is the peer's.
 *
 * Checks: a section is 'D', 'H' or 'E' or -1 with a message; a data frame
 * is 1 .. KVM_FRAME_DATA_MAX bytes and a hole at least 1; pos is always the
 * sum of the data and holes seen and never past KVM_FRAME_LEN_MAX; wire
 * never passes the input; after 'E' the reader stays ended and pos is what
 * the end frame said; nothing is read past the end frame.
 */
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kvm_frame.h"
#include "fuzz.h"

static int	fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((fd = memfd_create("fuzz_frame", 0)) == -1)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvm_frame_reader	 r;
	uint8_t			 buf[4096];
	char			 err[256];
	uint64_t		 len, sum = 0;
	ssize_t			 got;
	int			 kind, n;

	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) == -1)
		abort();
	memset(&r, 0, sizeof(r));
	r.fd = fd;
	for (n = 0; n < 100000; n++) {
		err[0] = '\0';
		kind = kvm_frame_next(&r, &len, err, sizeof(err));
		FUZZ_CHECK(r.wire <= size);
		if (kind == -1) {
			FUZZ_CHECK(err[0] != '\0');
			break;
		}
		FUZZ_CHECK(kind == KVM_FRAME_DATA || kind == KVM_FRAME_HOLE ||
		    kind == KVM_FRAME_END);
		if (kind == KVM_FRAME_END) {
			FUZZ_CHECK(r.ended && len == r.pos && r.pos == sum);
			/* ended stays ended, reads nothing more */
			FUZZ_CHECK(kvm_frame_next(&r, &len, err,
			    sizeof(err)) == KVM_FRAME_END);
			FUZZ_CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)r.wire);
			break;
		}
		FUZZ_CHECK(len >= 1 && len <= KVM_FRAME_LEN_MAX);
		if (kind == KVM_FRAME_HOLE) {
			sum += len;
			FUZZ_CHECK(r.pos == sum);
			continue;
		}
		FUZZ_CHECK(len <= KVM_FRAME_DATA_MAX && r.data_left == len);
		/* take it in odd-sized pieces */
		while ((got = kvm_frame_get_data(&r, buf, 1 + (n % 4095), err,
		    sizeof(err))) > 0)
			sum += (uint64_t)got;
		if (got == -1) {
			/* cut short: pos counts the bytes of the last piece */
			FUZZ_CHECK(err[0] != '\0' && r.wire == size);
			FUZZ_CHECK(r.pos >= sum && r.pos - sum <= 4095);
			break;
		}
		FUZZ_CHECK(r.pos == sum && r.pos <= KVM_FRAME_LEN_MAX);
		FUZZ_CHECK(r.data_left == 0);
	}
	return 0;
}
