/*
 * overlay.c - a running guest's disks put on fresh external overlays, and
 * back (a move that rides on the replica, issue 10):
 *
 *   kvm_disks_overlay  one atomic disk-only snapshot without metadata: every
 *                      disk named gets a new qcow2 overlay (libvirt makes the
 *                      file, with the image's ownership), and the image under
 *                      it stops changing; QEMU reopens it read-only and
 *                      stores its persistent bitmaps, so that a reader can
 *                      see what changed since a checkpoint
 *   kvm_disks_commit   the overlays' writes committed back into the images
 *                      under them (active block commit, shallow, then the
 *                      pivot); the guest runs on its own images again
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "kvm_int.h"

#define KVM_COMMIT_WAIT_S	600	/* for the commit to reach ready */

static char *
overlay_xml(const char *name, const char *const *targets,
    const char *const *files, size_t n)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root, disks, d, s;
	xmlChar		*buf = NULL;
	char		*out = NULL;
	size_t		 i;
	int		 len, bad = 0;

	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		return NULL;
	if ((root = xmlNewDocNode(doc, NULL, BAD_CAST "domainsnapshot",
	    NULL)) == NULL)
		goto out;
	xmlDocSetRootElement(doc, root);
	if (xmlNewTextChild(root, NULL, BAD_CAST "name", BAD_CAST name) ==
	    NULL || (d = xmlNewChild(root, NULL, BAD_CAST "memory", NULL)) ==
	    NULL || xmlNewProp(d, BAD_CAST "snapshot", BAD_CAST "no") == NULL ||
	    (disks = xmlNewChild(root, NULL, BAD_CAST "disks", NULL)) == NULL)
		goto out;
	for (i = 0; i < n && !bad; i++) {
		if ((d = xmlNewChild(disks, NULL, BAD_CAST "disk", NULL)) ==
		    NULL || xmlNewProp(d, BAD_CAST "name",
		    BAD_CAST targets[i]) == NULL || xmlNewProp(d,
		    BAD_CAST "snapshot", BAD_CAST "external") == NULL ||
		    (s = xmlNewChild(d, NULL, BAD_CAST "driver", NULL)) ==
		    NULL || xmlNewProp(s, BAD_CAST "type", BAD_CAST "qcow2") ==
		    NULL || (s = xmlNewChild(d, NULL, BAD_CAST "source",
		    NULL)) == NULL || xmlNewProp(s, BAD_CAST "file",
		    BAD_CAST files[i]) == NULL)
			bad = 1;
	}
	if (bad)
		goto out;
	xmlDocDumpMemory(doc, &buf, &len);
	if (buf != NULL)
		out = strdup((const char *)buf);
 out:
	xmlFree(buf);
	xmlFreeDoc(doc);
	return out;
}

int
kvm_disks_overlay(struct kvm *k, const char *domain, const char *name,
    const char *const *targets, const char *const *files, size_t n,
    char *err, size_t errlen)
{
	virDomainPtr		 dom;
	virDomainSnapshotPtr	 snap;
	char			*xml;
	size_t			 i;
	int			 ret = -1;

	for (i = 0; i < n; i++)
		if (access(files[i], F_OK) == 0) {
			kvm_err(err, errlen, "%s: disk %s: overlay %s exists "
			    "already", domain, targets[i], files[i]);
			return -1;
		}
	if ((xml = overlay_xml(name, targets, files, n)) == NULL) {
		kvm_err(err, errlen, "%s: overlay: out of memory", domain);
		return -1;
	}
	if ((dom = kvm_dom_get(k, domain, err, errlen)) != NULL) {
		if ((snap = virDomainSnapshotCreateXML(dom, xml,
		    VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |
		    VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA |
		    VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC)) == NULL)
			kvm_lverr(err, errlen, "%s: disks on new overlays",
			    domain);
		else {
			virDomainSnapshotFree(snap);
			ret = 0;
		}
		virDomainFree(dom);
	}
	free(xml);
	return ret;
}

/* one disk's active commit: started, ready, pivoted */
static int
commit_one(virDomainPtr dom, const char *domain, const char *target,
    char *err, size_t errlen)
{
	virDomainBlockJobInfo	 info;
	time_t			 until = time(NULL) + KVM_COMMIT_WAIT_S;
	int			 r;

	if (virDomainBlockCommit(dom, target, NULL, NULL, 0,
	    VIR_DOMAIN_BLOCK_COMMIT_ACTIVE |
	    VIR_DOMAIN_BLOCK_COMMIT_SHALLOW) < 0) {
		kvm_lverr(err, errlen, "%s: disk %s: commit of its overlay",
		    domain, target);
		return -1;
	}
	for (;;) {
		r = virDomainGetBlockJobInfo(dom, target, &info, 0);
		if (r < 0) {
			kvm_lverr(err, errlen, "%s: disk %s: commit", domain,
			    target);
			return -1;
		}
		if (r == 0) {
			kvm_err(err, errlen, "%s: disk %s: the commit ended "
			    "before its pivot", domain, target);
			return -1;
		}
		if (info.end > 0 && info.cur == info.end)
			break;
		if (time(NULL) > until) {
			kvm_err(err, errlen, "%s: disk %s: the commit is not "
			    "ready after %ds", domain, target,
			    KVM_COMMIT_WAIT_S);
			if (virDomainBlockJobAbort(dom, target, 0) < 0)
				virResetLastError();
			return -1;
		}
		usleep(50 * 1000);
	}
	if (virDomainBlockJobAbort(dom, target,
	    VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT) < 0) {
		kvm_lverr(err, errlen, "%s: disk %s: pivot after the commit",
		    domain, target);
		return -1;
	}
	/* without ASYNC the pivot returns once done; be sure the job went */
	for (r = 0; r < 200 && virDomainGetBlockJobInfo(dom, target, &info,
	    0) == 1; r++)
		usleep(50 * 1000);
	virResetLastError();
	return 0;
}

int
kvm_disks_commit(struct kvm *k, const char *domain,
    const char *const *targets, size_t n, char *err, size_t errlen)
{
	virDomainPtr	 dom;
	size_t		 i;
	int		 ret = 0;
	char		 e[512];

	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (commit_one(dom, domain, targets[i], e, sizeof(e)) == -1) {
			if (ret == 0)	/* the first error, the others go on */
				kvm_err(err, errlen, "%s", e);
			ret = -1;
		}
	virDomainFree(dom);
	return ret;
}

/*
 * The images from `top` down to just above `base` of a disk merged into
 * `base` (a live commit under the running disk; libvirt points the image
 * above `top` at `base`), at most bandwidth bytes/s (0: no cap).  Waits
 * for the end.
 */
int
kvm_disk_commit_below(struct kvm *k, const char *domain, const char *target,
    const char *top, const char *base, uint64_t bandwidth, char *err,
    size_t errlen)
{
	virDomainPtr		 dom;
	virDomainBlockJobInfo	 info;
	time_t			 until = time(NULL) + 4 * KVM_COMMIT_WAIT_S;
	int			 r, ret = -1;

	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		return -1;
	if (virDomainBlockCommit(dom, target, base, top,
	    (unsigned long)bandwidth, bandwidth != 0 ?
	    VIR_DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES : 0) < 0) {
		kvm_lverr(err, errlen, "%s: disk %s: commit of %s into %s",
		    domain, target, top, base);
		goto out;
	}
	while ((r = virDomainGetBlockJobInfo(dom, target, &info, 0)) == 1) {
		if (time(NULL) > until) {
			kvm_err(err, errlen, "%s: disk %s: the commit of %s has "
			    "not ended after %ds: aborted", domain, target, top,
			    4 * KVM_COMMIT_WAIT_S);
			if (virDomainBlockJobAbort(dom, target, 0) < 0)
				virResetLastError();
			goto out;
		}
		usleep(100 * 1000);
	}
	if (r < 0) {
		kvm_lverr(err, errlen, "%s: disk %s: commit", domain, target);
		goto out;
	}
	ret = 0;
 out:
	virDomainFree(dom);
	return ret;
}
