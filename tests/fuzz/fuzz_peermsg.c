/*
 * fuzz_peermsg.c - the peer messages another gateway sends (REC_MSG records
 * on channel 0, gateway/transport/peermsg.c): the input is one or more
 * messages, one per line, each given to pmsg_input() as one record from
 * the tunnel of peer site-b.  The op tables are the real ones (forward,
 * migrate, dr: fuzz_gw.h registers them as vmgwd does), so a request goes
 * through the parse, the dispatch and its handler's validation, and as far
 * as a handler gets before its worker (refused here: no libvirt, no disk).
 * Several lines let one input prepare a job and then finish, abort or
 * re-bandwidth it.
 *
 * Checks: no crash, leak or hang on any input (a bad message is answered
 * or ignored, never more); the peer stays without a tunnel (a handler
 * never adopts or makes one).
 */
#include "fuzz_gw.h"

static struct tunnel	 ft;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct gw	*gw;

	(void)argc;
	(void)argv;
	gw = fuzz_gw_make();
	ft.gw = gw;
	ft.peer = fuzz_gw_peer(gw);
	ft.state = TUN_ESTABLISHED;
	FUZZ_CHECK(ft.peer != NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *nl;
	size_t		 n;
	int		 lines = 0;

	while (size > 0 && lines++ < 16) {
		nl = memchr(p, '\n', size);
		n = nl != NULL ? (size_t)(nl - p) : size;
		pmsg_input(&ft, p, n);
		FUZZ_CHECK(ft.peer->tunnel == NULL);
		if (nl == NULL)
			break;
		p += n + 1;
		size -= n + 1;
	}
	fuzz_gw_reset(fuzz_gw);
	return 0;
}
