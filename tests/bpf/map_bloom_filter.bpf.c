// BPF_MAP_TYPE_BLOOM_FILTER: a set of allowed IPv4 sources. `allow` adds the source of a packet (push), `filter`
// passes packets whose source may be in the set (peek returns 0) and drops the others (-ENOENT). The filter has
// 3 hash functions and a fixed seed (BPF_F_ZERO_SEED), and is sized so that the few addresses of the test never
// collide. Bloom filters accept only BPF_ANY: the return of a BPF_EXIST push is recorded.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__uint(map_extra, 3);	/* hash functions */
	__type(value, __u32);
} allowed SEC(".maps");

/* [0] return of the last push or peek, [1] return of a push with BPF_EXIST */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __s64);
} last SEC(".maps");

static int source(struct xdp_md *ctx, __u32 *src)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	*src = ip->saddr;
	return 0;
}

SEC("xdp")
int allow(struct xdp_md *ctx)
{
	__u32 src, k = 0;
	if (source(ctx, &src))
		return XDP_ABORTED;
	__s64 ret = bpf_map_push_elem(&allowed, &src, BPF_ANY);
	bpf_map_update_elem(&last, &k, &ret, BPF_ANY);
	k = 1;
	ret = bpf_map_push_elem(&allowed, &src, BPF_EXIST);
	bpf_map_update_elem(&last, &k, &ret, BPF_ANY);
	return XDP_PASS;
}

SEC("xdp")
int filter(struct xdp_md *ctx)
{
	__u32 src, k = 0;
	if (source(ctx, &src))
		return XDP_PASS;
	__s64 ret = bpf_map_peek_elem(&allowed, &src);
	bpf_map_update_elem(&last, &k, &ret, BPF_ANY);
	return ret == 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
