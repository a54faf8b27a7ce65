// SPDX-License-Identifier: MPL-2.0
//
// xdhcp XDP program: steers DHCP frames into the AF_XDP socket of the receiving queue and
// passes every other frame to the kernel untouched.
//
// A frame is steered when it is UDP over IPv4 or IPv6 (behind zero, one or two 802.1Q /
// 802.1ad tags; IPv4 with options; IPv6 behind hop-by-hop, routing and destination-options
// headers) and its destination port is marked in `steer_ports` (bit 0: over IPv4, bit 1:
// over IPv6). The server marks 67 and 547; a load generator marks 67/68 and 546/547.
// Fragments are never steered: the kernel reassembles them.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_QUEUES 64
#define MAX_VLAN_TAGS 2
#define MAX_V6_EXT_HEADERS 4
#define STEER_V4 1
#define STEER_V6 2

// Per-queue counters; layout shared with ebpf/src/maps.rs (QueueCounters).
struct queue_counters {
	__u64 steered;
	__u64 passed;
	__u64 malformed;
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} steer_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_QUEUES);
	__type(key, __u32);
	__type(value, struct queue_counters);
} counters SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

enum verdict { PASS, STEER, MALFORMED };

static __always_inline enum verdict check_udp(void *l4, void *end, __u8 family_bit)
{
	struct udphdr *udp = l4;
	if ((void *)(udp + 1) > end)
		return MALFORMED;
	__u32 port = bpf_ntohs(udp->dest);
	__u8 *mark = bpf_map_lookup_elem(&steer_ports, &port);
	if (mark && (*mark & family_bit))
		return STEER;
	return PASS;
}

static __always_inline enum verdict classify(void *data, void *end)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return MALFORMED;
	void *cur = eth + 1;
	__u16 proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *vh = cur;
		if ((void *)(vh + 1) > end)
			return MALFORMED;
		proto = vh->encapsulated_proto;
		cur = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = cur;
		if ((void *)(ip + 1) > end)
			return MALFORMED;
		if (ip->version != 4 || ip->ihl < 5)
			return MALFORMED;
		if (ip->protocol != IPPROTO_UDP)
			return PASS;
		// More-fragments set or a fragment offset: leave it to the kernel.
		if (ip->frag_off & bpf_htons(0x3fff))
			return PASS;
		void *l4 = (void *)ip + ip->ihl * 4;
		if (l4 > end)
			return MALFORMED;
		return check_udp(l4, end, STEER_V4);
	}

	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = cur;
		if ((void *)(ip6 + 1) > end)
			return MALFORMED;
		if (ip6->version != 6)
			return MALFORMED;
		__u8 next = ip6->nexthdr;
		void *l4 = ip6 + 1;
#pragma unroll
		for (int i = 0; i < MAX_V6_EXT_HEADERS; i++) {
			if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS)
				break;
			__u8 *ext = l4;
			if ((void *)(ext + 2) > end)
				return MALFORMED;
			next = ext[0];
			l4 = ext + (ext[1] + 1) * 8;
		}
		if (next != IPPROTO_UDP)
			return PASS;
		return check_udp(l4, end, STEER_V6);
	}
	return PASS;
}

SEC("xdp")
int xdp_dhcp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 queue = ctx->rx_queue_index;
	struct queue_counters *c = bpf_map_lookup_elem(&counters, &queue);

	enum verdict v = classify(data, end);
	if (v == STEER) {
		// XDP_PASS as the fallback: with no socket on this queue the kernel gets it.
		int action = bpf_redirect_map(&xsks, queue, XDP_PASS);
		if (c) {
			if (action == XDP_REDIRECT)
				c->steered++;
			else
				c->passed++;
		}
		return action;
	}
	if (c) {
		if (v == MALFORMED)
			c->malformed++;
		else
			c->passed++;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MPL/GPL";
