// BPF_MAP_TYPE_LRU_PERCPU_HASH: per-CPU byte counts by IPv4 destination in an LRU table of 2 entries. A third
// destination evicts the least recently used one, and a destination that comes back starts again from zero.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);	/* destination address, network order */
	__type(value, __u64);	/* bytes */
} dst_bytes SEC(".maps");

SEC("xdp")
int count_dst_bytes(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__u32 dst = ip->daddr;
	__u64 len = data_end - data;
	__u64 *bytes = bpf_map_lookup_elem(&dst_bytes, &dst);
	if (bytes)
		*bytes += len;
	else
		bpf_map_update_elem(&dst_bytes, &dst, &len, BPF_ANY);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
