/*
 * evutil.c - libevent helpers of the daemon: reads bigger than libevent's
 * own, and a TCP listener on a configured address.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include <event2/util.h>

#include "evutil.h"

/*
 * Read up to max bytes from fd into buf in one readv.  libevent 2.1's own
 * evbuffer_read() moves at most 4096 bytes a call (EVBUFFER_MAX_READ), and
 * on hosts where a system call costs more than copying 64 KiB that alone
 * caps a stream at a few hundred MB/s.  Returns bytes read, 0 at EOF, -1
 * with errno (EAGAIN when nothing is there).
 */
ssize_t
sock_read(evutil_socket_t fd, struct evbuffer *buf, size_t max)
{
	struct evbuffer_iovec	 v[2];
	struct iovec		 iov[2];
	int			 n, i;
	ssize_t			 r;
	size_t			 left;

	if ((n = evbuffer_reserve_space(buf, (ev_ssize_t)max, v, 2)) <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	do
		r = readv(fd, iov, n);
	while (r == -1 && errno == EINTR);
	if (r <= 0) {
		v[0].iov_len = 0;
		evbuffer_commit_space(buf, v, 1);
		return r;
	}
	for (i = 0, left = (size_t)r; i < n; i++) {
		if (v[i].iov_len > left)
			v[i].iov_len = left;
		left -= v[i].iov_len;
	}
	evbuffer_commit_space(buf, v, n);
	return r;
}

struct evconnlistener *
listen_tcp(struct event_base *base, const struct vmgw_addr *a,
    evconnlistener_cb cb, void *arg, int backlog, char *err, size_t errlen)
{
	struct evutil_addrinfo	 hints, *ai = NULL;
	struct evconnlistener	*l;
	char			 port[8];
	int			 r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", a->port);
	if ((r = evutil_getaddrinfo(a->host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen %s: %s", a->text,
		    evutil_gai_strerror(r));
		return NULL;
	}
	l = evconnlistener_new_bind(base, cb, arg, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, backlog, ai->ai_addr,
	    (int)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (l == NULL)
		snprintf(err, errlen, "listen %s: %s", a->text, strerror(errno));
	return l;
}
