// bpf-to-bpf calls, four levels deep: the program calls a global function taking the context (verified on its
// own, with only its argument types known), which calls another global function taking scalars, which calls
// static functions (verified in the caller's context), one of them with all five argument registers. Every
// function is kept out of line (__noinline). The score is recorded and its low bit picks the verdict.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last_score SEC(".maps");

static __noinline __u64 weigh(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

static __noinline __u32 port_class(__u32 port)
{
	if (port < 1024)
		return (__u32)weigh(port, 1, 0, 0, 0);
	return (__u32)weigh(port >> 8, 0, 1, port & 7, 2);
}

__noinline int l4_score(__u32 proto, __u32 sport, __u32 dport)
{
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return 0;
	return port_class(sport) * 3 + port_class(dport) + proto;
}

__noinline int packet_score(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *l4 = (void *)(ip + 1);	/* the ports are at the same place in TCP */

	if ((void *)(l4 + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	return l4_score(ip->protocol, bpf_ntohs(l4->source), bpf_ntohs(l4->dest));
}

SEC("xdp")
int score(struct xdp_md *ctx)
{
	__u32 zero = 0;
	int s = packet_score(ctx);
	if (s < 0)
		return XDP_ABORTED;
	__u64 v = s;
	bpf_map_update_elem(&last_score, &zero, &v, BPF_ANY);
	return s & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
