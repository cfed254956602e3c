/*
 * dr_probe_ns.c - a failover test's probe, from inside the copy's isolated
 * network: the worker's side hands the probe and the TCP check to a probe
 * helper (netplan/netns.c) and reads back what it measured; the helper's
 * side (vmgwd --netns-helper, in its own user and network namespace) sets
 * up its end of the veth, probes, checks and answers.
 *
 * The request: {cidr, name, site, addrs, probe_port, timeout_ms, t0_ns,
 * tcp, tcp_timeout_s}.  The answer: {probe: {ok, ms, detail, probe},
 * answered_ns, check: {...} | null}, or {error}.  CLOCK_MONOTONIC is one
 * clock for both processes, so t0_ns and answered_ns need no conversion.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dr.h"
#include "guest.h"

#define DR_PNS_MARGIN_MS	10000	/* setup and teardown, beyond the timeouts */

/* (worker) */
int
dr_probe_ns_run(const char *bridge, const char *hostif, const char *cidr,
    struct np_probe *p, const struct dr_tcp_check *ck, uint64_t *answered_ns,
    json_t **check, char *err, size_t errlen)
{
	struct netns_helper	 h;
	json_t			*req = NULL, *res = NULL, *v;
	int			 timeout_ms, ret = -1;

	*answered_ns = 0;
	*check = NULL;
	if (netns_helper_start(bridge, hostif, &h, err, errlen) == -1)
		return -1;
	p->t0_ns = mono_ns();
	timeout_ms = (int)p->timeout_ms + (int)ck->timeout_s * 1000 +
	    DR_PNS_MARGIN_MS;
	if ((req = json_pack("{s:s, s:s, s:s, s:O, s:i, s:i, s:I, s:i, s:i}",
	    "cidr", cidr, "name", p->name, "site", p->site, "addrs", p->addrs,
	    "probe_port", (int)p->probe_port, "timeout_ms", (int)p->timeout_ms,
	    "t0_ns", (json_int_t)p->t0_ns, "tcp", (int)ck->tcp,
	    "tcp_timeout_s", (int)ck->timeout_s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (netns_helper_call(&h, req, &res, timeout_ms, err, errlen) == -1)
		goto out;
	if (json_is_string(v = json_object_get(res, "error"))) {
		snprintf(err, errlen, "the probe helper: %s",
		    json_string_value(v));
		goto out;
	}
	v = json_object_get(res, "probe");
	if (!json_is_object(v) || !json_is_boolean(json_object_get(v, "ok")) ||
	    !json_is_integer(json_object_get(res, "answered_ns"))) {
		snprintf(err, errlen, "the probe helper: an answer without "
		    "its probe result");
		goto out;
	}
	p->result = json_incref(v);
	*answered_ns = (uint64_t)json_integer_value(json_object_get(res,
	    "answered_ns"));
	if (json_is_object(v = json_object_get(res, "check")))
		*check = json_incref(v);
	ret = 0;
 out:
	json_decref(req);
	json_decref(res);
	netns_helper_end(&h);
	return ret;
}

/* ------------------------------------------------------ the helper's side */

static void
dr_pns_answer(FILE *f, json_t *ans)
{
	if (ans != NULL) {
		(void)json_dumpf(ans, f, JSON_COMPACT);
		fputc('\n', f);
		fflush(f);
	}
	json_decref(ans);
}

/* the request into p and ck; -1 with err when a field is missing */
static int
dr_pns_request(json_t *req, struct np_probe *p, struct dr_tcp_check *ck,
    const char **cidr, char *err, size_t errlen)
{
	const char	*name, *site;
	json_t		*addrs;
	json_int_t	 port, tmo, t0, tcp, ttmo;

	if (json_unpack(req, "{s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:I}",
	    "cidr", cidr, "name", &name, "site", &site, "addrs", &addrs,
	    "probe_port", &port, "timeout_ms", &tmo, "t0_ns", &t0, "tcp", &tcp,
	    "tcp_timeout_s", &ttmo) == -1 || !json_is_array(addrs) ||
	    port < 0 || port > 65535 || tmo < 0 || tmo > 3600000 || t0 < 0 ||
	    tcp < 0 || tcp > 65535 || ttmo < 0 || ttmo > 3600) {
		snprintf(err, errlen, "a malformed request");
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->site, sizeof(p->site), "%s", site);
	p->bridge[0] = '\0';	/* ICMP, over probe0's subnet */
	p->addrs = json_incref(addrs);
	p->probe_port = (unsigned)port;
	p->timeout_ms = (unsigned)tmo;
	p->t0_ns = (uint64_t)t0;
	ck->tcp = (unsigned)tcp;
	ck->timeout_s = (unsigned)ttmo;
	return 0;
}

int
dr_probe_ns_helper(void)
{
	struct np_probe		 p;
	struct dr_tcp_check	 ck;
	json_error_t		 je;
	json_t			*req = NULL, *check = NULL;
	FILE			*in = NULL, *f = NULL;
	const char		*cidr;
	uint64_t		 answered;
	char			 err[512];
	int			 ret = 1;

	memset(&p, 0, sizeof(p));
	/* a stream each way: a FILE read and then written needs a seek */
	if ((in = fdopen(NETNS_HELPER_FD, "r")) == NULL ||
	    (f = fdopen(dup(NETNS_HELPER_FD), "w")) == NULL)
		goto out;
	if (netns_helper_enter(err, sizeof(err)) == -1) {
		fprintf(f, "error: %s\n", err);
		goto out;
	}
	fputs("ready\n", f);
	fflush(f);
	if ((req = json_loadf(in, JSON_DISABLE_EOF_CHECK, &je)) == NULL)
		goto out;	/* the parent went away */
	if (dr_pns_request(req, &p, &ck, &cidr, err, sizeof(err)) == -1 ||
	    netns_helper_setup(cidr, err, sizeof(err)) == -1) {
		dr_pns_answer(f, json_pack("{s:s}", "error", err));
		goto out;
	}
	np_probe_run(&p);
	answered = mono_ns();
	if (json_is_true(json_object_get(p.result, "ok")))
		check = dr_tcp_check_run(&ck, p.name, p.addrs);
	dr_pns_answer(f, json_pack("{s:O, s:I, s:o}", "probe", p.result,
	    "answered_ns", (json_int_t)answered, "check", check != NULL ?
	    check : json_null()));
	ret = 0;
 out:
	json_decref(req);
	json_decref(p.addrs);
	json_decref(p.result);
	if (f != NULL)
		fclose(f);
	if (in != NULL)
		fclose(in);
	return ret;
}
