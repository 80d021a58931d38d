// bpf_spin_lock / bpf_spin_unlock: a token bucket per traffic class in a hash map, updated under the value's
// lock (several fields must change together). Each packet takes one token; when the bucket is empty the packet
// is shot and `dropped` counts it. `refill` (run with no packet checks) puts back 2 tokens per bucket, capped.
// User space reads the lock field as zero.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct bucket {
	struct bpf_spin_lock lock;
	__u32 tokens;
	__u64 passed;
	__u64 dropped;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);	/* traffic class: IPv4 DSCP */
	__type(value, struct bucket);
} buckets SEC(".maps");

#define BUCKET_SIZE 3

SEC("tc")
int police(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	__u32 class = ip->tos >> 2;
	struct bucket *b = bpf_map_lookup_elem(&buckets, &class);
	if (!b) {
		struct bucket fresh = { .tokens = BUCKET_SIZE };
		bpf_map_update_elem(&buckets, &class, &fresh, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&buckets, &class);
		if (!b)
			return TC_ACT_SHOT;
	}
	int verdict;
	bpf_spin_lock(&b->lock);
	if (b->tokens > 0) {
		b->tokens--;
		b->passed++;
		verdict = TC_ACT_OK;
	} else {
		b->dropped++;
		verdict = TC_ACT_SHOT;
	}
	bpf_spin_unlock(&b->lock);
	return verdict;
}

static long refill_one(void *map, __u32 *key, struct bucket *b, void *ctx)
{
	bpf_spin_lock(&b->lock);
	b->tokens += 2;
	if (b->tokens > BUCKET_SIZE)
		b->tokens = BUCKET_SIZE;
	bpf_spin_unlock(&b->lock);
	return 0;
}

SEC("tc")
int refill(struct __sk_buff *skb)
{
	return bpf_for_each_map_elem(&buckets, refill_one, NULL, 0);
}

char LICENSE[] SEC("license") = "GPL";
