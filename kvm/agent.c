/*
 * agent.c - the guest agent for disaster recovery: freeze and thaw the
 * guest's filesystems around a backup start (an app-consistent point), and
 * whether the agent's channel is connected (the live domain XML's
 * <channel><target state=...>, no agent round trip, no libvirt-qemu).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_int.h"
#include "kvm_backup.h"

#define AGENT_PORT	"org.qemu.guest_agent.0"

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
