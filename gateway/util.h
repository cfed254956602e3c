/*
 * util.h - small helpers shared by the daemon and the CLI (util.c).
 */
#ifndef VMGW_UTIL_H
#define VMGW_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include <event2/buffer.h>
#include <event2/listener.h>

#include "config.h"

time_t	 mono_now(void);
uint64_t mono_ns(void);
void	 fmt_bytes(char *out, size_t outlen, uint64_t bytes);
void	 fmt_time(char *out, size_t outlen, time_t wall);
int	 set_nonblock_cloexec(int fd);
int	 mkdir_p(const char *path, mode_t mode);
int	 write_file_atomic(const char *path, const void *, size_t, mode_t);
ssize_t	 sock_read(evutil_socket_t, struct evbuffer *, size_t max);
/* A listener on a TCP address (resolved once, now); NULL with err. */
struct evconnlistener *listen_tcp(struct event_base *, const struct vmgw_addr *,
	    evconnlistener_cb, void *arg, int backlog, char *err,
	    size_t errlen);

#endif /* VMGW_UTIL_H */
