/*
 * test_mig_progress.c - the progress line's arithmetic (mig_progress.c):
 * the share done reaches 100 % when nothing remains, whatever QEMU counted
 * as sent; the disk copy, for which libvirt gives no rate, gets one from
 * two readings; no rate means no time left, not "0 s".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mig_progress.h"

#define MiB	(1024ull * 1024)

static void
test_pct(void **state)
{
	assert_true(mig_prog_pct(0, 0) == 0);		/* nothing known */
	assert_true(mig_prog_pct(100, 100) == 0);
	assert_true(mig_prog_pct(100, 25) == 75);
	assert_true(mig_prog_pct(100, 0) == 100);
	assert_true(mig_prog_pct(100, 200) == 0);	/* dirtied past total */
}

/* The end of the memory copy: 55 % of it sent (zero pages), none left. */
static void
test_memory_end(void **state)
{
	struct kvm_job_stats	 s, prev;
	struct mig_prog		 p;

	memset(&s, 0, sizeof(s));
	s.type = 2;
	s.time_elapsed_ms = 4000;
	s.mem_total = 256 * MiB;
	s.mem_processed = 141 * MiB;	/* 55 % */
	s.mem_remaining = 0;
	s.mem_bps = 100 * MiB;
	s.disk_total = s.disk_processed = 64 * MiB;
	prev = s;
	prev.time_elapsed_ms = 3500;
	prev.mem_processed = 100 * MiB;
	prev.mem_remaining = 50 * MiB;
	mig_prog_compute(&s, &prev, &p);
	assert_string_equal(p.phase, "memory copy");
	assert_true(p.mem_pct == 100);
	assert_true(p.disk_pct == 100);
	assert_int_equal(p.remaining, 0);
	assert_int_equal(p.eta_s, 0);
	assert_int_equal(p.bps, 100 * MiB);	/* QEMU's; the disk is idle */
	/* the first reading: the disk's rate is its average since the start */
	mig_prog_compute(&s, NULL, &p);
	assert_int_equal(p.bps, 116 * MiB);
}

/* The disk copy: libvirt says mem_bps 0 and disk_bps 0. */
static void
test_disk_rate(void **state)
{
	struct kvm_job_stats	 a, b;
	struct mig_prog		 p;

	memset(&a, 0, sizeof(a));
	a.type = 2;
	a.time_elapsed_ms = 1000;
	a.mem_total = a.mem_remaining = 256 * MiB;
	a.disk_total = 1024 * MiB;
	a.disk_processed = 100 * MiB;
	a.disk_remaining = 924 * MiB;
	b = a;
	b.time_elapsed_ms = 1500;
	b.disk_processed = 125 * MiB;
	b.disk_remaining = 899 * MiB;
	mig_prog_compute(&b, &a, &p);
	assert_string_equal(p.phase, "disk copy");
	assert_int_equal(p.bps, 50 * MiB);		/* 25 MiB in 0.5 s */
	assert_true(p.disk_pct > 12.2 && p.disk_pct < 12.3);
	assert_true(p.mem_pct == 0);
	assert_int_equal(p.remaining, (256 + 899) * MiB);
	assert_int_equal(p.eta_s, (1155 + 49) / 50);	/* rounded up */
	/* the first reading: the average since the start */
	mig_prog_compute(&a, NULL, &p);
	assert_int_equal(p.bps, 100 * MiB);
	/* no time between two readings: no rate, no time left */
	mig_prog_compute(&a, &a, &p);
	assert_int_equal(p.bps, 0);
	assert_int_equal(p.eta_s, 0);
	/* a rate libvirt gives wins over the delta */
	b.disk_bps = 10 * MiB;
	mig_prog_compute(&b, &a, &p);
	assert_int_equal(p.bps, 10 * MiB);
}

/* Memory and disk rates add up; a counter going back adds nothing. */
static void
test_mixed(void **state)
{
	struct kvm_job_stats	 a, b;
	struct mig_prog		 p;

	memset(&a, 0, sizeof(a));
	a.type = 2;
	a.time_elapsed_ms = 2000;
	a.mem_total = 256 * MiB;
	a.mem_processed = 10 * MiB;
	a.mem_remaining = 200 * MiB;
	a.disk_total = 64 * MiB;
	a.disk_processed = 64 * MiB;
	b = a;
	b.time_elapsed_ms = 3000;
	b.mem_processed = 40 * MiB;
	b.mem_remaining = 170 * MiB;
	b.mem_bps = 0;			/* QEMU has not measured one yet */
	b.disk_processed = 60 * MiB;	/* went back: 0 */
	mig_prog_compute(&b, &a, &p);
	assert_string_equal(p.phase, "memory copy");
	assert_int_equal(p.bps, 30 * MiB);
	assert_int_equal(p.eta_s, 6);	/* 170 / 30, rounded up */
	b.postcopy = 1;
	mig_prog_compute(&b, &a, &p);
	assert_string_equal(p.phase, "post-copy");
	memset(&b, 0, sizeof(b));
	mig_prog_compute(&b, NULL, &p);
	assert_string_equal(p.phase, "starting");
	assert_int_equal(p.bps, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pct),
		cmocka_unit_test(test_memory_end),
		cmocka_unit_test(test_disk_rate),
		cmocka_unit_test(test_mixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
