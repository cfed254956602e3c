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
 */
#include <errno.h>
#include <fcntl.h>
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
