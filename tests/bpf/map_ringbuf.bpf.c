// BPF_MAP_TYPE_RINGBUF: a packet log. TCP packets reserve an event and submit it, ARP packets reserve one and
// discard it (it still takes room until user space consumes past it), UDP packets copy a smaller record with
// bpf_ringbuf_output. After each packet the ring's state from bpf_ringbuf_query is recorded, so the test sees the
// positions move as the program produces and as user space consumes. A reservation larger than the ring fails.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct event {
	__u32 len;
	__u16 eth_proto;	/* host order */
	__u8 ip_proto;
	__u8 pad;
	__u64 seq;
};

struct udp_record {
	__u16 sport;		/* network order */
	__u16 dport;
	__u32 len;
	__u32 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* [0] available data, [1] ring size, [2] consumer position, [3] producer position, [4] the oversized reservation
 * failed */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u64);
} state SEC(".maps");

__u64 seq;

static void put(__u32 slot, __u64 v)
{
	bpf_map_update_elem(&state, &slot, &v, BPF_ANY);
}

static void record_state(void)
{
	put(0, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA));
	put(1, bpf_ringbuf_query(&events, BPF_RB_RING_SIZE));
	put(2, bpf_ringbuf_query(&events, BPF_RB_CONS_POS));
	put(3, bpf_ringbuf_query(&events, BPF_RB_PROD_POS));
}

SEC("xdp")
int log_packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	seq++;
	if ((void *)(udp + 1) <= data_end && eth->h_proto == bpf_htons(ETH_P_IP) && ip->protocol == IPPROTO_UDP) {
		struct udp_record r = { .sport = udp->source, .dport = udp->dest, .len = data_end - data, .seq = seq };
		bpf_ringbuf_output(&events, &r, sizeof(r), 0);
	} else {
		struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e)
			return XDP_DROP;
		e->len = data_end - data;
		e->eth_proto = bpf_ntohs(eth->h_proto);
		e->ip_proto = (void *)(ip + 1) <= data_end ? ip->protocol : 0;
		e->pad = 0;
		e->seq = seq;
		if (eth->h_proto == bpf_htons(ETH_P_ARP))
			bpf_ringbuf_discard(e, 0);
		else
			bpf_ringbuf_submit(e, 0);
	}

	void *big = bpf_ringbuf_reserve(&events, 8192, 0);
	put(4, big == NULL);
	if (big)
		bpf_ringbuf_discard(big, 0);
	record_state();
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
