// An XDP program as written for Linux: counts packets and bytes per IP protocol in a hash map, keeps a total in
// global data, and drops packets to a port listed in a read-only configuration array.
//
//   ubee run build/examples/bpf/packet_stats.o --data-in examples/packets/dns-query.bin --dump-maps
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct proto_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);  /* IP protocol number */
	__type(value, struct proto_stats);
} by_protocol SEC(".maps");

__u64 total_packets = 0;
const volatile __u16 blocked_ports[2] = {23, 2323};  /* telnet */

static __always_inline int blocked(__u16 port)
{
	for (int i = 0; i < 2; i++)
		if (blocked_ports[i] == port)
			return 1;
	return 0;
}

SEC("xdp")
int packet_stats(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	__sync_fetch_and_add(&total_packets, 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	__u32 proto = ip->protocol;
	struct proto_stats *s = bpf_map_lookup_elem(&by_protocol, &proto);
	if (!s) {
		struct proto_stats zero = {};
		bpf_map_update_elem(&by_protocol, &proto, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&by_protocol, &proto);
		if (!s)
			return XDP_ABORTED;
	}
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, data_end - data);

	struct udphdr *udp = (void *)ip + ip->ihl * 4;
	if (ip->protocol == IPPROTO_UDP && (void *)(udp + 1) <= data_end && blocked(bpf_ntohs(udp->dest)))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
