// BPF_MAP_TYPE_ARRAY: packet counters indexed by the IPv4 DSCP value (0..7 here). Every element exists from the
// start (zeroed), lookups past max_entries return NULL, delete is -EINVAL and BPF_NOEXIST is -EEXIST.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} by_dscp SEC(".maps");

/* [0] lookup of index 8 is NULL, [1] delete, [2] BPF_NOEXIST update, [3] update of index 8 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __s64);
} status SEC(".maps");

SEC("xdp")
int count_dscp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	__u32 dscp = ip->tos >> 2;
	__u64 *counter = bpf_map_lookup_elem(&by_dscp, &dscp);
	if (!counter)
		return XDP_DROP;	/* DSCP >= 8: no such element */
	*counter += 1;

	__u32 past_end = 8, k;
	__u64 one = 1;
	__s64 r;
	k = 0; r = bpf_map_lookup_elem(&by_dscp, &past_end) == NULL; bpf_map_update_elem(&status, &k, &r, BPF_ANY);
	k = 1; r = bpf_map_delete_elem(&by_dscp, &dscp); bpf_map_update_elem(&status, &k, &r, BPF_ANY);
	k = 2; r = bpf_map_update_elem(&by_dscp, &dscp, &one, BPF_NOEXIST); bpf_map_update_elem(&status, &k, &r, BPF_ANY);
	k = 3; r = bpf_map_update_elem(&by_dscp, &past_end, &one, BPF_ANY); bpf_map_update_elem(&status, &k, &r, BPF_ANY);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
