/*
 * conn.c - the libvirt connection: one-time library setup, open and close,
 * the close callback, and the one error-reporting path of kvm/.
 *
 * libvirt prints every error on stderr unless told otherwise; we install a
 * silent handler process-wide (virSetErrorFunc) and per connection
 * (virConnSetErrorFunc) and take the text from virGetLastErrorMessage(),
 * which libvirt keeps per thread.  Each struct kvm holds its own connection,
 * so workers never share one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kvm_int.h"

static pthread_once_t	 lib_once = PTHREAD_ONCE_INIT;
static int		 lib_ok;

void
kvm_silent_error(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

static void
lib_setup(void)
{
	xmlInitParser();
	if (virInitialize() < 0)
		return;
	virSetErrorFunc(NULL, kvm_silent_error);
	lib_ok = 1;
}

int
kvm_lib_init(char *err, size_t errlen)
{
	pthread_once(&lib_once, lib_setup);
	if (!lib_ok) {
		kvm_err(err, errlen, "libvirt: initialisation failed");
		return -1;
	}
	return 0;
}

void
kvm_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
kvm_lverr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	size_t len;
	const char *msg;

	if (err == NULL || errlen == 0)
		return;
	msg = virGetLastErrorMessage();	/* static or per-thread: not freed */
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	len = strlen(err);
	if (len < errlen)
		snprintf(err + len, errlen - len, ": %s", msg ? msg : "unknown error");
}

int
kvm_lerr_code(void)
{
	return virGetLastErrorCode();
}

virDomainPtr
kvm_dom_get(struct kvm *k, const char *name, char *err, size_t errlen)
{
	virDomainPtr dom;

	if (name == NULL || *name == '\0') {
		kvm_err(err, errlen, "domain: no name given");
		return NULL;
	}
	if ((dom = virDomainLookupByName(k->conn, name)) == NULL) {
		if (kvm_lerr_code() == VIR_ERR_NO_DOMAIN)
			kvm_err(err, errlen, "%s: no such domain on %s", name,
			    k->uri);
		else
			kvm_lverr(err, errlen, "%s: lookup", name);
	}
	return dom;
}

/* Runs in the event loop thread, if one runs (kvm_events_start). */
static void
close_cb(virConnectPtr conn, int reason, void *arg)
{
	struct kvm *k = arg;

	(void)conn;
	k->close_reason = reason;
	k->closed = 1;
}

int
kvm_open(struct kvm **out, const char *uri, char *err, size_t errlen)
{
	struct kvm *k = NULL;
	int ret = -1;

	*out = NULL;
	if (kvm_lib_init(err, errlen) < 0)
		return -1;
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->uri = strdup(uri ? uri : "default URI")) == NULL) {
		kvm_err(err, errlen, "%s: out of memory", uri ? uri : "libvirt");
		goto out;
	}
	if ((k->conn = virConnectOpen(uri)) == NULL) {
		kvm_lverr(err, errlen, "%s: connect", k->uri);
		goto out;
	}
	virConnSetErrorFunc(k->conn, NULL, kvm_silent_error);
	if (uri == NULL) {		/* name the one libvirt chose */
		char *u = virConnectGetURI(k->conn);	/* caller frees */

		if (u != NULL) {
			free(k->uri);
			k->uri = u;
		}
	}
	/* Only remote drivers report closes; others say "not supported". */
	if (virConnectRegisterCloseCallback(k->conn, close_cb, k, NULL) == 0)
		k->close_cb = 1;
	else
		virResetLastError();
	*out = k;
	k = NULL;
	ret = 0;
 out:
	kvm_close(k);
	return ret;
}

void
kvm_close(struct kvm *k)
{
	if (k == NULL)
		return;
	if (k->conn != NULL) {
		if (k->close_cb)
			virConnectUnregisterCloseCallback(k->conn, close_cb);
		virConnectClose(k->conn);
	}
	free(k->uri);
	free(k);
}

int
kvm_alive(struct kvm *k)
{
	if (k == NULL || k->conn == NULL || k->closed)
		return 0;
	return virConnectIsAlive(k->conn) == 1;
}

_Static_assert((int)KVM_DOM_NOSTATE == (int)VIR_DOMAIN_NOSTATE &&
    (int)KVM_DOM_RUNNING == (int)VIR_DOMAIN_RUNNING &&
    (int)KVM_DOM_BLOCKED == (int)VIR_DOMAIN_BLOCKED &&
    (int)KVM_DOM_PAUSED == (int)VIR_DOMAIN_PAUSED &&
    (int)KVM_DOM_SHUTDOWN == (int)VIR_DOMAIN_SHUTDOWN &&
    (int)KVM_DOM_SHUTOFF == (int)VIR_DOMAIN_SHUTOFF &&
    (int)KVM_DOM_CRASHED == (int)VIR_DOMAIN_CRASHED &&
    (int)KVM_DOM_PMSUSPENDED == (int)VIR_DOMAIN_PMSUSPENDED,
    "enum kvm_dom_state keeps virDomainState's values");

const char *
kvm_state_name(int state)
{
	switch (state) {
	case VIR_DOMAIN_NOSTATE:	return "no state";
	case VIR_DOMAIN_RUNNING:	return "running";
	case VIR_DOMAIN_BLOCKED:	return "blocked";
	case VIR_DOMAIN_PAUSED:		return "paused";
	case VIR_DOMAIN_SHUTDOWN:	return "shutting down";
	case VIR_DOMAIN_SHUTOFF:	return "shut off";
	case VIR_DOMAIN_CRASHED:	return "crashed";
	case VIR_DOMAIN_PMSUSPENDED:	return "suspended";
	default:			return "unknown";
	}
}

/*
 * The UNIX socket of the libvirt daemon that uri reaches: its socket=
 * parameter, else the monolithic libvirtd's, else the modular QEMU
 * daemon's (where libvirt 9 puts them).
 */
void
kvm_daemon_socket(const char *uri, char *out, size_t len)
{
	const char	*s;
	struct stat	 st;

	if (uri != NULL && (s = strstr(uri, "socket=")) != NULL) {
		snprintf(out, len, "%s", s + 7);
		out[strcspn(out, "&")] = '\0';
	} else if (stat("/run/libvirt/libvirt-sock", &st) == 0)
		snprintf(out, len, "/run/libvirt/libvirt-sock");
	else
		snprintf(out, len, "/run/libvirt/virtqemud-sock");
}

int
kvm_caps_qemu_owner(const char *caps, long *uid, long *gid, char *err,
    size_t errlen)
{
	static const char *const types[] = { "kvm", "qemu" };
	xmlDocPtr		 doc;
	xmlXPathContextPtr	 xp;
	char			 expr[160], *label = NULL, *end;
	size_t			 i;
	int			 ret = 1;

	if ((doc = kvm_xml_parse(caps, "libvirt's capabilities",
	    "capabilities", err, errlen)) == NULL)
		return -1;
	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		kvm_err(err, errlen, "libvirt's capabilities: out of memory");
		xmlFreeDoc(doc);
		return -1;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]) && label == NULL;
	    i++) {
		snprintf(expr, sizeof(expr), "string(/capabilities/host/"
		    "secmodel[model='dac']/baselabel[@type='%s'])", types[i]);
		label = kvm_xml_str(xp, NULL, expr);
	}
	if (label != NULL) {
		/* "+64055:+64055" */
		errno = 0;
		*uid = strtol(label + (label[0] == '+'), &end, 10);
		if (errno != 0 || *end != ':' || *uid < 0 ||
		    end == label + (label[0] == '+'))
			ret = -1;
		else {
			const char *g = end + 1 + (end[1] == '+');

			*gid = strtol(g, &end, 10);
			ret = (errno != 0 || *end != '\0' || *gid < 0 ||
			    end == g) ? -1 : 0;
		}
		if (ret == -1)
			kvm_err(err, errlen, "libvirt's capabilities: DAC base "
			    "label '%.40s' is not +UID:+GID", label);
	}
	free(label);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return ret;
}

int
kvm_qemu_owner(struct kvm *k, long *uid, long *gid, char *err, size_t errlen)
{
	char	*caps;
	int	 rc;

	if ((caps = virConnectGetCapabilities(k->conn)) == NULL) {
		kvm_lverr(err, errlen, "%s: capabilities", k->uri);
		return -1;
	}
	rc = kvm_caps_qemu_owner(caps, uid, gid, err, errlen);
	free(caps);
	return rc;
}
