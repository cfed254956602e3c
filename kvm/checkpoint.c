/*
 * checkpoint.c - the checkpoints of disaster recovery: list (with parents
 * and creation times), XML to keep, delete, redefine from kept XML, create
 * (also at a failover start, before the guest runs), and whether a
 * checkpoint can still serve as the base of an incremental backup.
 *
 * Is a checkpoint's bitmap usable?  libvirt 9.0 has no API or XML field
 * that says a bitmap is missing or inconsistent.  QEMU's query-block does
 * (dirty-bitmaps: "inconsistent": true, "recording": false), but only
 * through virDomainQemuMonitorCommand of libvirt-qemu, which taints the
 * domain and goes around libvirt.  kvm_checkpoint_usable asks instead for
 * the checkpoint's XML with VIR_DOMAIN_CHECKPOINT_XML_SIZE: on a running
 * domain libvirt sizes each disk's bitmap chain in QEMU and gives the disk
 * a size attribute, and gives none (no error) when a bitmap of the chain
 * is missing or inconsistent.  Measured in the lab (tests/lab/DR-NOTES.md):
 * after QEMU was SIGKILLed, every checkpoint lost its sizes, and exactly
 * those made virDomainBackupBegin fail with "checkpoint inconsistent:
 * missing or broken bitmap 'c1' for disk 'vda'".  The other libvirt-only
 * check, redefining the checkpoint with REDEFINE_VALIDATE, gives the same
 * answer but rewrites the metadata; this one only reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_int.h"
#include "kvm_backup.h"

static virDomainCheckpointPtr
cp_get(virDomainPtr dom, const char *domain, const char *name, int *absent,
    char *err, size_t errlen)
{
	virDomainCheckpointPtr cp;

	if (absent != NULL)
		*absent = 0;
	if (kvm_checkpoint_name_ok(name) < 0) {
		kvm_err(err, errlen, "%s: '%s' is not a checkpoint name",
		    domain, name ? name : "");
		return NULL;
	}
	if ((cp = virDomainCheckpointLookupByName(dom, name, 0)) != NULL)
		return cp;
	if (kvm_lerr_code() == VIR_ERR_NO_DOMAIN_CHECKPOINT) {
		if (absent != NULL)
			*absent = 1;
		kvm_err(err, errlen, "%s: no checkpoint %s", domain, name);
	} else
		kvm_lverr(err, errlen, "%s: checkpoint %s", domain, name);
	return NULL;
}

void
kvm_checkpoint_list_free(struct kvm_checkpoint *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].parent);
	}
	free(v);
}

/* name, parent and creation time from a checkpoint's XML */
static int
cp_parse(const char *xml, const char *domain, struct kvm_checkpoint *c,
    char *err, size_t errlen)
{
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
	char what[160], *t, *end;
	int ret = -1;

	snprintf(what, sizeof(what), "%s: checkpoint XML", domain);
	if ((doc = kvm_xml_parse(xml, what, "domaincheckpoint", err,
	    errlen)) == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", what);
		goto out;
	}
	c->name = kvm_xml_str(xp, NULL, "string(/domaincheckpoint/name)");
	c->parent = kvm_xml_str(xp, NULL,
	    "string(/domaincheckpoint/parent/name)");
	t = kvm_xml_str(xp, NULL, "string(/domaincheckpoint/creationTime)");
	if (c->name == NULL) {
		kvm_err(err, errlen, "%s: no <name>", what);
		free(t);
		goto out;
	}
	if (t != NULL) {
		errno = 0;
		c->creation_time = strtoll(t, &end, 10);
		if (errno != 0 || *end != '\0')
			c->creation_time = 0;
		free(t);
	}
	ret = 0;
 out:
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return ret;
}

int
kvm_checkpoint_list(struct kvm *k, const char *domain,
    struct kvm_checkpoint **out, size_t *n, char *err, size_t errlen)
{
	virDomainPtr dom;
	virDomainCheckpointPtr *cps = NULL;
	struct kvm_checkpoint *v = NULL;
	char *xml;
	int i, cnt, ret = -1;

	*out = NULL;
	*n = 0;
	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		return -1;
	if ((cnt = virDomainListAllCheckpoints(dom, &cps,
	    VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL)) < 0) {
		kvm_lverr(err, errlen, "%s: list checkpoints", domain);
		goto out;
	}
	if (cnt > 0 && (v = calloc((size_t)cnt, sizeof(*v))) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", domain);
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		if ((xml = virDomainCheckpointGetXMLDesc(cps[i],
		    VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN)) == NULL) {
			kvm_lverr(err, errlen, "%s: checkpoint %s", domain,
			    virDomainCheckpointGetName(cps[i]));
			goto out;
		}
		*n = (size_t)i + 1;
		if (cp_parse(xml, domain, &v[i], err, errlen) < 0) {
			free(xml);
			goto out;
		}
		free(xml);
	}
	*out = v;
	v = NULL;
	ret = 0;
 out:
	if (ret < 0) {
		kvm_checkpoint_list_free(v, *n);
		*n = 0;
	}
	for (i = 0; cps != NULL && i < cnt; i++)
		virDomainCheckpointFree(cps[i]);
	free(cps);
	virDomainFree(dom);
	return ret;
}

int
kvm_checkpoint_get_xml(struct kvm *k, const char *domain, const char *name,
    char **xml, char *err, size_t errlen)
{
	virDomainPtr dom;
	virDomainCheckpointPtr cp;
	int ret = -1;

	*xml = NULL;
	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		return -1;
	if ((cp = cp_get(dom, domain, name, NULL, err, errlen)) == NULL)
		goto out;
	if ((*xml = virDomainCheckpointGetXMLDesc(cp,
	    VIR_DOMAIN_CHECKPOINT_XML_SECURE)) == NULL)
		kvm_lverr(err, errlen, "%s: checkpoint %s: XML", domain, name);
	else
		ret = 0;
	virDomainCheckpointFree(cp);
 out:
	virDomainFree(dom);
	return ret;
}

int
kvm_checkpoint_delete(struct kvm *k, const char *domain, const char *name,
    int metadata_only, char *err, size_t errlen)
{
	virDomainPtr dom;
	virDomainCheckpointPtr cp;
	int absent, ret = -1;

	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		return -1;
	if ((cp = cp_get(dom, domain, name, &absent, err, errlen)) == NULL) {
		if (absent) {
			ret = 0;
			if (err != NULL && errlen > 0)
				err[0] = '\0';
		}
		goto out;
	}
	if (virDomainCheckpointDelete(cp, metadata_only ?
	    VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY : 0) < 0)
		kvm_lverr(err, errlen, "%s: delete checkpoint %s%s", domain,
		    name, metadata_only ? " (metadata)" : "");
	else
		ret = 0;
	virDomainCheckpointFree(cp);
 out:
	virDomainFree(dom);
	return ret;
}

int
kvm_checkpoint_redefine(struct kvm *k, const char *domain, const char *xml,
    int validate, char *err, size_t errlen)
{
	virDomainPtr dom;
	virDomainCheckpointPtr cp;
	struct kvm_checkpoint c = { 0 };
	unsigned int flags = VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE;
	int ret = -1;

	/* parse first: a bad document is refused here, and named */
	if (cp_parse(xml, domain ? domain : "domain", &c, err, errlen) < 0)
		return -1;
	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		goto out;
	if (validate)
		flags |= VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE;
	if ((cp = virDomainCheckpointCreateXML(dom, xml, flags)) == NULL)
		kvm_lverr(err, errlen, "%s: redefine checkpoint %s", domain,
		    c.name);
	else {
		virDomainCheckpointFree(cp);
		ret = 0;
	}
	virDomainFree(dom);
 out:
	free(c.name);
	free(c.parent);
	return ret;
}

int
kvm_checkpoint_create(struct kvm *k, const char *domain, const char *name,
    const struct kvm_backup_disk *disks, size_t n_disks, char *err,
    size_t errlen)
{
	virDomainPtr dom;
	virDomainCheckpointPtr cp;
	char *xml, e[512];
	int ret = -1;

	if ((xml = kvm_checkpoint_xml(name, disks, n_disks, e,
	    sizeof(e))) == NULL) {
		kvm_err(err, errlen, "%s: create checkpoint: %s",
		    domain ? domain : "domain", e);
		return -1;
	}
	if ((dom = kvm_dom_get(k, domain, err, errlen)) != NULL) {
		if ((cp = virDomainCheckpointCreateXML(dom, xml, 0)) == NULL)
			kvm_lverr(err, errlen, "%s: create checkpoint %s",
			    domain, name);
		else {
			virDomainCheckpointFree(cp);
			ret = 0;
		}
		virDomainFree(dom);
	}
	free(xml);
	return ret;
}

int
kvm_start_with_checkpoint(struct kvm *k, const char *domain,
    const char *name, const struct kvm_backup_disk *disks, size_t n_disks,
    char *err, size_t errlen)
{
	virDomainPtr dom;
	char *xml, e[512];
	virDomainCheckpointPtr cp;
	int ret = -1;

	if ((xml = kvm_checkpoint_xml(name, disks, n_disks, e,
	    sizeof(e))) == NULL) {
		kvm_err(err, errlen, "%s: start with checkpoint: %s",
		    domain ? domain : "domain", e);
		return -1;
	}
	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		goto out;
	/* libvirt 9.0: "cannot create checkpoint for inactive domain" */
	if (virDomainCreateWithFlags(dom, VIR_DOMAIN_START_PAUSED) < 0) {
		kvm_lverr(err, errlen, "%s: start (paused)", domain);
		goto out;
	}
	if ((cp = virDomainCheckpointCreateXML(dom, xml, 0)) == NULL) {
		kvm_lverr(err, errlen, "%s: create checkpoint %s (guest kept "
		    "off)", domain, name);
		if (virDomainDestroy(dom) < 0)
			virResetLastError();
		goto out;
	}
	virDomainCheckpointFree(cp);
	if (virDomainResume(dom) < 0) {
		kvm_lverr(err, errlen, "%s: resume after checkpoint %s (the "
		    "guest stays paused)", domain, name);
		goto out;
	}
	ret = 0;
 out:
	free(xml);
	if (dom != NULL)
		virDomainFree(dom);
	return ret;
}

/* With VIR_DOMAIN_CHECKPOINT_XML_SIZE libvirt gives every disk whose bitmap
 * it could size a size attribute, and silently none to a disk whose bitmap
 * is missing or inconsistent: the first such disk, or NULL (malloc'd). */
static char *
unsized_disk(const char *xml, const char *domain, char *err, size_t errlen)
{
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
	xmlNodePtr *d = NULL;
	char what[160], *t = NULL, *size;
	size_t i, n = 0;

	snprintf(what, sizeof(what), "%s: checkpoint XML", domain);
	if ((doc = kvm_xml_parse(xml, what, "domaincheckpoint", err,
	    errlen)) == NULL)
		return NULL;
	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", what);
		xmlFreeDoc(doc);
		return NULL;
	}
	d = kvm_xml_nodes(xp, NULL,
	    "/domaincheckpoint/disks/disk[@checkpoint='bitmap']", &n);
	for (i = 0; i < n && t == NULL; i++) {
		if ((size = kvm_xml_prop(d[i], "size")) == NULL &&
		    (t = kvm_xml_prop(d[i], "name")) == NULL)
			t = strdup("?");
		free(size);
	}
	free(d);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return t;
}

int
kvm_checkpoint_usable(struct kvm *k, const char *domain, const char *name,
    char *why, size_t whylen, char *err, size_t errlen)
{
	virDomainPtr dom;
	virDomainCheckpointPtr cp;
	char *xml, *disk, e[512] = "";
	int absent, active, ret = -1;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		return -1;
	if ((cp = cp_get(dom, domain, name, &absent, err, errlen)) == NULL) {
		if (absent) {
			kvm_err(why, whylen, "no checkpoint %s", name);
			ret = 0;
		}
		goto out;
	}
	if ((active = virDomainIsActive(dom)) < 0) {
		kvm_lverr(err, errlen, "%s: checkpoint %s", domain, name);
		goto out_cp;
	}
	if (!active) {
		ret = 1;	/* metadata only: the bitmaps show when it runs */
		goto out_cp;
	}
	if ((xml = virDomainCheckpointGetXMLDesc(cp,
	    VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN |
	    VIR_DOMAIN_CHECKPOINT_XML_SIZE)) == NULL) {
		kvm_lverr(err, errlen, "%s: checkpoint %s: size", domain, name);
		goto out_cp;
	}
	if ((disk = unsized_disk(xml, domain, e, sizeof(e))) != NULL) {
		kvm_err(why, whylen, "checkpoint %s: disk %s: bitmap missing or "
		    "inconsistent (QEMU stopped without saving it)", name, disk);
		free(disk);
		ret = 0;
	} else if (e[0] != '\0')
		kvm_err(err, errlen, "%s", e);
	else
		ret = 1;
	free(xml);
 out_cp:
	virDomainCheckpointFree(cp);
 out:
	virDomainFree(dom);
	return ret;
}
