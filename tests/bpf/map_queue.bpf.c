// BPF_MAP_TYPE_QUEUE: a FIFO of 3 IPv4 source addresses. `enqueue` pushes the source of a packet (dropping it
// when the queue is full: -E2BIG), `enqueue_overwrite` pushes with BPF_EXIST, which makes room by dropping the
// oldest element, `dequeue` pops the oldest and `peek` reads it without removing it. The element read and the
// helper's return code are recorded.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 3);
	__type(value, __u32);
} sources SEC(".maps");

/* [0] return code of the last operation, [1] the element popped or peeked */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __s64);
} last SEC(".maps");

static void put(__u32 slot, __s64 v)
{
	bpf_map_update_elem(&last, &slot, &v, BPF_ANY);
}

static int push_source(struct xdp_md *ctx, __u64 flags)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__u32 src = bpf_ntohl(ip->saddr);
	long ret = bpf_map_push_elem(&sources, &src, flags);
	put(0, ret);
	return ret == 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int enqueue(struct xdp_md *ctx)
{
	return push_source(ctx, BPF_ANY);
}

SEC("xdp")
int enqueue_overwrite(struct xdp_md *ctx)
{
	return push_source(ctx, BPF_EXIST);
}

SEC("xdp")
int dequeue(struct xdp_md *ctx)
{
	__u32 src = 0;
	long ret = bpf_map_pop_elem(&sources, &src);
	put(0, ret);
	put(1, src);
	return ret == 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int peek(struct xdp_md *ctx)
{
	__u32 src = 0;
	long ret = bpf_map_peek_elem(&sources, &src);
	put(0, ret);
	put(1, src);
	return ret == 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
