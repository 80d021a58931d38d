// An XDP ICMP echo responder: an IPv4 echo request is turned into the echo reply in place (Ethernet and IP
// addresses swapped, type 8 -> 0, ICMP checksum updated incrementally as RFC 1624 says) and sent back out of the
// same interface with XDP_TX. Other ICMP messages and other traffic pass; truncated ICMP is dropped.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* <linux/icmp.h> pulls in libc headers, which a BPF target cannot use: the header is declared here. */
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	unsigned char tmp[ETH_ALEN];
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

SEC("xdp")
int echo_reply(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_ICMP ||
	    ip->ihl != 5)
		return XDP_PASS;
	struct icmphdr *icmp = (void *)(ip + 1);
	if ((void *)(icmp + 1) > data_end)
		return XDP_DROP;
	if (icmp->type != ICMP_ECHO || icmp->code != 0)
		return XDP_PASS;

	swap_macs(eth);
	__be32 addr = ip->saddr;	/* swapping the addresses leaves the IP checksum as it is */
	ip->saddr = ip->daddr;
	ip->daddr = addr;

	__u16 old = *(__u16 *)icmp;	/* type and code */
	icmp->type = ICMP_ECHOREPLY;
	__u16 new = *(__u16 *)icmp;
	icmp->checksum = csum_fold((__u16)~icmp->checksum + (__u16)~old + new);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
