/*
 * noise.c - the SymmetricState and HandshakeState of the Noise Protocol
 * Framework, revision 34 (sections 5.2, 5.3 and 9).
 *
 * noise_write_message() and noise_read_message() interpret the tokens of the
 * current message pattern one at a time, one case per token, so that they
 * read like section 5.3.  Each message is processed in a scratch copy of the
 * changing state and committed only when every token and the payload have
 * passed; any failure instead poisons the handshake: its keys are wiped and
 * every later call fails.  The whole HandshakeState lives in sodium_malloc()
 * memory (guarded, locked, wiped when freed).
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "noise_int.h"

enum noise_hs_status {
	NOISE_HS_READY = 1,	/* messages left to write or read */
	NOISE_HS_DONE,		/* all messages processed; split allowed */
	NOISE_HS_SPLIT,		/* split done, ck wiped; h still readable */
	NOISE_HS_DEAD		/* a failure happened: nothing works */
};

struct noise_keypair {
	uint8_t	priv[NOISE_DHLEN];
	uint8_t	pub[NOISE_DHLEN];
	int	present;
};

struct noise_pubkey {
	uint8_t	pub[NOISE_DHLEN];
	int	present;
};

/* SymmetricState (spec 5.2) */
struct noise_symmetric {
	uint8_t			 ck[NOISE_HASHLEN_MAX];
	uint8_t			 h[NOISE_HASHLEN_MAX];
	struct noise_cipherstate cs;
};

/* What a message may change: worked on in a copy, then committed. */
struct noise_hs_vars {
	struct noise_symmetric	ss;
	struct noise_keypair	e;
	struct noise_pubkey	re;
	struct noise_pubkey	rs;
	size_t			msg;	/* next message pattern */
	size_t			psk;	/* next psk */
};

/* HandshakeState (spec 5.3) */
struct noise_handshake {
	enum noise_hs_status	status;
	int			initiator;
	struct noise_protocol	proto;
	size_t			hashlen;
	struct noise_keypair	s;
	struct noise_keypair	fixed_e;	/* tests: e to use, not random */
	uint8_t			psks[NOISE_MAX_PSKS][NOISE_PSKLEN];
	struct noise_hs_vars	cur;		/* committed */
	struct noise_hs_vars	tmp;		/* the message in progress */
};

/* --- SymmetricState ----------------------------------------------------- */

static void
mix_hash(const struct noise_handshake *hs, struct noise_symmetric *ss,
    const uint8_t *data, size_t len)
{
	noise_hash2(hs->proto.hash, ss->h, ss->h, hs->hashlen, data, len);
}

static void
mix_key(const struct noise_handshake *hs, struct noise_symmetric *ss,
    const uint8_t *ikm, size_t len)
{
	uint8_t temp_k[NOISE_HASHLEN_MAX];

	noise_hkdf(hs->proto.hash, ss->ck, temp_k, NULL, ss->ck, ikm, len);
	/* HASHLEN 64: temp_k is truncated to 32 bytes */
	noise_cipher_init(&ss->cs, hs->proto.cipher, temp_k);
	sodium_memzero(temp_k, sizeof(temp_k));
}

static void
mix_key_and_hash(const struct noise_handshake *hs,
    struct noise_symmetric *ss, const uint8_t *ikm, size_t len)
{
	uint8_t temp_h[NOISE_HASHLEN_MAX], temp_k[NOISE_HASHLEN_MAX];

	noise_hkdf(hs->proto.hash, ss->ck, temp_h, temp_k, ss->ck, ikm, len);
	mix_hash(hs, ss, temp_h, hs->hashlen);
	noise_cipher_init(&ss->cs, hs->proto.cipher, temp_k);
	sodium_memzero(temp_h, sizeof(temp_h));
	sodium_memzero(temp_k, sizeof(temp_k));
}

/* out holds plen + NOISE_TAGLEN once a key is set; out == p is allowed. */
static int
encrypt_and_hash(const struct noise_handshake *hs,
    struct noise_symmetric *ss, uint8_t *out, const uint8_t *p, size_t plen)
{
	size_t clen = plen;

	if (ss->cs.has_key) {
		if (noise_encrypt(&ss->cs, out, ss->h, hs->hashlen, p,
		    plen) == -1)
			return -1;
		clen += NOISE_TAGLEN;
	} else if (out != p && plen > 0)
		memmove(out, p, plen);
	mix_hash(hs, ss, out, clen);
	return 0;
}

/* The new h is computed before decrypting, so out may alias c. */
static int
decrypt_and_hash(const struct noise_handshake *hs,
    struct noise_symmetric *ss, uint8_t *out, const uint8_t *c, size_t clen)
{
	uint8_t h[NOISE_HASHLEN_MAX];
	int ret = -1;

	noise_hash2(hs->proto.hash, h, ss->h, hs->hashlen, c, clen);
	if (ss->cs.has_key) {
		if (noise_decrypt(&ss->cs, out, ss->h, hs->hashlen, c,
		    clen) == -1)
			goto out;
	} else if (out != c && clen > 0)
		memmove(out, c, clen);
	memcpy(ss->h, h, hs->hashlen);
	ret = 0;
out:
	sodium_memzero(h, sizeof(h));
	return ret;
}

/* --- HandshakeState ----------------------------------------------------- */

static void
poison(struct noise_handshake *hs)
{
	sodium_memzero(&hs->cur, sizeof(hs->cur));
	sodium_memzero(&hs->tmp, sizeof(hs->tmp));
	sodium_memzero(&hs->s, sizeof(hs->s));
	sodium_memzero(&hs->fixed_e, sizeof(hs->fixed_e));
	sodium_memzero(hs->psks, sizeof(hs->psks));
	hs->status = NOISE_HS_DEAD;
}

static int
is_my_turn(const struct noise_handshake *hs)
{
	return hs->status == NOISE_HS_READY &&
	    (hs->cur.msg % 2 == 0) == (hs->initiator != 0);
}

/* ee, es, se, ss: MixKey(DH(local, remote)) with the keys the token names. */
static int
mix_dh(const struct noise_handshake *hs, struct noise_hs_vars *v,
    enum noise_token tok)
{
	const struct noise_keypair *local = NULL;
	const struct noise_pubkey *remote = NULL;
	uint8_t dh[NOISE_DHLEN];
	int ret = -1;

	switch (tok) {
	case NOISE_TOK_EE:	/* ee */
		local = &v->e;
		remote = &v->re;
		break;
	case NOISE_TOK_ES:	/* es: initiator's e, responder's s */
		local = hs->initiator ? &v->e : &hs->s;
		remote = hs->initiator ? &v->rs : &v->re;
		break;
	case NOISE_TOK_SE:	/* se: initiator's s, responder's e */
		local = hs->initiator ? &hs->s : &v->e;
		remote = hs->initiator ? &v->re : &v->rs;
		break;
	case NOISE_TOK_SS:	/* ss */
		local = &hs->s;
		remote = &v->rs;
		break;
	default:
		goto out;
	}
	if (!local->present || !remote->present)
		goto out;
	if (noise_dh(dh, local->priv, remote->pub) == -1)
		goto out;
	mix_key(hs, &v->ss, dh, sizeof(dh));
	ret = 0;
out:
	sodium_memzero(dh, sizeof(dh));
	return ret;
}

/* psk: MixKeyAndHash(psk) with the next psk. */
static int
mix_psk(const struct noise_handshake *hs, struct noise_hs_vars *v)
{
	if (v->psk >= hs->proto.npsks)
		return -1;
	mix_key_and_hash(hs, &v->ss, hs->psks[v->psk], NOISE_PSKLEN);
	v->psk++;
	return 0;
}

/* Start a message: checks the turn and copies the state to work on. */
static struct noise_hs_vars *
message_begin(struct noise_handshake *hs, int writing)
{
	if (hs->status != NOISE_HS_READY || is_my_turn(hs) != writing) {
		errno = EPROTO;
		return NULL;
	}
	memcpy(&hs->tmp, &hs->cur, sizeof(hs->tmp));
	return &hs->tmp;
}

/* All checks passed: the message's changes become the handshake's state. */
static void
message_commit(struct noise_handshake *hs)
{
	memcpy(&hs->cur, &hs->tmp, sizeof(hs->cur));
	sodium_memzero(&hs->tmp, sizeof(hs->tmp));
	hs->cur.msg++;
	if (hs->cur.msg == hs->proto.nmsgs)
		hs->status = NOISE_HS_DONE;
}

static int
room(size_t off, size_t need, size_t cap)
{
	if (need > cap || off > cap - need) {
		errno = EMSGSIZE;
		return 0;
	}
	return 1;
}

int
noise_write_message(struct noise_handshake *hs, uint8_t *out, size_t outcap,
    size_t *outlen, const uint8_t *payload, size_t payload_len)
{
	struct noise_hs_vars *v;
	const uint8_t *tok;
	size_t off = 0, n;
	int ret = -1;

	*outlen = 0;
	if (hs == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((v = message_begin(hs, 1)) == NULL)
		goto out;
	if (outcap > NOISE_MAX_MSG)
		outcap = NOISE_MAX_MSG;

	for (tok = hs->proto.msgs[v->msg]; *tok != NOISE_TOK_END; tok++) {
		switch (*tok) {
		case NOISE_TOK_E:	/* e */
			if (!room(off, NOISE_DHLEN, outcap))
				goto out;
			if (hs->fixed_e.present)
				v->e = hs->fixed_e;
			else if (noise_dh_keypair(v->e.pub, v->e.priv) == -1)
				goto out;
			v->e.present = 1;
			memcpy(out + off, v->e.pub, NOISE_DHLEN);
			off += NOISE_DHLEN;
			mix_hash(hs, &v->ss, v->e.pub, NOISE_DHLEN);
			if (hs->proto.npsks > 0)
				mix_key(hs, &v->ss, v->e.pub, NOISE_DHLEN);
			break;
		case NOISE_TOK_S:	/* s */
			n = NOISE_DHLEN + (v->ss.cs.has_key ? NOISE_TAGLEN : 0);
			if (!room(off, n, outcap) || !hs->s.present)
				goto out;
			if (encrypt_and_hash(hs, &v->ss, out + off, hs->s.pub,
			    NOISE_DHLEN) == -1)
				goto out;
			off += n;
			break;
		case NOISE_TOK_EE:	/* ee */
		case NOISE_TOK_ES:	/* es */
		case NOISE_TOK_SE:	/* se */
		case NOISE_TOK_SS:	/* ss */
			if (mix_dh(hs, v, *tok) == -1)
				goto out;
			break;
		case NOISE_TOK_PSK:	/* psk */
			if (mix_psk(hs, v) == -1)
				goto out;
			break;
		default:
			goto out;
		}
	}

	/* payload */
	n = payload_len + (v->ss.cs.has_key ? NOISE_TAGLEN : 0);
	if (payload_len > NOISE_MAX_MSG || !room(off, n, outcap))
		goto out;
	if (encrypt_and_hash(hs, &v->ss, out + off, payload, payload_len) == -1)
		goto out;
	off += n;

	message_commit(hs);
	*outlen = off;
	ret = 0;
out:
	if (ret == -1) {
		if (off > 0)
			sodium_memzero(out, off);
		poison(hs);
	}
	return ret;
}

int
noise_read_message(struct noise_handshake *hs, uint8_t *payload,
    size_t payload_cap, size_t *payload_len, const uint8_t *msg,
    size_t msg_len)
{
	struct noise_hs_vars *v;
	const uint8_t *tok;
	size_t off = 0, n, plen = 0;
	int ret = -1;

	*payload_len = 0;
	if (hs == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((v = message_begin(hs, 0)) == NULL)
		goto out;
	errno = EBADMSG;
	if (msg_len > NOISE_MAX_MSG)
		goto out;

	for (tok = hs->proto.msgs[v->msg]; *tok != NOISE_TOK_END; tok++) {
		switch (*tok) {
		case NOISE_TOK_E:	/* e */
			if (msg_len - off < NOISE_DHLEN)
				goto out;
			memcpy(v->re.pub, msg + off, NOISE_DHLEN);
			v->re.present = 1;
			off += NOISE_DHLEN;
			mix_hash(hs, &v->ss, v->re.pub, NOISE_DHLEN);
			if (hs->proto.npsks > 0)
				mix_key(hs, &v->ss, v->re.pub, NOISE_DHLEN);
			break;
		case NOISE_TOK_S:	/* s */
			n = NOISE_DHLEN + (v->ss.cs.has_key ? NOISE_TAGLEN : 0);
			if (msg_len - off < n)
				goto out;
			if (decrypt_and_hash(hs, &v->ss, v->rs.pub, msg + off,
			    n) == -1)
				goto out;
			v->rs.present = 1;
			off += n;
			break;
		case NOISE_TOK_EE:	/* ee */
		case NOISE_TOK_ES:	/* es */
		case NOISE_TOK_SE:	/* se */
		case NOISE_TOK_SS:	/* ss */
			if (mix_dh(hs, v, *tok) == -1)
				goto out;
			break;
		case NOISE_TOK_PSK:	/* psk */
			if (mix_psk(hs, v) == -1)
				goto out;
			break;
		default:
			goto out;
		}
	}

	/* payload */
	n = msg_len - off;
	if (v->ss.cs.has_key && n < NOISE_TAGLEN)
		goto out;
	plen = n - (v->ss.cs.has_key ? NOISE_TAGLEN : 0);
	if (plen > payload_cap) {
		plen = 0;
		errno = EMSGSIZE;
		goto out;
	}
	if (decrypt_and_hash(hs, &v->ss, payload, msg + off, n) == -1)
		goto out;

	message_commit(hs);
	*payload_len = plen;
	ret = 0;
out:
	if (ret == -1) {
		if (plen > 0)
			sodium_memzero(payload, plen);
		poison(hs);
	}
	return ret;
}

/* --- setup -------------------------------------------------------------- */

static int
has_token(const uint8_t *toks, enum noise_token t)
{
	for (; *toks != NOISE_TOK_END; toks++)
		if (*toks == t)
			return 1;
	return 0;
}

/* Does this side send token t in one of its messages? */
static int
sends_token(const struct noise_protocol *p, int initiator,
    enum noise_token t)
{
	size_t i;

	for (i = initiator ? 0 : 1; i < p->nmsgs; i += 2)
		if (has_token(p->msgs[i], t))
			return 1;
	return 0;
}

/*
 * The keys a side must bring are exactly those the pattern needs from
 * outside: its s when it sends or pre-shares s, the peer's s and e when the
 * peer pre-shares them.  A key the pattern never uses is refused too: an rs
 * given to XX would look like a pinned key but pin nothing.
 */
static int
check_params(const struct noise_protocol *p, const struct noise_params *pa)
{
	const uint8_t *pre_mine = pa->initiator ? p->pre_i : p->pre_r;
	const uint8_t *pre_peer = pa->initiator ? p->pre_r : p->pre_i;
	int need_s, need_e, need_rs, need_re;

	need_s = has_token(pre_mine, NOISE_TOK_S) ||
	    sends_token(p, pa->initiator, NOISE_TOK_S);
	need_rs = has_token(pre_peer, NOISE_TOK_S);
	need_re = has_token(pre_peer, NOISE_TOK_E);
	/* e is optional (random) unless it is pre-shared */
	need_e = has_token(pre_mine, NOISE_TOK_E);

	if ((pa->s != NULL) != need_s || (pa->rs != NULL) != need_rs ||
	    (pa->re != NULL) != need_re || (need_e && pa->e == NULL))
		return -1;
	if (pa->e != NULL && !need_e &&
	    !sends_token(p, pa->initiator, NOISE_TOK_E))
		return -1;
	if (pa->npsks != p->npsks || (pa->npsks > 0 && pa->psks == NULL))
		return -1;
	if (pa->prologue_len > 0 && pa->prologue == NULL)
		return -1;
	return 0;
}

/* One pre-message's keys: MixHash each, and MixKey(e) in psk handshakes. */
static void
mix_pre_message(struct noise_handshake *hs, const uint8_t *toks,
    int mine)
{
	const uint8_t *key;

	for (; *toks != NOISE_TOK_END; toks++) {
		if (*toks == NOISE_TOK_E)
			key = mine ? hs->cur.e.pub : hs->cur.re.pub;
		else
			key = mine ? hs->s.pub : hs->cur.rs.pub;
		mix_hash(hs, &hs->cur.ss, key, NOISE_DHLEN);
		if (*toks == NOISE_TOK_E && hs->proto.npsks > 0)
			mix_key(hs, &hs->cur.ss, key, NOISE_DHLEN);
	}
}

static int
set_keypair(struct noise_keypair *kp, const uint8_t *priv)
{
	memcpy(kp->priv, priv, NOISE_DHLEN);
	if (noise_dh_public(kp->pub, kp->priv) == -1)
		return -1;
	kp->present = 1;
	return 0;
}

static void
set_pubkey(struct noise_pubkey *pk, const uint8_t *pub)
{
	memcpy(pk->pub, pub, NOISE_DHLEN);
	pk->present = 1;
}

int
noise_protocol_supported(const char *protocol_name)
{
	struct noise_protocol p;

	if (noise_protocol_parse(&p, protocol_name) == -1)
		return 0;
	return noise_cipher_available(p.cipher);
}

struct noise_handshake *
noise_handshake_new(const struct noise_params *pa)
{
	struct noise_handshake *hs = NULL;
	struct noise_protocol proto;
	size_t len, i;

	if (sodium_init() < 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (pa == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (noise_protocol_parse(&proto, pa->protocol_name) == -1)
		return NULL;
	if (!noise_cipher_available(proto.cipher)) {
		errno = ENOTSUP;
		return NULL;
	}
	if (check_params(&proto, pa) == -1) {
		errno = EINVAL;
		return NULL;
	}
	if ((hs = sodium_malloc(sizeof(*hs))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(hs, 0, sizeof(*hs));
	hs->initiator = pa->initiator != 0;
	hs->proto = proto;
	hs->hashlen = noise_hash_len(proto.hash);
	if ((pa->s != NULL && set_keypair(&hs->s, pa->s) == -1) ||
	    (pa->e != NULL && set_keypair(&hs->fixed_e, pa->e) == -1)) {
		noise_handshake_free(hs);
		errno = EINVAL;
		return NULL;
	}
	if (pa->rs != NULL)
		set_pubkey(&hs->cur.rs, pa->rs);
	if (pa->re != NULL)
		set_pubkey(&hs->cur.re, pa->re);
	for (i = 0; i < pa->npsks; i++)
		memcpy(hs->psks[i], pa->psks[i], NOISE_PSKLEN);
	if (has_token(hs->initiator ? proto.pre_i : proto.pre_r, NOISE_TOK_E))
		hs->cur.e = hs->fixed_e;

	/* InitializeSymmetric(protocol_name) */
	len = strlen(pa->protocol_name);
	if (len <= hs->hashlen)
		memcpy(hs->cur.ss.h, pa->protocol_name, len);
	else
		noise_hash2(proto.hash, hs->cur.ss.h,
		    (const uint8_t *)pa->protocol_name, len, NULL, 0);
	memcpy(hs->cur.ss.ck, hs->cur.ss.h, hs->hashlen);

	/* MixHash(prologue), then the pre-messages, initiator's first */
	mix_hash(hs, &hs->cur.ss, pa->prologue, pa->prologue_len);
	mix_pre_message(hs, proto.pre_i, hs->initiator);
	mix_pre_message(hs, proto.pre_r, !hs->initiator);

	hs->status = NOISE_HS_READY;
	return hs;
}

void
noise_handshake_free(struct noise_handshake *hs)
{
	if (hs == NULL)
		return;
	sodium_memzero(hs, sizeof(*hs));
	sodium_free(hs);
}

/* --- after the handshake ------------------------------------------------ */

int
noise_handshake_done(const struct noise_handshake *hs)
{
	return hs != NULL && (hs->status == NOISE_HS_DONE ||
	    hs->status == NOISE_HS_SPLIT);
}

int
noise_handshake_my_turn(const struct noise_handshake *hs)
{
	return hs != NULL && is_my_turn(hs);
}

/* Split (spec 5.2): temp_k1, temp_k2 = HKDF(ck, zerolen, 2).  Once. */
int
noise_split(struct noise_handshake *hs, struct noise_cipherstate *c1,
    struct noise_cipherstate *c2)
{
	uint8_t k1[NOISE_HASHLEN_MAX], k2[NOISE_HASHLEN_MAX];

	sodium_memzero(c1, sizeof(*c1));
	sodium_memzero(c2, sizeof(*c2));
	if (hs == NULL || hs->status != NOISE_HS_DONE) {
		errno = EINVAL;
		return -1;
	}
	noise_hkdf(hs->proto.hash, k1, k2, NULL, hs->cur.ss.ck, NULL, 0);
	noise_cipher_init(c1, hs->proto.cipher, k1);
	noise_cipher_init(c2, hs->proto.cipher, k2);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));

	/* nothing but h is needed any more */
	sodium_memzero(hs->cur.ss.ck, sizeof(hs->cur.ss.ck));
	sodium_memzero(&hs->cur.ss.cs, sizeof(hs->cur.ss.cs));
	sodium_memzero(&hs->cur.e, sizeof(hs->cur.e));
	sodium_memzero(&hs->s, sizeof(hs->s));
	sodium_memzero(&hs->fixed_e, sizeof(hs->fixed_e));
	sodium_memzero(hs->psks, sizeof(hs->psks));
	hs->status = NOISE_HS_SPLIT;
	return 0;
}

size_t
noise_handshake_hash(const struct noise_handshake *hs, uint8_t *out,
    size_t outcap)
{
	if (!noise_handshake_done(hs) || outcap < hs->hashlen)
		return 0;
	memcpy(out, hs->cur.ss.h, hs->hashlen);
	return hs->hashlen;
}

int
noise_remote_static(const struct noise_handshake *hs,
    uint8_t out[NOISE_DHLEN])
{
	if (hs == NULL || hs->status == NOISE_HS_DEAD ||
	    !hs->cur.rs.present) {
		memset(out, 0, NOISE_DHLEN);
		return -1;
	}
	memcpy(out, hs->cur.rs.pub, NOISE_DHLEN);
	return 0;
}

int
noise_local_ephemeral(const struct noise_handshake *hs,
    uint8_t out[NOISE_DHLEN])
{
	if (hs == NULL || hs->status == NOISE_HS_DEAD ||
	    !hs->cur.e.present) {
		memset(out, 0, NOISE_DHLEN);
		return -1;
	}
	memcpy(out, hs->cur.e.pub, NOISE_DHLEN);
	return 0;
}
