// A BPF_PROG_TYPE_SYSCALL program (SEC("syscall"), sleepable, run only through BPF_PROG_TEST_RUN): user space
// runs it once to set up state the way a loader would, here a table of per-port rate limits, instead of issuing
// one bpf(BPF_MAP_UPDATE_ELEM) per entry. An XDP program then applies the table: UDP packets to a listed port
// pass while the port's budget lasts and are dropped after; unlisted ports pass.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);	/* UDP destination port */
	__type(value, __u64);	/* packets left */
} budget SEC(".maps");

SEC("syscall")
int setup(void *ctx)
{
	static const __u32 ports[3] = { 53, 123, 514 };
	static const __u64 limits[3] = { 2, 1, 0 };
	int added = 0;

	for (int i = 0; i < 3; i++) {
		__u32 port = ports[i];
		__u64 limit = limits[i];
		if (bpf_map_update_elem(&budget, &port, &limit, BPF_NOEXIST) == 0)
			added++;
	}
	return added;
}

SEC("xdp")
int enforce(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	__u32 port = bpf_ntohs(udp->dest);
	__u64 *left = bpf_map_lookup_elem(&budget, &port);
	if (!left)
		return XDP_PASS;
	if (*left == 0)
		return XDP_DROP;
	*left -= 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
