/*
 * client.h - the CLI's side of the control protocol (ctlproto.h): a
 * blocking connection to the local vmgwd, one request, replies line by line.
 */
#ifndef VMGW_CLIENT_H
#define VMGW_CLIENT_H

#include <stddef.h>
#include <jansson.h>

struct vmgw_client {
	int	 fd;
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

int	client_connect(struct vmgw_client *, const char *path, char *err,
	    size_t errlen);
/* Send one request (adds "v"); steals req.  0 or -1. */
int	client_send(struct vmgw_client *, json_t *req);
/*
 * Next reply line: 1 with *out, 0 when the daemon closed the connection,
 * -1 on error (err set), -2 when timeout_ms passed (-1: wait forever) or a
 * signal interrupted the wait.
 */
int	client_recv(struct vmgw_client *, json_t **out, int timeout_ms,
	    char *err, size_t errlen);
void	client_close(struct vmgw_client *);

#endif /* VMGW_CLIENT_H */
