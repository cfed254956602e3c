/*
 * fuzz_ctl.c - what a client writes to the control socket (gateway/core/
 * control.c ctl_input and the command handlers the layers register): the
 * input is the bytes of one connection, requests one per line.  The
 * command table is the real one (fuzz_gw.h: transport, jobs, migrate, dr,
 * as vmgwd registers them), so a request goes through the line split, the
 * JSON parse, the version and command checks and its handler's argument
 * parsing, as far as the handler gets before its worker (refused here).
 * After the input the client goes away, as ctl_conn_free does it: the
 * close callback a handler left runs, and the connection is freed, so a
 * handler that kept it is caught by ASan on the next input.
 *
 * Checks: every line written back is a JSON object with a "type" of
 * "event" or "result", and "exit" in a result that is not ok; no
 * crash, leak or hang.
 */
#include <event2/buffer.h>

#include "control.h"
#include "fuzz_gw.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_gw_make();
	return 0;
}

static void
check_replies(struct evbuffer *out)
{
	json_t		*m;
	const char	*type;
	char		*line;
	size_t		 len;

	while ((line = evbuffer_readln(out, &len, EVBUFFER_EOL_LF)) != NULL) {
		m = json_loadb(line, len, 0, NULL);
		FUZZ_CHECK(json_is_object(m));
		type = json_string_value(json_object_get(m, "type"));
		FUZZ_CHECK(type != NULL && (strcmp(type, "event") == 0 ||
		    strcmp(type, "result") == 0));
		if (strcmp(type, "result") == 0 && !json_is_true(
		    json_object_get(m, "ok")))
			FUZZ_CHECK(json_is_integer(json_object_get(m, "exit")));
		json_decref(m);
		free(line);
	}
	FUZZ_CHECK(evbuffer_get_length(out) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw		*gw = fuzz_gw;
	struct bufferevent	*pair[2];
	struct ctl_conn		*c;
	struct evbuffer		*in;
	ctl_close_cb		 cb;

	if ((c = calloc(1, sizeof(*c))) == NULL || (in = evbuffer_new()) ==
	    NULL || bufferevent_pair_new(gw->base, 0, pair) == -1)
		abort();
	c->gw = gw;
	c->bev = pair[0];
	c->uid = 0;
	c->pid = 1;
	TAILQ_INSERT_TAIL(&gw->ctls, c, entry);
	evbuffer_add(in, data, size);
	ctl_input(c, in);
	event_base_loop(gw->base, EVLOOP_NONBLOCK);
	/* the client goes away (ctl_conn_free) */
	cb = c->on_close;
	c->on_close = NULL;
	if (cb != NULL)
		cb(c, c->on_close_arg);
	TAILQ_REMOVE(&gw->ctls, c, entry);
	bufferevent_flush(pair[0], EV_WRITE, BEV_FINISHED);
	check_replies(bufferevent_get_input(pair[1]));
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	free(c);
	evbuffer_free(in);
	fuzz_gw_reset(gw);
	return 0;
}
