/*
 * network.c - what a move changes on libvirt networks, and where a guest is
 * on the network: a mapped network exists and is active; the DHCP host
 * reservation for a guest's MAC is read, added and removed
 * (virNetworkUpdate on the first IPv4 <dhcp>, live and persistent); the
 * guest's addresses come from the network's leases, else the guest agent,
 * else libvirt's view of the host's ARP table.
 *
 * Add and delete are idempotent: adding the reservation that is already
 * there, or deleting one that is not, succeeds.  A different reservation
 * for the same MAC is an error, never silently replaced.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvm_int.h"

#define DHCP_IP_XPATH \
	"/network/ip[(not(@family) or @family='ipv4') and dhcp][1]"

int
kvm_network_exists(struct kvm *k, const char *name, char *err, size_t errlen)
{
	virNetworkPtr net;
	int active;

	if (name == NULL || *name == '\0') {
		kvm_err(err, errlen, "network: no name given");
		return -1;
	}
	if ((net = virNetworkLookupByName(k->conn, name)) == NULL) {
		if (kvm_lerr_code() == VIR_ERR_NO_NETWORK)
			kvm_err(err, errlen, "network %s: not defined on %s",
			    name, k->uri);
		else
			kvm_lverr(err, errlen, "network %s: lookup", name);
		return -1;
	}
	active = virNetworkIsActive(net);
	if (active < 0)
		kvm_lverr(err, errlen, "network %s: state", name);
	else if (active == 0)
		kvm_err(err, errlen, "network %s: not active on %s", name,
		    k->uri);
	virNetworkFree(net);
	return active == 1 ? 0 : -1;
}

static int
mac_ok(const char *mac)
{
	int i;

	if (mac == NULL || strlen(mac) != 17)
		return 0;
	for (i = 0; i < 17; i++)
		if (i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
			return 0;
	return 1;
}

static int
name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '.' && name[i] != '_')
			return 0;
	return 1;
}

static virNetworkPtr
net_get(struct kvm *k, const char *network, char *err, size_t errlen)
{
	virNetworkPtr net;

	if (network == NULL || *network == '\0') {
		kvm_err(err, errlen, "network: no name given");
		return NULL;
	}
	if ((net = virNetworkLookupByName(k->conn, network)) == NULL)
		kvm_lverr(err, errlen, "network %s: lookup", network);
	return net;
}

/* The reservation for mac in the first IPv4 <dhcp>: 1, 0 none, -1 error. */
static int
dhcp_find(virNetworkPtr net, const char *network, const char *mac,
    struct kvm_dhcp_host *out, char *err, size_t errlen)
{
	xmlDocPtr doc = NULL;
	xmlXPathContextPtr xp = NULL;
	xmlNodePtr *hosts = NULL, *ips = NULL;
	char *xml, what[128], *hmac;
	size_t i, n, nip;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if ((xml = virNetworkGetXMLDesc(net, 0)) == NULL) {
		kvm_lverr(err, errlen, "network %s: XML", network);
		return -1;
	}
	snprintf(what, sizeof(what), "network %s: XML", network);
	doc = kvm_xml_parse(xml, what, "network", err, errlen);
	free(xml);
	if (doc == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", what);
		goto out;
	}
	ips = kvm_xml_nodes(xp, NULL, DHCP_IP_XPATH, &nip);
	if (nip == 0) {
		kvm_err(err, errlen, "network %s: no IPv4 address with <dhcp>",
		    network);
		goto out;
	}
	hosts = kvm_xml_nodes(xp, ips[0], "dhcp/host", &n);
	ret = 0;
	for (i = 0; i < n && ret == 0; i++) {
		if ((hmac = kvm_xml_prop(hosts[i], "mac")) == NULL)
			continue;
		if (strcasecmp(hmac, mac) == 0) {
			char *ip = kvm_xml_prop(hosts[i], "ip");
			char *nm = kvm_xml_prop(hosts[i], "name");

			snprintf(out->mac, sizeof(out->mac), "%s", hmac);
			snprintf(out->ip, sizeof(out->ip), "%s", ip ? ip : "");
			snprintf(out->name, sizeof(out->name), "%s",
			    nm ? nm : "");
			free(ip);
			free(nm);
			ret = 1;
		}
		free(hmac);
	}
 out:
	free(hosts);
	free(ips);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return ret;
}

int
kvm_dhcp_host_get(struct kvm *k, const char *network, const char *mac,
    struct kvm_dhcp_host *out, char *err, size_t errlen)
{
	virNetworkPtr net;
	int ret;

	if (!mac_ok(mac)) {
		kvm_err(err, errlen, "network %s: bad MAC address '%s'",
		    network ? network : "", mac ? mac : "");
		return -1;
	}
	if ((net = net_get(k, network, err, errlen)) == NULL)
		return -1;
	ret = dhcp_find(net, network, mac, out, err, errlen);
	virNetworkFree(net);
	return ret;
}

/* <host mac='' ip='' name=''/>, escaped by libxml2 */
static char *
host_xml(const struct kvm_dhcp_host *h)
{
	xmlDocPtr doc;
	xmlNodePtr host;
	xmlBufferPtr buf = NULL;
	char *out = NULL;

	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		return NULL;
	if ((host = xmlNewDocNode(doc, NULL, BAD_CAST "host", NULL)) == NULL)
		goto out;
	xmlDocSetRootElement(doc, host);
	if (xmlNewProp(host, BAD_CAST "mac", BAD_CAST h->mac) == NULL ||
	    (h->ip[0] != '\0' &&
	    xmlNewProp(host, BAD_CAST "ip", BAD_CAST h->ip) == NULL) ||
	    (h->name[0] != '\0' &&
	    xmlNewProp(host, BAD_CAST "name", BAD_CAST h->name) == NULL))
		goto out;
	if ((buf = xmlBufferCreate()) == NULL ||
	    xmlNodeDump(buf, doc, host, 0, 0) < 0)
		goto out;
	out = strdup((const char *)xmlBufferContent(buf));
 out:
	if (buf != NULL)
		xmlBufferFree(buf);
	xmlFreeDoc(doc);
	return out;
}

/* Update live and persistent state, whichever the network has. */
static int
dhcp_update(virNetworkPtr net, const char *network, unsigned int cmd,
    const struct kvm_dhcp_host *h, const char *step, char *err,
    size_t errlen)
{
	unsigned int flags = 0;
	char *xml;
	int active, persistent, ret = -1;

	if ((active = virNetworkIsActive(net)) < 0 ||
	    (persistent = virNetworkIsPersistent(net)) < 0) {
		kvm_lverr(err, errlen, "network %s: state", network);
		return -1;
	}
	if (active)
		flags |= VIR_NETWORK_UPDATE_AFFECT_LIVE;
	if (persistent)
		flags |= VIR_NETWORK_UPDATE_AFFECT_CONFIG;
	if ((xml = host_xml(h)) == NULL) {
		kvm_err(err, errlen, "network %s: out of memory", network);
		return -1;
	}
	/* parentIndex -1: libvirt picks the first <ip> with a <dhcp> */
	if (virNetworkUpdate(net, cmd, VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
	    xml, flags) < 0)
		kvm_lverr(err, errlen, "network %s: %s DHCP host %s", network,
		    step, h->mac);
	else
		ret = 0;
	free(xml);
	return ret;
}

int
kvm_dhcp_host_add(struct kvm *k, const char *network,
    const struct kvm_dhcp_host *h, char *err, size_t errlen)
{
	virNetworkPtr net;
	struct kvm_dhcp_host cur;
	unsigned char a[4];
	int rc, ret = -1;

	if (!mac_ok(h->mac) || inet_pton(AF_INET, h->ip, a) != 1 ||
	    !name_ok(h->name)) {
		kvm_err(err, errlen, "network %s: bad DHCP host mac='%.18s' "
		    "ip='%.46s' name='%.64s'", network ? network : "", h->mac,
		    h->ip, h->name);
		return -1;
	}
	if ((net = net_get(k, network, err, errlen)) == NULL)
		return -1;
	if ((rc = dhcp_find(net, network, h->mac, &cur, err, errlen)) < 0)
		goto out;
	if (rc == 1) {
		if (strcmp(cur.ip, h->ip) == 0 && strcmp(cur.name, h->name) == 0)
			ret = 0;	/* already there */
		else
			kvm_err(err, errlen, "network %s: %s is already "
			    "reserved for ip='%s' name='%s'", network, cur.mac,
			    cur.ip, cur.name);
		goto out;
	}
	ret = dhcp_update(net, network, VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, h,
	    "add", err, errlen);
 out:
	virNetworkFree(net);
	return ret;
}

int
kvm_dhcp_host_del(struct kvm *k, const char *network,
    const struct kvm_dhcp_host *h, char *err, size_t errlen)
{
	virNetworkPtr net;
	struct kvm_dhcp_host cur;
	int rc, ret = -1;

	if (!mac_ok(h->mac)) {
		kvm_err(err, errlen, "network %s: bad MAC address '%.18s'",
		    network ? network : "", h->mac);
		return -1;
	}
	if ((net = net_get(k, network, err, errlen)) == NULL)
		return -1;
	if ((rc = dhcp_find(net, network, h->mac, &cur, err, errlen)) <= 0) {
		ret = rc;		/* none: nothing to delete */
		goto out;
	}
	if (h->ip[0] != '\0' && strcmp(cur.ip, h->ip) != 0) {
		kvm_err(err, errlen, "network %s: %s is reserved for %s, not %s",
		    network, cur.mac, cur.ip, h->ip);
		goto out;
	}
	/* delete exactly the entry found: libvirt matches every attribute */
	ret = dhcp_update(net, network, VIR_NETWORK_UPDATE_COMMAND_DELETE, &cur,
	    "delete", err, errlen);
 out:
	virNetworkFree(net);
	return ret;
}

/* Add s to out[] unless there already; 0, or -1 when out of memory. */
static int
addr_add(char **out, int max, int *n, const char *s)
{
	int i;

	if (s == NULL || *n >= max)
		return 0;
	for (i = 0; i < *n; i++)
		if (strcmp(out[i], s) == 0)
			return 0;
	if ((out[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

static int
from_leases(struct kvm *k, const char *network, const char *mac, char **out,
    int max, int *n)
{
	virNetworkPtr net;
	virNetworkDHCPLeasePtr *leases = NULL;
	int i, cnt, ret = 0;

	if ((net = virNetworkLookupByName(k->conn, network)) == NULL)
		return 0;
	cnt = virNetworkGetDHCPLeases(net, mac, &leases, 0);
	for (i = 0; i < cnt; i++) {
		if (ret == 0 && addr_add(out, max, n, leases[i]->ipaddr) < 0)
			ret = -1;
		virNetworkDHCPLeaseFree(leases[i]);
	}
	free(leases);
	virNetworkFree(net);
	return ret;
}

static int
from_domain(virDomainPtr dom, unsigned int source, const char *mac,
    char **out, int max, int *n)
{
	virDomainInterfacePtr *ifs = NULL;
	unsigned int j;
	int i, cnt, ret = 0;

	cnt = virDomainInterfaceAddresses(dom, &ifs, source, 0);
	for (i = 0; i < cnt; i++) {
		/* the guest's loopback is nobody's address */
		if ((mac != NULL && (ifs[i]->hwaddr == NULL ||
		    strcasecmp(ifs[i]->hwaddr, mac) != 0)) ||
		    (ifs[i]->name != NULL && strcmp(ifs[i]->name, "lo") == 0)) {
			virDomainInterfaceFree(ifs[i]);
			continue;
		}
		for (j = 0; j < ifs[i]->naddrs && ret == 0; j++)
			if (addr_add(out, max, n, ifs[i]->addrs[j].addr) < 0)
				ret = -1;
		virDomainInterfaceFree(ifs[i]);
	}
	free(ifs);
	return ret;
}

/* The networks of the domain's type='network' interfaces with mac (any if NULL). */
static int
dom_networks(virDomainPtr dom, const char *mac, char ***nets, size_t *nnets)
{
	xmlDocPtr doc;
	xmlXPathContextPtr xp = NULL;
	xmlNodePtr *ifs = NULL;
	char *xml, *m, *net;
	size_t i, n;

	*nets = NULL;
	*nnets = 0;
	if ((xml = virDomainGetXMLDesc(dom, 0)) == NULL)
		return -1;
	doc = kvm_xml_parse(xml, "domain XML", "domain", NULL, 0);
	free(xml);
	if (doc == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) != NULL)
		ifs = kvm_xml_nodes(xp, NULL,
		    "/domain/devices/interface[@type='network']", &n);
	if (ifs != NULL && (*nets = calloc(n, sizeof(**nets))) != NULL) {
		for (i = 0; i < n; i++) {
			m = kvm_xml_prop(kvm_xml_child(ifs[i], "mac"),
			    "address");
			net = kvm_xml_prop(kvm_xml_child(ifs[i], "source"),
			    "network");
			if (net != NULL && (mac == NULL ||
			    (m != NULL && strcasecmp(m, mac) == 0)))
				(*nets)[(*nnets)++] = net;
			else
				free(net);
			free(m);
		}
	}
	free(ifs);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return 0;
}

int
kvm_guest_addresses(struct kvm *k, const char *name, const char *mac,
    char **out, int max, char *err, size_t errlen)
{
	virDomainPtr dom;
	char **nets = NULL;
	size_t i, nnets = 0;
	int n = 0, rc = 0;

	if (max <= 0)
		return 0;
	if (mac != NULL && !mac_ok(mac)) {
		kvm_err(err, errlen, "%s: bad MAC address '%s'",
		    name ? name : "", mac);
		return -1;
	}
	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	/* every source is optional: an error only means "no answer here" */
	if (dom_networks(dom, mac, &nets, &nnets) == 0)
		for (i = 0; i < nnets && rc == 0; i++)
			rc = from_leases(k, nets[i], mac, out, max, &n);
	if (rc == 0 && n == 0)
		rc = from_domain(dom, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
		    mac, out, max, &n);
	if (rc == 0 && n == 0)
		rc = from_domain(dom, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
		    mac, out, max, &n);
	virResetLastError();
	for (i = 0; i < nnets; i++)
		free(nets[i]);
	free(nets);
	virDomainFree(dom);
	if (rc < 0) {
		while (n > 0)
			free(out[--n]);
		kvm_err(err, errlen, "%s: addresses: out of memory", name);
		return -1;
	}
	return n;
}

int
kvm_network_create_isolated(struct kvm *k, const char *name,
    const char *bridge, char *err, size_t errlen)
{
	virNetworkPtr net;
	char xml[512];

	/* names come from vmgw itself: letters, digits and '-' */
	if (snprintf(xml, sizeof(xml), "<network>\n  <name>%s</name>\n"
	    "  <bridge name='%s' stp='off' delay='0'/>\n</network>\n", name,
	    bridge) >= (int)sizeof(xml)) {
		kvm_err(err, errlen, "network %s: name too long", name);
		return -1;
	}
	if ((net = virNetworkCreateXML(k->conn, xml)) == NULL) {
		kvm_lverr(err, errlen, "network %s: create", name);
		return -1;
	}
	virNetworkFree(net);
	return 0;
}

int
kvm_network_destroy(struct kvm *k, const char *name, char *err,
    size_t errlen)
{
	virNetworkPtr net;
	int persistent, ret = -1;

	if ((net = virNetworkLookupByName(k->conn, name)) == NULL) {
		if (kvm_lerr_code() == VIR_ERR_NO_NETWORK)
			return 0;
		kvm_lverr(err, errlen, "network %s: lookup", name);
		return -1;
	}
	if ((persistent = virNetworkIsPersistent(net)) != 0) {
		/* vmgw makes transient ones only: a persistent one is not ours */
		kvm_err(err, errlen, "network %s: persistent: not made by vmgw, "
		    "kept", name);
		goto out;
	}
	if (virNetworkDestroy(net) < 0 && kvm_lerr_code() != VIR_ERR_NO_NETWORK) {
		kvm_lverr(err, errlen, "network %s: destroy", name);
		goto out;
	}
	ret = 0;
 out:
	virNetworkFree(net);
	return ret;
}

int
kvm_network_bridge(struct kvm *k, const char *name, char *bridge,
    size_t bridgelen, char *err, size_t errlen)
{
	virNetworkPtr net;
	char *b;

	bridge[0] = '\0';
	if (kvm_network_exists(k, name, err, errlen) == -1)
		return -1;
	if ((net = virNetworkLookupByName(k->conn, name)) == NULL) {
		kvm_lverr(err, errlen, "network %s: lookup", name);
		return -1;
	}
	b = virNetworkGetBridgeName(net);
	virNetworkFree(net);
	if (b == NULL) {
		kvm_lverr(err, errlen, "network %s: no bridge", name);
		return -1;
	}
	snprintf(bridge, bridgelen, "%s", b);
	free(b);
	return 0;
}
