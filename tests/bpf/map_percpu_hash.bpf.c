// BPF_MAP_TYPE_PERCPU_HASH: per-CPU counts of UDP packets by destination port. A new key is inserted from the
// program with this CPU's value set and every other CPU's value zeroed; existing keys are incremented in place.
// Port 9 (discard) deletes its key and drops the packet.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);	/* destination port, host order */
	__type(value, __u64);
} udp_ports SEC(".maps");

SEC("xdp")
int count_udp_ports(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP)
		return XDP_PASS;

	__u32 port = bpf_ntohs(udp->dest);
	if (port == 9) {
		bpf_map_delete_elem(&udp_ports, &port);
		return XDP_DROP;
	}
	__u64 *count = bpf_map_lookup_elem(&udp_ports, &port);
	if (count) {
		*count += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&udp_ports, &port, &one, BPF_NOEXIST);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
