// BPF_MAP_TYPE_PERCPU_ARRAY: per-CPU packet and byte counters by IP protocol (0: other, 1: TCP, 2: UDP), the
// usual lock-free statistics of a tc classifier. Each CPU updates its own copy with plain (non-atomic) adds.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, struct counters);
} stats SEC(".maps");

SEC("tc")
int count_protocols(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 slot = 0;

	if ((void *)(ip + 1) <= data_end && eth->h_proto == bpf_htons(ETH_P_IP)) {
		if (ip->protocol == IPPROTO_TCP)
			slot = 1;
		else if (ip->protocol == IPPROTO_UDP)
			slot = 2;
	}
	struct counters *c = bpf_map_lookup_elem(&stats, &slot);
	if (!c)
		return TC_ACT_SHOT;
	c->packets++;
	c->bytes += skb->len;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
