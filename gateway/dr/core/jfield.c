/*
 * jfield.c - strict JSON for the files of the backup site (manifest.c,
 * partial.c): loading with a size cap and no duplicate keys, one getter
 * per field type that checks presence, type and length before copying,
 * unknown keys refused, the disk lists both files share, and the save path
 * that validates what it is about to write.
 *
 * These files are read after a crash, a disk error or a hostile edit, so
 * every failure names the file and the field: "manifest.json:
 * points[3].disks[0].file: must be a plain file name".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "drcore_int.h"

int
drc_jbad(const struct drc_jctx *c, const char *where, const char *key,
    const char *fmt, ...)
{
	char msg[512], at[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(at, sizeof(at), "%s%s%s", where, where[0] != '\0' &&
	    key != NULL ? "." : "", key != NULL ? key : "");
	if (at[0] == '\0')
		drc_err(c->err, c->errlen, "%s: %s", c->name, msg);
	else
		drc_err(c->err, c->errlen, "%s: %s: %s", c->name, at, msg);
	return -1;
}

json_t *
drc_jload(const struct drc_jctx *c, const char *text, size_t len, size_t max)
{
	json_error_t je;
	json_t *root;

	if (len > max) {
		drc_err(c->err, c->errlen, "%s: %zu bytes, more than %zu",
		    c->name, len, max);
		return NULL;
	}
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		drc_err(c->err, c->errlen, "%s:%d:%d: %s", c->name, je.line,
		    je.column, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		drc_err(c->err, c->errlen, "%s: not a JSON object", c->name);
		json_decref(root);
		return NULL;
	}
	return root;
}

int
drc_jkeys(const struct drc_jctx *c, json_t *obj, const char *where,
    const char *const keys[])
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (keys[i] == NULL)
			return drc_jbad(c, where, NULL, "unknown key \"%.64s\"",
			    key);
	}
	return 0;
}

/* obj[key] of type t: 1 with *v, 0 absent (optional), -1. */
static int
member(const struct drc_jctx *c, json_t *obj, const char *where,
    const char *key, json_type t, int required, json_t **v)
{
	static const char *const what[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
		[JSON_STRING] = "a string", [JSON_INTEGER] = "an integer",
		[JSON_TRUE] = "true or false"
	};

	if ((*v = json_object_get(obj, key)) == NULL) {
		if (required)
			return drc_jbad(c, where, key, "missing");
		return 0;
	}
	if (json_typeof(*v) == t || (t == JSON_TRUE && json_is_boolean(*v)))
		return 1;
	return drc_jbad(c, where, key, "must be %s", what[t]);
}

/* A string value without NUL bytes; control characters only when text. */
static int
str_value(const struct drc_jctx *c, json_t *v, const char *where,
    const char *key, size_t max, int text)
{
	const char *s = json_string_value(v);
	size_t i, len = json_string_length(v);

	if (len == 0)
		return drc_jbad(c, where, key, "empty");
	if (len > max)
		return drc_jbad(c, where, key, "longer than %zu bytes", max);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\0' || ((ch < 0x20 || ch == 0x7f) && !(text &&
		    (ch == '\n' || ch == '\t' || ch == '\r'))))
			return drc_jbad(c, where, key, "control character "
			    "at byte %zu", i);
	}
	return 0;
}

int
drc_jstr(const struct drc_jctx *c, json_t *obj, const char *where,
    const char *key, int required, char *dst, size_t size)
{
	json_t *v;
	int r;

	dst[0] = '\0';
	if ((r = member(c, obj, where, key, JSON_STRING, required, &v)) <= 0)
		return r;
	if (str_value(c, v, where, key, size - 1, 0) == -1)
		return -1;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 1;
}

int
drc_jstrdup(const struct drc_jctx *c, json_t *obj, const char *where,
    const char *key, size_t max, char **dst)
{
	json_t *v;
	int r;

	*dst = NULL;
	if ((r = member(c, obj, where, key, JSON_STRING, 1, &v)) <= 0)
		return r;
	if (str_value(c, v, where, key, max, 1) == -1)
		return -1;
	if ((*dst = strdup(json_string_value(v))) == NULL)
		return drc_jbad(c, where, key, "out of memory");
	return 1;
}

int
drc_juint(const struct drc_jctx *c, json_t *obj, const char *where,
    const char *key, int required, uint64_t *dst)
{
	json_t *v;
	int r;

	*dst = 0;
	if ((r = member(c, obj, where, key, JSON_INTEGER, required, &v)) <= 0)
		return r;
	if (json_integer_value(v) < 0)
		return drc_jbad(c, where, key, "negative");
	*dst = (uint64_t)json_integer_value(v);
	return 1;
}

int
drc_jbool(const struct drc_jctx *c, json_t *obj, const char *where,
    const char *key, int required, int *dst)
{
	json_t *v;
	int r;

	*dst = 0;
	if ((r = member(c, obj, where, key, JSON_TRUE, required, &v)) <= 0)
		return r;
	*dst = json_is_true(v);
	return 1;
}

static int
disk_parse(const struct drc_jctx *c, json_t *o, const char *where,
    struct drc_disk *d)
{
	static const char *const keys[] = { "target", "file", "size", NULL };

	if (!json_is_object(o))
		return drc_jbad(c, where, NULL, "must be an object");
	if (drc_jkeys(c, o, where, keys) == -1 ||
	    drc_jstr(c, o, where, "target", 1, d->target,
	    sizeof(d->target)) == -1 ||
	    drc_jstr(c, o, where, "file", 1, d->file, sizeof(d->file)) == -1 ||
	    drc_juint(c, o, where, "size", 1, &d->size) == -1)
		return -1;
	return 0;
}

int
drc_jdisks(const struct drc_jctx *c, json_t *obj, const char *where,
    const char *key, struct drc_disk **out, size_t *n)
{
	char at[128];
	json_t *arr;
	size_t i, len;

	*out = NULL;
	*n = 0;
	if (member(c, obj, where, key, JSON_ARRAY, 1, &arr) == -1)
		return -1;
	snprintf(at, sizeof(at), "%s%s%s", where, where[0] ? "." : "", key);
	if ((len = json_array_size(arr)) == 0 || len > DRC_DISKS_MAX)
		return drc_jbad(c, at, NULL, "%zu disks, not 1..%d", len,
		    DRC_DISKS_MAX);
	if ((*out = calloc(len, sizeof(**out))) == NULL)
		return drc_jbad(c, at, NULL, "out of memory");
	*n = len;
	for (i = 0; i < len; i++) {
		char dw[160];

		snprintf(dw, sizeof(dw), "%s[%zu]", at, i);
		if (disk_parse(c, json_array_get(arr, i), dw, &(*out)[i]) == -1)
			return -1;	/* the caller frees *out */
	}
	return 0;
}

int
drc_token_ok(const char *s, size_t max)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int
drc_jcheck_range(const struct drc_jctx *c, const char *where,
    const char *key, uint64_t v, uint64_t min, uint64_t max)
{
	if (v < min || v > max)
		return drc_jbad(c, where, key, "%llu not in %llu..%llu",
		    (unsigned long long)v, (unsigned long long)min,
		    (unsigned long long)max);
	return 0;
}

int
drc_jcheck_disks(const struct drc_jctx *c, const char *where,
    const struct drc_disk *d, size_t n, const struct drc_disk *base,
    size_t n_base)
{
	char dw[160];
	size_t i, j;

	if (base != NULL && n != n_base)
		return drc_jbad(c, where, NULL, "%zu disks, the base has %zu",
		    n, n_base);
	for (i = 0; i < n; i++) {
		snprintf(dw, sizeof(dw), "%s[%zu]", where, i);
		if (!drc_token_ok(d[i].target, DRC_TARGET_MAX))
			return drc_jbad(c, dw, "target", "must be letters, "
			    "digits, '.', '_' or '-'");
		for (j = 0; j < i; j++)
			if (strcmp(d[j].target, d[i].target) == 0)
				return drc_jbad(c, dw, "target", "\"%s\" twice",
				    d[i].target);
		if (base != NULL && strcmp(d[i].target, base[i].target) != 0)
			return drc_jbad(c, dw, "target", "\"%s\", the base's "
			    "is \"%s\"", d[i].target, base[i].target);
		if (!drc_file_name_ok(d[i].file))
			return drc_jbad(c, dw, "file", "must be a plain file "
			    "name");
		if (drc_jcheck_range(c, dw, "size", d[i].size, 512,
		    DRC_DISK_SIZE_MAX) == -1)
			return -1;
		if (d[i].size % 512 != 0)
			return drc_jbad(c, dw, "size", "not a multiple of 512");
	}
	return 0;
}

json_t *
drc_jdisks_dump(const struct drc_disk *d, size_t n)
{
	json_t *arr = json_array(), *o;
	size_t i;

	for (i = 0; arr != NULL && i < n; i++) {
		o = json_pack("{s:s, s:s, s:I}", "target", d[i].target, "file",
		    d[i].file, "size", (json_int_t)d[i].size);
		if (o == NULL || json_array_append_new(arr, o) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int
drc_jsave(const struct drc_jctx *c, const char *path, json_t *root,
    int (*check)(const char *, const char *, size_t, char *, size_t))
{
	char *text = NULL;
	int ret = -1;

	if (root == NULL || (text = json_dumps(root, JSON_INDENT(2))) ==
	    NULL) {
		drc_err(c->err, c->errlen, "%s: cannot encode (not UTF-8?)",
		    path);
		goto out;
	}
	if (check(path, text, strlen(text), c->err, c->errlen) == -1)
		goto out;
	ret = drc_write_atomic(path, text, strlen(text), c->err, c->errlen);
out:
	free(text);
	json_decref(root);
	return ret;
}
