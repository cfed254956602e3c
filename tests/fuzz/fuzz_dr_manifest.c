/*
 * fuzz_dr_manifest.c - the backup site's chain manifest and partial record
 * (gateway/dr/core manifest.c, partial.c): the input goes to
 * drc_manifest_parse and drc_partial_parse.  A manifest comes from disk at
 * the backup site, which a crash, a full disk or an operator may have
 * damaged.
 *
 * Checks: a parse succeeds with a result or fails with none and a message
 * naming the file; a parsed manifest's points are ordered by seq with plain
 * file names; a parsed partial record checks against it without crashing.
 */
#include <string.h>

#include "drcore.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drc_manifest	*m = NULL;
	struct drc_partial	*p = NULL;
	char			 err[512];
	size_t			 i, k;
	int			 rm, rp;

	err[0] = '\0';
	rm = drc_manifest_parse("manifest.json", (const char *)data, size, &m,
	    err, sizeof(err));
	FUZZ_CHECK((rm == 0) == (m != NULL));
	if (rm == -1)
		FUZZ_CHECK(strncmp(err, "manifest.json", 13) == 0);
	for (i = 0; m != NULL && i < m->n_points; i++) {
		FUZZ_CHECK(i == 0 || m->points[i].seq > m->points[i - 1].seq);
		for (k = 0; k < m->points[i].n_disks; k++)
			FUZZ_CHECK(drc_file_name_ok(m->points[i].disks[k].file));
	}
	rp = drc_partial_parse("partial.json", (const char *)data, size, &p,
	    err, sizeof(err));
	FUZZ_CHECK((rp == 0) == (p != NULL));
	if (m != NULL && p != NULL)
		FUZZ_CHECK(drc_partial_check(m, p, err, sizeof(err)) >= -1);
	drc_partial_free(p);
	drc_manifest_free(m);
	return 0;
}
