// BPF_MAP_TYPE_HASH_OF_MAPS: per-service tables of clients. The outer hash is keyed by UDP destination port and
// holds an inner hash for DNS (53) and one for NTP (123), from the `.values` initialiser (the key of each inner
// map is its index). The program counts packets per client in the service's table, creating entries as they
// appear; packets to other ports find no table and are passed untouched.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct clients {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);	/* client address, network order */
	__type(value, __u64);	/* packets */
} dns_clients SEC(".maps"), ntp_clients SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);	/* UDP port */
	__array(values, struct clients);
} services SEC(".maps") = {
	.values = { [53] = &dns_clients, [123] = &ntp_clients },
};

SEC("xdp")
int count_clients(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	__u32 port = bpf_ntohs(udp->dest);
	void *table = bpf_map_lookup_elem(&services, &port);
	if (!table)
		return XDP_PASS;

	__u32 client = ip->saddr;
	__u64 *count = bpf_map_lookup_elem(table, &client);
	if (count) {
		__sync_fetch_and_add(count, 1);
	} else {
		__u64 one = 1;
		bpf_map_update_elem(table, &client, &one, BPF_NOEXIST);
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
