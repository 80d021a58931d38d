// An XDP IPv4 forwarder: the TTL is decremented with an incremental header checksum update (RFC 1624), the
// Ethernet addresses are rewritten to this router's and the next hop's (a `const volatile` configuration) and
// the packet goes back out with XDP_TX. A packet whose TTL would reach 0 is dropped, as is one with a bad
// version; non-IPv4 traffic passes to the stack. The number of forwarded packets is counted per TTL seen.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile unsigned char router_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };
const volatile unsigned char next_hop_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u8);	/* TTL on arrival */
	__type(value, __u64);
} forwarded SEC(".maps");

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int forward(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->version != 4 || ip->ttl <= 1)
		return XDP_DROP;

	__u8 ttl = ip->ttl;
	__u64 one = 1, *n = bpf_map_lookup_elem(&forwarded, &ttl);
	if (n)
		*n += 1;
	else
		bpf_map_update_elem(&forwarded, &ttl, &one, BPF_ANY);

	__u16 *ttl_proto = (void *)&ip->ttl;	/* TTL and protocol: one 16-bit word of the header */
	__u16 old = *ttl_proto;
	ip->ttl--;
	ip->check = csum_fold((__u16)~ip->check + (__u16)~old + *ttl_proto);

	for (int i = 0; i < ETH_ALEN; i++) {
		eth->h_source[i] = router_mac[i];
		eth->h_dest[i] = next_hop_mac[i];
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
