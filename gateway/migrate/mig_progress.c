/*
 * mig_progress.c - the phase, the share done, the rate and the time left
 * of a live migration, from libvirt's statistics read every tick.
 *
 * Share done: QEMU counts the memory it sent, not the memory it is done
 * with (a zero page crosses as a flag), so processed / total stops well
 * short of 100 % (55 % for a mostly empty guest) when nothing remains.  The
 * share is (total - remaining) / total: 100 % exactly when nothing remains.
 *
 * Rate: libvirt gives no rate for the NBD disk mirror (disk_bps stays 0
 * through the disk copy), and none for the memory before QEMU measured
 * one.  A stream without a rate gets the bytes it processed since the last
 * reading over the time between the two readings (libvirt's elapsed time).
 */
#include <stddef.h>

#include "mig_progress.h"

double
mig_prog_pct(uint64_t total, uint64_t remaining)
{
	if (total == 0 || remaining >= total)
		return 0;
	return 100.0 * (double)(total - remaining) / (double)total;
}

/* bytes/s of one stream: libvirt's, else processed between two readings */
static uint64_t
stream_bps(uint64_t bps, uint64_t now, uint64_t before, uint64_t dt_ms)
{
	if (bps > 0 || dt_ms == 0 || now <= before)
		return bps;
	return (now - before) * 1000 / dt_ms;
}

void
mig_prog_compute(const struct kvm_job_stats *s,
    const struct kvm_job_stats *prev, struct mig_prog *out)
{
	uint64_t	 dt = 0, mem_before = 0, disk_before = 0;

	if (s->postcopy)
		out->phase = "post-copy";
	else if (s->disk_total > 0 && s->disk_remaining > 0 &&
	    s->mem_processed == 0)
		out->phase = "disk copy";
	else if (s->mem_total > 0)
		out->phase = "memory copy";
	else
		out->phase = "starting";
	out->mem_pct = mig_prog_pct(s->mem_total, s->mem_remaining);
	out->disk_pct = mig_prog_pct(s->disk_total, s->disk_remaining);
	if (prev != NULL && s->time_elapsed_ms > prev->time_elapsed_ms) {
		dt = s->time_elapsed_ms - prev->time_elapsed_ms;
		mem_before = prev->mem_processed;
		disk_before = prev->disk_processed;
	} else if (prev == NULL)
		dt = s->time_elapsed_ms;	/* since the job started */
	out->bps = stream_bps(s->mem_bps, s->mem_processed, mem_before, dt) +
	    stream_bps(s->disk_bps, s->disk_processed, disk_before, dt);
	out->remaining = s->mem_remaining + s->disk_remaining;
	out->eta_s = out->bps > 0 ? (out->remaining + out->bps - 1) / out->bps :
	    0;
}
