/*
 * announce.c - telling a segment where a guest now is, and asking the guest
 * whether it answers.
 *
 * After a move the destination gateway sends, for each guest address, a
 * gratuitous ARP (IPv4) or an unsolicited neighbour advertisement with the
 * override flag (IPv6) on the guest's bridge: the payload says "ip is at
 * the guest's MAC"; the Ethernet source is the bridge's own MAC, so no
 * switch learns the guest's MAC on the wrong port.  (QEMU also announces
 * the guest itself, RARP from its MAC, after an incoming migration.)
 *
 * The probes: an ICMP echo (needs an address here to send from), a TCP
 * connection, and, for a segment where this host has no address of the
 * guest's family (a pure layer-2 site), the two questions a host without an
 * address may ask: an ARP probe (RFC 5227: sender IP 0.0.0.0) and a
 * duplicate-address-detection style neighbour solicitation (RFC 4862:
 * source ::).  Both are answered by the owner of the address only (never
 * by a proxy), and a reply from the guest's MAC means it is up on the
 * segment.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "netplan.h"
#include "util.h"

int
mac_parse(const char *text, uint8_t mac[6])
{
	unsigned	 b[6];
	int		 i;

	if (sscanf(text, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int
dev_mac(int fd, const char *dev, uint8_t mac[6])
{
	struct ifreq	 ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static size_t
build_garp(uint8_t *f, const uint8_t src[6], const uint8_t mac[6],
    const uint8_t ip[4])
{
	struct ether_header	*eh = (struct ether_header *)f;
	struct ether_arp	*ea = (struct ether_arp *)(f + sizeof(*eh));

	memset(eh->ether_dhost, 0xff, 6);
	memcpy(eh->ether_shost, src, 6);
	eh->ether_type = htons(ETHERTYPE_ARP);
	ea->arp_hrd = htons(ARPHRD_ETHER);
	ea->arp_pro = htons(ETHERTYPE_IP);
	ea->arp_hln = 6;
	ea->arp_pln = 4;
	ea->arp_op = htons(ARPOP_REQUEST);
	memcpy(ea->arp_sha, mac, 6);
	memcpy(ea->arp_spa, ip, 4);
	memset(ea->arp_tha, 0, 6);
	memcpy(ea->arp_tpa, ip, 4);
	return sizeof(*eh) + sizeof(*ea);
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	return sum;
}

static size_t
build_una(uint8_t *f, const uint8_t src[6], const uint8_t mac[6],
    const struct in6_addr *ip)
{
	static const uint8_t	 allnodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct ether_header	*eh = (struct ether_header *)f;
	struct ip6_hdr		*ip6 = (struct ip6_hdr *)(f + sizeof(*eh));
	struct nd_neighbor_advert *na = (struct nd_neighbor_advert *)(ip6 + 1);
	uint8_t			*opt = (uint8_t *)(na + 1);
	size_t			 plen = sizeof(*na) + 8;
	uint32_t		 sum;
	uint8_t			 nh[4] = { 0, 0, 0, IPPROTO_ICMPV6 };
	uint32_t		 be_len = htonl((uint32_t)plen);

	memcpy(eh->ether_dhost, allnodes_mac, 6);
	memcpy(eh->ether_shost, src, 6);
	eh->ether_type = htons(ETHERTYPE_IPV6);
	memset(ip6, 0, sizeof(*ip6));
	ip6->ip6_flow = htonl(6u << 28);
	ip6->ip6_plen = htons((uint16_t)plen);
	ip6->ip6_nxt = IPPROTO_ICMPV6;
	ip6->ip6_hlim = 255;
	ip6->ip6_src = *ip;
	inet_pton(AF_INET6, "ff02::1", &ip6->ip6_dst);
	memset(na, 0, sizeof(*na));
	na->nd_na_type = ND_NEIGHBOR_ADVERT;
	na->nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	na->nd_na_target = *ip;
	opt[0] = ND_OPT_TARGET_LINKADDR;
	opt[1] = 1;
	memcpy(opt + 2, mac, 6);
	sum = csum_add(0, &ip6->ip6_src, 16);
	sum = csum_add(sum, &ip6->ip6_dst, 16);
	sum = csum_add(sum, &be_len, 4);
	sum = csum_add(sum, nh, 4);
	sum = csum_add(sum, na, plen);
	na->nd_na_cksum = htons(csum_fold(sum));
	return sizeof(*eh) + sizeof(*ip6) + plen;
}

int
announce_address(const char *dev, const char *ip, const char *mac_text,
    char *err, size_t errlen)
{
	struct sockaddr_ll	 sll;
	struct in6_addr		 a6;
	/* the frame starts 2 bytes in, so that the IP header after the
	 * 14-byte Ethernet header is 4-byte aligned */
	uint8_t			 store[136] __attribute__((aligned(8)));
	uint8_t			*frame = store + 2, mac[6], src[6], a4[4];
	size_t			 len;
	int			 fd, ret = -1;

	if (mac_parse(mac_text, mac) == -1) {
		snprintf(err, errlen, "%s: not a MAC address", mac_text);
		return -1;
	}
	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "announce %s: %s", ip, strerror(errno));
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_halen = 6;
	if ((sll.sll_ifindex = (int)if_nametoindex(dev)) == 0 ||
	    dev_mac(fd, dev, src) == -1) {
		snprintf(err, errlen, "announce %s: interface %s: %s", ip, dev,
		    strerror(errno));
		goto out;
	}
	if (inet_pton(AF_INET, ip, a4) == 1) {
		len = build_garp(frame, src, mac, a4);
		sll.sll_protocol = htons(ETHERTYPE_ARP);
		memset(sll.sll_addr, 0xff, 6);
	} else if (inet_pton(AF_INET6, ip, &a6) == 1) {
		len = build_una(frame, src, mac, &a6);
		sll.sll_protocol = htons(ETHERTYPE_IPV6);
		memcpy(sll.sll_addr, frame, 6);
	} else {
		snprintf(err, errlen, "announce: %s is not an IP address", ip);
		goto out;
	}
	if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll,
	    sizeof(sll)) == -1) {
		snprintf(err, errlen, "announce %s on %s: %s", ip, dev,
		    strerror(errno));
		goto out;
	}
	ret = 0;
 out:
	close(fd);
	return ret;
}

/* ------------------------------------------------------------ probes */

static uint16_t
icmp_csum(const void *p, size_t len)
{
	return htons(csum_fold(csum_add(0, p, len)));
}

int
probe_icmp(const char *ip, unsigned timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_in	 sin;
	struct icmphdr		 req;
	struct pollfd		 pfd;
	uint8_t			 buf[1500] __attribute__((aligned(8)));
	uint16_t		 id = (uint16_t)(getpid() ^ time(NULL));
	struct ip		*iph;
	struct icmphdr		*rep;
	ssize_t			 n;
	int			 fd, ret = -1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1) {
		/* IPv6 guests: the TCP probe, or the hooks, say more */
		snprintf(err, errlen, "%s: ICMP probe is IPv4 only", ip);
		return -1;
	}
	if ((fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP)) ==
	    -1) {
		snprintf(err, errlen, "ICMP socket: %s", strerror(errno));
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.type = ICMP_ECHO;
	req.un.echo.id = id;
	req.un.echo.sequence = htons(1);
	req.checksum = icmp_csum(&req, sizeof(req));
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1) {
		snprintf(err, errlen, "ping %s: %s", ip, strerror(errno));
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, (int)timeout_ms) == 1) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) <= 0)
			break;
		iph = (struct ip *)buf;
		if ((size_t)n < (size_t)iph->ip_hl * 4 + sizeof(*rep))
			continue;
		rep = (struct icmphdr *)(buf + iph->ip_hl * 4);
		if (rep->type == ICMP_ECHOREPLY && rep->un.echo.id == id &&
		    iph->ip_src.s_addr == sin.sin_addr.s_addr) {
			ret = 0;
			goto out;
		}
	}
	snprintf(err, errlen, "%s did not answer ICMP", ip);
 out:
	close(fd);
	return ret;
}

int
probe_tcp(const char *ip, uint16_t port, unsigned timeout_ms, char *err,
    size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	struct pollfd		 pfd;
	socklen_t		 sl, el = sizeof(int);
	int			 fd, e = 0, ret = -1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
	} else {
		snprintf(err, errlen, "%s: not an IP address", ip);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
		ret = 0;
	else if (errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)timeout_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 &&
		    e == 0)
			ret = 0;
	}
	if (ret == -1)
		snprintf(err, errlen, "%s:%u did not accept a TCP connection%s%s",
		    ip, port, e ? ": " : "", e ? strerror(e) : "");
	close(fd);
	return ret;
}

/* ------------------------------------------------------------ L2 probes */

int
dev_has_addr_for(const char *dev, const char *ip)
{
	struct ifaddrs	*ifa, *i;
	struct in6_addr	 a6;
	int		 family, ll, found = 0;

	if (inet_pton(AF_INET6, ip, &a6) == 1) {
		family = AF_INET6;
		ll = IN6_IS_ADDR_LINKLOCAL(&a6);
	} else {
		family = AF_INET;
		ll = 0;
	}
	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, dev) != 0)
			continue;
		/* a link-local address reaches link-local addresses only */
		if (family == AF_INET6 && !ll && IN6_IS_ADDR_LINKLOCAL(
		    &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
			continue;
		found = 1;
	}
	freeifaddrs(ifa);
	return found;
}

/* a packet socket on dev for proto, with dev's index and MAC */
static int
l2_socket(const char *dev, uint16_t proto, struct sockaddr_ll *sll,
    uint8_t mac[6], const char *what, char *err, size_t errlen)
{
	int	 fd;

	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(proto))) ==
	    -1) {
		snprintf(err, errlen, "%s socket: %s", what, strerror(errno));
		return -1;
	}
	memset(sll, 0, sizeof(*sll));
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons(proto);
	sll->sll_halen = 6;
	if ((sll->sll_ifindex = (int)if_nametoindex(dev)) == 0 ||
	    dev_mac(fd, dev, mac) == -1 ||
	    bind(fd, (struct sockaddr *)sll, sizeof(*sll)) == -1) {
		snprintf(err, errlen, "%s: interface %s: %s", what, dev,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Wait until deadline for a frame that match() accepts; 0 when one came.
 * Our own frames (PACKET_OUTGOING) are skipped.
 */
static int
l2_wait(int fd, uint64_t deadline_ns, int (*match)(const uint8_t *, size_t,
    const void *), const void *arg)
{
	uint8_t			 store[1536] __attribute__((aligned(8)));
	uint8_t			*buf = store + 2;	/* IP aligned */
	struct sockaddr_ll	 from;
	socklen_t		 fl;
	struct pollfd		 pfd = { fd, POLLIN, 0 };
	uint64_t		 now;
	ssize_t			 n;

	while ((now = mono_ns()) < deadline_ns) {
		if (poll(&pfd, 1, (int)((deadline_ns - now + 999999) /
		    1000000)) != 1)
			continue;
		fl = sizeof(from);
		if ((n = recvfrom(fd, buf, sizeof(store) - 2, 0,
		    (struct sockaddr *)&from, &fl)) <= 0)
			return -1;
		if (from.sll_pkttype != PACKET_OUTGOING &&
		    match(buf, (size_t)n, arg))
			return 0;
	}
	return -1;
}

struct l2_want {
	uint8_t		 ip[16];
	const uint8_t	*mac;		/* NULL: any */
};

static int
arp_match(const uint8_t *f, size_t n, const void *arg)
{
	const struct l2_want		*w = arg;
	const struct ether_header	*eh = (const struct ether_header *)f;
	const struct ether_arp		*ea =
	    (const struct ether_arp *)(eh + 1);

	return n >= sizeof(*eh) + sizeof(*ea) &&
	    ntohs(eh->ether_type) == ETHERTYPE_ARP &&
	    ntohs(ea->arp_op) == ARPOP_REPLY &&
	    memcmp(ea->arp_spa, w->ip, 4) == 0 &&
	    (w->mac == NULL || memcmp(ea->arp_sha, w->mac, 6) == 0);
}

int
probe_arp(const char *dev, const char *ip, const char *mac_text,
    unsigned timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_ll	 sll;
	struct ether_header	*eh;
	struct ether_arp	*ea;
	struct l2_want		 w;
	uint8_t			 frame[64], src[6], mac[6];
	uint64_t		 deadline = mono_ns() + (uint64_t)timeout_ms *
				    1000000ull;
	int			 fd, ret = -1;

	memset(&w, 0, sizeof(w));
	if (inet_pton(AF_INET, ip, w.ip) != 1) {
		snprintf(err, errlen, "%s: not an IPv4 address", ip);
		return -1;
	}
	if (mac_text != NULL && *mac_text != '\0') {
		if (mac_parse(mac_text, mac) == -1) {
			snprintf(err, errlen, "%s: not a MAC address",
			    mac_text);
			return -1;
		}
		w.mac = mac;
	}
	if ((fd = l2_socket(dev, ETHERTYPE_ARP, &sll, src, "ARP probe", err,
	    errlen)) == -1)
		return -1;
	/* who has ip? tell (our MAC, 0.0.0.0): RFC 5227's probe */
	memset(frame, 0, sizeof(frame));
	eh = (struct ether_header *)frame;
	ea = (struct ether_arp *)(eh + 1);
	memset(eh->ether_dhost, 0xff, 6);
	memcpy(eh->ether_shost, src, 6);
	eh->ether_type = htons(ETHERTYPE_ARP);
	ea->arp_hrd = htons(ARPHRD_ETHER);
	ea->arp_pro = htons(ETHERTYPE_IP);
	ea->arp_hln = 6;
	ea->arp_pln = 4;
	ea->arp_op = htons(ARPOP_REQUEST);
	memcpy(ea->arp_sha, src, 6);
	memcpy(ea->arp_tpa, w.ip, 4);
	memset(sll.sll_addr, 0xff, 6);
	if (sendto(fd, frame, sizeof(*eh) + sizeof(*ea), 0,
	    (struct sockaddr *)&sll, sizeof(sll)) == -1)
		snprintf(err, errlen, "ARP probe %s on %s: %s", ip, dev,
		    strerror(errno));
	else if (l2_wait(fd, deadline, arp_match, &w) == 0)
		ret = 0;
	else
		snprintf(err, errlen, "%s did not answer ARP on %s", ip, dev);
	close(fd);
	return ret;
}

static int
na_match(const uint8_t *f, size_t n, const void *arg)
{
	const struct l2_want		*w = arg;
	const struct ether_header	*eh = (const struct ether_header *)f;
	const struct ip6_hdr		*ip6 =
	    (const struct ip6_hdr *)(eh + 1);
	const struct nd_neighbor_advert	*na =
	    (const struct nd_neighbor_advert *)(ip6 + 1);

	return n >= sizeof(*eh) + sizeof(*ip6) + sizeof(*na) &&
	    ntohs(eh->ether_type) == ETHERTYPE_IPV6 &&
	    ip6->ip6_nxt == IPPROTO_ICMPV6 && ip6->ip6_hlim == 255 &&
	    na->nd_na_type == ND_NEIGHBOR_ADVERT &&
	    memcmp(&na->nd_na_target, w->ip, 16) == 0 &&
	    (w->mac == NULL || memcmp(eh->ether_shost, w->mac, 6) == 0);
}

int
probe_ns(const char *dev, const char *ip, const char *mac_text,
    unsigned timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_ll	 sll;
	struct ether_header	*eh;
	struct ip6_hdr		*ip6;
	struct nd_neighbor_solicit *ns;
	struct l2_want		 w;
	uint8_t			 store[96] __attribute__((aligned(8)));
	uint8_t			*frame = store + 2, src[6], mac[6];
	uint8_t			 nh[4] = { 0, 0, 0, IPPROTO_ICMPV6 };
	uint32_t		 sum, be_len = htonl(sizeof(*ns));
	uint64_t		 deadline = mono_ns() + (uint64_t)timeout_ms *
				    1000000ull;
	int			 fd, ret = -1;

	memset(&w, 0, sizeof(w));
	if (inet_pton(AF_INET6, ip, w.ip) != 1) {
		snprintf(err, errlen, "%s: not an IPv6 address", ip);
		return -1;
	}
	if (mac_text != NULL && *mac_text != '\0') {
		if (mac_parse(mac_text, mac) == -1) {
			snprintf(err, errlen, "%s: not a MAC address",
			    mac_text);
			return -1;
		}
		w.mac = mac;
	}
	if ((fd = l2_socket(dev, ETHERTYPE_IPV6, &sll, src, "NS probe", err,
	    errlen)) == -1)
		return -1;
	/*
	 * From ::, to ip's solicited-node group, as duplicate address
	 * detection asks: the owner answers to all nodes.  With the guest's
	 * MAC known the frame goes to that MAC (the IP destination stays the
	 * group the guest joined), so a snooping bridge that has not seen
	 * the guest join since it moved still delivers it.
	 */
	memset(store, 0, sizeof(store));
	eh = (struct ether_header *)frame;
	ip6 = (struct ip6_hdr *)(eh + 1);
	ns = (struct nd_neighbor_solicit *)(ip6 + 1);
	inet_pton(AF_INET6, "ff02::1:ff00:0", &ip6->ip6_dst);
	memcpy(&ip6->ip6_dst.s6_addr[13], &w.ip[13], 3);
	if (w.mac != NULL)
		memcpy(eh->ether_dhost, w.mac, 6);
	else {
		memcpy(eh->ether_dhost, "\x33\x33", 2);
		memcpy(eh->ether_dhost + 2, &ip6->ip6_dst.s6_addr[12], 4);
	}
	memcpy(eh->ether_shost, src, 6);
	eh->ether_type = htons(ETHERTYPE_IPV6);
	ip6->ip6_flow = htonl(6u << 28);
	ip6->ip6_plen = htons(sizeof(*ns));
	ip6->ip6_nxt = IPPROTO_ICMPV6;
	ip6->ip6_hlim = 255;
	ns->nd_ns_type = ND_NEIGHBOR_SOLICIT;
	memcpy(&ns->nd_ns_target, w.ip, 16);
	sum = csum_add(0, &ip6->ip6_src, 16);
	sum = csum_add(sum, &ip6->ip6_dst, 16);
	sum = csum_add(sum, &be_len, 4);
	sum = csum_add(sum, nh, 4);
	sum = csum_add(sum, ns, sizeof(*ns));
	ns->nd_ns_cksum = htons(csum_fold(sum));
	memcpy(sll.sll_addr, eh->ether_dhost, 6);
	if (sendto(fd, frame, sizeof(*eh) + sizeof(*ip6) + sizeof(*ns), 0,
	    (struct sockaddr *)&sll, sizeof(sll)) == -1)
		snprintf(err, errlen, "NS probe %s on %s: %s", ip, dev,
		    strerror(errno));
	else if (l2_wait(fd, deadline, na_match, &w) == 0)
		ret = 0;
	else
		snprintf(err, errlen, "%s did not answer neighbour "
		    "solicitation on %s", ip, dev);
	close(fd);
	return ret;
}
