/*
 * storage.c - storage pools and volumes at either site: the active pool
 * whose target directory holds a path, its free space, and volumes created,
 * described and deleted by path.
 *
 * A path belongs to the pool whose <target><path> is exactly its directory
 * (libvirt's dir pools are flat).  Lookups by path try libvirt's cached
 * volume list first and refresh the covering pool only when the volume is
 * not known yet; refreshes are best effort, since a pool refuses them while
 * it has uploads running and parallel copies into one pool are normal.
 * Volume XML is built with libxml2, so a file name cannot inject markup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_int.h"

/* The active pool whose target path is dir, or NULL (*none set if none). */
static virStoragePoolPtr
pool_for_dir(struct kvm *k, const char *dir, int *none, char *err,
    size_t errlen)
{
	virStoragePoolPtr *pools = NULL, found = NULL;
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
	char *xml, *tpath;
	size_t tlen;
	int i, n;

	*none = 0;
	n = virConnectListAllStoragePools(k->conn, &pools,
	    VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
	if (n < 0) {
		kvm_lverr(err, errlen, "%s: list storage pools", dir);
		return NULL;
	}
	for (i = 0; i < n && found == NULL; i++) {
		if ((xml = virStoragePoolGetXMLDesc(pools[i], 0)) == NULL)
			continue;	/* vanished meanwhile */
		doc = kvm_xml_parse(xml, "pool XML", "pool", NULL, 0);
		free(xml);
		if (doc == NULL)
			continue;
		tpath = NULL;
		if ((xp = xmlXPathNewContext(doc)) != NULL) {
			tpath = kvm_xml_str(xp, NULL,
			    "string(/pool/target/path)");
			xmlXPathFreeContext(xp);
		}
		xmlFreeDoc(doc);
		if (tpath != NULL) {
			tlen = strlen(tpath);
			while (tlen > 1 && tpath[tlen - 1] == '/')
				tpath[--tlen] = '\0';
			if (strcmp(tpath, dir) == 0) {
				found = pools[i];
				pools[i] = NULL;
			}
			free(tpath);
		}
	}
	for (i = 0; i < n; i++)
		if (pools[i] != NULL)
			virStoragePoolFree(pools[i]);
	free(pools);
	if (found == NULL) {
		*none = 1;
		kvm_err(err, errlen, "no active storage pool has %s as its "
		    "target path", dir);
	}
	return found;
}

/* The pool covering path, refreshed if it can be. */
static virStoragePoolPtr
pool_for_path(struct kvm *k, const char *path, int refresh, int *none,
    char *err, size_t errlen)
{
	virStoragePoolPtr pool;
	char *dir, sub[512];

	*none = 0;
	if (!kvm_path_canonical(path)) {
		kvm_err(err, errlen, "%s: not a canonical absolute path",
		    path ? path : "(null)");
		return NULL;
	}
	if ((dir = kvm_path_dir(path)) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	pool = pool_for_dir(k, dir, none, sub, sizeof(sub));
	free(dir);
	if (pool == NULL) {
		kvm_err(err, errlen, "%s: %s", path, sub);
		return NULL;
	}
	/*
	 * Best effort: a pool refuses a refresh while it has uploads running
	 * (an internal error, nothing to tell it by), and every caller works
	 * from libvirt's own checks if the refresh did not happen.
	 */
	if (refresh && virStoragePoolRefresh(pool, 0) < 0)
		virResetLastError();
	return pool;
}

int
kvm_pool_for_path(struct kvm *k, const char *path, char *pool, size_t poollen,
    uint64_t *available, char *err, size_t errlen)
{
	virStoragePoolPtr p;
	virStoragePoolInfo info;
	const char *name;
	int none, ret = -1;

	if ((p = pool_for_path(k, path, 1, &none, err, errlen)) == NULL)
		return -1;
	name = virStoragePoolGetName(p);	/* owned by p */
	if (virStoragePoolGetInfo(p, &info) < 0) {
		kvm_lverr(err, errlen, "%s: pool %s: info", path, name);
		goto out;
	}
	if (pool != NULL && poollen > 0 &&
	    (size_t)snprintf(pool, poollen, "%s", name) >= poollen) {
		kvm_err(err, errlen, "%s: pool name %s too long", path, name);
		goto out;
	}
	if (available != NULL)
		*available = info.available;
	ret = 0;
 out:
	virStoragePoolFree(p);
	return ret;
}

virStorageVolPtr
kvm_vol_get(struct kvm *k, const char *path, int *absent, char *err,
    size_t errlen)
{
	virStoragePoolPtr pool;
	virStorageVolPtr vol;
	int none;

	*absent = 0;
	if (!kvm_path_canonical(path)) {
		kvm_err(err, errlen, "%s: not a canonical absolute path",
		    path ? path : "(null)");
		return NULL;
	}
	if ((vol = virStorageVolLookupByPath(k->conn, path)) != NULL)
		return vol;
	if (kvm_lerr_code() != VIR_ERR_NO_STORAGE_VOL) {
		kvm_lverr(err, errlen, "%s: volume lookup", path);
		return NULL;
	}
	/* not in libvirt's cache: made after the pool's last refresh? */
	if ((pool = pool_for_path(k, path, 1, &none, err, errlen)) == NULL)
		return NULL;
	virStoragePoolFree(pool);
	if ((vol = virStorageVolLookupByPath(k->conn, path)) != NULL)
		return vol;
	if (kvm_lerr_code() == VIR_ERR_NO_STORAGE_VOL) {
		*absent = 1;
		kvm_err(err, errlen, "%s: no such volume", path);
	} else
		kvm_lverr(err, errlen, "%s: volume lookup", path);
	return NULL;
}

static int
format_ok(const char *f)
{
	size_t i;

	if (f == NULL || f[0] == '\0' || strlen(f) > 16)
		return 0;
	for (i = 0; f[i] != '\0'; i++)
		if (!((f[i] >= 'a' && f[i] <= 'z') ||
		    (f[i] >= '0' && f[i] <= '9')))
			return 0;
	return 1;
}

/*
 * <volume><name/><capacity unit='bytes'/><allocation/><target><format/>
 * [<compat>1.1</compat>]</target></volume>: qcow2 images are made v3
 * (compat 1.1), since only v3 keeps the persistent dirty bitmaps of
 * checkpoints (libvirt 9.0 makes v2 without it: "Cannot store dirty bitmaps
 * in qcow2 v2 files"), so a guest moved here can be protected.
 */
static char *
volume_xml(const char *name, const char *format, uint64_t capacity,
    const char *backing)
{
	xmlDocPtr doc;
	xmlNodePtr root, n, target;
	xmlChar *buf = NULL;
	char num[32], *out = NULL;
	int len;

	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		return NULL;
	if ((root = xmlNewDocNode(doc, NULL, BAD_CAST "volume", NULL)) == NULL)
		goto out;
	xmlDocSetRootElement(doc, root);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)capacity);
	if (xmlNewTextChild(root, NULL, BAD_CAST "name", BAD_CAST name) ==
	    NULL ||
	    (n = xmlNewTextChild(root, NULL, BAD_CAST "capacity",
	    BAD_CAST num)) == NULL ||
	    xmlNewProp(n, BAD_CAST "unit", BAD_CAST "bytes") == NULL ||
	    (n = xmlNewTextChild(root, NULL, BAD_CAST "allocation",
	    BAD_CAST "0")) == NULL ||
	    xmlNewProp(n, BAD_CAST "unit", BAD_CAST "bytes") == NULL ||
	    (target = xmlNewChild(root, NULL, BAD_CAST "target", NULL)) ==
	    NULL ||
	    (n = xmlNewChild(target, NULL, BAD_CAST "format", NULL)) == NULL ||
	    xmlNewProp(n, BAD_CAST "type", BAD_CAST format) == NULL)
		goto out;
	if (strcmp(format, "qcow2") == 0 && xmlNewTextChild(target, NULL,
	    BAD_CAST "compat", BAD_CAST "1.1") == NULL)
		goto out;
	/* <backingStore><path/><format type='qcow2'/></backingStore> */
	if (backing != NULL && ((n = xmlNewChild(root, NULL,
	    BAD_CAST "backingStore", NULL)) == NULL || xmlNewTextChild(n, NULL,
	    BAD_CAST "path", BAD_CAST backing) == NULL || (n = xmlNewChild(n,
	    NULL, BAD_CAST "format", NULL)) == NULL || xmlNewProp(n,
	    BAD_CAST "type", BAD_CAST "qcow2") == NULL))
		goto out;
	xmlDocDumpMemory(doc, &buf, &len);
	if (buf != NULL && len > 0)
		out = strndup((const char *)buf, (size_t)len);
 out:
	xmlFree(buf);
	xmlFreeDoc(doc);
	return out;
}

static int
volume_create(struct kvm *k, const char *path, const char *format,
    uint64_t capacity, const char *backing, char *err, size_t errlen)
{
	virStoragePoolPtr pool;
	virStorageVolPtr vol = NULL;
	char *name = NULL, *xml = NULL;
	const char *pname;
	int none, ret = -1;

	if (format == NULL)
		format = "raw";
	if (!format_ok(format)) {
		kvm_err(err, errlen, "%s: bad volume format '%s'",
		    path ? path : "(null)", format);
		return -1;
	}
	if ((pool = pool_for_path(k, path, 1, &none, err, errlen)) == NULL)
		return -1;
	pname = virStoragePoolGetName(pool);
	if ((name = kvm_path_base(path)) == NULL ||
	    (xml = volume_xml(name, format, capacity, backing)) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if ((vol = virStorageVolLookupByName(pool, name)) != NULL) {
		kvm_err(err, errlen, "%s: volume already exists in pool %s",
		    path, pname);
		goto out;
	}
	if (kvm_lerr_code() != VIR_ERR_NO_STORAGE_VOL) {
		kvm_lverr(err, errlen, "%s: pool %s: volume lookup", path,
		    pname);
		goto out;
	}
	if ((vol = virStorageVolCreateXML(pool, xml, 0)) == NULL) {
		kvm_lverr(err, errlen, "%s: pool %s: create %s volume", path,
		    pname, format);
		goto out;
	}
	ret = 0;
 out:
	if (vol != NULL)
		virStorageVolFree(vol);
	virStoragePoolFree(pool);
	free(name);
	free(xml);
	return ret;
}

int
kvm_volume_create(struct kvm *k, const char *path, const char *format,
    uint64_t capacity, char *err, size_t errlen)
{
	return volume_create(k, path, format, capacity, NULL, err, errlen);
}

int
kvm_volume_create_over(struct kvm *k, const char *path, const char *backing,
    uint64_t capacity, char *err, size_t errlen)
{
	if (backing == NULL || backing[0] != '/') {
		kvm_err(err, errlen, "%s: overlay on a relative or no path",
		    path ? path : "(null)");
		return -1;
	}
	return volume_create(k, path, "qcow2", capacity, backing, err, errlen);
}

int
kvm_volume_delete(struct kvm *k, const char *path, char *err, size_t errlen)
{
	virStorageVolPtr vol;
	int absent, ret = 0;

	if ((vol = kvm_vol_get(k, path, &absent, err, errlen)) == NULL)
		return absent ? 0 : -1;
	if (virStorageVolDelete(vol, 0) < 0) {
		kvm_lverr(err, errlen, "%s: delete volume", path);
		ret = -1;
	}
	virStorageVolFree(vol);
	return ret;
}

int
kvm_volume_info(struct kvm *k, const char *path, uint64_t *capacity,
    uint64_t *allocation, char *format, size_t formatlen, char *err,
    size_t errlen)
{
	virStorageVolPtr vol;
	virStorageVolInfo vi;
	xmlDocPtr doc = NULL;
	xmlXPathContextPtr xp = NULL;
	char *xml = NULL, *f = NULL;
	int absent, ret = -1;

	if ((vol = kvm_vol_get(k, path, &absent, err, errlen)) == NULL)
		return -1;
	if (virStorageVolGetInfo(vol, &vi) < 0 ||
	    (xml = virStorageVolGetXMLDesc(vol, 0)) == NULL) {
		kvm_lverr(err, errlen, "%s: volume info", path);
		goto out;
	}
	if ((doc = kvm_xml_parse(xml, path, "volume", err, errlen)) == NULL)
		goto out;
	if ((xp = xmlXPathNewContext(doc)) != NULL)
		f = kvm_xml_str(xp, NULL, "string(/volume/target/format/@type)");
	if (capacity != NULL)
		*capacity = vi.capacity;
	if (allocation != NULL)
		*allocation = vi.allocation;
	if (format != NULL && formatlen > 0)
		snprintf(format, formatlen, "%s", f ? f : "");
	ret = 0;
 out:
	free(f);
	free(xml);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	virStorageVolFree(vol);
	return ret;
}
