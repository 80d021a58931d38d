// A tc classifier counting packets by protocol, using the socket buffer's metadata (skb->protocol, set from
// the Ethernet header) and bpf_skb_load_bytes for the headers rather than direct packet access. ICMP and
// ICMPv6 echo requests are shot (TC_ACT_SHOT), ARP is passed on unclassified (TC_ACT_UNSPEC), everything else
// is accepted (TC_ACT_OK).
//   counts: [0] other, [1] IPv4 TCP, [2] IPv4 UDP, [3] IPv4 ICMP, [4] IPv6 TCP, [5] IPv6 UDP, [6] ICMPv6,
//   [7] ARP
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tc")
int classify(struct __sk_buff *skb)
{
	__u8 l4, icmp_type = 0;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)))
			return TC_ACT_SHOT;
		l4 = ip.protocol;
		if (l4 == IPPROTO_ICMP)
			bpf_skb_load_bytes(skb, ETH_HLEN + ip.ihl * 4, &icmp_type, 1);
		count(l4 == IPPROTO_TCP ? 1 : l4 == IPPROTO_UDP ? 2 : l4 == IPPROTO_ICMP ? 3 : 0);
		return icmp_type == 8 ? TC_ACT_SHOT : TC_ACT_OK;
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct ipv6hdr, nexthdr), &l4, 1))
			return TC_ACT_SHOT;
		if (l4 == IPPROTO_ICMPV6)
			bpf_skb_load_bytes(skb, ETH_HLEN + sizeof(struct ipv6hdr), &icmp_type, 1);
		count(l4 == IPPROTO_TCP ? 4 : l4 == IPPROTO_UDP ? 5 : l4 == IPPROTO_ICMPV6 ? 6 : 0);
		return icmp_type == 128 ? TC_ACT_SHOT : TC_ACT_OK;
	}
	if (skb->protocol == bpf_htons(ETH_P_ARP)) {
		count(7);
		return TC_ACT_UNSPEC;
	}
	count(0);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
