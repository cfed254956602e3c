/*
 * test_kvm_test_driver.c - kvm/ against libvirt's in-process test driver
 * (test:///default): open, inspect the driver's "test" domain (state,
 * disks, NICs, memory, vcpus), lookups by name and UUID, an unknown domain
 * named in the error, define / undefine / remove, the default pool and its
 * volumes (create, info, delete, refusals), networks and DHCP host
 * reservations, guest addresses, lifecycle events, and workers on their
 * own connections at the same time.
 *
 * test:///default keeps one shared state while any connection to it is
 * open; the group setup holds one open for all tests, so their changes
 * build on each other in the order listed in main().
 *
 * What the test driver cannot do (libvirt 9.0: "this function is not
 * supported by the connection driver"), so only the error path is checked
 * here: virStorageVolDownload / Upload (kvm_volume_download_fd / upload_fd),
 * virDomainGetJobStats, virDomainAbortJob, virDomainMigrateSetMaxDowntime,
 * virNetworkGetDHCPLeases (kvm_guest_addresses falls back to the agent
 * source, which the driver fakes), and migration itself.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>

#include "kvm.h"

#define URI		"test:///default"
#define TEST_UUID	"6695eb01-f6a4-8304-79aa-97f2502e193f"
#define TEST_MAC	"aa:bb:cc:dd:ee:ff"
#define POOL_DIR	"/default-pool"

static struct kvm *K;		/* held open by the group */

#define assert_err(err, frag) do {					\
	if (strstr((err), (frag)) == NULL)				\
		fail_msg("error '%s' lacks '%s'", (err), (frag));	\
} while (0)

static int
group_setup(void **state)
{
	char err[512];

	if (kvm_open(&K, URI, err, sizeof(err)) != 0) {
		fprintf(stderr, "kvm_open %s: %s\n", URI, err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	kvm_close(K);
	K = NULL;
	return 0;
}

static void
test_open(void **state)
{
	struct kvm *k = (struct kvm *)0x1;
	char err[512] = "";

	assert_int_equal(kvm_alive(K), 1);
	assert_int_equal(kvm_open(&k, "nosuchdriver:///x", err, sizeof(err)),
	    -1);
	assert_null(k);
	assert_err(err, "nosuchdriver:///x: connect: ");
	kvm_close(NULL);
	assert_int_equal(kvm_alive(NULL), 0);
}

static void
test_inspect(void **state)
{
	struct kvm_domain_info *info = NULL;
	char err[512];

	if (kvm_domain_inspect(K, "test", &info, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(info->name, "test");
	assert_string_equal(info->uuid, TEST_UUID);
	assert_int_equal(info->state, VIR_DOMAIN_RUNNING);
	assert_string_equal(info->state_str, "running");
	assert_int_equal(info->persistent, 1);
	assert_string_equal(info->virt_type, "test");
	assert_null(info->cpu_model);
	assert_int_equal(info->memory_kib, 8388608);
	assert_int_equal(info->vcpus, 2);
	assert_non_null(info->xml);
	assert_non_null(strstr(info->xml, "<name>test</name>"));

	assert_int_equal(info->n_disks, 1);
	assert_string_equal(info->disks[0].target, "vda");
	assert_string_equal(info->disks[0].path, "/guest/diskimage1");
	assert_string_equal(info->disks[0].device, "disk");
	assert_null(info->disks[0].format);	/* no <driver type> */
	assert_int_equal(info->disks[0].is_file, 1);
	assert_int_equal(info->disks[0].readonly, 0);
	assert_int_equal(info->disks[0].shareable, 0);
	/* the test driver's virDomainGetBlockInfo answers fixed figures */
	assert_true(info->disks[0].capacity > 0);
	assert_true(info->disks[0].allocation > 0);

	assert_int_equal(info->n_nics, 1);
	assert_string_equal(info->nics[0].mac, TEST_MAC);
	assert_string_equal(info->nics[0].type, "network");
	assert_string_equal(info->nics[0].source, "default");
	assert_null(info->nics[0].model);
	kvm_domain_info_free(info);
	kvm_domain_info_free(NULL);
}

static void
test_unknown_domain(void **state)
{
	struct kvm_domain_info *info = (void *)0x1;
	char err[512] = "";
	int st = 0, rs = 0;

	assert_int_equal(kvm_domain_inspect(K, "nosuch-web9", &info, err,
	    sizeof(err)), -1);
	assert_null(info);
	assert_err(err, "nosuch-web9: no such domain on test:///default");
	assert_int_equal(kvm_domain_state(K, "nosuch-web9", &st, &rs, err,
	    sizeof(err)), -1);
	assert_err(err, "nosuch-web9");
	assert_int_equal(kvm_domain_undefine(K, "nosuch-web9", err,
	    sizeof(err)), -1);
	assert_err(err, "nosuch-web9");
	/* removing what is not there is done already */
	assert_int_equal(kvm_domain_remove(K, "nosuch-web9", err, sizeof(err)),
	    0);
}

static void
test_exists_state(void **state)
{
	char err[512], found[64];
	int st = -1, rs = -1;

	assert_int_equal(kvm_domain_exists(K, "test", NULL, found,
	    sizeof(found), err, sizeof(err)), 1);
	assert_string_equal(found, "test");
	found[0] = 'x';
	assert_int_equal(kvm_domain_exists(K, NULL, TEST_UUID, found,
	    sizeof(found), err, sizeof(err)), 1);
	assert_string_equal(found, "test");
	/* name absent, uuid present: found by uuid */
	assert_int_equal(kvm_domain_exists(K, "other", TEST_UUID, found,
	    sizeof(found), err, sizeof(err)), 1);
	assert_string_equal(found, "test");
	assert_int_equal(kvm_domain_exists(K, "nope", NULL, found,
	    sizeof(found), err, sizeof(err)), 0);
	assert_string_equal(found, "");
	assert_int_equal(kvm_domain_exists(K, NULL,
	    "00000000-0000-4000-8000-000000000000", NULL, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(kvm_domain_exists(K, NULL, "not-a-uuid", NULL, 0, err,
	    sizeof(err)), -1);
	assert_err(err, "uuid not-a-uuid: lookup: ");
	assert_int_equal(kvm_domain_state(K, "test", &st, &rs, err,
	    sizeof(err)), 0);
	assert_int_equal(st, VIR_DOMAIN_RUNNING);
}

#define NEWDOM \
	"<domain type='test'><name>vmgw-t1</name>" \
	"<uuid>5a5a0000-0000-4000-8000-0000000000c1</uuid>" \
	"<memory unit='MiB'>64</memory><vcpu current='1'>2</vcpu>" \
	"<os><type arch='i686'>hvm</type></os>" \
	"<cpu mode='host-passthrough'/>" \
	"<devices><disk type='file' device='cdrom'>" \
	"<source file='/isos/none.iso'/><target dev='hdc'/><readonly/></disk>" \
	"<interface type='bridge'><mac address='52:54:00:aa:00:01'/>" \
	"<source bridge='br9'/><model type='virtio'/></interface>" \
	"</devices></domain>"

static void
test_define_remove(void **state)
{
	struct kvm_domain_info *info = NULL;
	char err[512];

	if (kvm_domain_define(K, NEWDOM, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (kvm_domain_inspect(K, "vmgw-t1", &info, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(info->state, VIR_DOMAIN_SHUTOFF);
	assert_string_equal(info->state_str, "shut off");
	assert_int_equal(info->memory_kib, 65536);
	assert_int_equal(info->vcpus, 1);
	assert_string_equal(info->cpu_model, "host-passthrough");
	assert_int_equal(info->n_disks, 1);
	/* a cdrom is never copied; its missing file is not an error */
	assert_int_equal(info->disks[0].readonly, 1);
	assert_string_equal(info->disks[0].device, "cdrom");
	assert_int_equal(info->n_nics, 1);
	assert_string_equal(info->nics[0].type, "bridge");
	assert_string_equal(info->nics[0].source, "br9");
	assert_string_equal(info->nics[0].model, "virtio");
	kvm_domain_info_free(info);

	/* defining garbage is refused before libvirt, with the line */
	assert_int_equal(kvm_domain_define(K, "<domain><name>x</domain>", err,
	    sizeof(err)), -1);
	assert_err(err, "define: domain XML: line 1:");
	/* libvirt's own refusal names the domain */
	assert_int_equal(kvm_domain_define(K, "<domain type='test'><name>"
	    "vmgw-bad</name></domain>", err, sizeof(err)), -1);
	assert_err(err, "vmgw-bad: define: ");

	assert_int_equal(kvm_domain_remove(K, "vmgw-t1", err, sizeof(err)), 0);
	assert_int_equal(kvm_domain_exists(K, "vmgw-t1", NULL, NULL, 0, err,
	    sizeof(err)), 0);
	/* define + undefine */
	assert_int_equal(kvm_domain_define(K, NEWDOM, err, sizeof(err)), 0);
	assert_int_equal(kvm_domain_undefine(K, "vmgw-t1", err, sizeof(err)),
	    0);
	assert_int_equal(kvm_domain_exists(K, "vmgw-t1", NULL, NULL, 0, err,
	    sizeof(err)), 0);
}

static void
test_rewrite_then_define(void **state)
{
	static const struct vmgw_map nets[] = { { "default", "default" } };
	static const struct vmgw_map stor[] = { { "/guest", "/guest-b" } };
	struct kvm_domain_info *info = NULL;
	char err[512], *xml = NULL, *p;

	/* the inspected XML rewrites and is accepted by libvirt */
	if (kvm_domain_inspect(K, "test", &info, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (kvm_xml_rewrite(info->xml, nets, 1, stor, 1, &xml, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(strstr(xml, "/guest-b/diskimage1"));
	/* a copy under another name and uuid */
	assert_non_null(p = strstr(xml, "<name>test</name>"));
	memcpy(p, "<name>tst2</name>", 17);
	assert_non_null(p = strstr(xml, TEST_UUID));
	memcpy(p, "6695eb01-f6a4-8304-79aa-97f2502e1940", 36);
	if (kvm_domain_define(K, xml, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(kvm_domain_remove(K, "tst2", err, sizeof(err)), 0);
	free(xml);
	kvm_domain_info_free(info);
}

static void
test_pool_for_path(void **state)
{
	char err[512], pool[64];
	uint64_t avail = 0;

	if (kvm_pool_for_path(K, POOL_DIR "/web1.qcow2", pool, sizeof(pool),
	    &avail, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(pool, "default-pool");
	assert_true(avail > 0);
	assert_int_equal(kvm_pool_for_path(K, "/nowhere/web1.qcow2", pool,
	    sizeof(pool), &avail, err, sizeof(err)), -1);
	assert_string_equal(err, "/nowhere/web1.qcow2: no active storage pool "
	    "has /nowhere as its target path");
	/* sub-directories of a pool are not the pool */
	assert_int_equal(kvm_pool_for_path(K, POOL_DIR "/sub/x.img", pool,
	    sizeof(pool), &avail, err, sizeof(err)), -1);
	assert_err(err, "no active storage pool has /default-pool/sub");
	assert_int_equal(kvm_pool_for_path(K, POOL_DIR "/../etc/x", pool,
	    sizeof(pool), &avail, err, sizeof(err)), -1);
	assert_err(err, "not a canonical absolute path");
	/* a pool name that does not fit is an error, not a truncation */
	assert_int_equal(kvm_pool_for_path(K, POOL_DIR "/a", pool, 4, &avail,
	    err, sizeof(err)), -1);
	assert_err(err, "too long");
}

static void
test_volumes(void **state)
{
	const char *path = POOL_DIR "/vmgw-t.qcow2";
	char err[512], fmt[16];
	uint64_t cap = 0, alloc = 0, bytes = 1;
	int fd;

	if (kvm_volume_create(K, path, "qcow2", 1 << 20, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (kvm_volume_info(K, path, &cap, &alloc, fmt, sizeof(fmt), err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(cap, 1 << 20);
	assert_string_equal(fmt, "qcow2");
	assert_int_equal(kvm_volume_create(K, path, "qcow2", 1 << 20, err,
	    sizeof(err)), -1);
	assert_string_equal(err, POOL_DIR "/vmgw-t.qcow2: volume already "
	    "exists in pool default-pool");

	/* the test driver has no volume streams: the error names the path */
	fd = open("/dev/null", O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(kvm_volume_download_fd(K, path, fd, &bytes, err,
	    sizeof(err)), -1);
	assert_int_equal(bytes, 0);
	assert_err(err, POOL_DIR "/vmgw-t.qcow2: download: ");
	close(fd);

	assert_int_equal(kvm_volume_delete(K, path, err, sizeof(err)), 0);
	assert_int_equal(kvm_volume_delete(K, path, err, sizeof(err)), 0);
	assert_int_equal(kvm_volume_info(K, path, &cap, &alloc, fmt,
	    sizeof(fmt), err, sizeof(err)), -1);
	assert_string_equal(err, POOL_DIR "/vmgw-t.qcow2: no such volume");

	/* raw, and names libxml2 must escape */
	if (kvm_volume_create(K, POOL_DIR "/a&b<c>'.img", NULL, 4096, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(kvm_volume_info(K, POOL_DIR "/a&b<c>'.img", &cap,
	    NULL, fmt, sizeof(fmt), err, sizeof(err)), 0);
	assert_string_equal(fmt, "raw");
	assert_int_equal(kvm_volume_delete(K, POOL_DIR "/a&b<c>'.img", err,
	    sizeof(err)), 0);

	/* refusals */
	assert_int_equal(kvm_volume_create(K, path, "qcow2'/><x", 1, err,
	    sizeof(err)), -1);
	assert_err(err, "bad volume format");
	assert_int_equal(kvm_volume_create(K, "/nowhere/x.img", "raw", 1, err,
	    sizeof(err)), -1);
	assert_err(err, "/nowhere/x.img: no active storage pool has /nowhere");
	assert_int_equal(kvm_volume_delete(K, "/nowhere/x.img", err,
	    sizeof(err)), -1);
	assert_int_equal(kvm_volume_create(K, "relative.img", "raw", 1, err,
	    sizeof(err)), -1);
	assert_err(err, "relative.img: not a canonical absolute path");
}

static void
test_networks(void **state)
{
	char err[512];

	assert_int_equal(kvm_network_exists(K, "default", err, sizeof(err)), 0);
	assert_int_equal(kvm_network_exists(K, "nosuchnet", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "network nosuchnet: not defined on "
	    "test:///default");
}

static void
test_dhcp_hosts(void **state)
{
	struct kvm_dhcp_host h = { "52:54:00:99:01:0a", "192.168.122.50",
	    "web1" }, got, other = h;
	char err[512];

	assert_int_equal(kvm_dhcp_host_get(K, "default", h.mac, &got, err,
	    sizeof(err)), 0);
	if (kvm_dhcp_host_add(K, "default", &h, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(kvm_dhcp_host_get(K, "default", "52:54:00:99:01:0A",
	    &got, err, sizeof(err)), 1);
	assert_string_equal(got.mac, "52:54:00:99:01:0a");
	assert_string_equal(got.ip, "192.168.122.50");
	assert_string_equal(got.name, "web1");
	/* the same again: done already */
	assert_int_equal(kvm_dhcp_host_add(K, "default", &h, err, sizeof(err)),
	    0);
	/* another address for the same MAC: refused, not replaced */
	snprintf(other.ip, sizeof(other.ip), "192.168.122.51");
	assert_int_equal(kvm_dhcp_host_add(K, "default", &other, err,
	    sizeof(err)), -1);
	assert_err(err, "network default: 52:54:00:99:01:0a is already "
	    "reserved for ip='192.168.122.50'");
	assert_int_equal(kvm_dhcp_host_del(K, "default", &other, err,
	    sizeof(err)), -1);
	assert_err(err, "is reserved for 192.168.122.50, not 192.168.122.51");
	/* bad input never reaches libvirt */
	snprintf(other.ip, sizeof(other.ip), "192.168.122.300");
	assert_int_equal(kvm_dhcp_host_add(K, "default", &other, err,
	    sizeof(err)), -1);
	assert_err(err, "bad DHCP host");
	snprintf(other.ip, sizeof(other.ip), "192.168.122.52");
	snprintf(other.name, sizeof(other.name), "a'b");
	assert_int_equal(kvm_dhcp_host_add(K, "default", &other, err,
	    sizeof(err)), -1);
	assert_int_equal(kvm_dhcp_host_get(K, "default", "52:54:00:99:01",
	    &got, err, sizeof(err)), -1);
	assert_err(err, "bad MAC address");
	assert_int_equal(kvm_dhcp_host_get(K, "nosuchnet", h.mac, &got, err,
	    sizeof(err)), -1);
	assert_err(err, "network nosuchnet: lookup: ");

	/* delete: then gone; again: nothing to do */
	if (kvm_dhcp_host_del(K, "default", &h, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(kvm_dhcp_host_get(K, "default", h.mac, &got, err,
	    sizeof(err)), 0);
	assert_int_equal(kvm_dhcp_host_del(K, "default", &h, err, sizeof(err)),
	    0);
	/* without a name, and deleted with ip "" (any) */
	other = (struct kvm_dhcp_host){ "52:54:00:99:01:0b", "192.168.122.53",
	    "" };
	assert_int_equal(kvm_dhcp_host_add(K, "default", &other, err,
	    sizeof(err)), 0);
	other.ip[0] = '\0';
	assert_int_equal(kvm_dhcp_host_del(K, "default", &other, err,
	    sizeof(err)), 0);
	assert_int_equal(kvm_dhcp_host_get(K, "default", other.mac, &got, err,
	    sizeof(err)), 0);
}

static void
test_guest_addresses(void **state)
{
	char err[512], *addr[4];
	int n, i;

	/* no leases in the test driver: the (fake) agent answers */
	n = kvm_guest_addresses(K, "test", TEST_MAC, addr, 4, err, sizeof(err));
	if (n < 0)
		fail_msg("%s", err);
	assert_int_equal(n, 1);
	assert_string_equal(addr[0], "192.168.122.3");
	for (i = 0; i < n; i++)
		free(addr[i]);
	n = kvm_guest_addresses(K, "test", "52:54:00:00:00:99", addr, 4, err,
	    sizeof(err));
	assert_int_equal(n, 0);
	assert_int_equal(kvm_guest_addresses(K, "nosuch", TEST_MAC, addr, 4,
	    err, sizeof(err)), -1);
	assert_err(err, "nosuch: no such domain");
}

static void
test_migration_paths(void **state)
{
	static const char *const disks[] = { "vda", "vdb", NULL };
	static const char *const none[] = { NULL };
	struct kvm_migrate_opts o;
	struct kvm_job_stats js;
	unsigned int f;
	char err[512];

	memset(&o, 0, sizeof(o));
	o.dest_uri = "test:///default";
	o.live = 0;
	assert_int_equal(kvm_migrate(K, "test", &o, err, sizeof(err)), -1);
	assert_err(err, "test: migrate: an offline move");
	o.live = 1;
	o.dest_uri = NULL;
	assert_int_equal(kvm_migrate(K, "test", &o, err, sizeof(err)), -1);
	assert_err(err, "no destination URI");

	o.copy_disks = disks;
	o.parallel = 4;
	o.postcopy = 1;
	f = kvm_migrate_flags(&o);
	assert_int_equal(f, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER |
	    VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE |
	    VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_POSTCOPY |
	    VIR_MIGRATE_PARALLEL | VIR_MIGRATE_ABORT_ON_ERROR);
	o.copy_disks = none;
	o.parallel = 1;
	o.postcopy = 0;
	o.keep_source = 1;
	f = kvm_migrate_flags(&o);
	assert_int_equal(f, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER |
	    VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_ABORT_ON_ERROR);

	/* not in the test driver: errors that name the domain */
	assert_int_equal(kvm_job_stats(K, "test", 0, &js, err, sizeof(err)),
	    -1);
	assert_err(err, "test: job stats: ");
	assert_int_equal(kvm_job_abort(K, "test", err, sizeof(err)), -1);
	assert_err(err, "test: abort job: ");
	assert_int_equal(kvm_set_max_downtime(K, "test", 100, err,
	    sizeof(err)), -1);
	assert_err(err, "test: max downtime 100 ms: ");
	assert_int_equal(kvm_job_stats(K, "gone", 1, &js, err, sizeof(err)),
	    -1);
	assert_err(err, "gone: no such domain");
}

struct evlog {
	pthread_mutex_t	lock;
	pthread_cond_t	cond;
	int		defined, undefined;
	char		last[64];
};

static void
on_event(void *arg, const char *dom, const char *uuid, enum kvm_event event)
{
	struct evlog *l = arg;

	pthread_mutex_lock(&l->lock);
	if (dom != NULL && strcmp(dom, "vmgw-t1") == 0) {
		if (event == KVM_EV_DEFINED)
			l->defined++;
		if (event == KVM_EV_UNDEFINED)
			l->undefined++;
		snprintf(l->last, sizeof(l->last), "%s", uuid ? uuid : "");
	}
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static int
wait_for(struct evlog *l, int *counter)
{
	struct timespec until;
	int ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&l->lock);
	while (*counter == 0)
		if (pthread_cond_timedwait(&l->cond, &l->lock, &until) != 0)
			break;
	ok = *counter > 0;
	pthread_mutex_unlock(&l->lock);
	return ok;
}

static void
test_events(void **state)
{
	struct kvm_events *ev = NULL, *ev2 = NULL;
	struct evlog l = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	    0, 0, "" };
	struct evlog l2 = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	    0, 0, "" };
	char err[512];

	if (kvm_events_start(&ev, URI, on_event, &l, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (kvm_events_start(&ev2, URI, on_event, &l2, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(kvm_domain_define(K, NEWDOM, err, sizeof(err)), 0);
	assert_true(wait_for(&l, &l.defined));
	assert_true(wait_for(&l2, &l2.defined));
	assert_string_equal(l.last, "5a5a0000-0000-4000-8000-0000000000c1");
	/* one stops; the other keeps receiving on the shared loop */
	kvm_events_stop(ev2);
	assert_int_equal(kvm_domain_undefine(K, "vmgw-t1", err, sizeof(err)),
	    0);
	assert_true(wait_for(&l, &l.undefined));
	kvm_events_stop(ev);
	assert_int_equal(l2.undefined, 0);
	kvm_events_stop(NULL);

	/* start again after the loop thread ended */
	assert_int_equal(kvm_events_start(&ev, URI, on_event, &l, err,
	    sizeof(err)), 0);
	kvm_events_stop(ev);
	assert_int_equal(kvm_events_start(&ev, "nosuchdriver:///", on_event,
	    &l, err, sizeof(err)), -1);
	assert_null(ev);
	assert_err(err, "nosuchdriver:///: events: connect: ");
}

/* Workers, each with its own connection, at the same time. */
struct worker {
	pthread_t	t;
	int		id;
	int		failures;
	char		why[1024];
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct kvm *k = NULL;
	struct kvm_domain_info *info;
	char err[512], ghost[32], path[64];
	int i;

	if (kvm_open(&k, URI, err, sizeof(err)) != 0) {
		snprintf(w->why, sizeof(w->why), "open: %s", err);
		w->failures++;
		return NULL;
	}
	snprintf(ghost, sizeof(ghost), "ghost-%d", w->id);
	snprintf(path, sizeof(path), POOL_DIR "/w%d.img", w->id);
	for (i = 0; i < 40; i++) {
		if (kvm_domain_inspect(k, "test", &info, err, sizeof(err)) != 0 ||
		    info->n_disks != 1) {
			snprintf(w->why, sizeof(w->why), "inspect: %s", err);
			w->failures++;
		} else
			kvm_domain_info_free(info);
		/* errors are per thread: each sees its own name */
		if (kvm_domain_state(k, ghost, NULL, NULL, err,
		    sizeof(err)) != -1 || strstr(err, ghost) == NULL) {
			snprintf(w->why, sizeof(w->why), "state: %s", err);
			w->failures++;
		}
		if (kvm_volume_create(k, path, "raw", 4096, err,
		    sizeof(err)) != 0 ||
		    kvm_volume_delete(k, path, err, sizeof(err)) != 0) {
			snprintf(w->why, sizeof(w->why), "volume: %s", err);
			w->failures++;
		}
	}
	kvm_close(k);
	return NULL;
}

static void
test_workers(void **state)
{
	struct worker w[4];
	size_t i;

	for (i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = (int)i;
		assert_int_equal(pthread_create(&w[i].t, NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(w[i].t, NULL);
		if (w[i].failures)
			fail_msg("worker %zu: %d failures, last %s", i,
			    w[i].failures, w[i].why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_inspect),
		cmocka_unit_test(test_unknown_domain),
		cmocka_unit_test(test_exists_state),
		cmocka_unit_test(test_define_remove),
		cmocka_unit_test(test_rewrite_then_define),
		cmocka_unit_test(test_pool_for_path),
		cmocka_unit_test(test_volumes),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_dhcp_hosts),
		cmocka_unit_test(test_guest_addresses),
		cmocka_unit_test(test_migration_paths),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_workers),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
