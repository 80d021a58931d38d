// BPF_MAP_TYPE_LPM_TRIE: an IPv4 routing table with overlapping prefixes. `add_routes` installs
// 10.0.0.0/8 -> 1, 10.1.0.0/16 -> 2, 10.1.2.0/24 -> 3, 10.1.2.128/25 -> 4 and 192.168.1.1/32 -> 5; `route` looks up
// the destination of a packet (the longest matching prefix wins), records the route id (0: no route) and drops
// unroutable packets; `remove_route` deletes 10.1.0.0/16 and records the result.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct ipv4_lpm_key {
	__u32 prefixlen;
	__u32 addr;	/* network order */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipv4_lpm_key);
	__type(value, __u32);
} routes SEC(".maps");

/* [0] route id of the last packet, [1] return of the last add/remove */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __s64);
} result SEC(".maps");

static void set_result(__u32 slot, __s64 v)
{
	bpf_map_update_elem(&result, &slot, &v, BPF_ANY);
}

static long add(__u32 a, __u32 b, __u32 c, __u32 d, __u32 len, __u32 id)
{
	struct ipv4_lpm_key key = { .prefixlen = len, .addr = bpf_htonl(a << 24 | b << 16 | c << 8 | d) };
	return bpf_map_update_elem(&routes, &key, &id, BPF_ANY);
}

SEC("xdp")
int add_routes(struct xdp_md *ctx)
{
	long err = add(10, 0, 0, 0, 8, 1) | add(10, 1, 0, 0, 16, 2) | add(10, 1, 2, 0, 24, 3) |
		   add(10, 1, 2, 128, 25, 4) | add(192, 168, 1, 1, 32, 5);
	set_result(1, err);
	return XDP_PASS;
}

SEC("xdp")
int remove_route(struct xdp_md *ctx)
{
	struct ipv4_lpm_key key = { .prefixlen = 16, .addr = bpf_htonl(0x0a010000) };
	set_result(1, bpf_map_delete_elem(&routes, &key));
	return XDP_PASS;
}

SEC("xdp")
int route(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct ipv4_lpm_key key = { .prefixlen = 32, .addr = ip->daddr };
	__u32 *id = bpf_map_lookup_elem(&routes, &key);
	set_result(0, id ? *id : 0);
	return id ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
