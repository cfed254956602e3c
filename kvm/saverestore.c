/*
 * saverestore.c - a guest paused, its memory and device state saved to a
 * file, and restored from one (the replicated move, issue 10 item 1).
 */
#include <stdlib.h>
#include <string.h>

#include "kvm_int.h"

int
kvm_domain_suspend(struct kvm *k, const char *name, char *err, size_t errlen)
{
	virDomainPtr	dom;
	int		ret = 0;

	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	if (virDomainSuspend(dom) < 0) {
		kvm_lverr(err, errlen, "%s: pause", name);
		ret = -1;
	}
	virDomainFree(dom);
	return ret;
}

int
kvm_domain_resume(struct kvm *k, const char *name, char *err, size_t errlen)
{
	virDomainPtr	dom;
	int		ret = 0;

	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	if (virDomainResume(dom) < 0) {
		kvm_lverr(err, errlen, "%s: resume", name);
		ret = -1;
	}
	virDomainFree(dom);
	return ret;
}

int
kvm_domain_save(struct kvm *k, const char *name, const char *file,
    char *err, size_t errlen)
{
	virDomainPtr	dom;
	int		ret = 0;

	if ((dom = kvm_dom_get(k, name, err, errlen)) == NULL)
		return -1;
	/* the guest stops; restored, it is paused unless asked otherwise */
	if (virDomainSaveFlags(dom, file, NULL, VIR_DOMAIN_SAVE_PAUSED) < 0) {
		kvm_lverr(err, errlen, "%s: save its state to %s", name, file);
		ret = -1;
	}
	virDomainFree(dom);
	return ret;
}

int
kvm_domain_restore(struct kvm *k, const char *file, const char *xml,
    int paused, char *err, size_t errlen)
{
	if (virDomainRestoreFlags(k->conn, file, xml, paused ?
	    VIR_DOMAIN_SAVE_PAUSED : VIR_DOMAIN_SAVE_RUNNING) < 0) {
		kvm_lverr(err, errlen, "restore from %s", file);
		return -1;
	}
	return 0;
}
