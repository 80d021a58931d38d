// BPF_MAP_TYPE_ARRAY_OF_MAPS: per-tenant counters. The tenant is the low bit of the IPv4 destination; slot 0 and
// 1 of `tenants` hold the inner arrays `tenant_even` and `tenant_odd` (set up by the loader from the `.values`
// initialiser), slot 2 is empty and looks up as NULL. Inner key 0 counts packets, key 1 bytes.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct tenant_counters {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} tenant_even SEC(".maps"), tenant_odd SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct tenant_counters);
} tenants SEC(".maps") = {
	.values = { &tenant_even, &tenant_odd },
};

SEC("xdp")
int count_by_tenant(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	/* 10.0.0.x: tenant x & 1; anything else: the unset slot 2 */
	__u32 dst = bpf_ntohl(ip->daddr);
	__u32 tenant = (dst >> 8) == 0x0a0000 ? dst & 1 : 2;
	void *counters = bpf_map_lookup_elem(&tenants, &tenant);
	if (!counters)
		return XDP_DROP;

	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(counters, &key);
	if (v)
		*v += 1;
	key = 1;
	v = bpf_map_lookup_elem(counters, &key);
	if (v)
		*v += data_end - data;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
