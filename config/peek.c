/*
 * peek.c - read one top-level scalar of a config file without validating
 * the rest or touching the private key: the CLI needs only `control` to
 * find its daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "config.h"

int
config_peek(const char *path, const char *key, char *out, size_t outlen,
    char *err, size_t errlen)
{
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	FILE		*f;
	int		 depth = 0, want_value = 0, ret = -1, done = 0;
	size_t		 pos = 0;

	out[0] = '\0';
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			snprintf(err, errlen, "%s:%zu:%zu: YAML syntax error: "
			    "%s", path, parser.problem_mark.line + 1,
			    parser.problem_mark.column + 1,
			    parser.problem ? parser.problem : "?");
			goto out;
		}
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth == 1) {	/* a non-scalar key or value */
				want_value = 0;
				pos++;
			}
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth != 1)
				break;
			if (pos % 2 == 0)
				want_value = strcmp((const char *)
				    ev.data.scalar.value, key) == 0;
			else if (want_value) {
				snprintf(out, outlen, "%s",
				    (const char *)ev.data.scalar.value);
				done = 1;
			}
			pos++;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	ret = 0;
 out:
	yaml_parser_delete(&parser);
	fclose(f);
	return ret;
}
