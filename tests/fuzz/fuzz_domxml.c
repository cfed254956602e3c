/*
 * fuzz_domxml.c - a domain XML from the other gateway (kvm/xml.c, libxml2):
 * the "xml" of a job-prepare or a dr-begin is what the destination defines
 * and what a backup site later copies for a failover test or a clone.  The
 * input goes, as one NUL-terminated string, through every pure reader and
 * rewriter of it: kvm_xml_disks, kvm_xml_networks, kvm_xml_rewrite,
 * kvm_xml_test_copy and kvm_xml_clone, with mappings like a site's.
 *
 * Checks: each returns 0 with a result or -1 with none and a message; what
 * a rewrite, test copy or clone makes is a domain XML the readers take
 * again; a test copy and a clone keep no disk file outside their maps and carry the
 * name they were given.
 */
#include <string.h>

#include "kvm.h"
#include "fuzz.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static const struct vmgw_map nets[] = {
	{ "default", "lan-b" },
	{ "backend", "backend-b" },
};
static const struct vmgw_map stor[] = {
	{ "/var/lib/libvirt", "/srv/a" },
	{ "/var/lib/libvirt/images", "/srv/b" },
	{ "/data/fast/", "/ssd/" },
};
static const struct vmgw_map disks[] = {	/* target -> overlay / image */
	{ "vda", "/srv/dr/web1/test/vda.qcow2" },
	{ "vdb", "/srv/dr/web1/test/vdb.qcow2" },
	{ "sda", "/srv/dr/web1/test/sda.qcow2" },
};

/* Every file disk of xml is one of the map's targets with its file:
 * a copy never opens an image of the original. */
static void
check_disks_in(const char *xml, const struct vmgw_map *map, size_t n)
{
	struct kvm_xml_disk	*d = NULL;
	char			 err[512];
	size_t			 nd = 0, i, k;

	FUZZ_CHECK(kvm_xml_disks(xml, &d, &nd, err, sizeof(err)) == 0);
	for (i = 0; i < nd; i++) {
		FUZZ_CHECK(d[i].target != NULL && d[i].path != NULL);
		for (k = 0; k < n; k++) {
			if (strcmp(d[i].target, map[k].from) == 0 &&
			    strcmp(d[i].path, map[k].to) == 0)
				break;
		}
		FUZZ_CHECK(k < n);
	}
	kvm_xml_disks_free(d, nd);
}

static void
check_name(const char *xml, const char *name)
{
	char	 want[64];

	snprintf(want, sizeof(want), "<name>%s</name>", name);
	FUZZ_CHECK(strstr(xml, want) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvm_xml_disk	*d = NULL;
	char			*xml, *out, err[512], **nv = NULL;
	size_t			 nd = 0, nn = 0;
	int			 r, used = 0;

	if ((xml = malloc(size + 1)) == NULL)
		return 0;
	memcpy(xml, data, size);
	xml[size] = '\0';

	err[0] = '\0';
	r = kvm_xml_disks(xml, &d, &nd, err, sizeof(err));
	FUZZ_CHECK(r == 0 || (r == -1 && d == NULL && err[0] != '\0'));
	kvm_xml_disks_free(d, nd);

	err[0] = '\0';
	r = kvm_xml_networks(xml, &nv, &nn, err, sizeof(err));
	FUZZ_CHECK(r == 0 || (r == -1 && nv == NULL && err[0] != '\0'));
	kvm_xml_strings_free(nv, nn);

	out = (char *)1;
	err[0] = '\0';
	r = kvm_xml_rewrite(xml, nets, nitems(nets), stor, nitems(stor), &out,
	    err, sizeof(err));
	FUZZ_CHECK((r == 0 && out != NULL) || (r == -1 && out == NULL &&
	    err[0] != '\0'));
	if (r == 0) {
		struct kvm_xml_disk *d2 = NULL;
		size_t n2 = 0;

		FUZZ_CHECK(kvm_xml_disks(out, &d2, &n2, err, sizeof(err)) ==
		    0);
		kvm_xml_disks_free(d2, n2);
	}
	free(r == 0 ? out : NULL);

	out = (char *)1;
	err[0] = '\0';
	r = kvm_xml_test_copy(xml, "web1-test", disks, nitems(disks), nets,
	    nitems(nets), "vmgw-isolated", &used, &out, err, sizeof(err));
	FUZZ_CHECK((r == 0 && out != NULL) || (r == -1 && out == NULL &&
	    err[0] != '\0'));
	if (r == 0) {
		check_disks_in(out, disks, nitems(disks));
		check_name(out, "web1-test");
	}
	free(r == 0 ? out : NULL);

	out = (char *)1;
	err[0] = '\0';
	r = kvm_xml_clone(xml, "web1-dev", disks, nitems(disks), "lan-b", &out,
	    err, sizeof(err));
	FUZZ_CHECK((r == 0 && out != NULL) || (r == -1 && out == NULL &&
	    err[0] != '\0'));
	if (r == 0) {
		check_disks_in(out, disks, nitems(disks));
		check_name(out, "web1-dev");
	}
	free(r == 0 ? out : NULL);
	free(xml);
	return 0;
}
