// BPF_MAP_TYPE_STACK: a LIFO of 4 packet lengths, used the way a program keeps a scratch stack. `push_len` pushes
// the length of the packet, `pop_sum` pops up to 8 elements in a bounded loop and returns their sum, `top` peeks.
// Pushing onto a full stack fails with -E2BIG unless BPF_EXIST is given, which drops the oldest (bottom) element.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, __u64);
} lengths SEC(".maps");

/* [0] return code of the last push or peek, [1] elements popped by pop_sum, [2] the last element popped */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __s64);
} last SEC(".maps");

static void put(__u32 slot, __s64 v)
{
	bpf_map_update_elem(&last, &slot, &v, BPF_ANY);
}

SEC("xdp")
int push_len(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	long ret = bpf_map_push_elem(&lengths, &len, 0);
	put(0, ret);
	return ret == 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int push_len_overwrite(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	long ret = bpf_map_push_elem(&lengths, &len, BPF_EXIST);
	put(0, ret);
	return ret == 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int pop_sum(struct xdp_md *ctx)
{
	__u64 sum = 0, v = 0;
	int n = 0;

	for (int i = 0; i < 8; i++) {
		if (bpf_map_pop_elem(&lengths, &v))
			break;
		sum += v;
		n++;
		put(2, v);
	}
	put(1, n);
	return sum;
}

SEC("xdp")
int top(struct xdp_md *ctx)
{
	__u64 v = 0;
	long ret = bpf_map_peek_elem(&lengths, &v);
	put(0, ret);
	return v;
}

char LICENSE[] SEC("license") = "GPL";
