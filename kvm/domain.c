/*
 * domain.c - guests as libvirt sees them: inspect a domain (state, XML,
 * disks with their sizes, interfaces, CPU, memory), test for one by name or
 * UUID, define one from XML, undefine one, and remove a half-made one.
 *
 * Disk sizes come from virDomainGetBlockInfo, which works for running and
 * shut-off QEMU domains; when it cannot answer we ask the storage pool
 * (virStorageVolLookupByPath + virStorageVolGetInfo).  A disk that would be
 * copied and whose size nobody knows makes the inspection fail: the
 * destination could not be prepared for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvm_int.h"

static void
disk_clear(struct kvm_disk *d)
{
	free(d->target);
	free(d->path);
	free(d->format);
	free(d->device);
}

static void
nic_clear(struct kvm_nic *n)
{
	free(n->mac);
	free(n->type);
	free(n->source);
	free(n->model);
}

void
kvm_domain_info_free(struct kvm_domain_info *info)
{
	size_t i;

	if (info == NULL)
		return;
	for (i = 0; i < info->n_disks; i++)
		disk_clear(&info->disks[i]);
	for (i = 0; i < info->n_nics; i++)
		nic_clear(&info->nics[i]);
	free(info->disks);
	free(info->nics);
	free(info->name);
	free(info->virt_type);
	free(info->cpu_model);
	free(info->xml);
	free(info);
}

/* libvirt's memory units, in bytes; 0 when unknown. */
static uint64_t
unit_scale(const char *unit)
{
	static const struct { const char *u; uint64_t m; } t[] = {
		{ "b", 1 }, { "bytes", 1 },
		{ "KB", 1000ULL }, { "k", 1024ULL }, { "KiB", 1024ULL },
		{ "MB", 1000000ULL }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
		{ "GB", 1000000000ULL }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
		{ "TB", 1000000000000ULL }, { "T", 1ULL << 40 },
		{ "TiB", 1ULL << 40 },
	};
	size_t i;

	if (unit == NULL)
		return 1024;		/* libvirt's default: KiB */
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(unit, t[i].u) == 0)
			return t[i].m;
	return 0;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Path of a type='volume' disk, and whether it is a plain file. */
static int
volume_path(struct kvm *k, const char *pool, const char *vol,
    struct kvm_disk *d, const char *dom, char *err, size_t errlen)
{
	virStoragePoolPtr p = NULL;
	virStorageVolPtr v = NULL;
	virStorageVolInfo vi;
	int ret = -1;

	if (pool == NULL || vol == NULL) {
		kvm_err(err, errlen, "%s: disk %s: volume source without pool "
		    "or volume", dom, d->target);
		return -1;
	}
	if ((p = virStoragePoolLookupByName(k->conn, pool)) == NULL) {
		kvm_lverr(err, errlen, "%s: disk %s: pool %s", dom, d->target,
		    pool);
		goto out;
	}
	if ((v = virStorageVolLookupByName(p, vol)) == NULL ||
	    (d->path = virStorageVolGetPath(v)) == NULL ||
	    virStorageVolGetInfo(v, &vi) < 0) {
		kvm_lverr(err, errlen, "%s: disk %s: volume %s/%s", dom,
		    d->target, pool, vol);
		goto out;
	}
	d->is_file = vi.type == VIR_STORAGE_VOL_FILE;
	ret = 0;
 out:
	if (v != NULL)
		virStorageVolFree(v);
	if (p != NULL)
		virStoragePoolFree(p);
	return ret;
}

static int
disk_size(struct kvm *k, virDomainPtr dom, const char *name,
    struct kvm_disk *d, char *err, size_t errlen)
{
	virDomainBlockInfo bi;
	virStorageVolInfo vi;
	virStorageVolPtr vol;
	char first[512];

	if (virDomainGetBlockInfo(dom, d->target, &bi, 0) == 0) {
		d->capacity = bi.capacity;
		d->allocation = bi.allocation;
		return 0;
	}
	snprintf(first, sizeof(first), "%s", virGetLastErrorMessage());
	if (d->path != NULL &&
	    (vol = virStorageVolLookupByPath(k->conn, d->path)) != NULL) {
		int rc = virStorageVolGetInfo(vol, &vi);

		virStorageVolFree(vol);
		if (rc == 0) {
			d->capacity = vi.capacity;
			d->allocation = vi.allocation;
			return 0;
		}
	}
	if (d->readonly || d->shareable || d->path == NULL)
		return 0;		/* never copied: the size is a nicety */
	kvm_err(err, errlen, "%s: disk %s: size of %s: %s", name, d->target,
	    d->path, first);
	return -1;
}

static int
parse_disk(struct kvm *k, virDomainPtr dom, const char *name, xmlNodePtr node,
    struct kvm_disk *d, char *err, size_t errlen)
{
	xmlNodePtr src = kvm_xml_child(node, "source");
	char *type = kvm_xml_prop(node, "type");
	char *pool = NULL, *vol = NULL;
	int ret = -1;

	if ((d->target = kvm_xml_prop(kvm_xml_child(node, "target"),
	    "dev")) == NULL) {
		kvm_err(err, errlen, "%s: a disk without <target dev>", name);
		goto out;
	}
	if ((d->device = kvm_xml_prop(node, "device")) == NULL &&
	    (d->device = strdup("disk")) == NULL)
		goto oom;
	d->format = kvm_xml_prop(kvm_xml_child(node, "driver"), "type");
	d->readonly = kvm_xml_child(node, "readonly") != NULL ||
	    strcmp(d->device, "cdrom") == 0;
	d->shareable = kvm_xml_child(node, "shareable") != NULL;
	if (type == NULL || strcmp(type, "file") == 0) {
		d->path = kvm_xml_prop(src, "file");
		d->is_file = 1;
	} else if (strcmp(type, "block") == 0)
		d->path = kvm_xml_prop(src, "dev");
	else if (strcmp(type, "volume") == 0 && src != NULL) {
		pool = kvm_xml_prop(src, "pool");
		vol = kvm_xml_prop(src, "volume");
		if (volume_path(k, pool, vol, d, name, err, errlen) < 0 &&
		    !d->readonly)
			goto out;
	}
	if (disk_size(k, dom, name, d, err, errlen) < 0)
		goto out;
	ret = 0;
	goto out;
 oom:
	kvm_err(err, errlen, "%s: out of memory", name);
 out:
	free(type);
	free(pool);
	free(vol);
	return ret;
}

static int
parse_nic(xmlNodePtr node, struct kvm_nic *n)
{
	xmlNodePtr src = kvm_xml_child(node, "source");

	n->mac = kvm_xml_prop(kvm_xml_child(node, "mac"), "address");
	n->type = kvm_xml_prop(node, "type");
	n->model = kvm_xml_prop(kvm_xml_child(node, "model"), "type");
	if (n->type == NULL)
		return 0;
	if (strcmp(n->type, "network") == 0)
		n->source = kvm_xml_prop(src, "network");
	else if (strcmp(n->type, "bridge") == 0)
		n->source = kvm_xml_prop(src, "bridge");
	else if (strcmp(n->type, "direct") == 0)
		n->source = kvm_xml_prop(src, "dev");
	return 0;
}

/* The domain's XML, migratable if the driver can say so. */
static char *
domain_xml(virDomainPtr dom, const char *name, char *err, size_t errlen)
{
	char *xml;
	int code;

	xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_SECURE |
	    VIR_DOMAIN_XML_MIGRATABLE);
	if (xml != NULL)
		return xml;
	code = kvm_lerr_code();
	if (code == VIR_ERR_INVALID_ARG || code == VIR_ERR_NO_SUPPORT ||
	    code == VIR_ERR_ARGUMENT_UNSUPPORTED)
		xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_SECURE);
	if (xml == NULL)
		kvm_lverr(err, errlen, "%s: domain XML", name);
	return xml;
}

static int
parse_xml(struct kvm *k, virDomainPtr dom, struct kvm_domain_info *info,
    char *err, size_t errlen)
{
	xmlDocPtr doc = NULL;
	xmlXPathContextPtr xp = NULL;
	xmlNodePtr *nodes = NULL;
	char what[128], *s = NULL, *unit = NULL;
	uint64_t v, scale;
	size_t i, n;
	int ret = -1;

	snprintf(what, sizeof(what), "%s: domain XML", info->name);
	if ((doc = kvm_xml_parse(info->xml, what, "domain", err,
	    errlen)) == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) == NULL)
		goto oom;
	info->virt_type = kvm_xml_str(xp, NULL, "string(/domain/@type)");
	if ((info->cpu_model = kvm_xml_str(xp, NULL,
	    "string(/domain/cpu/model)")) == NULL)
		info->cpu_model = kvm_xml_str(xp, NULL,
		    "string(/domain/cpu/@mode)");
	s = kvm_xml_str(xp, NULL, "string(/domain/memory)");
	unit = kvm_xml_str(xp, NULL, "string(/domain/memory/@unit)");
	if (parse_u64(s, &v) < 0 || (scale = unit_scale(unit)) == 0 ||
	    (scale > 1 && v > UINT64_MAX / scale)) {
		kvm_err(err, errlen, "%s: <memory> '%s' unit '%s' not understood",
		    what, s ? s : "", unit ? unit : "KiB");
		goto out;
	}
	info->memory_kib = v * scale / 1024;
	free(s);
	if ((s = kvm_xml_str(xp, NULL, "string(/domain/vcpu/@current)")) ==
	    NULL)
		s = kvm_xml_str(xp, NULL, "string(/domain/vcpu)");
	if (s != NULL && parse_u64(s, &v) == 0 && v <= 4096)
		info->vcpus = (unsigned)v;

	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/disk", &n);
	if (n > 0 && (info->disks = calloc(n, sizeof(*info->disks))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		info->n_disks++;
		if (parse_disk(k, dom, info->name, nodes[i], &info->disks[i],
		    err, errlen) < 0)
			goto out;
	}
	free(nodes);
	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/interface", &n);
	if (n > 0 && (info->nics = calloc(n, sizeof(*info->nics))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		info->n_nics++;
		parse_nic(nodes[i], &info->nics[i]);
	}
	ret = 0;
	goto out;
 oom:
	kvm_err(err, errlen, "%s: out of memory", what);
 out:
	free(s);
	free(unit);
	free(nodes);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return ret;
}

int
kvm_domain_inspect(struct kvm *k, const char *name,
    struct kvm_domain_info **out, char *err, size_t errlen)
{
	struct kvm_domain_info *info = NULL;
	virDomainPtr dom;
	int ret = -1;

	*out = NULL;
	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	if ((info = calloc(1, sizeof(*info))) == NULL ||
	    (info->name = strdup(name)) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", name);
		goto out;
	}
	if (virDomainGetUUIDString(dom, info->uuid) < 0 ||
	    virDomainGetState(dom, &info->state, &info->reason, 0) < 0 ||
	    (info->persistent = virDomainIsPersistent(dom)) < 0) {
		kvm_lverr(err, errlen, "%s: inspect", name);
		goto out;
	}
	info->state_str = kvm_state_name(info->state);
	if ((info->xml = domain_xml(dom, name, err, errlen)) == NULL)
		goto out;
	if (parse_xml(k, dom, info, err, errlen) < 0)
		goto out;
	*out = info;
	info = NULL;
	ret = 0;
 out:
	kvm_domain_info_free(info);
	virDomainFree(dom);
	return ret;
}

static void
copy_name(virDomainPtr dom, char *buf, size_t len)
{
	const char *n;

	if (buf == NULL || len == 0)
		return;
	n = virDomainGetName(dom);	/* owned by dom */
	snprintf(buf, len, "%s", n ? n : "");
}

int
kvm_domain_exists(struct kvm *k, const char *name, const char *uuid,
    char *found_name, size_t found_len, char *err, size_t errlen)
{
	virDomainPtr dom;

	if (found_name != NULL && found_len > 0)
		found_name[0] = '\0';
	if (name != NULL) {
		if ((dom = virDomainLookupByName(k->conn, name)) != NULL) {
			copy_name(dom, found_name, found_len);
			virDomainFree(dom);
			return 1;
		}
		if (kvm_lerr_code() != VIR_ERR_NO_DOMAIN) {
			kvm_lverr(err, errlen, "%s: lookup", name);
			return -1;
		}
	}
	if (uuid != NULL) {
		if ((dom = virDomainLookupByUUIDString(k->conn, uuid)) != NULL) {
			copy_name(dom, found_name, found_len);
			virDomainFree(dom);
			return 1;
		}
		if (kvm_lerr_code() != VIR_ERR_NO_DOMAIN) {
			kvm_lverr(err, errlen, "uuid %s: lookup", uuid);
			return -1;
		}
	}
	return 0;
}

/* libvirt's state and reason of name; -1 when absent or unreadable */
static int
dom_state(struct kvm *k, const char *name, int *st, int *rs, char *err,
    size_t errlen)
{
	virDomainPtr dom;
	int ret = -1;

	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	if (virDomainGetState(dom, st, rs, 0) < 0)
		kvm_lverr(err, errlen, "%s: state", name);
	else
		ret = 0;
	virDomainFree(dom);
	return ret;
}

int
kvm_domain_state(struct kvm *k, const char *name, int *state, int *reason,
    char *err, size_t errlen)
{
	int st, rs;

	if (dom_state(k, name, &st, &rs, err, errlen) == -1)
		return -1;
	if (state != NULL)
		*state = st;
	if (reason != NULL)
		*reason = st != VIR_DOMAIN_PAUSED ? 0 :
		    rs == VIR_DOMAIN_PAUSED_POSTCOPY ? KVM_PAUSED_POSTCOPY :
		    rs == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED ?
		    KVM_PAUSED_POSTCOPY_FAILED : KVM_PAUSED_OTHER;
	return 0;
}

int
kvm_domain_postcopy(struct kvm *k, const char *name, char *err, size_t errlen)
{
	int st, rs;

	if (dom_state(k, name, &st, &rs, err, errlen) == -1)
		return -1;
	return (st == VIR_DOMAIN_RUNNING &&
	    (rs == VIR_DOMAIN_RUNNING_POSTCOPY ||
	    rs == VIR_DOMAIN_RUNNING_POSTCOPY_FAILED)) ||
	    (st == VIR_DOMAIN_PAUSED &&
	    (rs == VIR_DOMAIN_PAUSED_POSTCOPY ||
	    rs == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED));
}

int
kvm_domain_define(struct kvm *k, const char *xml, char *err, size_t errlen)
{
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
	virDomainPtr dom;
	char *name = NULL;

	/* parse first: a bad document is refused here, with its line */
	if ((doc = kvm_xml_parse(xml, "define: domain XML", "domain", err,
	    errlen)) == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) != NULL) {
		name = kvm_xml_str(xp, NULL, "string(/domain/name)");
		xmlXPathFreeContext(xp);
	}
	xmlFreeDoc(doc);
	if ((dom = virDomainDefineXML(k->conn, xml)) == NULL) {
		kvm_lverr(err, errlen, "%s: define", name ? name : "domain");
		free(name);
		return -1;
	}
	virDomainFree(dom);
	free(name);
	return 0;
}

static int
undefine(virDomainPtr dom, const char *name, char *err, size_t errlen)
{
	static const unsigned int tries[] = {
		VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
		    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
		    VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA |
		    VIR_DOMAIN_UNDEFINE_KEEP_NVRAM,
		VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
		    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
		0,
	};
	size_t i;
	int code;

	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (virDomainUndefineFlags(dom, tries[i]) == 0)
			return 0;
		code = kvm_lerr_code();
		/* older or simpler drivers refuse flags they do not know */
		if (code != VIR_ERR_INVALID_ARG && code != VIR_ERR_NO_SUPPORT &&
		    code != VIR_ERR_ARGUMENT_UNSUPPORTED)
			break;
	}
	kvm_lverr(err, errlen, "%s: undefine", name);
	return -1;
}

int
kvm_domain_undefine(struct kvm *k, const char *name, char *err, size_t errlen)
{
	virDomainPtr dom;
	int ret;

	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	ret = undefine(dom, name, err, errlen);
	virDomainFree(dom);
	return ret;
}

int
kvm_domain_start(struct kvm *k, const char *name, char *err, size_t errlen)
{
	virDomainPtr dom;
	int ret = 0;

	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	if (virDomainCreate(dom) < 0) {
		kvm_lverr(err, errlen, "%s: start", name);
		ret = -1;
	}
	virDomainFree(dom);
	return ret;
}

int
kvm_domain_fence(struct kvm *k, const char *name, int *was_running, char *err,
    size_t errlen)
{
	virDomainPtr dom;
	int active, ret = -1;

	if (was_running != NULL)
		*was_running = 0;
	if ((dom = virDomainLookupByName(k->conn, name)) == NULL) {
		if (kvm_lerr_code() == VIR_ERR_NO_DOMAIN)
			return 0;
		kvm_lverr(err, errlen, "%s: lookup", name);
		return -1;
	}
	if ((active = virDomainIsActive(dom)) < 0) {
		kvm_lverr(err, errlen, "%s: fence", name);
		goto out;
	}
	if (virDomainIsPersistent(dom) == 1 &&
	    virDomainSetAutostart(dom, 0) < 0) {
		kvm_lverr(err, errlen, "%s: autostart off", name);
		goto out;
	}
	if (active && virDomainDestroy(dom) < 0 &&
	    kvm_lerr_code() != VIR_ERR_OPERATION_INVALID) {
		kvm_lverr(err, errlen, "%s: destroy", name);
		goto out;
	}
	if (was_running != NULL)
		*was_running = active;
	ret = 0;
 out:
	virDomainFree(dom);
	return ret;
}

int
kvm_domain_remove(struct kvm *k, const char *name, char *err, size_t errlen)
{
	virDomainPtr dom;
	int active, persistent, ret = -1;

	if ((dom = virDomainLookupByName(k->conn, name)) == NULL) {
		if (kvm_lerr_code() == VIR_ERR_NO_DOMAIN)
			return 0;	/* nothing to remove */
		kvm_lverr(err, errlen, "%s: lookup", name);
		return -1;
	}
	if ((active = virDomainIsActive(dom)) < 0 ||
	    (persistent = virDomainIsPersistent(dom)) < 0) {
		kvm_lverr(err, errlen, "%s: remove", name);
		goto out;
	}
	if (active && virDomainDestroy(dom) < 0 &&
	    kvm_lerr_code() != VIR_ERR_OPERATION_INVALID &&
	    kvm_lerr_code() != VIR_ERR_NO_DOMAIN) {
		kvm_lverr(err, errlen, "%s: destroy", name);
		goto out;
	}
	if (persistent && undefine(dom, name, err, errlen) < 0)
		goto out;
	ret = 0;
 out:
	virDomainFree(dom);
	return ret;
}

int
kvm_domain_create(struct kvm *k, const char *xml, char *uuid, char *err,
    size_t errlen)
{
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
	virDomainPtr dom;
	char *name = NULL, u[VIR_UUID_STRING_BUFLEN];
	int ret = -1;

	uuid[0] = '\0';
	if ((doc = kvm_xml_parse(xml, "create: domain XML", "domain", err,
	    errlen)) == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) != NULL) {
		name = kvm_xml_str(xp, NULL, "string(/domain/name)");
		xmlXPathFreeContext(xp);
	}
	xmlFreeDoc(doc);
	if ((dom = virDomainCreateXML(k->conn, xml, 0)) == NULL) {
		kvm_lverr(err, errlen, "%s: start", name ? name : "domain");
		goto out;
	}
	if (virDomainGetUUIDString(dom, u) < 0)
		kvm_lverr(err, errlen, "%s: uuid", name ? name : "domain");
	else {
		snprintf(uuid, KVM_UUID_LEN + 1, "%s", u);
		ret = 0;
	}
	virDomainFree(dom);
 out:
	free(name);
	return ret;
}
