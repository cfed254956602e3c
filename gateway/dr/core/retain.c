/*
 * retain.c - which points of a chain to merge into the base now.  Pure:
 * the caller passes pinned flags (a pinned point, or one in use by a test
 * failover) and acts on the answer with drc_chain_merge_oldest().
 *
 * The chain is linear and only its oldest point can be merged (into the
 * base).  Merging p1 while p2 is pinned is fine: p2 reads the same over
 * base+p1.  Merging the pinned point itself is not, and no point newer
 * than a pin can reach the base without it, so merging stops at the first
 * pin and the chain grows past keep until the pin is lifted.  (Merging a
 * newer point into its older neighbour would change that neighbour's
 * content and so needs its own manifest step; it is not done.)
 */
#include "drcore_int.h"

size_t
drc_retain_plan(const int *pinned, size_t n, size_t keep, size_t *held_by)
{
	size_t excess, i;

	if (held_by != NULL)
		*held_by = n;
	if (keep < 1)
		keep = 1;
	excess = n > keep ? n - keep : 0;
	for (i = 0; i < excess; i++)
		if (pinned[i]) {
			if (held_by != NULL)
				*held_by = i;
			break;
		}
	return i;
}
