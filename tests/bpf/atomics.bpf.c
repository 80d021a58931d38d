// Atomic operations on a map value, as clang emits them for the __sync builtins: fetch-and-add with the result
// unused (BPF_ADD, the original XADD) and used (BPF_ADD | BPF_FETCH), and the -mcpu=v3 atomics: or, and, xor
// (with and without fetch), exchange (__sync_lock_test_and_set) and compare-and-exchange, on 64- and 32-bit
// fields. The operands come from the packet (its length and IP protocol).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct counters {
	__u64 packets;		/* += 1, result unused */
	__u64 bytes;		/* += len, fetching the old value into bytes_before */
	__u64 bytes_before;
	__u64 protocols;	/* |= 1 << protocol, result unused */
	__u64 parity;		/* ^= len, fetching the old value into parity_before */
	__u64 parity_before;
	__u64 last_len;		/* exchanged with len; the old value goes to prev_len */
	__u64 prev_len;
	__u64 first_len;	/* compare-and-exchange 0 -> len: set by the first packet only */
	__u64 first_seen;	/* what compare-and-exchange returned */
	__u32 packets32;	/* 32-bit += 1 */
	__u32 flags32;		/* 32-bit |= 0xf0, then &= ~(len & 0x3f), fetching */
	__u32 flags_before;
	__u32 xor32;		/* 32-bit ^= protocol, result unused */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} totals SEC(".maps");

SEC("xdp")
int count_atomically(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 zero = 0;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct counters *c = bpf_map_lookup_elem(&totals, &zero);
	if (!c)
		return XDP_ABORTED;
	__u64 len = data_end - data;
	__u32 proto = ip->protocol;

	__sync_fetch_and_add(&c->packets, 1);
	c->bytes_before = __sync_fetch_and_add(&c->bytes, len);
	__sync_fetch_and_or(&c->protocols, 1ULL << (proto & 63));
	c->parity_before = __sync_fetch_and_xor(&c->parity, len);
	c->prev_len = __sync_lock_test_and_set(&c->last_len, len);
	c->first_seen = __sync_val_compare_and_swap(&c->first_len, 0, len);
	__sync_fetch_and_add(&c->packets32, 1);
	__sync_fetch_and_or(&c->flags32, 0xf0);
	c->flags_before = __sync_fetch_and_and(&c->flags32, ~(__u32)(len & 0x3f));
	__sync_fetch_and_xor(&c->xor32, proto);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
