/*
 * mig_progress.h - what a live migration's progress line says, computed
 * from two readings of libvirt's job statistics (mig_progress.c).  Pure
 * arithmetic, no loop and no libvirt: tests/unit/test_mig_progress.c.
 */
#ifndef VMGW_MIG_PROGRESS_H
#define VMGW_MIG_PROGRESS_H

#include <stdint.h>

#include "kvm.h"

struct mig_prog {
	const char	*phase;		/* "disk copy", "memory copy", ... */
	double		 mem_pct;	/* of the memory, done (0..100) */
	double		 disk_pct;	/* of the disks' mirror, done */
	uint64_t	 bps;		/* bytes/s now; 0: not known yet */
	uint64_t	 remaining;	/* bytes, memory + disks */
	uint64_t	 eta_s;		/* remaining / bps; 0 when bps is 0 */
};

/* prev: the reading before now (NULL for the first one) */
void	 mig_prog_compute(const struct kvm_job_stats *now,
	    const struct kvm_job_stats *prev, struct mig_prog *out);
double	 mig_prog_pct(uint64_t total, uint64_t remaining);

#endif /* VMGW_MIG_PROGRESS_H */
