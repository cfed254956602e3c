/*
 * fuzz_drrec.c - the records a gateway reads back from its own disk at
 * start or at a command, which a crash, a full disk or an operator may
 * have damaged: a job record (<state_dir>/jobs/ID.json, gateway/jobs/job.c
 * job_from_record, with the migration's and replication's load and
 * recover) and a failover test's record (a chain's test.json, dr_test.c,
 * as `vmgw failover --test --end` reads it) and a chain's failover.json
 * (dr_forec.c, which a restart and the chain upkeep read).  The input is
 * given to all three, with the gateway of fuzz_gw.h (its workers refused).
 *
 * Checks: a job record makes at most one job, whose id is "j" + hex and
 * whose peer names no directory (they name the record's file), and whose
 * record serializes again; a test record's overlays are at most
 * DRC_DISKS_MAX, each under the chain's test/ directory with a plain file
 * name (the --end removes them); a failover record written back
 * (dr_forec_write) reads back the same.
 */
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
check_job_record(struct gw *gw, const uint8_t *data, size_t size)
{
	struct job	*j;
	json_t		*o;
	size_t		 n = 0, i;

	if ((o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		return;
	job_from_record(gw, o, "jobs/fuzz.json");
	json_decref(o);
	TAILQ_FOREACH(j, gw->jobs, entry) {
		n++;
		FUZZ_CHECK(j->id[0] == 'j');
		for (i = 1; j->id[i] != '\0'; i++)
			FUZZ_CHECK(strchr("0123456789abcdef", j->id[i]));
		FUZZ_CHECK(strchr(j->peer_name, '/') == NULL);
		o = job_json(j);
		FUZZ_CHECK(o != NULL);
		json_decref(o);
	}
	FUZZ_CHECK(n <= 1);
}

static void
check_test_record(struct gw *gw, const uint8_t *data, size_t size)
{
	static char	 ov[DRC_DISKS_MAX][700];
	char		 dir[600], want[700], err[512];
	size_t		 n = 99, i;

	snprintf(dir, sizeof(dir), "/srv/vmgw-dr/site-b/web1");
	snprintf(want, sizeof(want), "%s/%s/", dir, DR_TEST_DIR);
	err[0] = '\0';
	if (dr_test_record_check(gw, "web1", dir, (const char *)data, size, ov,
	    &n, err, sizeof(err)) == -1) {
		FUZZ_CHECK(n == 0 && err[0] != '\0');
		return;
	}
	FUZZ_CHECK(n <= DRC_DISKS_MAX);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(strncmp(ov[i], want, strlen(want)) == 0);
		FUZZ_CHECK(drc_file_name_ok(ov[i] + strlen(want)));
	}
}

static void
check_failover_record(const uint8_t *data, size_t size)
{
	struct dr_forec	 r, r2;
	char		 path[600], err[512];

	err[0] = '\0';
	if (dr_forec_parse("failover.json", (const char *)data, size, &r, err,
	    sizeof(err)) == -1) {
		FUZZ_CHECK(strncmp(err, "failover.json: ", 15) == 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/failover.json", fuzz_dir);
	FUZZ_CHECK(dr_forec_write(path, &r, err, sizeof(err)) == 0);
	FUZZ_CHECK(dr_forec_load(path, &r2, err, sizeof(err)) == 0);
	FUZZ_CHECK(strcmp(r.domain, r2.domain) == 0 &&
	    strcmp(r.point, r2.point) == 0 && r.at == r2.at &&
	    strcmp(r.site, r2.site) == 0 && strcmp(r.kind, r2.kind) == 0 &&
	    strcmp(r.from, r2.from) == 0 &&
	    strcmp(r.checkpoint, r2.checkpoint) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_job_record(fuzz_gw, data, size);
	check_test_record(fuzz_gw, data, size);
	check_failover_record(data, size);
	fuzz_gw_reset(fuzz_gw);
	return 0;
}
