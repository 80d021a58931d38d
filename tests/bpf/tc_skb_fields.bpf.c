// struct __sk_buff in a tc classifier: fields the test run fills in (len, protocol from the Ethernet header,
// ifindex of the loopback device it runs on, ...) and the ones ctx_in may set (mark, priority, cb[]). The program
// records what it reads in `seen`, then writes mark, priority and cb[] back, which ctx_out returns, and marks the
// IPv4 packet with DSCP 46 (EF), fixing the header checksum (RFC 1624).
//   seen: [0] len, [1] protocol (host order), [2] mark, [3] priority, [4] cb[0], [5] ifindex, [6] ingress_ifindex,
//   [7] pkt_type, [8] data_end - data, [9] gso_segs
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 10);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static void put(__u32 slot, __u64 v)
{
	bpf_map_update_elem(&seen, &slot, &v, BPF_ANY);
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("tc")
int mark_ef(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	put(0, skb->len);
	put(1, bpf_ntohs(skb->protocol));
	put(2, skb->mark);
	put(3, skb->priority);
	put(4, skb->cb[0]);
	put(5, skb->ifindex);
	put(6, skb->ingress_ifindex);
	put(7, skb->pkt_type);
	put(8, data_end - data);
	put(9, skb->gso_segs);

	skb->mark = skb->mark * 2 + 1;
	skb->priority = 6;
	skb->cb[1] = skb->len;
	skb->cb[4] = 0xc0ffee;

	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	__u16 *word = (void *)ip;	/* version/IHL and TOS: the first 16-bit word of the header */
	__u16 old = *word;
	ip->tos = (46 << 2) | (ip->tos & 3);
	__u16 new = *word;
	ip->check = csum_fold((__u16)~ip->check + (__u16)~old + new);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
