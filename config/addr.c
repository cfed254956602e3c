/*
 * addr.c - endpoint addresses in the config: "HOST:PORT" (HOST an IPv4
 * literal, a bracketed IPv6 literal or a DNS name) and "unix:/PATH".
 * Parsing is strict: no default port, no IPv6 without brackets, no names
 * a resolver would refuse.  Nothing is resolved here.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

static int	addr_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	addr_port(struct vmgw_addr *, const char *, char *, size_t);
static int	addr_hostname(const char *);
static int	addr_host(struct vmgw_addr *, const char *, size_t, int,
		    char *, size_t);
static int	addr_tcp(struct vmgw_addr *, const char *, char *, size_t);
static int	addr_unix(struct vmgw_addr *, const char *, char *, size_t);

static int
addr_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
addr_port(struct vmgw_addr *out, const char *s, char *err, size_t errlen)
{
	char		q[CFG_QUOTE_MAX];
	unsigned long	v = 0;
	const char	*p;

	for (p = s; *p >= '0' && *p <= '9' && v <= 65535; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == s || *p != '\0' || v < 1 || v > 65535)
		return addr_err(err, errlen, "port must be between 1 and "
		    "65535, got '%s'", cfg_quote(q, s));
	out->port = (uint16_t)v;
	return 0;
}

/* RFC 1123 host name: labels of 1..63 letters, digits, '-', not at ends. */
static int
addr_hostname(const char *s)
{
	const char	*label = s, *p;
	size_t		 n;

	if (strlen(s) > 253)
		return -1;
	for (p = s;; p++) {
		if (*p != '.' && *p != '\0') {
			if (strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", *p) == NULL)
				return -1;
			continue;
		}
		n = (size_t)(p - label);
		if (n < 1 || n > 63 || label[0] == '-' || p[-1] == '-')
			return -1;
		if (*p == '\0')
			return 0;
		label = p + 1;
	}
}

/* host[0..len) without brackets; v6: it was in brackets. */
static int
addr_host(struct vmgw_addr *out, const char *host, size_t len, int v6,
    char *err, size_t errlen)
{
	struct in6_addr	a6;
	char		q[CFG_QUOTE_MAX];

	if (len == 0)
		return addr_err(err, errlen, "missing host before ':PORT'");
	if (len >= sizeof(out->host))
		return addr_err(err, errlen, "host longer than %zu bytes",
		    sizeof(out->host) - 1);
	memcpy(out->host, host, len);
	out->host[len] = '\0';
	if (v6) {
		if (inet_pton(AF_INET6, out->host, &a6) != 1)
			return addr_err(err, errlen, "'%s' is not an IPv6 "
			    "address", cfg_quote(q, out->host));
		return 0;
	}
	if (strspn(out->host, "0123456789.") == len) {
		if (inet_pton(AF_INET, out->host, &a6) != 1)
			return addr_err(err, errlen, "'%s' is not an IPv4 "
			    "address", cfg_quote(q, out->host));
		return 0;
	}
	if (addr_hostname(out->host) == -1)
		return addr_err(err, errlen, "'%s' is not a valid host name",
		    cfg_quote(q, out->host));
	return 0;
}

static int
addr_tcp(struct vmgw_addr *out, const char *text, char *err, size_t errlen)
{
	const char	*host = text, *end, *colon;
	char		 q[CFG_QUOTE_MAX];

	if (text[0] == '[') {
		host = text + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':')
			return addr_err(err, errlen, "expected [IPV6]:PORT, "
			    "got '%s'", cfg_quote(q, text));
		colon = end + 1;
	} else {
		if ((colon = strrchr(text, ':')) == NULL)
			return addr_err(err, errlen, "expected HOST:PORT or "
			    "unix:/PATH, got '%s'", cfg_quote(q, text));
		if (memchr(text, ':', (size_t)(colon - text)) != NULL)
			return addr_err(err, errlen, "an IPv6 address needs "
			    "brackets: [ADDRESS]:PORT, got '%s'",
			    cfg_quote(q, text));
		end = colon;
	}
	if (addr_host(out, host, (size_t)(end - host), host != text, err,
	    errlen) == -1 ||
	    addr_port(out, colon + 1, err, errlen) == -1)
		return -1;
	out->kind = ADDR_TCP;
	return 0;
}

static int
addr_unix(struct vmgw_addr *out, const char *path, char *err, size_t errlen)
{
	char	q[CFG_QUOTE_MAX];
	size_t	n = strlen(path);

	if (path[0] != '/')
		return addr_err(err, errlen, "UNIX socket path must be "
		    "absolute, got '%s'", cfg_quote(q, path));
	if (n >= sizeof(out->path))
		return addr_err(err, errlen, "UNIX socket path longer than "
		    "%zu bytes", sizeof(out->path) - 1);
	memcpy(out->path, path, n + 1);
	out->kind = ADDR_UNIX;
	return 0;
}

int
addr_parse(struct vmgw_addr *out, const char *text, char *err, size_t errlen)
{
	size_t	n = strlen(text);
	int	rc;

	memset(out, 0, sizeof(*out));
	if (n >= sizeof(out->text))
		return addr_err(err, errlen, "address longer than %zu bytes",
		    sizeof(out->text) - 1);
	if (strncmp(text, "unix:", 5) == 0)
		rc = addr_unix(out, text + 5, err, errlen);
	else
		rc = addr_tcp(out, text, err, errlen);
	if (rc == -1) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	memcpy(out->text, text, n + 1);
	return 0;
}

/* Same endpoint: literals compared as addresses, names case-insensitively. */
int
addr_equal(const struct vmgw_addr *a, const struct vmgw_addr *b)
{
	struct in6_addr	x, y;
	int		af;

	if (a->kind != b->kind)
		return 0;
	if (a->kind == ADDR_UNIX)
		return strcmp(a->path, b->path) == 0;
	if (a->kind != ADDR_TCP || a->port != b->port)
		return 0;
	af = strchr(a->host, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(af, a->host, &x) == 1 && inet_pton(af, b->host, &y) == 1)
		return memcmp(&x, &y, af == AF_INET6 ? 16 : 4) == 0;
	return strcasecmp(a->host, b->host) == 0;
}
