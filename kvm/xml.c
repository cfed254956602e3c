/*
 * xml.c - the domain XML rewrite for a target site and the libxml2 helpers
 * the rest of kvm/ parses libvirt's XML with.  Pure: no libvirt call here.
 *
 * Parsing is quiet and closed: no network access, no entity substitution,
 * no DTD (a document carrying one is refused: libvirt never writes one),
 * errors come back as text with the line number instead of going to stderr.
 * Edits go through the tree (xmlSetProp, xmlUnlinkNode), never through
 * string replacement, and the result is serialised with xmlDocDumpMemory.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_int.h"

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void
xml_setup(void)
{
	xmlInitParser();
}

xmlDocPtr
kvm_xml_parse(const char *xml, const char *what, const char *root, char *err,
    size_t errlen)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr top;
	xmlErrorPtr e;
	size_t len, mlen;

	pthread_once(&xml_once, xml_setup);
	if (xml == NULL || (len = strlen(xml)) == 0) {
		kvm_err(err, errlen, "%s: empty document", what);
		return NULL;
	}
	if (len > KVM_XML_MAX) {
		kvm_err(err, errlen, "%s: %zu bytes, more than the %u allowed",
		    what, len, KVM_XML_MAX);
		return NULL;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", what);
		return NULL;
	}
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || !ctxt->wellFormed) {
		e = xmlCtxtGetLastError(ctxt);
		if (e != NULL && e->message != NULL) {
			mlen = strlen(e->message);
			while (mlen > 0 && (e->message[mlen - 1] == '\n' ||
			    e->message[mlen - 1] == ' '))
				mlen--;
			kvm_err(err, errlen, "%s: line %d: %.*s", what, e->line,
			    (int)mlen, e->message);
		} else
			kvm_err(err, errlen, "%s: not well-formed XML", what);
		goto fail;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		kvm_err(err, errlen, "%s: a DOCTYPE is not accepted", what);
		goto fail;
	}
	top = xmlDocGetRootElement(doc);
	if (top == NULL || !xmlStrEqual(top->name, BAD_CAST root)) {
		kvm_err(err, errlen, "%s: root element is <%s>, not <%s>", what,
		    top ? (const char *)top->name : "(none)", root);
		goto fail;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
 fail:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return NULL;
}

char *
kvm_xml_str(xmlXPathContextPtr xp, xmlNodePtr node, const char *expr)
{
	xmlXPathObjectPtr obj;
	char *s = NULL;

	xp->node = node ? node : xmlDocGetRootElement(xp->doc);
	if ((obj = xmlXPathEval(BAD_CAST expr, xp)) == NULL)
		return NULL;
	if (obj->type == XPATH_STRING && obj->stringval != NULL &&
	    obj->stringval[0] != '\0')
		s = strdup((const char *)obj->stringval);
	xmlXPathFreeObject(obj);
	return s;
}

xmlNodePtr *
kvm_xml_nodes(xmlXPathContextPtr xp, xmlNodePtr node, const char *expr,
    size_t *n)
{
	xmlXPathObjectPtr obj;
	xmlNodePtr *v = NULL;
	size_t cnt;

	*n = 0;
	xp->node = node ? node : xmlDocGetRootElement(xp->doc);
	if ((obj = xmlXPathEval(BAD_CAST expr, xp)) == NULL)
		return NULL;
	if (obj->type == XPATH_NODESET && obj->nodesetval != NULL &&
	    obj->nodesetval->nodeNr > 0) {
		cnt = (size_t)obj->nodesetval->nodeNr;
		if ((v = calloc(cnt, sizeof(*v))) != NULL) {
			memcpy(v, obj->nodesetval->nodeTab, cnt * sizeof(*v));
			*n = cnt;
		}
	}
	xmlXPathFreeObject(obj);
	return v;
}

char *
kvm_xml_prop(xmlNodePtr node, const char *name)
{
	xmlChar *v;
	char *s;

	if (node == NULL || (v = xmlGetNoNsProp(node, BAD_CAST name)) == NULL)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

xmlNodePtr
kvm_xml_child(xmlNodePtr node, const char *name)
{
	xmlNodePtr c;

	if (node == NULL)
		return NULL;
	for (c = node->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(c->name, BAD_CAST name))
			return c;
	return NULL;
}

int
kvm_path_canonical(const char *path)
{
	const char *p, *e;
	size_t len;

	if (path == NULL || path[0] != '/' || path[1] == '\0')
		return 0;
	for (p = path + 1;; p = e + 1) {
		e = strchr(p, '/');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (e == NULL)
			return 1;
	}
}

char *
kvm_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return NULL;
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

char *
kvm_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return strdup(slash ? slash + 1 : path);
}

/* Length of dir without trailing slashes ("/" -> 0). */
static size_t
dir_len(const char *dir)
{
	size_t len = strlen(dir);

	while (len > 0 && dir[len - 1] == '/')
		len--;
	return len;
}

char *
kvm_map_path(const char *path, const struct vmgw_map *storage,
    size_t n_storage)
{
	const struct vmgw_map *best = NULL;
	size_t i, flen, blen = 0, tlen;
	char *out;

	if (!kvm_path_canonical(path))
		return NULL;
	for (i = 0; i < n_storage; i++) {
		const char *from = storage[i].from;

		if (from == NULL || from[0] != '/' || storage[i].to == NULL ||
		    storage[i].to[0] != '/')
			continue;
		flen = dir_len(from);
		if (strncmp(path, from, flen) != 0 || path[flen] != '/')
			continue;
		if (best == NULL || flen > blen) {
			best = &storage[i];
			blen = flen;
		}
	}
	if (best == NULL)
		return NULL;
	tlen = dir_len(best->to);
	if ((out = malloc(tlen + strlen(path + blen) + 1)) == NULL)
		return NULL;
	memcpy(out, best->to, tlen);
	strcpy(out + tlen, path + blen);
	return out;
}

static const char *
map_find(const struct vmgw_map *m, size_t n, const char *from)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].from != NULL && m[i].to != NULL &&
		    strcmp(m[i].from, from) == 0)
			return m[i].to;
	return NULL;
}

/* <interface type='network'>: source network through the map. */
static int
rewrite_interface(xmlNodePtr iface, const char *dom,
    const struct vmgw_map *networks, size_t n_networks, char *err,
    size_t errlen)
{
	xmlNodePtr src = kvm_xml_child(iface, "source");
	char *mac = kvm_xml_prop(kvm_xml_child(iface, "mac"), "address");
	char *net = kvm_xml_prop(src, "network");
	const char *to;
	int ret = -1;

	if (net == NULL) {
		kvm_err(err, errlen, "%s: interface %s: type='network' without "
		    "a source network", dom, mac ? mac : "(no mac)");
		goto out;
	}
	if ((to = map_find(networks, n_networks, net)) == NULL) {
		kvm_err(err, errlen, "%s: interface %s: network '%s' has no "
		    "mapping for the target site", dom, mac ? mac : "(no mac)",
		    net);
		goto out;
	}
	if (xmlSetProp(src, BAD_CAST "network", BAD_CAST to) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", dom);
		goto out;
	}
	/* the port and the bridge belong to the source site's network */
	xmlUnsetProp(src, BAD_CAST "portid");
	xmlUnsetProp(src, BAD_CAST "bridge");
	ret = 0;
 out:
	free(mac);
	free(net);
	return ret;
}

/* <disk type='file'> that will be copied: source file through the map. */
static int
rewrite_disk(xmlNodePtr disk, const char *dom, const struct vmgw_map *storage,
    size_t n_storage, char *err, size_t errlen)
{
	xmlNodePtr src, c, next;
	char *type = kvm_xml_prop(disk, "type");
	char *device = kvm_xml_prop(disk, "device");
	char *target = kvm_xml_prop(kvm_xml_child(disk, "target"), "dev");
	char *file = NULL, *mapped = NULL, *dir = NULL;
	const char *tname = target ? target : "(no target)";
	int ret = 0;

	if (type == NULL || strcmp(type, "file") != 0)
		goto out;		/* block, network, volume: kept */
	if ((device && strcmp(device, "cdrom") == 0) ||
	    kvm_xml_child(disk, "readonly") != NULL ||
	    kvm_xml_child(disk, "shareable") != NULL)
		goto out;		/* not copied, so not moved */
	src = kvm_xml_child(disk, "source");
	if ((file = kvm_xml_prop(src, "file")) == NULL)
		goto out;		/* empty drive */
	ret = -1;
	if (!kvm_path_canonical(file)) {
		kvm_err(err, errlen, "%s: disk %s: source %s is not a canonical "
		    "absolute path", dom, tname, file);
		goto out;
	}
	if ((mapped = kvm_map_path(file, storage, n_storage)) == NULL) {
		dir = kvm_path_dir(file);
		kvm_err(err, errlen, "%s: disk %s: no storage mapping for %s",
		    dom, tname, dir ? dir : file);
		goto out;
	}
	if (xmlSetProp(src, BAD_CAST "file", BAD_CAST mapped) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", dom);
		goto out;
	}
	/*
	 * The copy at the target is one flat image (the mirror copies the
	 * whole chain into it): a backing chain named here would point into
	 * the source site.  Without <backingStore> libvirt reads the image.
	 */
	for (c = disk->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(c->name, BAD_CAST "backingStore")) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
	ret = 0;
 out:
	free(type);
	free(device);
	free(target);
	free(file);
	free(mapped);
	free(dir);
	return ret;
}

int
kvm_xml_rewrite(const char *xml, const struct vmgw_map *networks,
    size_t n_networks, const struct vmgw_map *storage, size_t n_storage,
    char **out_xml, char *err, size_t errlen)
{
	xmlDocPtr doc = NULL;
	xmlXPathContextPtr xp = NULL;
	xmlNodePtr *nodes = NULL;
	xmlChar *buf = NULL;
	char *name = NULL;
	const char *dom;
	size_t i, n;
	int len, ret = -1;

	*out_xml = NULL;
	if ((doc = kvm_xml_parse(xml, "domain XML", "domain", err,
	    errlen)) == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		kvm_err(err, errlen, "domain XML: out of memory");
		goto out;
	}
	name = kvm_xml_str(xp, NULL, "string(/domain/name)");
	dom = name ? name : "domain";

	nodes = kvm_xml_nodes(xp, NULL,
	    "/domain/devices/interface[@type='network']", &n);
	for (i = 0; i < n; i++)
		if (rewrite_interface(nodes[i], dom, networks, n_networks, err,
		    errlen) < 0)
			goto out;
	free(nodes);
	nodes = NULL;

	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/disk", &n);
	for (i = 0; i < n; i++)
		if (rewrite_disk(nodes[i], dom, storage, n_storage, err,
		    errlen) < 0)
			goto out;

	xmlDocDumpMemory(doc, &buf, &len);
	if (buf == NULL || len <= 0 ||
	    (*out_xml = strndup((const char *)buf, (size_t)len)) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", dom);
		goto out;
	}
	ret = 0;
 out:
	xmlFree(buf);
	free(nodes);
	free(name);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return ret;
}

/*
 * The file-backed disks of a domain XML: target and source file of each
 * <disk type='file' device='disk'> (pure; for a failover, whose disk files
 * do not exist yet when the XML is read).
 */
int
kvm_xml_disks(const char *xml, struct kvm_xml_disk **out, size_t *n,
    char *err, size_t errlen)
{
	xmlDocPtr doc;
	xmlXPathContextPtr xp = NULL;
	xmlNodePtr *nodes = NULL;
	struct kvm_xml_disk *v = NULL;
	size_t cnt = 0, i, k = 0;
	int ret = -1;

	*out = NULL;
	*n = 0;
	if ((doc = kvm_xml_parse(xml, "domain XML", "domain", err,
	    errlen)) == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		kvm_err(err, errlen, "domain XML: out of memory");
		goto out;
	}
	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/disk[@type='file' and "
	    "(not(@device) or @device='disk')]", &cnt);
	if (cnt > 0 && (v = calloc(cnt, sizeof(*v))) == NULL) {
		kvm_err(err, errlen, "domain XML: out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		/* the first <target> and <source>, as libvirt and the
		 * rewriters read them: a second <source file=...> behind
		 * an empty first one is not the disk's file */
		v[k].target = kvm_xml_str(xp, nodes[i],
		    "string(target[1]/@dev)");
		v[k].path = kvm_xml_str(xp, nodes[i],
		    "string(source[1]/@file)");
		if (v[k].target == NULL || v[k].path == NULL) {
			free(v[k].target);
			free(v[k].path);
			continue;
		}
		k++;
	}
	*out = v;
	*n = k;
	v = NULL;
	ret = 0;
 out:
	kvm_xml_disks_free(v, k);
	free(nodes);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return ret;
}

void
kvm_xml_disks_free(struct kvm_xml_disk *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].target);
		free(v[i].path);
	}
	free(v);
}

/*
 * The test copy of a failover test (pure): a new name, no <uuid> (libvirt
 * makes a fresh one), every replicated disk on its throwaway overlay
 * (disks: target -> file; a file disk that is not there is an error: the
 * copy would open a production path), every network or bridge interface on
 * an isolated network (networks: this site's network name -> the test
 * network; the rest on isolated, or an error when it is NULL), the
 * interface's host device names and the channels' socket paths dropped so
 * that libvirt makes its own.  *used_isolated: some interface is on it.
 */
static int
test_interface(xmlNodePtr iface, const char *dom,
    const struct vmgw_map *networks, size_t n_networks, const char *isolated,
    int *used_isolated, char *err, size_t errlen)
{
	xmlNodePtr src = kvm_xml_child(iface, "source"), c, next;
	char *type = kvm_xml_prop(iface, "type");
	char *mac = kvm_xml_prop(kvm_xml_child(iface, "mac"), "address");
	char *net = NULL;
	const char *to = NULL;
	int ret = -1;

	if (type == NULL || (strcmp(type, "network") != 0 &&
	    strcmp(type, "bridge") != 0)) {
		kvm_err(err, errlen, "%s: interface %s: type '%s' cannot be put "
		    "on an isolated network", dom, mac ? mac : "(no mac)",
		    type ? type : "(none)");
		goto out;
	}
	if (strcmp(type, "network") == 0 && (net = kvm_xml_prop(src,
	    "network")) != NULL)
		to = map_find(networks, n_networks, net);
	if (to == NULL) {
		if (isolated == NULL) {
			kvm_err(err, errlen, "%s: interface %s: network '%s' has "
			    "no test network", dom, mac ? mac : "(no mac)",
			    net ? net : type);
			goto out;
		}
		to = isolated;
		*used_isolated = 1;
	}
	if (xmlSetProp(iface, BAD_CAST "type", BAD_CAST "network") == NULL)
		goto oom;
	if (src == NULL && (src = xmlNewChild(iface, NULL, BAD_CAST "source",
	    NULL)) == NULL)
		goto oom;
	xmlUnsetProp(src, BAD_CAST "bridge");
	xmlUnsetProp(src, BAD_CAST "portid");
	xmlUnsetProp(src, BAD_CAST "portgroup");
	if (xmlSetProp(src, BAD_CAST "network", BAD_CAST to) == NULL)
		goto oom;
	/* the host side's tap name, alias and virtualport are the original's */
	for (c = iface->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE && (xmlStrEqual(c->name,
		    BAD_CAST "target") || xmlStrEqual(c->name,
		    BAD_CAST "virtualport") || xmlStrEqual(c->name,
		    BAD_CAST "alias"))) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
	ret = 0;
	goto out;
 oom:
	kvm_err(err, errlen, "%s: out of memory", dom);
 out:
	free(type);
	free(mac);
	free(net);
	return ret;
}

static int
test_disk(xmlNodePtr disk, const char *dom, const struct vmgw_map *disks,
    size_t n_disks, char *err, size_t errlen)
{
	xmlNodePtr src = kvm_xml_child(disk, "source"), c, next;
	char *type = kvm_xml_prop(disk, "type");
	char *device = kvm_xml_prop(disk, "device");
	char *target = kvm_xml_prop(kvm_xml_child(disk, "target"), "dev");
	char *file = kvm_xml_prop(src, "file");
	const char *to;
	int ret = 0;

	if (device != NULL && strcmp(device, "disk") != 0)
		goto out;		/* cdrom, floppy, lun: kept */
	if (type == NULL || strcmp(type, "file") != 0 || file == NULL) {
		if (type != NULL && strcmp(type, "file") == 0)
			goto out;	/* an empty drive */
		kvm_err(err, errlen, "%s: disk %s: type '%s' is not "
		    "replicated: a copy would use the original", dom,
		    target ? target : "(no target)", type ? type : "(none)");
		ret = -1;
		goto out;
	}
	if (target == NULL || (to = map_find(disks, n_disks, target)) ==
	    NULL) {
		kvm_err(err, errlen, "%s: disk %s: %s is not in the point: a "
		    "copy would use it", dom, target ? target :
		    "(no target)", file);
		ret = -1;
		goto out;
	}
	if (xmlSetProp(src, BAD_CAST "file", BAD_CAST to) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", dom);
		ret = -1;
		goto out;
	}
	/* libvirt reads the overlay's own backing chain */
	for (c = disk->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE && (xmlStrEqual(c->name,
		    BAD_CAST "backingStore") || xmlStrEqual(c->name,
		    BAD_CAST "alias"))) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
 out:
	free(type);
	free(device);
	free(target);
	free(file);
	return ret;
}

int
kvm_xml_test_copy(const char *xml, const char *name,
    const struct vmgw_map *disks, size_t n_disks,
    const struct vmgw_map *networks, size_t n_networks, const char *isolated,
    int *used_isolated, char **out_xml, char *err, size_t errlen)
{
	xmlDocPtr doc = NULL;
	xmlXPathContextPtr xp = NULL;
	xmlNodePtr *nodes = NULL, top, c, next;
	xmlChar *buf = NULL;
	char *orig = NULL;
	const char *dom;
	size_t i, n;
	int len, ret = -1;

	*out_xml = NULL;
	*used_isolated = 0;
	if (name == NULL || name[0] == '\0') {
		kvm_err(err, errlen, "test copy: no name");
		return -1;
	}
	if ((doc = kvm_xml_parse(xml, "domain XML", "domain", err,
	    errlen)) == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		kvm_err(err, errlen, "domain XML: out of memory");
		goto out;
	}
	orig = kvm_xml_str(xp, NULL, "string(/domain/name)");
	dom = orig ? orig : "domain";
	top = xmlDocGetRootElement(doc);
	xmlUnsetProp(top, BAD_CAST "id");
	for (c = top->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE && (xmlStrEqual(c->name,
		    BAD_CAST "uuid") || xmlStrEqual(c->name,
		    BAD_CAST "name"))) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
	if ((c = xmlNewNode(NULL, BAD_CAST "name")) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", dom);
		goto out;
	}
	xmlNodeAddContent(c, BAD_CAST name);
	if (top->children != NULL)
		xmlAddPrevSibling(top->children, c);
	else
		xmlAddChild(top, c);

	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/interface", &n);
	for (i = 0; i < n; i++)
		if (test_interface(nodes[i], dom, networks, n_networks,
		    isolated, used_isolated, err, errlen) < 0)
			goto out;
	free(nodes);
	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/disk", &n);
	for (i = 0; i < n; i++)
		if (test_disk(nodes[i], dom, disks, n_disks, err, errlen) < 0)
			goto out;
	free(nodes);
	/* sockets of the original's channels: libvirt makes the copy's own */
	nodes = kvm_xml_nodes(xp, NULL,
	    "/domain/devices/channel[@type='unix']/source", &n);
	for (i = 0; i < n; i++)
		xmlUnsetProp(nodes[i], BAD_CAST "path");

	xmlDocDumpMemory(doc, &buf, &len);
	if (buf == NULL || len <= 0 ||
	    (*out_xml = strndup((const char *)buf, (size_t)len)) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", dom);
		goto out;
	}
	ret = 0;
 out:
	xmlFree(buf);
	free(nodes);
	free(orig);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return ret;
}

/*
 * A clone (pure): a new persistent guest from a recovery point.  Like the
 * test copy it has a new name and no <uuid>; unlike it, it is another
 * machine, so its interfaces lose their <mac> (libvirt makes new ones), and
 * it may keep its networks (network NULL) or all go on network.  Host-side
 * names that would collide with the original's are dropped: tap names,
 * aliases, channel sockets, fixed graphics ports and sockets, the serial
 * consoles' files and sockets (they become ptys), a per-domain NVRAM file
 * (libvirt makes NEW's own from the template).  hostdev devices and
 * interfaces other than network or bridge are refused.
 */
static int
clone_interface(xmlNodePtr iface, const char *dom, const char *network,
    char *err, size_t errlen)
{
	xmlNodePtr src = kvm_xml_child(iface, "source"), c, next;
	char *type = kvm_xml_prop(iface, "type");
	char *mac = kvm_xml_prop(kvm_xml_child(iface, "mac"), "address");
	int ret = -1;

	if (type == NULL || (strcmp(type, "network") != 0 &&
	    strcmp(type, "bridge") != 0)) {
		kvm_err(err, errlen, "%s: interface %s: type '%s': a clone "
		    "would share the original's host device", dom, mac ? mac :
		    "(no mac)", type ? type : "(none)");
		goto out;
	}
	if (network != NULL) {
		if (xmlSetProp(iface, BAD_CAST "type", BAD_CAST "network") ==
		    NULL || (src == NULL && (src = xmlNewChild(iface, NULL,
		    BAD_CAST "source", NULL)) == NULL))
			goto oom;
		xmlUnsetProp(src, BAD_CAST "bridge");
		xmlUnsetProp(src, BAD_CAST "portgroup");
		if (xmlSetProp(src, BAD_CAST "network", BAD_CAST network) ==
		    NULL)
			goto oom;
	}
	if (src != NULL)
		xmlUnsetProp(src, BAD_CAST "portid");
	for (c = iface->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE && (xmlStrEqual(c->name,
		    BAD_CAST "mac") || xmlStrEqual(c->name, BAD_CAST "target") ||
		    xmlStrEqual(c->name, BAD_CAST "virtualport") ||
		    xmlStrEqual(c->name, BAD_CAST "alias"))) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
	ret = 0;
	goto out;
 oom:
	kvm_err(err, errlen, "%s: out of memory", dom);
 out:
	free(type);
	free(mac);
	return ret;
}

/* serial, console, parallel: anything with a host-side path or port
 * becomes a pty; its log file goes too */
static int
clone_chardev(xmlNodePtr dev, const char *dom, char *err, size_t errlen)
{
	static const char *const keep[] = { "pty", "null", "vc", "stdio",
	    "spicevmc", "qemu-vdagent", "dbus" };
	xmlNodePtr c, next;
	char *type = kvm_xml_prop(dev, "type");
	size_t i;
	int ret = 0;

	for (i = 0; type != NULL && i < sizeof(keep) / sizeof(keep[0]); i++)
		if (strcmp(type, keep[i]) == 0)
			break;
	if (type != NULL && i < sizeof(keep) / sizeof(keep[0]) &&
	    strcmp(type, "pty") != 0)
		goto out;
	if (xmlSetProp(dev, BAD_CAST "type", BAD_CAST "pty") == NULL) {
		kvm_err(err, errlen, "%s: out of memory", dom);
		ret = -1;
		goto out;
	}
	for (c = dev->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE && (xmlStrEqual(c->name,
		    BAD_CAST "source") || xmlStrEqual(c->name, BAD_CAST "log") ||
		    xmlStrEqual(c->name, BAD_CAST "protocol") ||
		    xmlStrEqual(c->name, BAD_CAST "alias"))) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
 out:
	free(type);
	return ret;
}

static void
clone_graphics(xmlNodePtr g)
{
	xmlNodePtr c;
	char *port = kvm_xml_prop(g, "port");
	char *autoport = kvm_xml_prop(g, "autoport");

	/* a fixed port would collide with the original's */
	if (port != NULL || autoport != NULL) {
		xmlUnsetProp(g, BAD_CAST "port");
		xmlUnsetProp(g, BAD_CAST "tlsPort");
		xmlUnsetProp(g, BAD_CAST "websocket");
		xmlSetProp(g, BAD_CAST "autoport", BAD_CAST "yes");
	}
	free(port);
	free(autoport);
	xmlUnsetProp(g, BAD_CAST "socket");
	for (c = g->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name,
		    BAD_CAST "listen"))
			xmlUnsetProp(c, BAD_CAST "socket");
}

static void
clone_drop(xmlXPathContextPtr xp, const char *expr)
{
	xmlNodePtr *nodes;
	size_t i, n;

	nodes = kvm_xml_nodes(xp, NULL, expr, &n);
	for (i = 0; i < n; i++) {
		xmlUnlinkNode(nodes[i]);
		xmlFreeNode(nodes[i]);
	}
	free(nodes);
}

int
kvm_xml_clone(const char *xml, const char *name, const struct vmgw_map *disks,
    size_t n_disks, const char *network, char **out_xml, char *err,
    size_t errlen)
{
	xmlDocPtr doc = NULL;
	xmlXPathContextPtr xp = NULL;
	xmlNodePtr *nodes = NULL, top, c, next;
	xmlChar *buf = NULL;
	char *orig = NULL;
	const char *dom;
	size_t i, n;
	int len, ret = -1;

	*out_xml = NULL;
	if (name == NULL || name[0] == '\0') {
		kvm_err(err, errlen, "clone: no name");
		return -1;
	}
	if ((doc = kvm_xml_parse(xml, "domain XML", "domain", err,
	    errlen)) == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		kvm_err(err, errlen, "domain XML: out of memory");
		goto out;
	}
	orig = kvm_xml_str(xp, NULL, "string(/domain/name)");
	dom = orig ? orig : "domain";
	if ((nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/hostdev",
	    &n)) != NULL && n > 0) {
		kvm_err(err, errlen, "%s: a hostdev device: a clone would take "
		    "the original's host device", dom);
		goto out;
	}
	free(nodes);
	nodes = NULL;
	top = xmlDocGetRootElement(doc);
	xmlUnsetProp(top, BAD_CAST "id");
	for (c = top->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE && (xmlStrEqual(c->name,
		    BAD_CAST "uuid") || xmlStrEqual(c->name,
		    BAD_CAST "name"))) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
	if ((c = xmlNewNode(NULL, BAD_CAST "name")) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", dom);
		goto out;
	}
	xmlNodeAddContent(c, BAD_CAST name);
	if (top->children != NULL)
		xmlAddPrevSibling(top->children, c);
	else
		xmlAddChild(top, c);

	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/interface", &n);
	for (i = 0; i < n; i++)
		if (clone_interface(nodes[i], dom, network, err, errlen) < 0)
			goto out;
	free(nodes);
	/* the disks: the same rules as a test copy's (every file disk is
	 * in the map, so the clone never opens an image of the original) */
	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/disk", &n);
	for (i = 0; i < n; i++)
		if (test_disk(nodes[i], dom, disks, n_disks, err, errlen) < 0)
			goto out;
	free(nodes);
	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/serial | "
	    "/domain/devices/console | /domain/devices/parallel", &n);
	for (i = 0; i < n; i++)
		if (clone_chardev(nodes[i], dom, err, errlen) < 0)
			goto out;
	free(nodes);
	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/graphics", &n);
	for (i = 0; i < n; i++)
		clone_graphics(nodes[i]);
	free(nodes);
	nodes = kvm_xml_nodes(xp, NULL,
	    "/domain/devices/channel[@type='unix']/source", &n);
	for (i = 0; i < n; i++)
		xmlUnsetProp(nodes[i], BAD_CAST "path");
	free(nodes);
	nodes = NULL;
	clone_drop(xp, "/domain/os/nvram | /domain/devices/*/alias | "
	    "/domain/seclabel[@type='static']");

	xmlDocDumpMemory(doc, &buf, &len);
	if (buf == NULL || len <= 0 ||
	    (*out_xml = strndup((const char *)buf, (size_t)len)) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", dom);
		goto out;
	}
	ret = 0;
 out:
	xmlFree(buf);
	free(nodes);
	free(orig);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return ret;
}

/* The networks of the domain's <interface type='network'>, in order. */
int
kvm_xml_networks(const char *xml, char ***out, size_t *n, char *err,
    size_t errlen)
{
	xmlDocPtr doc;
	xmlXPathContextPtr xp = NULL;
	xmlNodePtr *nodes = NULL;
	char **v = NULL;
	size_t cnt = 0, i, k = 0;
	int ret = -1;

	*out = NULL;
	*n = 0;
	if ((doc = kvm_xml_parse(xml, "domain XML", "domain", err,
	    errlen)) == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		kvm_err(err, errlen, "domain XML: out of memory");
		goto out;
	}
	nodes = kvm_xml_nodes(xp, NULL, "/domain/devices/interface"
	    "[@type='network']", &cnt);
	if (cnt > 0 && (v = calloc(cnt, sizeof(*v))) == NULL) {
		kvm_err(err, errlen, "domain XML: out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++)
		if ((v[k] = kvm_xml_str(xp, nodes[i],
		    "string(source[1]/@network)")) != NULL && v[k][0] != '\0')
			k++;
		else
			free(v[k]);
	*out = v;
	*n = k;
	v = NULL;
	ret = 0;
 out:
	kvm_xml_strings_free(v, k);
	free(nodes);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return ret;
}

void
kvm_xml_strings_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}
