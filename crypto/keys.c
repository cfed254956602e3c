/*
 * keys.c - X25519 private key files, base64 keys and fingerprints.
 *
 * A key file is the padded standard base64 of a 32 byte X25519 private key
 * and a newline, mode 0600, as WireGuard's.  Loading refuses anything that
 * is not a regular file owned by us (or root), that others may read or
 * write, or that is not exactly one key.  Messages name the file and what
 * is wrong with it but never quote its contents.  Private keys live in
 * sodium_malloc() memory; every temporary copy is wiped before return.
 *
 * The caller must have called sodium_init().
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"

#define KEY_FILE_MAX	256	/* a key file is 45 bytes; leave room for blanks */
#define B64_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789+/="

static void	key_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	key_decode(uint8_t [KEY_LEN], const char *, size_t, char *,
		    size_t);
static int	key_derive(struct vmgw_privkey *, uint8_t *);
static int	key_write_new(const char *, const void *, size_t, char *,
		    size_t);
static int	key_check_file(int, const char *, char *, size_t);
static ssize_t	read_upto(int, uint8_t *, size_t);
static int	write_all(int, const void *, size_t);

static void
key_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Decode the base64 of one key from s[0..len), blanks around it ignored.
 * On failure key is zeroed and why says what is wrong (offsets, never
 * contents).
 */
static int
key_decode(uint8_t key[KEY_LEN], const char *s, size_t len, char *why,
    size_t whylen)
{
	uint8_t		 bin[KEY_FILE_MAX];
	const char	*b64 = s, *end = NULL;
	size_t		 n = len, binlen = 0, bad;
	int		 rc, ret = -1;

	sodium_memzero(key, KEY_LEN);
	while (n > 0 && isspace((unsigned char)b64[0])) {
		b64++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)b64[n - 1]))
		n--;
	if (n == 0) {
		key_err(why, whylen, "empty; expected the base64 of a "
		    "%d-byte key", KEY_LEN);
		goto out;
	}
	if (n > KEY_FILE_MAX) {
		key_err(why, whylen, "%zu bytes long; a key is %d bytes of "
		    "base64", n, KEY_B64_LEN);
		goto out;
	}
	for (bad = 0; bad < n; bad++)
		if (b64[bad] == '\0' || strchr(B64_CHARS, b64[bad]) == NULL)
			break;
	rc = sodium_base642bin(bin, sizeof(bin), b64, n, NULL, &binlen, &end,
	    sodium_base64_VARIANT_ORIGINAL);
	if (rc == 0 && end != b64 + n && binlen == KEY_LEN) {
		while (isspace((unsigned char)*end))
			end++;		/* stops before b64 + n at the latest */
		key_err(why, whylen, "unexpected data after the key at byte %zu",
		    (size_t)(end - s) + 1);
		goto out;
	}
	if (bad < n) {
		key_err(why, whylen, "not valid base64 (bad character at "
		    "byte %zu)", (size_t)(b64 - s) + bad + 1);
		goto out;
	}
	if (rc != 0 || end != b64 + n) {
		key_err(why, whylen, "not valid base64 (bad padding or length)");
		goto out;
	}
	if (binlen != KEY_LEN) {
		key_err(why, whylen, "decodes to %zu bytes, not %d", binlen,
		    KEY_LEN);
		goto out;
	}
	memcpy(key, bin, KEY_LEN);
	ret = 0;
out:
	sodium_memzero(bin, sizeof(bin));
	return ret;
}

/* Take ownership of priv (sodium_malloc'd) and compute the public key. */
static int
key_derive(struct vmgw_privkey *out, uint8_t *priv)
{
	if (sodium_is_zero(priv, KEY_LEN) ||
	    crypto_scalarmult_base(out->pub, priv) != 0) {
		sodium_free(priv);
		sodium_memzero(out->pub, sizeof(out->pub));
		return -1;
	}
	out->priv = priv;
	sodium_mprotect_noaccess(priv);
	return 0;
}

const uint8_t *
key_priv_open(const struct vmgw_privkey *k)
{
	if (k == NULL || k->priv == NULL)
		return NULL;
	if (sodium_mprotect_readonly(k->priv) != 0)
		return NULL;
	return k->priv;
}

void
key_priv_close(const struct vmgw_privkey *k)
{
	if (k != NULL && k->priv != NULL)
		sodium_mprotect_noaccess(k->priv);
}

/*
 * Create path (never an existing file, never through a symbolic link) with
 * mode 0600 whatever the umask, write buf and sync it.  On failure nothing
 * is left behind.
 */
static int
key_write_new(const char *path, const void *buf, size_t len, char *err,
    size_t errlen)
{
	int	fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 && errno == EEXIST) {
		key_err(err, errlen, "%s: exists; refusing to overwrite", path);
		return -1;
	}
	if (fd == -1) {
		key_err(err, errlen, "%s: cannot create: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == -1 || write_all(fd, buf, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
	} else if (close(fd) == 0)
		return 0;
	key_err(err, errlen, "%s: cannot write: %s", path, strerror(errno));
	(void)unlink(path);
	return -1;
}

int
key_generate_file(const char *path, struct vmgw_privkey *out, char *err,
    size_t errlen)
{
	struct vmgw_privkey	 k = { NULL, { 0 } };
	uint8_t			*priv;
	char			 line[KEY_B64_LEN + 2];
	int			 ret = -1;

	if (out != NULL)
		*out = k;
	if ((priv = sodium_malloc(KEY_LEN)) == NULL) {
		key_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	randombytes_buf(priv, KEY_LEN);
	priv[0] &= 248;		/* clamp, as crypto_box_keypair does */
	priv[31] &= 127;
	priv[31] |= 64;
	if (key_derive(&k, priv) == -1) {
		key_err(err, errlen, "%s: cannot derive the public key", path);
		goto out;
	}
	key_to_base64(line, key_priv_open(&k));
	key_priv_close(&k);
	line[KEY_B64_LEN] = '\n';
	line[KEY_B64_LEN + 1] = '\0';
	if (key_write_new(path, line, KEY_B64_LEN + 1, err, errlen) == -1)
		goto out;
	if (out != NULL) {
		*out = k;
		k.priv = NULL;
	}
	ret = 0;
out:
	sodium_memzero(line, sizeof(line));
	key_free(&k);
	return ret;
}

/* fd is open on path: it must be a regular file only we may touch. */
static int
key_check_file(int fd, const char *path, char *err, size_t errlen)
{
	struct stat	st;

	if (fstat(fd, &st) == -1) {
		key_err(err, errlen, "%s: cannot stat: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		key_err(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (st.st_mode & 077) {
		key_err(err, errlen, "%s: mode %04o is group/world-accessible; "
		    "run chmod 600 %s", path, (unsigned)(st.st_mode & 07777),
		    path);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		if (geteuid() == 0)
			key_err(err, errlen, "%s: owned by uid %u, not by root",
			    path, (unsigned)st.st_uid);
		else
			key_err(err, errlen, "%s: owned by uid %u, not by uid "
			    "%u or root", path, (unsigned)st.st_uid,
			    (unsigned)geteuid());
		return -1;
	}
	return 0;
}

int
key_load_file(const char *path, struct vmgw_privkey *out, char *err,
    size_t errlen)
{
	struct stat	 st;
	uint8_t		 buf[KEY_FILE_MAX + 1];
	uint8_t		*priv = NULL;
	char		 why[128];
	ssize_t		 n = -1;
	int		 fd, ret = -1;

	out->priv = NULL;
	sodium_memzero(out->pub, sizeof(out->pub));
	/* O_NONBLOCK: opening a FIFO must not hang us; regular files ignore it */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ELOOP && lstat(path, &st) == 0 &&
		    S_ISLNK(st.st_mode))
			key_err(err, errlen, "%s: is a symbolic link; refusing "
			    "to follow it", path);
		else
			key_err(err, errlen, "%s: cannot open: %s", path,
			    strerror(errno));
		goto out;
	}
	if (key_check_file(fd, path, err, errlen) == -1)
		goto out;
	if ((n = read_upto(fd, buf, sizeof(buf))) == -1) {
		key_err(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		goto out;
	}
	if (n > KEY_FILE_MAX) {
		key_err(err, errlen, "%s: larger than %d bytes; not a key file",
		    path, KEY_FILE_MAX);
		goto out;
	}
	if ((priv = sodium_malloc(KEY_LEN)) == NULL) {
		key_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (key_decode(priv, (const char *)buf, (size_t)n, why,
	    sizeof(why)) == -1) {
		key_err(err, errlen, "%s: %s", path, why);
		goto out;
	}
	ret = key_derive(out, priv);
	priv = NULL;
	if (ret == -1)
		key_err(err, errlen, "%s: not a usable X25519 private key", path);
out:
	if (fd != -1)
		(void)close(fd);
	sodium_memzero(buf, sizeof(buf));
	if (priv != NULL)
		sodium_free(priv);
	return ret;
}

void
key_free(struct vmgw_privkey *k)
{
	if (k == NULL)
		return;
	if (k->priv != NULL)
		sodium_free(k->priv);	/* wipes */
	k->priv = NULL;
	sodium_memzero(k->pub, sizeof(k->pub));
}

void
key_to_base64(char out[KEY_B64_LEN + 1], const uint8_t key[KEY_LEN])
{
	sodium_bin2base64(out, KEY_B64_LEN + 1, key, KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
}

int
key_from_base64(uint8_t key[KEY_LEN], const char *b64)
{
	size_t	len;

	len = strnlen(b64, KEY_FILE_MAX + 1);
	return key_decode(key, b64, len, NULL, 0);
}

void
key_fingerprint(char out[KEY_FPR_LEN + 4], const uint8_t pub[KEY_LEN])
{
	uint8_t	h[crypto_generichash_BYTES];
	char	hex[KEY_FPR_LEN + 1];

	crypto_generichash(h, sizeof(h), pub, KEY_LEN, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, KEY_FPR_LEN / 2);
	(void)snprintf(out, KEY_FPR_LEN + 4, "%.4s:%.4s:%.4s:%.4s", hex,
	    hex + 4, hex + 8, hex + 12);
}

/* Read until EOF or len bytes; a result of len means "maybe more". */
static ssize_t
read_upto(int fd, uint8_t *buf, size_t len)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < len) {
		n = read(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
