/*
 * backup.c - disaster recovery's libvirt calls: pull-mode backups
 * (virDomainBackupBegin, ended with virDomainAbortJob), checkpoints (list,
 * XML, delete, redefine, create, is the bitmap usable), and filesystem
 * freeze / thaw through the guest agent.  The backup and checkpoint XML are
 * built by pure functions (libxml2 tree, so every value is escaped).
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
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_int.h"
#include "kvm_backup.h"

#define AGENT_PORT	"org.qemu.guest_agent.0"

/* ------------------------------------------------------------ XML */

int
kvm_checkpoint_name_ok(const char *name)
{
	size_t i, len;

	if (name == NULL || (len = strlen(name)) == 0 ||
	    len > KVM_CHECKPOINT_NAME_MAX || name[0] == '.')
		return -1;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || iscntrl((unsigned char)name[i]))
			return -1;
	return 0;
}

static int
target_ok(const char *t)
{
	size_t i;

	if (t == NULL || *t == '\0' || strlen(t) > 32)
		return -1;
	for (i = 0; t[i] != '\0'; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9')))
			return -1;
	return 0;
}

static int
path_ok(const char *p, size_t max)
{
	size_t i;

	if (p == NULL || p[0] != '/' || strlen(p) >= max)
		return -1;
	for (i = 0; p[i] != '\0'; i++)
		if (iscntrl((unsigned char)p[i]))
			return -1;
	return 0;
}

/* The disks of a point: at least one, valid and distinct targets. */
static int
disks_ok(const struct kvm_backup_disk *disks, size_t n, int scratch,
    const char *what, char *err, size_t errlen)
{
	size_t i, j;

	if (disks == NULL || n == 0) {
		kvm_err(err, errlen, "%s: no disks", what);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (target_ok(disks[i].target) < 0) {
			kvm_err(err, errlen, "%s: disk target '%s' is not a "
			    "device name like vda", what,
			    disks[i].target ? disks[i].target : "");
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(disks[i].target, disks[j].target) == 0) {
				kvm_err(err, errlen, "%s: disk %s listed twice",
				    what, disks[i].target);
				return -1;
			}
		if (scratch && disks[i].scratch != NULL &&
		    path_ok(disks[i].scratch, 4096) < 0) {
			kvm_err(err, errlen, "%s: disk %s: scratch file '%s' "
			    "is not an absolute path", what, disks[i].target,
			    disks[i].scratch);
			return -1;
		}
	}
	return 0;
}

/* The document as a malloc'd string (its root only, no XML declaration). */
static char *
xml_out(xmlDocPtr doc, const char *what, char *err, size_t errlen)
{
	xmlBufferPtr buf;
	char *s = NULL;

	if ((buf = xmlBufferCreate()) != NULL &&
	    xmlNodeDump(buf, doc, xmlDocGetRootElement(doc), 0, 1) > 0)
		s = strdup((const char *)xmlBufferContent(buf));
	if (s == NULL)
		kvm_err(err, errlen, "%s: out of memory", what);
	xmlBufferFree(buf);
	return s;
}

char *
kvm_backup_xml(const char *socket_path, const char *incremental_from,
    const struct kvm_backup_disk *disks, size_t n_disks, char *err,
    size_t errlen)
{
	static const char what[] = "backup XML";
	xmlDocPtr doc = NULL;
	xmlNodePtr root, srv, dl, d, sc;
	char *s = NULL;
	size_t i;

	if (path_ok(socket_path, KVM_BACKUP_SOCK_MAX) < 0) {
		kvm_err(err, errlen, "%s: socket '%s' is not an absolute path "
		    "shorter than %d bytes", what, socket_path ? socket_path :
		    "", KVM_BACKUP_SOCK_MAX);
		return NULL;
	}
	if (incremental_from != NULL &&
	    kvm_checkpoint_name_ok(incremental_from) < 0) {
		kvm_err(err, errlen, "%s: '%s' is not a checkpoint name", what,
		    incremental_from);
		return NULL;
	}
	if (disks_ok(disks, n_disks, 1, what, err, errlen) < 0)
		return NULL;
	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL ||
	    (root = xmlNewNode(NULL, BAD_CAST "domainbackup")) == NULL)
		goto oom;
	xmlDocSetRootElement(doc, root);
	if (xmlNewProp(root, BAD_CAST "mode", BAD_CAST "pull") == NULL)
		goto oom;
	/* xmlNewTextChild escapes its content, xmlNewProp its value */
	if (incremental_from != NULL && xmlNewTextChild(root, NULL,
	    BAD_CAST "incremental", BAD_CAST incremental_from) == NULL)
		goto oom;
	if ((srv = xmlNewChild(root, NULL, BAD_CAST "server", NULL)) == NULL ||
	    xmlNewProp(srv, BAD_CAST "transport", BAD_CAST "unix") == NULL ||
	    xmlNewProp(srv, BAD_CAST "socket", BAD_CAST socket_path) == NULL ||
	    (dl = xmlNewChild(root, NULL, BAD_CAST "disks", NULL)) == NULL)
		goto oom;
	for (i = 0; i < n_disks; i++) {
		if ((d = xmlNewChild(dl, NULL, BAD_CAST "disk", NULL)) ==
		    NULL || xmlNewProp(d, BAD_CAST "name",
		    BAD_CAST disks[i].target) == NULL ||
		    xmlNewProp(d, BAD_CAST "backup", BAD_CAST "yes") == NULL ||
		    xmlNewProp(d, BAD_CAST "type", BAD_CAST "file") == NULL)
			goto oom;
		if (disks[i].scratch != NULL && ((sc = xmlNewChild(d, NULL,
		    BAD_CAST "scratch", NULL)) == NULL || xmlNewProp(sc,
		    BAD_CAST "file", BAD_CAST disks[i].scratch) == NULL))
			goto oom;
	}
	s = xml_out(doc, what, err, errlen);
	xmlFreeDoc(doc);
	return s;
 oom:
	kvm_err(err, errlen, "%s: out of memory", what);
	xmlFreeDoc(doc);
	return NULL;
}

char *
kvm_checkpoint_xml(const char *name, const struct kvm_backup_disk *disks,
    size_t n_disks, char *err, size_t errlen)
{
	static const char what[] = "checkpoint XML";
	xmlDocPtr doc = NULL;
	xmlNodePtr root, dl, d;
	char *s;
	size_t i;

	if (kvm_checkpoint_name_ok(name) < 0) {
		kvm_err(err, errlen, "%s: '%s' is not a checkpoint name", what,
		    name ? name : "");
		return NULL;
	}
	if (disks_ok(disks, n_disks, 0, what, err, errlen) < 0)
		return NULL;
	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL ||
	    (root = xmlNewNode(NULL, BAD_CAST "domaincheckpoint")) == NULL)
		goto oom;
	xmlDocSetRootElement(doc, root);
	if (xmlNewTextChild(root, NULL, BAD_CAST "name", BAD_CAST name) ==
	    NULL || (dl = xmlNewChild(root, NULL, BAD_CAST "disks", NULL)) ==
	    NULL)
		goto oom;
	for (i = 0; i < n_disks; i++)
		if ((d = xmlNewChild(dl, NULL, BAD_CAST "disk", NULL)) ==
		    NULL || xmlNewProp(d, BAD_CAST "name",
		    BAD_CAST disks[i].target) == NULL || xmlNewProp(d,
		    BAD_CAST "checkpoint", BAD_CAST "bitmap") == NULL)
			goto oom;
	s = xml_out(doc, what, err, errlen);
	xmlFreeDoc(doc);
	return s;
 oom:
	kvm_err(err, errlen, "%s: out of memory", what);
	xmlFreeDoc(doc);
	return NULL;
}

/* ------------------------------------------------------------ backup */

int
kvm_backup_begin_pull(struct kvm *k, const char *domain,
    const char *socket_path, const char *incremental_from,
    const char *new_checkpoint, const struct kvm_backup_disk *disks,
    size_t n_disks, char *err, size_t errlen)
{
	virDomainPtr dom = NULL;
	char *bxml = NULL, *cxml = NULL, step[256], e[512];
	int ret = -1;

	snprintf(step, sizeof(step), "backup begin (%s%s%s%s)",
	    incremental_from ? "incremental from " : "full",
	    incremental_from ? incremental_from : "",
	    new_checkpoint ? ", checkpoint " : "",
	    new_checkpoint ? new_checkpoint : "");
	if ((bxml = kvm_backup_xml(socket_path, incremental_from, disks,
	    n_disks, e, sizeof(e))) == NULL ||
	    (new_checkpoint != NULL && (cxml = kvm_checkpoint_xml(
	    new_checkpoint, disks, n_disks, e, sizeof(e))) == NULL)) {
		kvm_err(err, errlen, "%s: %s: %s", domain ? domain : "domain",
		    step, e);
		goto out;
	}
	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		goto out;
	if (virDomainBackupBegin(dom, bxml, cxml, 0) < 0) {
		kvm_lverr(err, errlen, "%s: %s", domain, step);
		goto out;
	}
	ret = 0;
 out:
	free(bxml);
	free(cxml);
	if (dom != NULL)
		virDomainFree(dom);
	return ret;
}

/* 1 a backup job runs on dom, 0 none, -1 error (err set) */
static int
backup_job(virDomainPtr dom, const char *domain, char *err, size_t errlen)
{
	virTypedParameterPtr p = NULL;
	int n = 0, type, op = 0, active;

	if ((active = virDomainIsActive(dom)) < 0) {
		kvm_lverr(err, errlen, "%s: backup state", domain);
		return -1;
	}
	if (!active)
		return 0;
	if (virDomainGetJobStats(dom, &type, &p, &n, 0) < 0) {
		if (kvm_lerr_code() == VIR_ERR_OPERATION_INVALID)
			return 0;	/* it stopped meanwhile */
		kvm_lverr(err, errlen, "%s: backup state: job stats", domain);
		return -1;
	}
	if (virTypedParamsGetInt(p, n, VIR_DOMAIN_JOB_OPERATION, &op) != 1)
		op = 0;
	virTypedParamsFree(p, n);
	return type != VIR_DOMAIN_JOB_NONE &&
	    op == VIR_DOMAIN_JOB_OPERATION_BACKUP;
}

int
kvm_backup_running(struct kvm *k, const char *domain, char *err,
    size_t errlen)
{
	virDomainPtr dom;
	int rc;

	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		return -1;
	rc = backup_job(dom, domain, err, errlen);
	virDomainFree(dom);
	return rc;
}

int
kvm_backup_end(struct kvm *k, const char *domain, char *err, size_t errlen)
{
	virDomainPtr dom;
	int rc, ret = -1;

	if (domain == NULL || *domain == '\0') {
		kvm_err(err, errlen, "domain: no name given");
		return -1;
	}
	if ((dom = virDomainLookupByName(k->conn, domain)) == NULL) {
		if (kvm_lerr_code() == VIR_ERR_NO_DOMAIN)
			return 0;	/* nothing can run there */
		kvm_lverr(err, errlen, "%s: backup end: lookup", domain);
		return -1;
	}
	if ((rc = backup_job(dom, domain, err, errlen)) <= 0) {
		ret = rc;
		goto out;
	}
	if (virDomainAbortJob(dom) < 0) {
		/* ended between the two calls: nothing left to end */
		if (kvm_lerr_code() == VIR_ERR_OPERATION_INVALID &&
		    backup_job(dom, domain, NULL, 0) == 0)
			ret = 0;
		else
			kvm_lverr(err, errlen, "%s: backup end", domain);
		goto out;
	}
	ret = 0;
 out:
	virDomainFree(dom);
	return ret;
}

/* ------------------------------------------------------------ checkpoints */

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
	if ((xp = xmlXPathNewContext(doc)) != NULL)
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

/* ------------------------------------------------------------ guest agent */

int
kvm_fs_freeze(struct kvm *k, const char *domain, int *no_agent, char *err,
    size_t errlen)
{
	virDomainPtr dom;
	int n, code;

	if (no_agent != NULL)
		*no_agent = 0;
	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		return -1;
	if ((n = virDomainFSFreeze(dom, NULL, 0, 0)) < 0) {
		code = kvm_lerr_code();
		/* not configured: ARGUMENT_UNSUPPORTED; not connected or not
		 * answering: AGENT_UNRESPONSIVE */
		if (no_agent != NULL && (code == VIR_ERR_ARGUMENT_UNSUPPORTED ||
		    code == VIR_ERR_AGENT_UNRESPONSIVE))
			*no_agent = 1;
		kvm_lverr(err, errlen, "%s: freeze filesystems", domain);
	}
	virDomainFree(dom);
	return n;
}

int
kvm_fs_thaw(struct kvm *k, const char *domain, char *err, size_t errlen)
{
	virDomainPtr dom;
	int n;

	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		return -1;
	if ((n = virDomainFSThaw(dom, NULL, 0, 0)) < 0)
		kvm_lverr(err, errlen, "%s: thaw filesystems", domain);
	virDomainFree(dom);
	return n;
}

int
kvm_agent_connected(struct kvm *k, const char *domain, char *why,
    size_t whylen, char *err, size_t errlen)
{
	virDomainPtr dom;
	xmlDocPtr doc = NULL;
	xmlXPathContextPtr xp = NULL;
	char *xml = NULL, *state = NULL, what[160];
	size_t n;
	xmlNodePtr *ch;
	int active, ret = -1;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((dom = kvm_dom_get(k, domain, err, errlen)) == NULL)
		return -1;
	if ((active = virDomainIsActive(dom)) < 0) {
		kvm_lverr(err, errlen, "%s: guest agent", domain);
		goto out;
	}
	if (!active) {
		kvm_err(why, whylen, "domain not running");
		ret = 0;
		goto out;
	}
	if ((xml = virDomainGetXMLDesc(dom, 0)) == NULL) {
		kvm_lverr(err, errlen, "%s: guest agent: domain XML", domain);
		goto out;
	}
	snprintf(what, sizeof(what), "%s: domain XML", domain);
	if ((doc = kvm_xml_parse(xml, what, "domain", err, errlen)) == NULL)
		goto out;
	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", what);
		goto out;
	}
	ch = kvm_xml_nodes(xp, NULL, "/domain/devices/channel/target"
	    "[@type='virtio' and @name='" AGENT_PORT "']", &n);
	if (n == 0) {
		kvm_err(why, whylen, "no guest agent channel (%s)", AGENT_PORT);
		ret = 0;
	} else {
		state = kvm_xml_prop(ch[0], "state");
		ret = state != NULL && strcmp(state, "connected") == 0;
		if (!ret)
			kvm_err(why, whylen, "guest agent %s",
			    state ? state : "state unknown");
	}
	free(ch);
 out:
	free(state);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	free(xml);
	virDomainFree(dom);
	return ret;
}
