/*
 * backup.c - disaster recovery's pull-mode backups: the backup and
 * checkpoint XML (pure builders on a libxml2 tree, so every value is
 * escaped, and the name and path rules they check), and the backup job
 * itself (virDomainBackupBegin, its state from virDomainGetJobStats, its
 * end through virDomainAbortJob).  Checkpoints are in checkpoint.c, the
 * guest agent's freeze / thaw in agent.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm_int.h"
#include "kvm_backup.h"

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
	static const struct timespec step = { 0, 20 * 1000 * 1000 };
	virDomainPtr dom;
	int rc, waited, ret = -1;

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
	/* the abort only asks QEMU to cancel the block jobs; the job (with the
	 * export and the scratch files) ends when QEMU reports them done */
	for (waited = 0; (rc = backup_job(dom, domain, err, errlen)) == 1 &&
	    waited < KVM_BACKUP_END_WAIT_MS; waited += 20)
		nanosleep(&step, NULL);
	if (rc == 1)
		kvm_err(err, errlen, "%s: backup end: the job still runs %d ms "
		    "after the abort", domain, KVM_BACKUP_END_WAIT_MS);
	ret = rc == 0 ? 0 : -1;
 out:
	virDomainFree(dom);
	return ret;
}
