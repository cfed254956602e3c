/*
 * handshake.c - the clear framing of the tunnel handshake, suite choice, and
 * the replay guard for first messages.
 *
 * The Noise work itself is crypto/noise.c; tunnel.c drives the messages.
 * Replay: every HS_INIT payload starts with a TAI64N timestamp; a peer's
 * timestamp must be greater than the last one we accepted from that peer,
 * which is kept in memory and in <state_dir>/peers/<name>.ts so that a
 * restart does not reopen the window (as WireGuard does, plus persistence).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "transport.h"

int
hs_suite_choose(enum tunnel_suite conf, enum hs_suite *out)
{
	switch (conf) {
	case SUITE_AESGCM:
		if (!noise_cipher_available(NOISE_CIPHER_AESGCM))
			return -1;
		*out = HS_SUITE_AESGCM;
		return 0;
	case SUITE_CHACHAPOLY:
		*out = HS_SUITE_CHACHAPOLY;
		return 0;
	case SUITE_AUTO:
	default:
		*out = noise_cipher_available(NOISE_CIPHER_AESGCM) ?
		    HS_SUITE_AESGCM : HS_SUITE_CHACHAPOLY;
		return 0;
	}
}

int
hs_suite_acceptable(enum tunnel_suite conf, enum hs_suite s)
{
	if (s == HS_SUITE_AESGCM)
		return conf != SUITE_CHACHAPOLY &&
		    noise_cipher_available(NOISE_CIPHER_AESGCM);
	if (s == HS_SUITE_CHACHAPOLY)
		return conf != SUITE_AESGCM;
	return 0;
}

const char *
tunnel_suite_name(enum hs_suite s)
{
	switch (s) {
	case HS_SUITE_AESGCM:
		return HS_SUITE_AESGCM_NAME;
	case HS_SUITE_CHACHAPOLY:
		return HS_SUITE_CHACHAPOLY_NAME;
	}
	return "unknown";
}

void
hs_frame_header(uint8_t hdr[HS_HDR_LEN], enum hs_kind kind, enum hs_suite suite,
    size_t len)
{
	memcpy(hdr, VMGW_MAGIC, 4);
	hdr[4] = VMGW_PROTO_VERSION;
	hdr[5] = (uint8_t)kind;
	hdr[6] = (uint8_t)suite;
	hdr[7] = 0;
	hdr[8] = (uint8_t)(len >> 8);
	hdr[9] = (uint8_t)len;
}

int
hs_frame_parse(const uint8_t hdr[HS_HDR_LEN], enum hs_kind *kind,
    enum hs_suite *suite, size_t *len, char *err, size_t errlen)
{
	if (memcmp(hdr, VMGW_MAGIC, 4) != 0) {
		snprintf(err, errlen, "not a vmgw gateway (bad magic)");
		return -1;
	}
	if (hdr[4] != VMGW_PROTO_VERSION) {
		snprintf(err, errlen, "protocol version %u, we speak %u",
		    hdr[4], VMGW_PROTO_VERSION);
		return -1;
	}
	if (hdr[5] < HS_INIT || hdr[5] > HS_REJECT) {
		snprintf(err, errlen, "unknown handshake message kind %u",
		    hdr[5]);
		return -1;
	}
	*kind = (enum hs_kind)hdr[5];
	*suite = (enum hs_suite)hdr[6];
	*len = ((size_t)hdr[8] << 8) | hdr[9];
	if (*len > HS_MSG_MAX) {
		snprintf(err, errlen, "handshake message of %zu bytes "
		    "(limit %d)", *len, HS_MSG_MAX);
		return -1;
	}
	return 0;
}

struct noise_handshake *
hs_new(const struct vmgw_config *conf, enum hs_suite suite, int initiator,
    const uint8_t *remote_static)
{
	struct noise_params	 p;
	struct noise_handshake	*hs;
	uint8_t			 prologue[sizeof(VMGW_PROLOGUE) + 1];

	memcpy(prologue, VMGW_PROLOGUE, sizeof(VMGW_PROLOGUE) - 1);
	prologue[sizeof(VMGW_PROLOGUE) - 1] = VMGW_PROTO_VERSION;
	prologue[sizeof(VMGW_PROLOGUE)] = (uint8_t)suite;

	memset(&p, 0, sizeof(p));
	p.protocol_name = tunnel_suite_name(suite);
	p.initiator = initiator;
	p.prologue = prologue;
	p.prologue_len = sizeof(prologue);
	p.rs = remote_static;
	/* the handshake copies s: the key is readable only for that */
	if ((p.s = key_priv_open(&conf->key)) == NULL)
		return NULL;
	hs = noise_handshake_new(&p);
	key_priv_close(&conf->key);
	return hs;
}

void
hs_tai64n_now(uint8_t out[HS_TAI64N_LEN])
{
	struct timespec	 ts;
	uint64_t	 secs;
	uint32_t	 ns;
	int		 i;

	clock_gettime(CLOCK_REALTIME, &ts);
	secs = 0x4000000000000000ull + (uint64_t)ts.tv_sec;
	ns = (uint32_t)ts.tv_nsec;
	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(secs >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(ns >> (24 - 8 * i));
}

static void
hs_replay_path(struct peer *p, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/peers/%s.ts", p->gw->conf->state_dir,
	    p->conf->name);
}

/* Load the persisted timestamp once (lazily, at the first handshake). */
static void
hs_replay_load(struct peer *p)
{
	static const uint8_t	 zero[HS_TAI64N_LEN];
	char			 path[512];
	uint8_t			 buf[HS_TAI64N_LEN];
	int			 fd;

	if (memcmp(p->last_ts, zero, sizeof(zero)) != 0)
		return;
	hs_replay_path(p, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;
	if (read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		memcpy(p->last_ts, buf, sizeof(buf));
	close(fd);
}

/*
 * 0 when ts is newer than anything accepted from this peer for connection
 * conn, -1 (replay) if not.  A data connection's must also be newer than
 * the tunnel's (persisted), which its initiator dialled before it: so a
 * restart here does not make an old one acceptable again.
 */
int
hs_replay_check(struct peer *p, unsigned conn, const uint8_t ts[HS_TAI64N_LEN])
{
	hs_replay_load(p);
	if (memcmp(ts, p->last_ts, HS_TAI64N_LEN) <= 0)
		return -1;
	if (conn > 0 && memcmp(ts, p->conns[conn].last_ts, HS_TAI64N_LEN) <= 0)
		return -1;
	return 0;
}

void
hs_replay_commit(struct peer *p, unsigned conn,
    const uint8_t ts[HS_TAI64N_LEN])
{
	char	 path[512], dir[512];

	if (conn > 0) {
		memcpy(p->conns[conn].last_ts, ts, HS_TAI64N_LEN);
		return;
	}
	memcpy(p->last_ts, ts, HS_TAI64N_LEN);
	snprintf(dir, sizeof(dir), "%s/peers", p->gw->conf->state_dir);
	hs_replay_path(p, path, sizeof(path));
	if (mkdir_p(dir, 0700) == -1 ||
	    write_file_atomic(path, ts, HS_TAI64N_LEN, 0600) == -1)
		log_warn("%s: cannot persist the handshake replay guard in %s",
		    p->conf->name, path);
}
