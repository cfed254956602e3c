/*
 * size.c - sizes and rates in the config: "0", "512", "64K", "4M", "1GiB",
 * "10MB".  Every suffix is a power of 1024 (K, M, G, T; "B" and "iB" after
 * it change nothing), so "4M" is 4194304 whatever it is followed by.
 */
#include <stdint.h>
#include <string.h>

#include "config.h"

int
size_parse(uint64_t *out, const char *text)
{
	const char	*p = text;
	uint64_t	 v = 0;
	unsigned	 d, shift = 0;

	*out = 0;
	if (text == NULL || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (shift != 0) {
		p++;
		if (strcmp(p, "") != 0 && strcmp(p, "B") != 0 &&
		    strcmp(p, "iB") != 0)
			return -1;
	}
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}
