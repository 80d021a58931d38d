// Ethernet -> IPv4 (with options: the header length comes from IHL) -> TCP. Counts TCP packets per destination
// port and SYNs separately, drops telnet (port 23) and passes the rest. Non-first fragments carry no TCP header
// and are only counted in `syn_and_frag`. Malformed headers (IHL < 5, truncated packet) abort.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);	/* destination port, host order */
	__type(value, __u64);
} by_port SEC(".maps");

/* [0] SYNs (without ACK), [1] non-first fragments */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} syn_and_frag SEC(".maps");

static void bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&syn_and_frag, &slot);
	if (v)
		*v += 1;
}

SEC("xdp")
int tcp_ports(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return XDP_ABORTED;
	if (ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	if (ip->frag_off & bpf_htons(0x1fff)) {
		bump(1);
		return XDP_PASS;
	}

	struct tcphdr *tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end)
		return XDP_ABORTED;
	if (tcp->syn && !tcp->ack)
		bump(0);

	__u16 port = bpf_ntohs(tcp->dest);
	__u64 *count = bpf_map_lookup_elem(&by_port, &port);
	if (count) {
		__sync_fetch_and_add(count, 1);
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&by_port, &port, &one, BPF_NOEXIST);
	}
	return port == 23 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
