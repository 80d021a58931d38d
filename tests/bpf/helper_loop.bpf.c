// bpf_loop: a callback called up to nr_loops times with the index and a context pointer, stopping early when it
// returns 1. Results go to `results`:
//   [0] return of a 10-iteration loop, [1] its sum of squares, [2] return of a loop stopped by the callback at
//   index 5, [3] loop count taken from the packet (its length), [4] sum of the packet bytes computed by that loop,
//   [5] nr_loops above 1 << 23: -E2BIG, [6] non-zero flags: -EINVAL, [7] zero iterations
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __s64);
} results SEC(".maps");

static void put(__u32 slot, __s64 v)
{
	bpf_map_update_elem(&results, &slot, &v, BPF_ANY);
}

static long square_sum(__u32 i, __u64 *sum)
{
	*sum += (__u64)i * i;
	return 0;
}

static long stop_at_5(__u32 i, __u64 *last)
{
	*last = i;
	return i == 5;
}

struct bytes_ctx {
	struct xdp_md *xdp;
	__u64 sum;
};

static long add_byte(__u32 i, struct bytes_ctx *c)
{
	__u8 b;
	if (bpf_xdp_load_bytes(c->xdp, i, &b, 1))
		return 1;
	c->sum += b;
	return 0;
}

SEC("xdp")
int loops(struct xdp_md *ctx)
{
	__u64 sum = 0, last = 0;
	struct bytes_ctx bc = { .xdp = ctx };

	put(0, bpf_loop(10, square_sum, &sum, 0));
	put(1, sum);
	put(2, bpf_loop(100, stop_at_5, &last, 0));
	put(3, bpf_loop(ctx->data_end - ctx->data, add_byte, &bc, 0));
	put(4, bc.sum);
	/* The kernel inlines bpf_loop calls with flags 0 and returns -E2BIG from them as a 32-bit value, zero-extended:
	 * compare the low 32 bits. */
	put(5, (int)bpf_loop((1 << 23) + 1, square_sum, &sum, 0));
	put(6, bpf_loop(1, square_sum, &sum, 1));
	put(7, bpf_loop(0, square_sum, &sum, 0));
	return last == 5 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
