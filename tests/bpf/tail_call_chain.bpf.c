// bpf_tail_call through a BPF_MAP_TYPE_PROG_ARRAY filled by the loader (`.values`): pipeline -> parse -> count ->
// verdict, each stage a separate XDP program sharing the packet. `visits` counts how often each stage ran. A tail
// call to an empty slot (3) or past the end (100) does not jump: execution continues after the call, which
// `verdict` and `pipeline_missing` rely on.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

int stage_parse(struct xdp_md *ctx);
int stage_count(struct xdp_md *ctx);
int stage_verdict(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} stages SEC(".maps") = {
	.values = { [0] = (void *)&stage_parse, [1] = (void *)&stage_count, [2] = (void *)&stage_verdict },
};

/* [0] pipeline, [1] parse, [2] count, [3] verdict, [4] fell through a missing slot, [5] UDP packets */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 6);
	__type(key, __u32);
	__type(value, __u64);
} visits SEC(".maps");

static void visit(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&visits, &slot);
	if (v)
		*v += 1;
}

SEC("xdp")
int pipeline(struct xdp_md *ctx)
{
	visit(0);
	bpf_tail_call(ctx, &stages, 0);
	return XDP_ABORTED;	/* not reached: slot 0 is set */
}

SEC("xdp")
int stage_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	visit(1);
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	eth->h_source[5] = 0xaa;	/* mark the packet: later stages see it */
	bpf_tail_call(ctx, &stages, 1);
	return XDP_ABORTED;
}

SEC("xdp")
int stage_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	visit(2);
	if ((void *)(ip + 1) <= data_end && eth->h_source[5] == 0xaa && ip->protocol == IPPROTO_UDP)
		visit(5);
	bpf_tail_call(ctx, &stages, 2);
	return XDP_ABORTED;
}

SEC("xdp")
int stage_verdict(struct xdp_md *ctx)
{
	visit(3);
	bpf_tail_call(ctx, &stages, 3);		/* empty slot */
	bpf_tail_call(ctx, &stages, 100);	/* past max_entries */
	visit(4);
	return XDP_TX;
}

SEC("xdp")
int pipeline_missing(struct xdp_md *ctx)
{
	__u32 slot = (ctx->data_end - ctx->data) > 60 ? 3 : 2;
	bpf_tail_call(ctx, &stages, slot);
	visit(4);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
