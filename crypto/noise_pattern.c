/*
 * noise_pattern.c - the handshake patterns as data, and the protocol name
 * parser that picks one and applies its psk modifiers.
 *
 * Every pattern of the specification's sections 7.4 (fundamental and
 * one-way) and 7.5 (deferred) is one row: the initiator's and responder's
 * pre-messages, then the message patterns, which alternate -> <- -> <-
 * starting with the initiator.  A psk modifier (spec 9.2) adds a psk token:
 * psk0 at the start of the first message, pskN at the end of the Nth.
 * Modifiers other than pskN (fallback, hfs) are not implemented: ENOTSUP.
 */
#include <errno.h>
#include <string.h>

#include "noise_int.h"

#define E	NOISE_TOK_E
#define S	NOISE_TOK_S
#define EE	NOISE_TOK_EE
#define ES	NOISE_TOK_ES
#define SE	NOISE_TOK_SE
#define SS	NOISE_TOK_SS

/* A base pattern: room for two psk tokens is left in every message. */
struct pattern_def {
	const char	*name;
	uint8_t		 pre_i[NOISE_MAX_PRE + 1];
	uint8_t		 pre_r[NOISE_MAX_PRE + 1];
	uint8_t		 msgs[NOISE_MAX_MSGS][NOISE_MAX_TOKENS - 2];
};

static const struct pattern_def patterns[] = {
	/* one-way (7.4) */
	{ "N",    { 0 },  { S }, { { E, ES } } },
	{ "K",    { S },  { S }, { { E, ES, SS } } },
	{ "X",    { 0 },  { S }, { { E, ES, S, SS } } },
	/* interactive, fundamental (7.4) */
	{ "NN",   { 0 },  { 0 }, { { E }, { E, EE } } },
	{ "NK",   { 0 },  { S }, { { E, ES }, { E, EE } } },
	{ "NX",   { 0 },  { 0 }, { { E }, { E, EE, S, ES } } },
	{ "KN",   { S },  { 0 }, { { E }, { E, EE, SE } } },
	{ "KK",   { S },  { S }, { { E, ES, SS }, { E, EE, SE } } },
	{ "KX",   { S },  { 0 }, { { E }, { E, EE, SE, S, ES } } },
	{ "XN",   { 0 },  { 0 }, { { E }, { E, EE }, { S, SE } } },
	{ "XK",   { 0 },  { S }, { { E, ES }, { E, EE }, { S, SE } } },
	{ "XX",   { 0 },  { 0 }, { { E }, { E, EE, S, ES }, { S, SE } } },
	{ "IN",   { 0 },  { 0 }, { { E, S }, { E, EE, SE } } },
	{ "IK",   { 0 },  { S }, { { E, ES, S, SS }, { E, EE, SE } } },
	{ "IX",   { 0 },  { 0 }, { { E, S }, { E, EE, SE, S, ES } } },
	/* interactive, deferred (7.5) */
	{ "NK1",  { 0 },  { S }, { { E }, { E, EE, ES } } },
	{ "NX1",  { 0 },  { 0 }, { { E }, { E, EE, S }, { ES } } },
	{ "X1N",  { 0 },  { 0 }, { { E }, { E, EE }, { S }, { SE } } },
	{ "X1K",  { 0 },  { S }, { { E, ES }, { E, EE }, { S }, { SE } } },
	{ "XK1",  { 0 },  { S }, { { E }, { E, EE, ES }, { S, SE } } },
	{ "X1K1", { 0 },  { S }, { { E }, { E, EE, ES }, { S }, { SE } } },
	{ "X1X",  { 0 },  { 0 }, { { E }, { E, EE, S, ES }, { S }, { SE } } },
	{ "XX1",  { 0 },  { 0 }, { { E }, { E, EE, S }, { ES, S, SE } } },
	{ "X1X1", { 0 },  { 0 }, { { E }, { E, EE, S }, { ES, S }, { SE } } },
	{ "K1N",  { S },  { 0 }, { { E }, { E, EE }, { SE } } },
	{ "K1K",  { S },  { S }, { { E, ES }, { E, EE }, { SE } } },
	{ "KK1",  { S },  { S }, { { E }, { E, EE, SE, ES } } },
	{ "K1K1", { S },  { S }, { { E }, { E, EE, ES }, { SE } } },
	{ "K1X",  { S },  { 0 }, { { E }, { E, EE, S, ES }, { SE } } },
	{ "KX1",  { S },  { 0 }, { { E }, { E, EE, SE, S }, { ES } } },
	{ "K1X1", { S },  { 0 }, { { E }, { E, EE, S }, { SE, ES } } },
	{ "I1N",  { 0 },  { 0 }, { { E, S }, { E, EE }, { SE } } },
	{ "I1K",  { 0 },  { S }, { { E, ES, S }, { E, EE }, { SE } } },
	{ "IK1",  { 0 },  { S }, { { E, S }, { E, EE, SE, ES } } },
	{ "I1K1", { 0 },  { S }, { { E, S }, { E, EE, ES }, { SE } } },
	{ "I1X",  { 0 },  { 0 }, { { E, S }, { E, EE, S, ES }, { SE } } },
	{ "IX1",  { 0 },  { 0 }, { { E, S }, { E, EE, SE, S }, { ES } } },
	{ "I1X1", { 0 },  { 0 }, { { E, S }, { E, EE, S }, { SE, ES } } },
};

#define NPATTERNS	(sizeof(patterns) / sizeof(patterns[0]))

static const struct pattern_def *
pattern_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NPATTERNS; i++)
		if (strlen(patterns[i].name) == len &&
		    memcmp(patterns[i].name, name, len) == 0)
			return &patterns[i];
	return NULL;
}

static size_t
tokens_len(const uint8_t *t)
{
	size_t n = 0;

	while (t[n] != NOISE_TOK_END)
		n++;
	return n;
}

/* Apply "pskN": psk0 starts the first message, pskN ends the Nth. */
static int
add_psk(struct noise_protocol *p, unsigned int n)
{
	uint8_t *msg;
	size_t len;

	if (n > p->nmsgs) {
		errno = EINVAL;
		return -1;
	}
	if (p->npsks == NOISE_MAX_PSKS) {
		errno = ENOTSUP;
		return -1;
	}
	msg = p->msgs[n == 0 ? 0 : n - 1];
	len = tokens_len(msg);
	if (len + 1 >= NOISE_MAX_TOKENS) {	/* cannot happen: room for two */
		errno = EINVAL;
		return -1;
	}
	if (n == 0) {
		memmove(msg + 1, msg, len);
		msg[0] = NOISE_TOK_PSK;
	} else
		msg[len] = NOISE_TOK_PSK;
	msg[len + 1] = NOISE_TOK_END;
	p->npsks++;
	return 0;
}

/* "psk0+psk2": strictly ascending pskN modifiers joined by '+'. */
static int
parse_modifiers(struct noise_protocol *p, const char *m)
{
	const char *end;
	size_t len;
	int last = -1;

	while (*m != '\0') {
		end = strchr(m, '+');
		len = end != NULL ? (size_t)(end - m) : strlen(m);
		if (len >= 3 && memcmp(m, "psk", 3) == 0) {
			if (len != 4 || m[3] < '0' || m[3] > '9' ||
			    m[3] - '0' <= last) {
				errno = EINVAL;	/* not pskN, repeated, unordered */
				return -1;
			}
			last = m[3] - '0';
			if (add_psk(p, (unsigned int)last) == -1)
				return -1;
		} else if (len > 0 && strspn(m, "abcdefghijklmnopqrstuvwxyz")
		    == len) {
			errno = ENOTSUP;	/* fallback, hfs, ... */
			return -1;
		} else {
			errno = EINVAL;
			return -1;
		}
		if (end == NULL)
			break;
		m = end + 1;
		if (*m == '\0') {
			errno = EINVAL;		/* trailing '+' */
			return -1;
		}
	}
	return 0;
}

static int
parse_pattern(struct noise_protocol *p, const char *field)
{
	const struct pattern_def *def;
	size_t len, i;

	len = strspn(field, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((def = pattern_lookup(field, len)) == NULL) {
		errno = ENOTSUP;
		return -1;
	}
	memcpy(p->pattern, def->name, len);
	p->pattern[len] = '\0';
	memcpy(p->pre_i, def->pre_i, sizeof(p->pre_i));
	memcpy(p->pre_r, def->pre_r, sizeof(p->pre_r));
	for (i = 0; i < NOISE_MAX_MSGS && def->msgs[i][0] != NOISE_TOK_END;
	    i++)
		memcpy(p->msgs[i], def->msgs[i], sizeof(def->msgs[i]));
	p->nmsgs = i;
	p->one_way = len == 1;
	return parse_modifiers(p, field + len);
}

static int
parse_cipher(struct noise_protocol *p, const char *field)
{
	if (strcmp(field, "ChaChaPoly") == 0)
		p->cipher = NOISE_CIPHER_CHACHAPOLY;
	else if (strcmp(field, "AESGCM") == 0)
		p->cipher = NOISE_CIPHER_AESGCM;
	else {
		errno = ENOTSUP;
		return -1;
	}
	return 0;
}

static int
parse_hash(struct noise_protocol *p, const char *field)
{
	if (strcmp(field, "SHA256") == 0)
		p->hash = NOISE_HASH_SHA256;
	else if (strcmp(field, "SHA512") == 0)
		p->hash = NOISE_HASH_SHA512;
	else if (strcmp(field, "BLAKE2b") == 0)
		p->hash = NOISE_HASH_BLAKE2B;
	else {
		errno = ENOTSUP;
		return -1;
	}
	return 0;
}

int
noise_protocol_parse(struct noise_protocol *p, const char *name)
{
	char buf[NOISE_NAME_MAX + 1], *field[5], *cur;
	size_t len, n;

	memset(p, 0, sizeof(*p));
	if (name == NULL ||
	    (len = strnlen(name, NOISE_NAME_MAX + 1)) > NOISE_NAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, name, len + 1);

	/* Noise _ pattern _ DH _ cipher _ hash, none of them empty */
	for (n = 0, cur = buf; n < 5; n++) {
		field[n] = cur;
		cur = strchr(cur, '_');
		if (n < 4 && cur == NULL)
			break;
		if (cur != NULL)
			*cur++ = '\0';
		if (*field[n] == '\0')
			break;
	}
	if (n != 5 || cur != NULL || strcmp(field[0], "Noise") != 0) {
		errno = EINVAL;
		goto fail;
	}
	if (parse_pattern(p, field[1]) == -1)
		goto fail;
	if (strcmp(field[2], "25519") != 0) {
		errno = ENOTSUP;
		goto fail;
	}
	if (parse_cipher(p, field[3]) == -1 || parse_hash(p, field[4]) == -1)
		goto fail;
	return 0;
fail:
	memset(p, 0, sizeof(*p));
	return -1;
}
