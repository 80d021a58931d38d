// Ethernet (optionally with one 802.1Q VLAN tag) -> IPv6 -> UDP. Counts UDP datagrams per destination port and
// VLAN, and drops DNS queries (port 53) from the blocked prefix fd00:bad::/32. Other IPv6 next headers and IPv4
// pass untouched.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

struct port_vlan {
	__u16 port;	/* host order */
	__u16 vlan;	/* VLAN id, 0 when untagged */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct port_vlan);
	__type(value, __u64);
} datagrams SEC(".maps");

SEC("xdp")
int udp6_ports(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *cursor = eth + 1;
	__u16 proto, vlan = 0;

	if (cursor > data_end)
		return XDP_ABORTED;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *vh = cursor;
		if ((void *)(vh + 1) > data_end)
			return XDP_ABORTED;
		vlan = bpf_ntohs(vh->tci) & 0x0fff;
		proto = vh->encapsulated_proto;
		cursor = vh + 1;
	}
	if (proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;

	struct ipv6hdr *ip6 = cursor;
	struct udphdr *udp = (void *)(ip6 + 1);
	if ((void *)(udp + 1) > data_end)
		return XDP_ABORTED;
	if (ip6->nexthdr != IPPROTO_UDP)
		return XDP_PASS;

	struct port_vlan key = { .port = bpf_ntohs(udp->dest), .vlan = vlan };
	__u64 *n = bpf_map_lookup_elem(&datagrams, &key);
	if (n) {
		*n += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&datagrams, &key, &one, BPF_ANY);
	}

	if (key.port == 53 && ip6->saddr.in6_u.u6_addr32[0] == bpf_htonl(0xfd000bad))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
