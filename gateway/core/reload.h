/*
 * reload.h - SIGHUP: read the configuration again, and swap it in only when
 * it is good (reload.c).
 *
 * The layer that owns a part of the running state registers what a reload
 * means for it: check(gw, next) says why next cannot be applied now (each
 * reason logged with reload_error(), the count returned), apply(gw, old)
 * brings the layer from old to gw->conf once every check passed.  Checks
 * and applies run on the loop, in registration order (bottom up).
 *
 * The rule of the old configuration's lifetime: pointers into a config
 * (struct peer's conf, a job's plan strings, what a worker thread reads of
 * gw->conf) are either re-pointed by apply() or belong to a job or a
 * worker.  So a retired config is kept until nothing that existed when it
 * was retired is left: no worker started before the reload still runs,
 * and every holder (conf_hold_register: the jobs) says it holds nothing of
 * that epoch or older.  Its private key is wiped at once.
 */
#ifndef VMGW_RELOAD_H
#define VMGW_RELOAD_H

#include <stdint.h>

#include "gw.h"

#define CONF_DIGEST_HEX	16	/* hex digits shown of the file's BLAKE2b */

typedef int	(*reload_check_fn)(struct gw *, const struct vmgw_config *next);
typedef void	(*reload_apply_fn)(struct gw *, const struct vmgw_config *old);
/* The oldest conf epoch a holder still points into (UINT64_MAX: none). */
typedef uint64_t (*conf_held_fn)(struct gw *);
/*
 * Threads with event loops of their own that read gw->conf (the data
 * connections' lanes): hold them still (hold 1) while the configuration
 * is swapped and applied, and let them go (hold 0) after; so none is left
 * holding a pointer into the retired one.
 */
typedef void	(*reload_quiesce_fn)(struct gw *, int hold);

int	 reload_register(reload_check_fn, reload_apply_fn);	/* -1: full */
int	 conf_hold_register(conf_held_fn);			/* -1: full */
int	 reload_quiesce_register(reload_quiesce_fn);		/* -1: full */
/* A reason the reload is refused: "FILE: reload: ..." in the log. */
void	 reload_error(const struct vmgw_config *next, const char *fmt, ...)
	    LOG_FMT(2, 3);
/* Load gw->conf->path again; 0 when swapped in, -1 when refused. */
int	 gw_reload(struct gw *);
/* Free the retired configs nothing can point into any more. */
void	 conf_gc(struct gw *);
void	 conf_retired_free(struct gw *);	/* at exit: all of them */
size_t	 conf_retired_count(const struct gw *);
/* The first CONF_DIGEST_HEX hex digits of the file's BLAKE2b-256. */
void	 conf_digest_hex(const struct vmgw_config *,
	    char out[CONF_DIGEST_HEX + 1]);
extern uint64_t	 conf_reloads_ok, conf_reloads_refused;	/* for metrics */

#endif /* VMGW_RELOAD_H */
