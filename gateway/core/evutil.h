/*
 * evutil.h - libevent helpers of the daemon (evutil.c): big reads into an
 * evbuffer, and a TCP listener on a configured address.
 */
#ifndef VMGW_EVUTIL_H
#define VMGW_EVUTIL_H

#include <sys/types.h>

#include <event2/buffer.h>
#include <event2/listener.h>

#include "config.h"

ssize_t	 sock_read(evutil_socket_t, struct evbuffer *, size_t max);
/* A listener on a TCP address (resolved once, now); NULL with err. */
struct evconnlistener *listen_tcp(struct event_base *, const struct vmgw_addr *,
	    evconnlistener_cb, void *arg, int backlog, char *err,
	    size_t errlen);

#endif /* VMGW_EVUTIL_H */
