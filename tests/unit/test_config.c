/*
 * test_config.c - the YAML config: one complete file with every key, the
 * defaults of a minimal one, a table of bad files each with the exact
 * message it must produce, and the helpers (size_parse, addr_parse,
 * lookups, effective plans).
 *
 * The group setup makes a directory under /tmp with the key files the
 * configs name (site-a.key, a group-readable grp.key, a garbage.key) and
 * makes it the working directory, so that configs loaded as "vmgw.yaml"
 * find "site-a.key" there and messages do not depend on the directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "config.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* peer keys: 32 bytes of 0x01, 0x02; 31 bytes of 0x01 */
#define KB	"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define KC	"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define K31	"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=="

/* a minimal good file, line by line */
#define L_SITE	"site: site-a\n"
#define L_KEY	"private_key: site-a.key\n"
#define L_LISTEN "listen: 10.99.0.1:7400\n"
#define HEAD	L_SITE L_KEY L_LISTEN			/* lines 1-3 */
#define PEER_B	"  site-b:\n    public_key: " KB "\n"
#define PEERS	"peers:\n" PEER_B			/* lines 4-6 */
#define MIN	HEAD PEERS

static char	tmpdir[64];
static char	self_b64[KEY_B64_LEN + 1];	/* site-a.key's public key */
static uint8_t	self_pub[KEY_LEN];

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
write_file(const char *path, const char *content, mode_t mode)
{
	size_t	len = strlen(content);
	int	fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1)
		return -1;
	ok = write(fd, content, len) == (ssize_t)len && fchmod(fd, mode) == 0;
	return close(fd) == 0 && ok ? 0 : -1;
}

static int
group_setup(void **state)
{
	struct vmgw_privkey	k;
	char			err[CONFIG_ERR_MAX];

	if (sodium_init() < 0)
		return -1;
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/vmgw-config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) == -1)
		return -1;
	if (key_generate_file("site-a.key", &k, err, sizeof(err)) == -1) {
		print_error("%s\n", err);
		return -1;
	}
	memcpy(self_pub, k.pub, KEY_LEN);
	key_to_base64(self_b64, k.pub);
	key_free(&k);
	if (key_generate_file("grp.key", NULL, err, sizeof(err)) == -1 ||
	    chmod("grp.key", 0640) == -1 ||
	    write_file("garbage.key", "this is not a key\n", 0600) == -1 ||
	    mkdir("sub", 0700) == -1)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	if (chdir("/") == -1)
		return -1;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* yaml with "@SELF@" replaced by this site's public key (caller frees) */
static char *
expand(const char *yaml)
{
	const char	*at;
	char		*out;

	if ((at = strstr(yaml, "@SELF@")) == NULL)
		return strdup(yaml);
	if (asprintf(&out, "%.*s%s%s", (int)(at - yaml), yaml, self_b64,
	    at + 6) == -1)
		return NULL;
	return out;
}

static struct vmgw_config *
load_ok(const char *yaml)
{
	struct vmgw_config	*cfg = NULL;
	char			 err[CONFIG_ERR_MAX] = "", *text;

	text = expand(yaml);
	assert_non_null(text);
	if (config_load_string("vmgw.yaml", text, strlen(text), &cfg, err,
	    sizeof(err)) == -1)
		print_error("unexpected error: %s\n", err);
	free(text);
	assert_non_null(cfg);
	return cfg;
}

/* bad configs: each must fail with exactly this message */

struct bad_case {
	const char	*name;
	const char	*yaml;
	const char	*msg;
};

static const struct bad_case bad_cases[] = {
	/* structure */
	{ "unknown top-level key", MIN "colour: blue\n",
	  "vmgw.yaml:7:1: unknown key 'colour'" },
	{ "unknown peer key",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    endpiont: 10.0.0.2:7400\n",
	  "vmgw.yaml:7:5: peers.site-b: unknown key 'endpiont'" },
	{ "sequence for site", "site: [a, b]\n" L_KEY L_LISTEN PEERS,
	  "vmgw.yaml:1:7: site: expected a string, got a sequence" },
	{ "mapping for listen", L_SITE L_KEY "listen: {a: b}\n" PEERS,
	  "vmgw.yaml:3:9: listen: expected an address, got a mapping" },
	{ "scalar for peers", HEAD "peers: site-b\n",
	  "vmgw.yaml:4:8: peers: expected a mapping, got 'site-b'" },
	{ "null for peers", HEAD "peers:\nlibvirt: qemu:///system\n",
	  "vmgw.yaml:4:7: peers: at least one peer is needed" },
	{ "null peer", HEAD "peers:\n  site-b:\n  site-c: ~\n",
	  "vmgw.yaml:5:10: peers.site-b: missing required key 'public_key'" },
	{ "null for a string", MIN "libvirt:\n",
	  "vmgw.yaml:7:9: libvirt: expected a string, got an empty value" },
	{ "empty string", MIN "libvirt: \"\"\n",
	  "vmgw.yaml:7:10: libvirt: must not be empty" },
	{ "top level is a sequence", "- site: site-a\n",
	  "vmgw.yaml:1:1: expected a mapping, got a sequence" },
	{ "empty file", "",
	  "vmgw.yaml:1:1: empty; expected a mapping with site, private_key, "
	  "listen and peers" },
	{ "comments only", "# nothing here\n",
	  "vmgw.yaml:1:1: empty; expected a mapping with site, private_key, "
	  "listen and peers" },
	{ "two documents", MIN "---\nsite: site-x\n",
	  "vmgw.yaml:8:1: a second YAML document; the file must hold one" },
	{ "sequence as key", MIN "? [a, b]\n: c\n",
	  "vmgw.yaml:7:3: expected a string as key, got a sequence" },
	{ "NUL byte in a value", MIN "libvirt: \"qemu\\0:///system\"\n",
	  "vmgw.yaml:7:10: libvirt: contains a NUL byte" },
	{ "NUL byte in a key", MIN "\"libvirt\\0\": qemu:///system\n",
	  "vmgw.yaml:7:1: key contains a NUL byte" },
	{ "long key cut in the message", MIN
	  "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
	  "0123456789abcdefghij: 1\n",
	  "vmgw.yaml:7:1: unknown key 'abcdefghijklmnopqrstuvwxyz0123456789"
	  "abcdefghijklmnopqrstuvwxyz012345...'" },
	{ "duplicate top-level key", L_SITE L_KEY "site: site-c\n" L_LISTEN PEERS,
	  "vmgw.yaml:3:1: duplicate key 'site' (first at 1:1)" },

	/* required keys */
	{ "missing site", L_KEY L_LISTEN PEERS,
	  "vmgw.yaml:1:1: missing required key 'site'" },
	{ "missing private_key", L_SITE L_LISTEN PEERS,
	  "vmgw.yaml:1:1: missing required key 'private_key'" },
	{ "missing listen", L_SITE L_KEY PEERS,
	  "vmgw.yaml:1:1: missing required key 'listen'" },
	{ "missing peers", HEAD,
	  "vmgw.yaml:1:1: missing required key 'peers'" },
	{ "empty peers", HEAD "peers: {}\n",
	  "vmgw.yaml:4:8: peers: at least one peer is needed" },
	{ "missing public_key",
	  HEAD "peers:\n  site-b:\n    endpoint: 10.99.0.2:7400\n",
	  "vmgw.yaml:6:5: peers.site-b: missing required key 'public_key'" },

	/* names */
	{ "bad site name", "site: Site_A\n" L_KEY L_LISTEN PEERS,
	  "vmgw.yaml:1:7: site: 'Site_A' is not a valid name: 1 to 63 of "
	  "a-z 0-9 . _ - starting with a letter or digit" },
	{ "site name too long",
	  "site: a123456789012345678901234567890123456789012345678901234567890"
	  "123\n" L_KEY L_LISTEN PEERS,
	  "vmgw.yaml:1:7: site: 'a12345678901234567890123456789012345678901234"
	  "5678901234567890123' is not a valid name: 1 to 63 of a-z 0-9 . _ - "
	  "starting with a letter or digit" },
	{ "bad peer name", HEAD "peers:\n  -site-b:\n    public_key: " KB "\n",
	  "vmgw.yaml:5:3: peers.-site-b: '-site-b' is not a valid name: 1 to "
	  "63 of a-z 0-9 . _ - starting with a letter or digit" },
	{ "peer named like our site",
	  HEAD "peers:\n  site-a:\n    public_key: " KB "\n",
	  "vmgw.yaml:5:3: peers.site-a: a peer cannot have this site's name" },
	{ "duplicate peer",
	  HEAD "peers:\n" PEER_B "  site-b:\n    public_key: " KC "\n",
	  "vmgw.yaml:7:3: peers: duplicate key 'site-b' (first at 5:3)" },

	/* peer keys */
	{ "bad base64 key", HEAD "peers:\n  site-b:\n    public_key: "
	  "not-base64!\n",
	  "vmgw.yaml:6:17: peers.site-b.public_key: not 32 bytes of base64" },
	{ "key of 31 bytes", HEAD "peers:\n  site-b:\n    public_key: " K31 "\n",
	  "vmgw.yaml:6:17: peers.site-b.public_key: not 32 bytes of base64" },
	{ "all-zero key", HEAD "peers:\n  site-b:\n    public_key: "
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	  "vmgw.yaml:6:17: peers.site-b.public_key: all zeros; not a public "
	  "key" },
	{ "two peers same key",
	  HEAD "peers:\n" PEER_B "  site-c:\n    public_key: " KB "\n",
	  "vmgw.yaml:8:17: peers.site-c.public_key: same key as peer "
	  "'site-b'" },
	{ "peer with our own key",
	  HEAD "peers:\n" PEER_B "  site-c:\n    public_key: @SELF@\n",
	  "vmgw.yaml:8:17: peers.site-c.public_key: this site's own public "
	  "key (of private_key)" },

	/* addresses */
	{ "listen not HOST:PORT", L_SITE L_KEY "listen: 10.99.0.1\n" PEERS,
	  "vmgw.yaml:3:9: listen: expected HOST:PORT or unix:/PATH, got "
	  "'10.99.0.1'" },
	{ "listen port 0", L_SITE L_KEY "listen: 10.99.0.1:0\n" PEERS,
	  "vmgw.yaml:3:9: listen: port must be between 1 and 65535, got '0'" },
	{ "listen port 70000", L_SITE L_KEY "listen: 10.99.0.1:70000\n" PEERS,
	  "vmgw.yaml:3:9: listen: port must be between 1 and 65535, got "
	  "'70000'" },
	{ "listen unix", L_SITE L_KEY "listen: unix:/run/vmgw/peer.sock\n" PEERS,
	  "vmgw.yaml:3:9: listen: must be HOST:PORT, not a unix: address" },
	{ "listen bad IPv4", L_SITE L_KEY "listen: 10.99.0.256:7400\n" PEERS,
	  "vmgw.yaml:3:9: listen: '10.99.0.256' is not an IPv4 address" },
	{ "listen IPv6 without brackets", L_SITE L_KEY "listen: ::1:7400\n" PEERS,
	  "vmgw.yaml:3:9: listen: an IPv6 address needs brackets: "
	  "[ADDRESS]:PORT, got '::1:7400'" },
	{ "metrics unix", MIN "metrics: unix:/run/vmgw/metrics.sock\n",
	  "vmgw.yaml:7:10: metrics: must be HOST:PORT, not a unix: address" },
	{ "metrics on the listen address", MIN "metrics: 10.99.0.1:7400\n",
	  "vmgw.yaml:7:10: metrics: the same address as listen" },
	{ "metrics port 0", MIN "metrics: 127.0.0.1:0\n",
	  "vmgw.yaml:7:10: metrics: port must be between 1 and 65535, got "
	  "'0'" },
	{ "endpoint unix", HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    endpoint: unix:/run/b.sock\n",
	  "vmgw.yaml:7:15: peers.site-b.endpoint: must be HOST:PORT, not a "
	  "unix: address" },
	{ "bad forward target", MIN "forward_targets:\n  - 127.0.0.1:22\n"
	  "  - unix:/run/x.sock\n  - localhost\n",
	  "vmgw.yaml:10:5: forward_targets[2]: expected HOST:PORT or "
	  "unix:/PATH, got 'localhost'" },
	{ "relative unix forward target", MIN "forward_targets: "
	  "[ \"unix:run/x.sock\" ]\n",
	  "vmgw.yaml:7:20: forward_targets[0]: UNIX socket path must be "
	  "absolute, got 'run/x.sock'" },
	{ "forward_targets not a list", MIN "forward_targets: 127.0.0.1:22\n",
	  "vmgw.yaml:7:18: forward_targets: expected a sequence, got "
	  "'127.0.0.1:22'" },

	/* paths */
	{ "relative control path", MIN "control: run/vmgw.sock\n",
	  "vmgw.yaml:7:10: control: must be an absolute path, got "
	  "'run/vmgw.sock'" },
	{ "control path too long", MIN "control: /run/"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
	  "vmgw.yaml:7:10: control: longer than 107 bytes" },
	{ "relative state_dir", MIN "state_dir: var/lib/vmgw\n",
	  "vmgw.yaml:7:12: state_dir: must be an absolute path, got "
	  "'var/lib/vmgw'" },
	{ "bad storage path",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    storage:\n      images: /var/lib/images\n",
	  "vmgw.yaml:8:7: peers.site-b.storage.images: must be an absolute "
	  "path, got 'images'" },
	{ "bad storage target",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    storage: { /var/lib/images: srv/images }\n",
	  "vmgw.yaml:7:33: peers.site-b.storage./var/lib/images: must be an "
	  "absolute path, got 'srv/images'" },
	{ "storage directory twice",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    storage:\n      /data: /a\n      /data/: /b\n",
	  "vmgw.yaml:9:7: peers.site-b.storage./data/: the same directory as "
	  "an earlier entry" },
	{ "network mapped to a list",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    networks:\n      default: [a, b]\n",
	  "vmgw.yaml:8:16: peers.site-b.networks.default: expected a network "
	  "name, got a sequence" },
	{ "test network mapped to a list",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    test_networks:\n      prod: [a]\n",
	  "vmgw.yaml:8:13: peers.site-b.test_networks.prod: expected a network "
	  "name, got a sequence" },
	{ "test network twice",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    test_networks:\n      prod: t1\n      prod: t2\n",
	  "vmgw.yaml:9:7: peers.site-b.test_networks: duplicate key 'prod' "
	  "(first at 8:7)" },
	{ "test network is a production network",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    networks: { lan: lan-b }\n"
	  "    test_networks: { prod: lan }\n",
	  "vmgw.yaml:8:28: peers.site-b.test_networks.prod: 'lan' is a "
	  "production network (networks:), not an isolated one" },
	{ "test networks not a mapping",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    test_networks: [a, b]\n",
	  "vmgw.yaml:7:20: peers.site-b.test_networks: expected a mapping, got "
	  "a sequence" },

	/* sizes and numbers */
	{ "bad bandwidth suffix",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    bandwidth: 10Q\n",
	  "vmgw.yaml:7:16: peers.site-b.bandwidth: expected a size such as "
	  "512K, 4M or 1G, got '10Q'" },
	{ "fractional bandwidth",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    bandwidth: 1.5G\n",
	  "vmgw.yaml:7:16: peers.site-b.bandwidth: expected a size such as "
	  "512K, 4M or 1G, got '1.5G'" },
	{ "no connections",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    connections: 0\n",
	  "vmgw.yaml:7:18: peers.site-b.connections: must be an integer between 1 and "
	  "16, got '0'" },
	{ "too many connections",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    connections: 17\n",
	  "vmgw.yaml:7:18: peers.site-b.connections: must be an integer between 1 and "
	  "16, got '17'" },
	{ "window too small", MIN "tunnel:\n  window: 32K\n",
	  "vmgw.yaml:8:11: tunnel.window: must be between 64K and 256M, got "
	  "'32K'" },
	{ "window too large", MIN "tunnel:\n  window: 1G\n",
	  "vmgw.yaml:8:11: tunnel.window: must be between 64K and 256M, got "
	  "'1G'" },
	{ "rekey_bytes too small", MIN "tunnel:\n  rekey_bytes: 1K\n",
	  "vmgw.yaml:8:16: tunnel.rekey_bytes: must be at least 64K, got '1K'" },
	{ "timeout equal to keepalive",
	  MIN "tunnel:\n  keepalive: 30\n  timeout: 30\n",
	  "vmgw.yaml:9:12: tunnel.timeout: must be greater than keepalive "
	  "(30), got 30" },
	{ "keepalive above default timeout", MIN "tunnel:\n  keepalive: 60\n",
	  "vmgw.yaml:8:14: tunnel.keepalive: must be less than timeout (30), "
	  "got 60" },
	{ "rekey_seconds too small", MIN "tunnel:\n  rekey_seconds: 5\n",
	  "vmgw.yaml:8:18: tunnel.rekey_seconds: must be an integer between "
	  "10 and 86400, got '5'" },
	{ "negative keepalive", MIN "tunnel:\n  keepalive: -1\n",
	  "vmgw.yaml:8:14: tunnel.keepalive: must be an integer between 1 and "
	  "3600, got '-1'" },
	{ "unknown suite", MIN "tunnel:\n  suite: aes\n",
	  "vmgw.yaml:8:10: tunnel.suite: expected auto, aesgcm or chachapoly, "
	  "got 'aes'" },
	{ "unknown tunnel key", MIN "tunnel:\n  rekey: 1G\n",
	  "vmgw.yaml:8:3: tunnel: unknown key 'rekey'" },

	/* plans */
	{ "plan mode unknown",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    plan:\n      mode: bridge\n",
	  "vmgw.yaml:8:13: peers.site-b.plan.mode: expected route, l2 or "
	  "none, got 'bridge'" },
	{ "plan route without bridge",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    plan:\n      mode: route\n",
	  "vmgw.yaml:8:7: peers.site-b.plan: mode 'route' needs 'bridge'" },
	{ "plan probe_port out of range",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    plan: { probe_port: 70000 }\n",
	  "vmgw.yaml:7:25: peers.site-b.plan.probe_port: must be an integer "
	  "between 1 and 65535, got '70000'" },
	{ "plan mtu too small",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    plan: { mtu: 500 }\n",
	  "vmgw.yaml:7:18: peers.site-b.plan.mtu: must be an integer between "
	  "576 and 65535, got '500'" },
	{ "plan table name",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    plan: { table: local }\n",
	  "vmgw.yaml:7:20: peers.site-b.plan.table: expected 'main' or a table "
	  "number between 1 and 4294967294, got 'local'" },
	{ "plan table 0",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    plan: { table: 0 }\n",
	  "vmgw.yaml:7:20: peers.site-b.plan.table: must be an integer between "
	  "1 and 4294967294, got '0'" },
	{ "plan proxy_arp not a bool",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    plan: { proxy_arp: maybe }\n",
	  "vmgw.yaml:7:24: peers.site-b.plan.proxy_arp: expected true or "
	  "false, got 'maybe'" },
	{ "plan gateway prefix 33",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    plan: { gateway: 10.99.1.1/33 }\n",
	  "vmgw.yaml:7:22: peers.site-b.plan.gateway: expected an IPv4 address "
	  "and prefix length such as 10.99.1.1/24, got '10.99.1.1/33'" },
	{ "plan bridge name too long",
	  HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	  "    plan: { mode: l2, bridge: br-0123456789abc }\n",
	  "vmgw.yaml:7:31: peers.site-b.plan.bridge: 'br-0123456789abc' is not "
	  "an interface name: 1 to 15 of A-Z a-z 0-9 _ . -" },

	/* protect */
	{ "protect to a site that is not a peer",
	  MIN "protect:\n  web1: { to: site-c }\n",
	  "vmgw.yaml:8:15: protect.web1.to: 'site-c' is not a peer" },
	{ "protect to this site", MIN "protect:\n  web1: { to: site-a }\n",
	  "vmgw.yaml:8:15: protect.web1.to: 'site-a' is not a peer (it is "
	  "this site)" },
	{ "protect without to", MIN "protect:\n  web1: { rpo: 60s }\n",
	  "vmgw.yaml:8:9: protect.web1: missing required key 'to'" },
	{ "protect rpo too short",
	  MIN "protect:\n  web1: { to: site-b, rpo: 5s }\n",
	  "vmgw.yaml:8:28: protect.web1.rpo: '5s' is not a duration between "
	  "10s and 7 days (e.g. 60s, 5m, 1h)" },
	{ "protect keep 0", MIN "protect:\n  web1: { to: site-b, keep: 0 }\n",
	  "vmgw.yaml:8:29: protect.web1.keep: must be an integer between 1 and "
	  "1000, got '0'" },
	{ "protect quiesce not a boolean",
	  MIN "protect:\n  web1: { to: site-b, quiesce: often }\n",
	  "vmgw.yaml:8:32: protect.web1.quiesce: expected true or false, got "
	  "'often'" },

	/* guests */
	{ "guest name with slash", MIN "guests:\n  a/b: {}\n",
	  "vmgw.yaml:8:3: guests.a/b: 'a/b' is not a valid name: 1 to 63 "
	  "bytes without '/' or control characters" },
	{ "guest bad address", MIN "guests:\n  web1:\n    addresses: "
	  "[10.99.1.10, 10.99.1.300]\n",
	  "vmgw.yaml:9:29: guests.web1.addresses[1]: '10.99.1.300' is not an "
	  "IPv4 or IPv6 address" },
	{ "guest plan l2 with no bridge anywhere",
	  MIN "guests:\n  web1:\n    plan: { mode: l2 }\n",
	  "vmgw.yaml:9:11: guests.web1.plan: mode 'l2' needs 'bridge' (peer "
	  "'site-b' has none)" },
	{ "guest unknown plan key", MIN "guests:\n  web1:\n    plan: "
	  "{ bridge: br0, vlan: 5 }\n",
	  "vmgw.yaml:9:26: guests.web1.plan: unknown key 'vlan'" },

	/* YAML itself */
	{ "YAML syntax error", HEAD "peers: [site-b\n",
	  "vmgw.yaml:5:1: YAML syntax error: did not find expected ',' or ']' "
	  "(while parsing a flow sequence)" },
	{ "YAML bad indentation", L_SITE "  private_key: site-a.key\n",
	  "vmgw.yaml:2:14: YAML syntax error: mapping values are not allowed "
	  "in this context" },
	{ "YAML undefined alias", MIN "libvirt: *nope\n",
	  "vmgw.yaml:7:10: YAML syntax error: found undefined alias" },
	{ "nesting too deep", MIN "guests: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	  "vmgw.yaml:7:40: nested deeper than 32 levels" },
	{ "YAML control character", MIN "libvirt: a\001b\n",
	  "vmgw.yaml:7:11: YAML syntax error: control characters are not "
	  "allowed" },

	/* the private key file */
	{ "key file group-readable", L_SITE "private_key: grp.key\n" L_LISTEN
	  PEERS,
	  "vmgw.yaml:2:14: private_key: grp.key: mode 0640 is "
	  "group/world-accessible; run chmod 600 grp.key" },
	{ "key file missing", L_SITE "private_key: missing.key\n" L_LISTEN PEERS,
	  "vmgw.yaml:2:14: private_key: missing.key: cannot open: No such "
	  "file or directory" },
	{ "key file with garbage", L_SITE "private_key: garbage.key\n" L_LISTEN
	  PEERS,
	  "vmgw.yaml:2:14: private_key: garbage.key: not valid base64 (bad "
	  "character at byte 5)" },
	{ "key file is a directory", L_SITE "private_key: sub\n" L_LISTEN PEERS,
	  "vmgw.yaml:2:14: private_key: sub: not a regular file" },
};

/*
 * Files with several errors: every line, in order.  The bad cases above
 * that report more than one line are here too, under the same name.
 */
#define MULTI_LINES	8
struct multi_case {
	const char	*name;
	const char	*yaml;
	const char	*lines[MULTI_LINES];	/* NULL after the last */
};

static const struct multi_case multi_cases[] = {
	{ "null peer", HEAD "peers:\n  site-b:\n  site-c: ~\n", {
	  "vmgw.yaml:5:10: peers.site-b: missing required key 'public_key'",
	  "vmgw.yaml:6:11: peers.site-c: missing required key 'public_key'" } },
	{ "bad values in every section",
	  "site: Site_A\n"				/* 1 */
	  L_KEY						/* 2 */
	  "listen: 10.99.0.1:0\n"			/* 3 */
	  "peers:\n"					/* 4 */
	  "  site-b:\n"					/* 5 */
	  "    public_key: not-base64!\n"		/* 6 */
	  "    bandwidth: 10Q\n"			/* 7 */
	  "  site-c:\n"					/* 8 */
	  "    endpoint: 10.0.0.3:7400\n"		/* 9 */
	  "tunnel:\n"					/* 10 */
	  "  keepalive: -1\n"				/* 11 */
	  "  colour: blue\n",				/* 12 */
	  { "vmgw.yaml:1:7: site: 'Site_A' is not a valid name: 1 to 63 of "
	    "a-z 0-9 . _ - starting with a letter or digit",
	    "vmgw.yaml:3:9: listen: port must be between 1 and 65535, got '0'",
	    "vmgw.yaml:6:17: peers.site-b.public_key: not 32 bytes of base64",
	    "vmgw.yaml:7:16: peers.site-b.bandwidth: expected a size such as "
	    "512K, 4M or 1G, got '10Q'",
	    "vmgw.yaml:9:5: peers.site-c: missing required key 'public_key'",
	    "vmgw.yaml:11:14: tunnel.keepalive: must be an integer between 1 "
	    "and 3600, got '-1'",
	    "vmgw.yaml:12:3: tunnel: unknown key 'colour'" } },
	{ "duplicates, unknown and missing keys",
	  "site: site-a\n"				/* 1 */
	  "site: site-b\n"				/* 2 */
	  "privat_key: site-a.key\n"			/* 3 */
	  "guests:\n"					/* 4 */
	  "  web1: { addresses: [10.0.0.1], adresses: [] }\n" /* 5 */
	  "  web1: {}\n"					/* 6 */
	  "  db/1: {}\n",					/* 7 */
	  { "vmgw.yaml:2:1: duplicate key 'site' (first at 1:1)",
	    "vmgw.yaml:3:1: unknown key 'privat_key'",
	    "vmgw.yaml:6:3: guests: duplicate key 'web1' (first at 5:3)",
	    "vmgw.yaml:5:34: guests.web1: unknown key 'adresses'",
	    "vmgw.yaml:7:3: guests.db/1: 'db/1' is not a valid name: 1 to 63 "
	    "bytes without '/' or control characters",
	    "vmgw.yaml:1:1: missing required key 'private_key'",
	    "vmgw.yaml:1:1: missing required key 'listen'",
	    "vmgw.yaml:1:1: missing required key 'peers'" } },
	{ "schema errors and the key file",
	  L_SITE "private_key: grp.key\n" L_LISTEN PEERS
	  "forward_targets: [127.0.0.1:22, localhost, \"[::1]:0\"]\n", /* 7 */
	  { "vmgw.yaml:7:33: forward_targets[1]: expected HOST:PORT or "
	    "unix:/PATH, got 'localhost'",
	    "vmgw.yaml:7:44: forward_targets[2]: port must be between 1 and "
	    "65535, got '0'",
	    "vmgw.yaml:2:14: private_key: grp.key: mode 0640 is "
	    "group/world-accessible; run chmod 600 grp.key" } },
	{ "a bad peer name and its bad keys",
	  HEAD "peers:\n"
	  "  Site_B:\n"					/* 5 */
	  "    public_key: " K31 "\n"			/* 6 */
	  "    plan: { mode: bridge }\n"			/* 7 */
	  "  site-a:\n"					/* 8 */
	  "    public_key: @SELF@\n",			/* 9 */
	  { "vmgw.yaml:5:3: peers.Site_B: 'Site_B' is not a valid name: 1 to "
	    "63 of a-z 0-9 . _ - starting with a letter or digit",
	    "vmgw.yaml:6:17: peers.Site_B.public_key: not 32 bytes of base64",
	    "vmgw.yaml:7:19: peers.Site_B.plan.mode: expected route, l2 or "
	    "none, got 'bridge'",
	    "vmgw.yaml:8:3: peers.site-a: a peer cannot have this site's name",
	    "vmgw.yaml:9:17: peers.site-a.public_key: this site's own public "
	    "key (of private_key)" } },
	/* one mistake, one message: no follow-on errors */
	{ "no cascades",
	  HEAD "peers:\n"
	  "  site-b:\n"					/* 5 */
	  "    public_key: " K31 "\n"			/* 6 */
	  "    plan: { mode: route, bridge: \"br 0\" }\n"	/* 7 */
	  "  site-c:\n"					/* 8 */
	  "    public_key: " K31 "\n"			/* 9 */
	  "guests:\n"					/* 10 */
	  "  web1: { plan: { mode: l2 } }\n"		/* 11 */
	  "tunnel: { keepalive: 0, timeout: 5 }\n",	/* 12 */
	  { "vmgw.yaml:6:17: peers.site-b.public_key: not 32 bytes of base64",
	    "vmgw.yaml:7:34: peers.site-b.plan.bridge: 'br 0' is not an "
	    "interface name: 1 to 15 of A-Z a-z 0-9 _ . -",
	    "vmgw.yaml:9:17: peers.site-c.public_key: not 32 bytes of base64",
	    "vmgw.yaml:12:22: tunnel.keepalive: must be an integer between 1 "
	    "and 3600, got '0'" } },
};

static const struct multi_case *
multi_case(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(multi_cases); i++)
		if (strcmp(multi_cases[i].name, name) == 0)
			return &multi_cases[i];
	return NULL;
}

/* The first line of each bad file is exactly its message. */
static void
test_bad(void **state)
{
	const struct bad_case	*c = *state;
	struct vmgw_config	*cfg = (struct vmgw_config *)&cfg;
	char			 err[CONFIG_ERR_MAX], *text, *nl;

	text = expand(c->yaml);
	assert_non_null(text);
	memset(err, 'x', sizeof(err));
	assert_int_equal(config_load_string("vmgw.yaml", text, strlen(text),
	    &cfg, err, sizeof(err)), -1);
	free(text);
	assert_null(cfg);
	/* more lines only where multi_cases lists them all */
	if ((nl = strchr(err, '\n')) != NULL) {
		if (multi_case(c->name) == NULL)
			fail_msg("more than one error: %s", err);
		*nl = '\0';
	}
	assert_string_equal(err, c->msg);
}

struct lines {
	char	*line[CONFIG_ERRORS_MAX + 2];
	size_t	 n;
};

static void
collect(void *arg, const char *line)
{
	struct lines	*l = arg;

	assert_null(strchr(line, '\n'));
	assert_true(l->n < nitems(l->line));
	assert_non_null(l->line[l->n++] = strdup(line));
}

static void
lines_free(struct lines *l)
{
	while (l->n > 0)
		free(l->line[--l->n]);
}

/* Every line through the callback, and the same joined in the buffer. */
static void
test_multi(void **state)
{
	const struct multi_case	*c = *state;
	struct vmgw_config	*cfg = (struct vmgw_config *)&cfg;
	struct lines		 got = { { NULL }, 0 };
	char			 err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX], *text;
	size_t			 i, n = 0;

	text = expand(c->yaml);
	assert_non_null(text);
	assert_int_equal(config_load_string_report("vmgw.yaml", text,
	    strlen(text), &cfg, collect, &got), -1);
	assert_null(cfg);
	for (i = 0; i < MULTI_LINES && c->lines[i] != NULL; i++) {
		if (i >= got.n)
			fail_msg("line %zu missing: %s", i + 1, c->lines[i]);
		assert_string_equal(got.line[i], c->lines[i]);
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%s",
		    i > 0 ? "\n" : "", c->lines[i]);
	}
	if (got.n > i)
		fail_msg("unexpected line %zu: %s", i + 1, got.line[i]);
	assert_true(i >= 2);
	lines_free(&got);

	cfg = (struct vmgw_config *)&cfg;
	assert_int_equal(config_load_string("vmgw.yaml", text, strlen(text),
	    &cfg, err, sizeof(err)), -1);
	assert_null(cfg);
	assert_string_equal(err, want);
	free(text);
}

/* After CONFIG_ERRORS_MAX errors, one more line says the load stopped. */
static void
test_error_cap(void **state)
{
	struct vmgw_config	*cfg;
	struct lines		 got = { { NULL }, 0 };
	char			 yaml[8192], want[128];
	size_t			 i, off;

	off = (size_t)snprintf(yaml, sizeof(yaml), "%sforward_targets:\n", MIN);
	for (i = 0; i < 60; i++)		/* lines 8..67 */
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
		    "  - bad%zu\n", i);
	assert_int_equal(config_load_string_report("vmgw.yaml", yaml, off,
	    &cfg, collect, &got), -1);
	assert_null(cfg);
	assert_int_equal(got.n, CONFIG_ERRORS_MAX + 1);
	assert_string_equal(got.line[0], "vmgw.yaml:8:5: forward_targets[0]: "
	    "expected HOST:PORT or unix:/PATH, got 'bad0'");
	assert_string_equal(got.line[49], "vmgw.yaml:57:5: forward_targets[49]: "
	    "expected HOST:PORT or unix:/PATH, got 'bad49'");
	(void)snprintf(want, sizeof(want), "vmgw.yaml:%d:5: too many errors, "
	    "stopping here", 8 + CONFIG_ERRORS_MAX);
	assert_string_equal(got.line[CONFIG_ERRORS_MAX], want);
	lines_free(&got);
}

/*
 * A buffer too small for every line: whole lines while they fit, then a
 * count of the rest.
 */
static void
test_err_buffer_full(void **state)
{
	static const char yaml[] = MIN "forward_targets: [a, b, c, d, e]\n";
	struct vmgw_config	*cfg;
	char			 err[250];

	assert_int_equal(config_load_string("vmgw.yaml", yaml,
	    sizeof(yaml) - 1, &cfg, err, sizeof(err)), -1);
	assert_string_equal(err,
	    "vmgw.yaml:7:19: forward_targets[0]: expected HOST:PORT or "
	    "unix:/PATH, got 'a'\n"
	    "vmgw.yaml:7:22: forward_targets[1]: expected HOST:PORT or "
	    "unix:/PATH, got 'b'\n"
	    "vmgw.yaml: 3 more errors not shown");
	/* and through the callback API with no callback at all */
	assert_int_equal(config_load_string_report("vmgw.yaml", yaml,
	    sizeof(yaml) - 1, &cfg, NULL, NULL), -1);
	assert_null(cfg);
}

/* every key, written to a file and loaded by its absolute path */
static const char full_yaml[] =
    "# vmgw.yaml of site-a\n"
    "site: site-a\n"
    "private_key: site-a.key\n"
    "listen: 10.99.0.1:7400\n"
    "control: /run/vmgw-test/vmgw.sock\n"
    "libvirt: qemu+unix:///system?socket=/run/libvirt/libvirt-sock\n"
    "state_dir: /var/lib/vmgw-test/\n"
    "run_dir: /run/vmgw-test\n"
    "peers:\n"
    "  site-b:\n"
    "    endpoint: gw-b.example.org:7401\n"
    "    public_key: \"" KB "\"\n"
    "    networks: { default: default, lan: lan-b }\n"
    "    test_networks: { prod: isolated-1, backend: isolated-2 }\n"
    "    storage:\n"
    "      /var/lib/libvirt/images/: /srv/images\n"
    "      /: /mnt\n"
    "    bandwidth: 100M\n"
    "    connections: 4\n"
    "    plan:\n"
    "      mode: route\n"
    "      bridge: vmbr0\n"
    "      table: 100\n"
    "      proxy_arp: yes\n"
    "      gateway: 10.99.1.1/24\n"
    "      mtu: 1400\n"
    "      hooks: hooks.d\n"
    "      probe_port: 80\n"
    "      probe_timeout: 5000\n"
    "  site-c:\n"
    "    public_key: " KC "\n"
    "    plan: &l2plan\n"
    "      mode: l2\n"
    "      bridge: br-c\n"
    "      table: main\n"
    "forward_targets: [ \"127.0.0.1:22\", \"unix:/run/x.sock\", "
    "\"[::1]:8080\", \"db.example.org:5432\" ]\n"
    "guests:\n"
    "  web1:\n"
    "    addresses: [10.99.1.10, \"2001:db8::10\"]\n"
    "    plan: { mode: l2, mtu: 9000, proxy_arp: false }\n"
    "  db1:\n"
    "    plan: *l2plan\n"
    "  plain: {}\n"
    "tunnel:\n"
    "  suite: chachapoly\n"
    "  rekey_bytes: 512M\n"
    "  rekey_seconds: 600\n"
    "  keepalive: 5\n"
    "  timeout: 20\n"
    "  handshake_timeout: 7\n"
    "  window: 8MiB\n"
    "  reconnect_max: 60\n";

static struct vmgw_config *
load_full(void)
{
	struct vmgw_config	*cfg = NULL;
	char			 err[CONFIG_ERR_MAX], path[PATH_MAX];

	(void)snprintf(path, sizeof(path), "%s/full.yaml", tmpdir);
	assert_int_equal(write_file(path, full_yaml, 0644), 0);
	if (config_load(path, &cfg, err, sizeof(err)) == -1)
		print_error("unexpected error: %s\n", err);
	assert_non_null(cfg);
	return cfg;
}

static void
test_full(void **state)
{
	struct vmgw_config	*cfg = load_full();
	const struct vmgw_peer	*b, *c;
	const struct vmgw_guest	*g;
	char			 path[PATH_MAX];

	(void)snprintf(path, sizeof(path), "%s/full.yaml", tmpdir);
	assert_string_equal(cfg->path, path);
	assert_string_equal(cfg->site, "site-a");
	(void)snprintf(path, sizeof(path), "%s/site-a.key", tmpdir);
	assert_string_equal(cfg->private_key_path, path);
	assert_non_null(cfg->key.priv);
	assert_memory_equal(cfg->key.pub, self_pub, KEY_LEN);
	assert_int_equal(cfg->listen.kind, ADDR_TCP);
	assert_string_equal(cfg->listen.host, "10.99.0.1");
	assert_int_equal(cfg->listen.port, 7400);
	assert_string_equal(cfg->listen.text, "10.99.0.1:7400");
	assert_string_equal(cfg->control, "/run/vmgw-test/vmgw.sock");
	assert_string_equal(cfg->libvirt,
	    "qemu+unix:///system?socket=/run/libvirt/libvirt-sock");
	assert_string_equal(cfg->state_dir, "/var/lib/vmgw-test");
	assert_string_equal(cfg->run_dir, "/run/vmgw-test");

	assert_int_equal(cfg->n_peers, 2);
	b = &cfg->peers[0];
	assert_string_equal(b->name, "site-b");
	assert_true(b->has_endpoint);
	assert_string_equal(b->endpoint.host, "gw-b.example.org");
	assert_int_equal(b->endpoint.port, 7401);
	assert_memory_equal(b->public_key, "\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1"
	    "\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1", KEY_LEN);
	assert_int_equal(b->n_networks, 2);
	assert_string_equal(b->networks[1].from, "lan");
	assert_string_equal(b->networks[1].to, "lan-b");
	assert_string_equal(config_map_lookup(b->networks, b->n_networks,
	    "default"), "default");
	assert_null(config_map_lookup(b->networks, b->n_networks, "wan"));
	assert_int_equal(b->n_test_networks, 2);
	assert_string_equal(config_map_lookup(b->test_networks,
	    b->n_test_networks, "prod"), "isolated-1");
	assert_string_equal(b->test_networks[1].to, "isolated-2");
	assert_int_equal(b->n_storage, 2);
	assert_string_equal(b->storage[0].from, "/var/lib/libvirt/images");
	assert_string_equal(config_map_lookup(b->storage, b->n_storage,
	    "/var/lib/libvirt/images"), "/srv/images");
	assert_string_equal(config_map_lookup(b->storage, b->n_storage, "/"),
	    "/mnt");
	assert_int_equal(b->bandwidth, 100ULL << 20);
	assert_int_equal(b->connections, 4);
	assert_int_equal(b->plan.mode, PLAN_ROUTE);
	assert_string_equal(b->plan.bridge, "vmbr0");
	assert_int_equal(b->plan.table, 100);
	assert_int_equal(b->plan.proxy_arp, 1);
	assert_string_equal(b->plan.gateway, "10.99.1.1/24");
	assert_int_equal(b->plan.mtu, 1400);
	(void)snprintf(path, sizeof(path), "%s/hooks.d", tmpdir);
	assert_string_equal(b->plan.hooks, path);
	assert_int_equal(b->plan.probe_port, 80);
	assert_int_equal(b->plan.probe_timeout_ms, 5000);
	assert_int_equal(b->plan.set, 0x1ff);

	c = &cfg->peers[1];
	assert_string_equal(c->name, "site-c");
	assert_false(c->has_endpoint);
	assert_int_equal(c->n_networks, 0);
	assert_int_equal(c->bandwidth, 0);
	assert_int_equal(c->connections, 1);
	assert_int_equal(c->plan.mode, PLAN_L2);
	assert_string_equal(c->plan.bridge, "br-c");
	assert_int_equal(c->plan.table, 254);
	assert_int_equal(c->plan.probe_timeout_ms, 10000);
	assert_int_equal(c->plan.set,
	    PLAN_SET_MODE | PLAN_SET_BRIDGE | PLAN_SET_TABLE);

	assert_int_equal(cfg->n_forward_targets, 4);
	assert_int_equal(cfg->forward_targets[1].kind, ADDR_UNIX);
	assert_string_equal(cfg->forward_targets[1].path, "/run/x.sock");
	assert_string_equal(cfg->forward_targets[2].host, "::1");
	assert_int_equal(cfg->forward_targets[2].port, 8080);
	assert_string_equal(cfg->forward_targets[2].text, "[::1]:8080");

	assert_int_equal(cfg->n_guests, 3);
	g = &cfg->guests[0];
	assert_string_equal(g->name, "web1");
	assert_int_equal(g->n_addresses, 2);
	assert_string_equal(g->addresses[0], "10.99.1.10");
	assert_string_equal(g->addresses[1], "2001:db8::10");
	assert_int_equal(g->plan.set,
	    PLAN_SET_MODE | PLAN_SET_MTU | PLAN_SET_PROXY_ARP);
	assert_int_equal(g->plan.mode, PLAN_L2);
	assert_int_equal(g->plan.mtu, 9000);
	g = &cfg->guests[1];
	assert_string_equal(g->name, "db1");
	assert_int_equal(g->plan.mode, PLAN_L2);	/* through the alias */
	assert_string_equal(g->plan.bridge, "br-c");
	g = &cfg->guests[2];
	assert_string_equal(g->name, "plain");
	assert_int_equal(g->n_addresses, 0);
	assert_int_equal(g->plan.set, 0);

	assert_int_equal(cfg->tunnel.suite, SUITE_CHACHAPOLY);
	assert_int_equal(cfg->tunnel.rekey_bytes, 512ULL << 20);
	assert_int_equal(cfg->tunnel.rekey_seconds, 600);
	assert_int_equal(cfg->tunnel.keepalive, 5);
	assert_int_equal(cfg->tunnel.timeout, 20);
	assert_int_equal(cfg->tunnel.handshake_timeout, 7);
	assert_int_equal(cfg->tunnel.window, 8ULL << 20);
	assert_int_equal(cfg->tunnel.reconnect_max, 60);
	config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct vmgw_config	*cfg = load_ok(MIN);
	const struct vmgw_peer	*b;

	assert_string_equal(cfg->path, "vmgw.yaml");
	assert_string_equal(cfg->private_key_path, "site-a.key");
	assert_memory_equal(cfg->key.pub, self_pub, KEY_LEN);
	assert_string_equal(cfg->control, CONFIG_DEFAULT_CONTROL);
	assert_string_equal(cfg->libvirt, CONFIG_DEFAULT_LIBVIRT);
	assert_string_equal(cfg->state_dir, CONFIG_DEFAULT_STATE);
	assert_string_equal(cfg->run_dir, CONFIG_DEFAULT_RUN);
	assert_int_equal(cfg->n_peers, 1);
	assert_int_equal(cfg->n_forward_targets, 0);
	assert_null(cfg->forward_targets);
	assert_int_equal(cfg->n_guests, 0);
	b = &cfg->peers[0];
	assert_false(b->has_endpoint);
	assert_int_equal(b->n_networks, 0);
	assert_int_equal(b->n_storage, 0);
	assert_int_equal(b->bandwidth, 0);
	assert_int_equal(b->plan.mode, PLAN_NONE);
	assert_null(b->plan.bridge);
	assert_int_equal(b->plan.table, 254);
	assert_int_equal(b->plan.proxy_arp, 0);
	assert_null(b->plan.gateway);
	assert_int_equal(b->plan.mtu, 0);
	assert_null(b->plan.hooks);
	assert_int_equal(b->plan.probe_port, 0);
	assert_int_equal(b->plan.probe_timeout_ms, 10000);
	assert_int_equal(b->plan.set, 0);
	assert_int_equal(cfg->tunnel.suite, SUITE_AUTO);
	assert_int_equal(cfg->tunnel.rekey_bytes, 1ULL << 30);
	assert_int_equal(cfg->tunnel.rekey_seconds, 120);
	assert_int_equal(cfg->tunnel.keepalive, 10);
	assert_int_equal(cfg->tunnel.timeout, 30);
	assert_int_equal(cfg->tunnel.handshake_timeout, 10);
	assert_int_equal(cfg->tunnel.window, 4ULL << 20);
	assert_int_equal(cfg->tunnel.reconnect_max, 30);
	config_free(cfg);
	config_free(NULL);
}

/* YAML spellings that must be accepted */
static void
test_spellings(void **state)
{
	struct vmgw_config	*cfg;

	cfg = load_ok("{ site: site-a, private_key: site-a.key, "
	    "listen: \"[::1]:7400\", peers: { site-b: { public_key: '" KB
	    "', plan: { proxy_arp: True, table: '4294967294' } } },"
	    "tunnel: { rekey_bytes: 64K, window: 256M, timeout: 3600, "
	    "keepalive: 3599 } }");
	assert_string_equal(cfg->listen.host, "::1");
	assert_int_equal(cfg->peers[0].plan.proxy_arp, 1);
	assert_int_equal(cfg->peers[0].plan.table, 4294967294U);
	assert_int_equal(cfg->tunnel.window, 256ULL << 20);
	config_free(cfg);
}

/* an empty value for an optional collection is an empty one */
static void
test_null_sections(void **state)
{
	struct vmgw_config	*cfg;

	cfg = load_ok(HEAD "peers:\n  site-b:\n    public_key: " KB "\n"
	    "    networks:\n    storage: ~\n    plan:\n"
	    "forward_targets:\nguests:\ntunnel: null\n");
	assert_int_equal(cfg->peers[0].n_networks, 0);
	assert_int_equal(cfg->peers[0].n_storage, 0);
	assert_int_equal(cfg->peers[0].plan.set, 0);
	assert_int_equal(cfg->n_forward_targets, 0);
	assert_int_equal(cfg->n_guests, 0);
	assert_int_equal(cfg->tunnel.timeout, 30);
	config_free(cfg);
}

/* relative paths are relative to the directory of the file */
static void
test_relative_paths(void **state)
{
	struct vmgw_config	*cfg = NULL;
	char			 err[CONFIG_ERR_MAX], path[PATH_MAX];
	char			 want[3 * PATH_MAX + 128];

	(void)snprintf(path, sizeof(path), "%s/sub/vmgw.yaml", tmpdir);
	assert_int_equal(write_file(path, L_SITE "private_key: ../site-a.key\n"
	    L_LISTEN PEERS, 0600), 0);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	(void)snprintf(want, sizeof(want), "%s/sub/../site-a.key", tmpdir);
	assert_string_equal(cfg->private_key_path, want);
	config_free(cfg);

	/* and messages name the file as given, the key file as resolved */
	assert_int_equal(write_file(path, MIN "bogus: 1\n", 0600), 0);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	assert_null(cfg);
	(void)snprintf(want, sizeof(want), "%s:7:1: unknown key 'bogus'\n"
	    "%s:2:14: private_key: %s/sub/site-a.key: cannot open: %s", path,
	    path, tmpdir, strerror(ENOENT));
	assert_string_equal(err, want);
}

static void
test_load_file_errors(void **state)
{
	struct vmgw_config	*cfg = (struct vmgw_config *)&cfg;
	char			 err[CONFIG_ERR_MAX], want[PATH_MAX + 64];
	char			 path[PATH_MAX];
	int			 fd;

	(void)snprintf(path, sizeof(path), "%s/none.yaml", tmpdir);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	assert_null(cfg);
	(void)snprintf(want, sizeof(want), "%s: cannot read: %s", path,
	    strerror(ENOENT));
	assert_string_equal(err, want);

	assert_int_equal(config_load(tmpdir, &cfg, err, sizeof(err)), -1);
	(void)snprintf(want, sizeof(want), "%s: not a regular file", tmpdir);
	assert_string_equal(err, want);

	(void)snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(ftruncate(fd, 1024 * 1024 + 1), 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	(void)snprintf(want, sizeof(want), "%s: larger than 1 MiB; refusing "
	    "to read it", path);
	assert_string_equal(err, want);
	assert_int_equal(unlink(path), 0);
}

/* a message longer than the buffer is cut, not overrun */
static void
test_small_err_buffer(void **state)
{
	struct vmgw_config	*cfg;
	char			 err[16];

	assert_int_equal(config_load_string("vmgw.yaml", "site: [", 7, &cfg,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "vmgw.yaml:2:1: ");
	assert_int_equal(config_load_string("vmgw.yaml", "x", 1, &cfg, NULL,
	    0), -1);
}

static void
test_lookups(void **state)
{
	struct vmgw_config	*cfg = load_full();
	struct vmgw_addr	 a;
	uint8_t			 key[KEY_LEN];
	char			 err[128];

	assert_int_equal(key_from_base64(key, KC), 0);
	assert_ptr_equal(config_peer_by_key(cfg, key), &cfg->peers[1]);
	assert_int_equal(key_from_base64(key, KB), 0);
	assert_ptr_equal(config_peer_by_key(cfg, key), &cfg->peers[0]);
	assert_null(config_peer_by_key(cfg, self_pub));
	key[31] ^= 1;
	assert_null(config_peer_by_key(cfg, key));
	assert_ptr_equal(config_peer_by_name(cfg, "site-c"), &cfg->peers[1]);
	assert_null(config_peer_by_name(cfg, "site-a"));
	assert_ptr_equal(config_guest(cfg, "db1"), &cfg->guests[1]);
	assert_null(config_guest(cfg, "web2"));

	assert_int_equal(addr_parse(&a, "127.0.0.1:22", err, sizeof(err)), 0);
	assert_true(config_forward_allowed(cfg, &a));
	assert_int_equal(addr_parse(&a, "127.0.0.1:23", err, sizeof(err)), 0);
	assert_false(config_forward_allowed(cfg, &a));
	assert_int_equal(addr_parse(&a, "127.0.0.2:22", err, sizeof(err)), 0);
	assert_false(config_forward_allowed(cfg, &a));
	assert_int_equal(addr_parse(&a, "unix:/run/x.sock", err,
	    sizeof(err)), 0);
	assert_true(config_forward_allowed(cfg, &a));
	assert_int_equal(addr_parse(&a, "unix:/run/x.sock2", err,
	    sizeof(err)), 0);
	assert_false(config_forward_allowed(cfg, &a));
	assert_int_equal(addr_parse(&a, "[0:0::1]:8080", err, sizeof(err)), 0);
	assert_true(config_forward_allowed(cfg, &a));
	assert_int_equal(addr_parse(&a, "DB.Example.ORG:5432", err,
	    sizeof(err)), 0);
	assert_true(config_forward_allowed(cfg, &a));
	config_free(cfg);
}

static void
test_effective_plan(void **state)
{
	struct vmgw_config	*cfg = load_full();
	const struct vmgw_peer	*b = config_peer_by_name(cfg, "site-b");
	const struct vmgw_peer	*c = config_peer_by_name(cfg, "site-c");
	struct vmgw_plan	 p;

	/* no guest: the peer's plan */
	config_effective_plan(&p, b, NULL);
	assert_memory_equal(&p, &b->plan, sizeof(p));

	/* web1 overrides mode, mtu and proxy_arp, keeps the rest */
	config_effective_plan(&p, b, config_guest(cfg, "web1"));
	assert_int_equal(p.mode, PLAN_L2);
	assert_int_equal(p.mtu, 9000);
	assert_int_equal(p.proxy_arp, 0);
	assert_string_equal(p.bridge, "vmbr0");
	assert_int_equal(p.table, 100);
	assert_string_equal(p.gateway, "10.99.1.1/24");
	assert_int_equal(p.probe_port, 80);
	assert_int_equal(p.probe_timeout_ms, 5000);
	assert_int_equal(p.set, 0x1ff);

	/* db1 gives mode, bridge and table (the alias of site-c's plan) */
	config_effective_plan(&p, b, config_guest(cfg, "db1"));
	assert_int_equal(p.mode, PLAN_L2);
	assert_string_equal(p.bridge, "br-c");
	assert_int_equal(p.table, 254);
	assert_int_equal(p.mtu, 1400);
	assert_int_equal(p.proxy_arp, 1);

	/* a guest without a plan changes nothing */
	config_effective_plan(&p, c, config_guest(cfg, "plain"));
	assert_memory_equal(&p, &c->plan, sizeof(p));

	/* no peer: defaults, then the guest */
	config_effective_plan(&p, NULL, config_guest(cfg, "web1"));
	assert_int_equal(p.mode, PLAN_L2);
	assert_null(p.bridge);
	assert_int_equal(p.table, 254);
	assert_int_equal(p.probe_timeout_ms, 10000);
	config_free(cfg);
}

static void
assert_load_fails(const char *yaml, size_t len, const char *prefix)
{
	struct vmgw_config	*cfg = (struct vmgw_config *)&cfg;
	char			 err[CONFIG_ERR_MAX] = "";

	assert_int_equal(config_load_string("vmgw.yaml", yaml, len, &cfg, err,
	    sizeof(err)), -1);
	assert_null(cfg);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("'%s' does not start with '%s'", err, prefix);
}

/* xorshift64: the same mutations on every run */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Hostile files fail fast and cleanly: deep nesting (libyaml alone is
 * quadratic in it), many keys, an alias expanded a thousand times ("billion
 * laughs"), and every truncation and a few thousand
 * random mutations of the full file (under ASan: no leak, no overrun).
 */
static void
test_hostile(void **state)
{
	struct vmgw_config	*cfg;
	const size_t		 n = 500000, len = sizeof(full_yaml) - 1;
	char			*buf, err[CONFIG_ERR_MAX];
	uint64_t		 seed = 0x9e3779b97f4a7c15ULL;
	size_t			 i, j, off, cur, cut;
	int			 rc;

	assert_non_null(buf = malloc(n * 12 + len + 64));
	memcpy(buf, "site: ", 6);
	memset(buf + 6, '[', n);
	assert_load_fails(buf, n + 6, "vmgw.yaml:1:38: nested deeper than "
	    "32 levels");
	for (i = 0, off = 0; i < n / 5; i++)
		off += (size_t)sprintf(buf + off, "k%zu: 1\n", i);
	off += (size_t)sprintf(buf + off, "k7: 2\n");
	assert_load_fails(buf, off, "vmgw.yaml:100001:1: duplicate key 'k7' "
	    "(first at 8:1)");

	/* one alias named a thousand times: the walk stops, memory stays low */
	off = (size_t)sprintf(buf, "%sguests:\n  g0: { addresses: &a [", MIN);
	for (i = 0; i < 3000; i++)
		off += (size_t)sprintf(buf + off, "%s10.%zu.%zu.1", i ? ", " : "",
		    i / 256, i % 256);
	off += (size_t)sprintf(buf + off, "] }\n");
	for (i = 1; i < 1000; i++)
		off += (size_t)sprintf(buf + off, "  g%zu: { addresses: *a }\n", i);
	assert_int_equal(config_load_string("vmgw.yaml", buf, off, &cfg, err,
	    sizeof(err)), -1);
	assert_null(cfg);
	if (strstr(err, ": aliases expand the file to more than 2000000 "
	    "values") == NULL || strchr(err, '\n') != NULL)
		fail_msg("alias expansion: %s", err);

	for (i = 0; i < len; i++) {
		rc = config_load_string("vmgw.yaml", full_yaml, i, &cfg, err,
		    sizeof(err));
		assert_true(rc == 0 || strncmp(err, "vmgw.yaml:", 10) == 0);
		config_free(cfg);
	}
	for (i = 0; i < 4000; i++) {
		memcpy(buf, full_yaml, len + 1);
		for (j = 0; j <= i % 3; j++) {
			cur = strlen(buf);
			off = rnd(&seed) % cur;
			cut = 1 + rnd(&seed) % 8;
			if (rnd(&seed) % 4 == 0 && off + cut <= cur)
				memmove(buf + off, buf + off + cut,
				    cur + 1 - off - cut);	/* cut a piece */
			else
				buf[off] = " \n:-[]{}&*!|>'\"#,?.0aZ\t\001\377"
				    [rnd(&seed) % 26];
		}
		rc = config_load_string("vmgw.yaml", buf, strlen(buf), &cfg,
		    err, sizeof(err));
		assert_true(rc == 0 || strncmp(err, "vmgw.yaml:", 10) == 0);
		config_free(cfg);
	}
	free(buf);
}

struct size_case {
	const char	*text;
	int		 ok;
	uint64_t	 value;
};

static void
test_size_parse(void **state)
{
	static const struct size_case cases[] = {
		{ "0", 1, 0 },
		{ "123", 1, 123 },
		{ "64K", 1, 65536 },
		{ "64k", 1, 65536 },
		{ "4M", 1, 4ULL << 20 },
		{ "1G", 1, 1ULL << 30 },
		{ "2T", 1, 2ULL << 40 },
		{ "1KiB", 1, 1024 },
		{ "10MB", 1, 10ULL << 20 },
		{ "3GiB", 1, 3ULL << 30 },
		{ "007", 1, 7 },
		{ "18446744073709551615", 1, UINT64_MAX },
		{ "16777215T", 1, 16777215ULL << 40 },
		{ "", 0, 0 },
		{ "-1", 0, 0 },
		{ "+1", 0, 0 },
		{ "1.5G", 0, 0 },
		{ "12Q", 0, 0 },
		{ "K", 0, 0 },
		{ "1 K", 0, 0 },
		{ " 1", 0, 0 },
		{ "1 ", 0, 0 },
		{ "1Kb", 0, 0 },
		{ "1KIB", 0, 0 },
		{ "1GG", 0, 0 },
		{ "0x10", 0, 0 },
		{ "18446744073709551616", 0, 0 },
		{ "16777216T", 0, 0 },
		{ "17179869184G", 0, 0 },
	};
	uint64_t	v;
	size_t		i;

	for (i = 0; i < nitems(cases); i++) {
		print_message("size_parse(\"%s\")\n", cases[i].text);
		v = 42;
		assert_int_equal(size_parse(&v, cases[i].text),
		    cases[i].ok ? 0 : -1);
		assert_true(v == cases[i].value);
	}
}

struct addr_case {
	const char	*text;
	const char	*err;		/* NULL: good */
	enum addr_kind	 kind;
	const char	*host_or_path;
	uint16_t	 port;
};

#define BAD(text, err)	{ text, err, 0, NULL, 0 }

static void
test_addr_parse(void **state)
{
	static const struct addr_case cases[] = {
		{ "127.0.0.1:22", NULL, ADDR_TCP, "127.0.0.1", 22 },
		{ "[::1]:8080", NULL, ADDR_TCP, "::1", 8080 },
		{ "[2001:db8::1]:65535", NULL, ADDR_TCP, "2001:db8::1", 65535 },
		{ "db.example.org:5432", NULL, ADDR_TCP, "db.example.org", 5432 },
		{ "LocalHost:1", NULL, ADDR_TCP, "LocalHost", 1 },
		{ "a-b.c-d:7400", NULL, ADDR_TCP, "a-b.c-d", 7400 },
		{ "unix:/run/x.sock", NULL, ADDR_UNIX, "/run/x.sock", 0 },
		BAD("", "expected HOST:PORT or unix:/PATH, got ''"),
		BAD("127.0.0.1", "expected HOST:PORT or unix:/PATH, got "
		    "'127.0.0.1'"),
		BAD("127.0.0.1:", "port must be between 1 and 65535, got ''"),
		BAD("127.0.0.1:0", "port must be between 1 and 65535, got '0'"),
		BAD("127.0.0.1:65536", "port must be between 1 and 65535, got "
		    "'65536'"),
		BAD("127.0.0.1:99999999999999999999", "port must be between 1 "
		    "and 65535, got '99999999999999999999'"),
		BAD("127.0.0.1:+22", "port must be between 1 and 65535, got "
		    "'+22'"),
		BAD("127.0.0.1:22x", "port must be between 1 and 65535, got "
		    "'22x'"),
		BAD(":22", "missing host before ':PORT'"),
		BAD("::1:22", "an IPv6 address needs brackets: [ADDRESS]:PORT, "
		    "got '::1:22'"),
		BAD("[::1]22", "expected [IPV6]:PORT, got '[::1]22'"),
		BAD("[::1", "expected [IPV6]:PORT, got '[::1'"),
		BAD("[]:22", "missing host before ':PORT'"),
		BAD("[1.2.3.4]:22", "'1.2.3.4' is not an IPv6 address"),
		BAD("[fe80::1%eth0]:22", "'fe80::1%eth0' is not an IPv6 address"),
		BAD("1.2.3:22", "'1.2.3' is not an IPv4 address"),
		BAD("1.2.3.256:22", "'1.2.3.256' is not an IPv4 address"),
		BAD("-bad.example:1", "'-bad.example' is not a valid host name"),
		BAD("bad-.example:1", "'bad-.example' is not a valid host name"),
		BAD("a..b:1", "'a..b' is not a valid host name"),
		BAD("host.:1", "'host.' is not a valid host name"),
		BAD("under_score:1", "'under_score' is not a valid host name"),
		BAD("sp ace:1", "'sp ace' is not a valid host name"),
		BAD("unix:run/x.sock", "UNIX socket path must be absolute, got "
		    "'run/x.sock'"),
		BAD("unix:", "UNIX socket path must be absolute, got ''"),
		BAD("unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "UNIX socket path longer than 107 bytes"),
	};
	struct vmgw_addr	a;
	char			err[256];
	size_t			i;

	for (i = 0; i < nitems(cases); i++) {
		print_message("addr_parse(\"%s\")\n", cases[i].text);
		if (cases[i].err != NULL) {
			assert_int_equal(addr_parse(&a, cases[i].text, err,
			    sizeof(err)), -1);
			assert_string_equal(err, cases[i].err);
			assert_int_equal(a.kind, 0);
			continue;
		}
		assert_int_equal(addr_parse(&a, cases[i].text, err,
		    sizeof(err)), 0);
		assert_int_equal(a.kind, cases[i].kind);
		assert_string_equal(a.text, cases[i].text);
		if (a.kind == ADDR_TCP) {
			assert_string_equal(a.host, cases[i].host_or_path);
			assert_int_equal(a.port, cases[i].port);
		} else
			assert_string_equal(a.path, cases[i].host_or_path);
	}
}

static void
test_addr_long(void **state)
{
	struct vmgw_addr	a;
	char			text[400], err[256];

	/* 254-byte name: a valid label pattern but too long for DNS */
	memset(text, 'a', sizeof(text));
	text[63] = text[127] = text[191] = '.';
	(void)snprintf(text + 254, sizeof(text) - 254, ":1");
	assert_int_equal(addr_parse(&a, text, err, sizeof(err)), -1);
	/* 300 bytes: longer than text[] */
	memset(text, 'a', sizeof(text));
	text[300] = '\0';
	assert_int_equal(addr_parse(&a, text, err, sizeof(err)), -1);
	assert_string_equal(err, "address longer than 299 bytes");
}

static void
test_addr_equal(void **state)
{
	static const struct {
		const char	*a, *b;
		int		 equal;
	} cases[] = {
		{ "127.0.0.1:22", "127.0.0.1:22", 1 },
		{ "127.0.0.1:22", "127.0.0.1:23", 0 },
		{ "[::1]:80", "[0:0::1]:80", 1 },
		{ "[::1]:80", "[::2]:80", 0 },
		{ "Example.ORG:1", "example.org:1", 1 },
		{ "example.org:1", "example.com:1", 0 },
		{ "unix:/a", "unix:/a", 1 },
		{ "unix:/a", "unix:/A", 0 },
		{ "unix:/a", "127.0.0.1:1", 0 },
		{ "localhost:22", "127.0.0.1:22", 0 },
	};
	struct vmgw_addr	a, b;
	char			err[256];
	size_t			i;

	for (i = 0; i < nitems(cases); i++) {
		print_message("%s vs %s\n", cases[i].a, cases[i].b);
		assert_int_equal(addr_parse(&a, cases[i].a, err, sizeof(err)),
		    0);
		assert_int_equal(addr_parse(&b, cases[i].b, err, sizeof(err)),
		    0);
		assert_int_equal(addr_equal(&a, &b), cases[i].equal);
		assert_int_equal(addr_equal(&b, &a), cases[i].equal);
	}
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_null_sections),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_err_buffer_full),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_effective_plan),
		cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_addr_long),
		cmocka_unit_test(test_addr_equal),
	};
	struct CMUnitTest	*tests, *t;
	size_t			 i, n;
	int			 rc;

	/* one test per bad config and per multi-error file, named after it */
	n = nitems(fixed) + nitems(bad_cases) + nitems(multi_cases);
	if ((tests = calloc(n, sizeof(*tests))) == NULL)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	t = tests + nitems(fixed);
	for (i = 0; i < nitems(bad_cases); i++, t++) {
		t->name = bad_cases[i].name;
		t->test_func = test_bad;
		t->initial_state = (void *)&bad_cases[i];
	}
	for (i = 0; i < nitems(multi_cases); i++, t++) {
		t->name = multi_cases[i].name;
		t->test_func = test_multi;
		t->initial_state = (void *)&multi_cases[i];
	}
	rc = _cmocka_run_group_tests("config", tests, n, group_setup,
	    group_teardown);
	free(tests);
	return rc;
}
