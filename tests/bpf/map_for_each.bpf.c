// bpf_for_each_map_elem over a hash and an array. `add` stores a value under the key given by the packet's UDP
// destination port (the value is the source port); `summarize` walks the hash to compute the count and sum of the
// values and their maximum, and walks the array stopping at the first zero element (a callback returning 1
// stops the walk, and bpf_for_each_map_elem returns the number of elements visited). Results go to `summary`.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

/* [0] hash elements visited, [1] sum, [2] max, [3] array elements visited, [4] non-zero prefix length */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u64);
} summary SEC(".maps");

struct totals {
	__u64 sum;
	__u64 max;
};

static long sum_values(void *map, __u32 *key, __u64 *value, struct totals *t)
{
	t->sum += *value;
	if (*value > t->max)
		t->max = *value;
	return 0;
}

static long until_zero(void *map, __u32 *key, __u64 *value, __u64 *prefix)
{
	if (*value == 0)
		return 1;
	*prefix = *key + 1;
	return 0;
}

static void put(__u32 slot, __u64 v)
{
	bpf_map_update_elem(&summary, &slot, &v, BPF_ANY);
}

SEC("xdp")
int add(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = data + sizeof(struct ethhdr) + sizeof(struct iphdr);

	if ((void *)(udp + 1) > data_end)
		return XDP_DROP;
	__u32 key = bpf_ntohs(udp->dest);
	__u64 value = bpf_ntohs(udp->source);
	bpf_map_update_elem(&values, &key, &value, BPF_ANY);
	if (key < 8)
		bpf_map_update_elem(&slots, &key, &value, BPF_ANY);
	return XDP_PASS;
}

SEC("xdp")
int summarize(struct xdp_md *ctx)
{
	struct totals t = {};
	__u64 prefix = 0;

	put(0, bpf_for_each_map_elem(&values, sum_values, &t, 0));
	put(1, t.sum);
	put(2, t.max);
	put(3, bpf_for_each_map_elem(&slots, until_zero, &prefix, 0));
	put(4, prefix);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
