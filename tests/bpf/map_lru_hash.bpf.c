// BPF_MAP_TYPE_LRU_HASH: a 4-entry table of IPv4 sources that never refuses an insert: when it is full the least
// recently used entry is evicted. `track` inserts or touches the source of a packet; `census` walks the table
// with bpf_for_each_map_elem (which does not count as a use), records which of 10.0.0.1..10.0.0.8 are present as
// a bit mask and returns the number of entries.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);	/* source address, network order */
	__type(value, __u64);	/* packets seen */
} recent SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} present SEC(".maps");

SEC("xdp")
int track(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__u32 src = ip->saddr;
	__u64 *seen = bpf_map_lookup_elem(&recent, &src);
	if (seen) {
		*seen += 1;
		return XDP_PASS;
	}
	__u64 one = 1;
	return bpf_map_update_elem(&recent, &src, &one, BPF_NOEXIST) == 0 ? XDP_PASS : XDP_ABORTED;
}

static long census_one(void *map, __u32 *key, __u64 *value, __u64 *mask)
{
	__u32 host = bpf_ntohl(*key);
	if ((host >> 8) == 0x0a0000 && (host & 0xff) < 64)
		*mask |= 1ULL << (host & 0xff);
	return 0;
}

SEC("xdp")
int census(struct xdp_md *ctx)
{
	__u64 mask = 0;
	__u32 zero = 0;
	long n = bpf_for_each_map_elem(&recent, census_one, &mask, 0);
	bpf_map_update_elem(&present, &zero, &mask, BPF_ANY);
	return n;
}

char LICENSE[] SEC("license") = "GPL";
