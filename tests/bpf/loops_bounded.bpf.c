// Bounded loops (no unrolling): a `for` with a constant bound summing the first 16 payload bytes, a `while`
// bounded by a comparison with both a constant and the packet end (the length of the NUL-terminated name at the
// start of a UDP payload), a nested pair of loops over the lower triangle of a 4x4 byte matrix (the first 16
// payload bytes), and a `do ... while` counting down from the packet length modulo 8.
//   [0] sum of the first 16 payload bytes (fewer if the payload is shorter), [1] name length,
//   [2] sum of m[i][j] * (i + 1) for j <= i, [3] hash computed by the do-while (h = h * 31 + n)
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} results SEC(".maps");

static void put(__u32 slot, __u64 v)
{
	bpf_map_update_elem(&results, &slot, &v, BPF_ANY);
}

SEC("xdp")
int loops(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *payload = data + sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr);
	__u64 sum = 0, name_len = 0, nested = 0, hash = 0;

#pragma clang loop unroll(disable)
	for (int i = 0; i < 16; i++) {
		if (payload + i + 1 > (__u8 *)data_end)
			break;
		sum += payload[i];
	}
	put(0, sum);

	__u8 *p = payload;
#pragma clang loop unroll(disable)
	while (name_len < 32 && p + 1 <= (__u8 *)data_end && *p != 0) {
		name_len++;
		p++;
	}
	put(1, name_len);

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < 4; i++) {
#pragma clang loop unroll(disable)
		for (__u32 j = 0; j <= i; j++) {
			__u8 *m = payload + i * 4 + j;
			if (m + 1 > (__u8 *)data_end)
				break;
			nested += *m * (i + 1);
		}
	}
	put(2, nested);

	__u32 n = (data_end - data) & 7;
#pragma clang loop unroll(disable)
	do {
		hash = hash * 31 + n;
	} while (n-- > 0);
	put(3, hash);
	return name_len ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
