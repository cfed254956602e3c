/*
 * dr_forec.c - failover.json, the record in a chain's directory that says
 * the guest runs here on its replica: after a failover (dr_failover.c) or
 * a move over the replica (dr_move.c, kind "move").  Its presence is what
 * most readers ask (access()); the fields are read here:
 *
 *   {"domain", "point", "at", "site", "kind" ("move" or absent), "from",
 *    "checkpoint"}
 *
 * Written with jansson (a guest name may hold any character JSON must
 * escape), read back leniently: the file may come from an older vmgwd or
 * be damaged, so a field missing, of another type or too long reads as
 * "" (0 for at), and only a file that is not a JSON object is refused.
 */
#include <string.h>

#include "dr.h"

static void
dr_forec_str(json_t *o, const char *key, char *out, size_t outlen)
{
	const char	*s = json_string_value(json_object_get(o, key));

	if (s == NULL || strlen(s) >= outlen)
		s = "";
	snprintf(out, outlen, "%s", s);
}

int
dr_forec_parse(const char *what, const char *text, size_t len,
    struct dr_forec *r, char *err, size_t errlen)
{
	json_error_t	 je;
	json_t		*o;

	memset(r, 0, sizeof(*r));
	if ((o = json_loadb(text, len, 0, &je)) == NULL ||
	    !json_is_object(o)) {
		snprintf(err, errlen, "%s: not a failover record%s%s", what,
		    o == NULL ? ": " : "", o == NULL ? je.text : "");
		json_decref(o);
		return -1;
	}
	dr_forec_str(o, "domain", r->domain, sizeof(r->domain));
	dr_forec_str(o, "point", r->point, sizeof(r->point));
	dr_forec_str(o, "site", r->site, sizeof(r->site));
	dr_forec_str(o, "kind", r->kind, sizeof(r->kind));
	dr_forec_str(o, "from", r->from, sizeof(r->from));
	dr_forec_str(o, "checkpoint", r->checkpoint, sizeof(r->checkpoint));
	r->at = (int64_t)json_integer_value(json_object_get(o, "at"));
	json_decref(o);
	return 0;
}

int
dr_forec_load(const char *path, struct dr_forec *r, char *err, size_t errlen)
{
	char	*text = NULL;
	size_t	 len;
	int	 ret;

	memset(r, 0, sizeof(*r));
	if (drc_read_file(path, 64 * 1024, &text, &len, err, errlen) == -1)
		return -1;
	ret = dr_forec_parse(path, text, len, r, err, errlen);
	free(text);
	return ret;
}

int
dr_forec_write(const char *path, const struct dr_forec *r, char *err,
    size_t errlen)
{
	json_t	*o;
	char	*s = NULL;
	int	 ret = -1;

	o = json_pack("{s:s, s:s, s:I, s:s}", "domain", r->domain, "point",
	    r->point, "at", (json_int_t)r->at, "site", r->site);
	if (o != NULL && r->kind[0] != '\0')
		json_object_set_new(o, "kind", json_string(r->kind));
	if (o != NULL && r->from[0] != '\0')
		json_object_set_new(o, "from", json_string(r->from));
	if (o != NULL)
		json_object_set_new(o, "checkpoint",
		    json_string(r->checkpoint));
	/* ", " and ": " as the record always had (scripts grep it) */
	if (o == NULL || (s = json_dumps(o, JSON_PRESERVE_ORDER)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	ret = drc_write_atomic(path, s, strlen(s), err, errlen);
 out:
	free(s);
	json_decref(o);
	return ret;
}
