/*
 * client.c - blocking control-socket client for the CLI.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "client.h"
#include "ctlproto.h"

int
client_connect(struct vmgw_client *c, const char *path, char *err,
    size_t errlen)
{
	struct sockaddr_un	 sun;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "cannot reach vmgwd at %s: %s (is vmgwd "
		    "running with this configuration?)", path, strerror(errno));
		if (c->fd != -1)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

int
client_send(struct vmgw_client *c, json_t *req)
{
	char	*s;
	size_t	 len, off = 0;
	ssize_t	 n;
	int	 ret = -1;

	json_object_set_new(req, "v", json_integer(CTL_VERSION));
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (s == NULL)
		return -1;
	len = strlen(s);
	s[len++] = '\n';	/* json_dumps leaves room: replace the NUL */
	while (off < len) {
		if ((n = write(c->fd, s + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		off += (size_t)n;
	}
	ret = 0;
 out:
	free(s);
	return ret;
}

static int
client_take_line(struct vmgw_client *c, json_t **out, char *err,
    size_t errlen)
{
	char		*nl;
	size_t		 linelen;
	json_error_t	 jerr;

	if (c->len == 0 || (nl = memchr(c->buf, '\n', c->len)) == NULL)
		return 0;
	linelen = (size_t)(nl - c->buf);
	*out = json_loadb(c->buf, linelen, 0, &jerr);
	memmove(c->buf, nl + 1, c->len - linelen - 1);
	c->len -= linelen + 1;
	if (*out == NULL) {
		snprintf(err, errlen, "malformed reply from vmgwd: %s",
		    jerr.text);
		return -1;
	}
	return 1;
}

int
client_recv(struct vmgw_client *c, json_t **out, int timeout_ms, char *err,
    size_t errlen)
{
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 r;
	char		*nb;

	*out = NULL;
	for (;;) {
		if ((r = client_take_line(c, out, err, errlen)) != 0)
			return r;
		if (c->len >= CTL_LINE_MAX) {
			snprintf(err, errlen, "reply from vmgwd too long");
			return -1;
		}
		if (c->cap - c->len < 4096) {
			if ((nb = realloc(c->buf, c->cap + 65536)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			c->buf = nb;
			c->cap += 65536;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, timeout_ms)) == 0)
			return -2;
		if (r == -1) {
			if (errno == EINTR)
				return -2;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if ((n = read(c->fd, c->buf + c->len, c->cap - c->len)) == -1) {
			if (errno == EINTR)
				return -2;
			snprintf(err, errlen, "read from vmgwd: %s",
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		c->len += (size_t)n;
	}
}

void
client_close(struct vmgw_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}
