// BPF_MAP_TYPE_HASH: a flow table of IPv4 TCP sources. The first packet of a source inserts its entry
// (BPF_NOEXIST), later ones update it in place, a FIN or RST deletes it. The table holds 3 sources: a fourth gets
// -E2BIG and the packet is dropped. The return codes of update/delete, including the flag errors, are recorded.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 3);
	__type(key, __u32);		/* IPv4 source address, network order */
	__type(value, struct flow);
} flows SEC(".maps");

/* Return codes of the last packet: [0] insert, [1] BPF_EXIST update of a missing key, [2] delete,
 * [3] BPF_NOEXIST update of a present key. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __s64);
} status SEC(".maps");

static void record(__u32 slot, long ret)
{
	__s64 v = ret;
	bpf_map_update_elem(&status, &slot, &v, BPF_ANY);
}

SEC("xdp")
int flow_table(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct tcphdr *tcp = (void *)(ip + 1);

	if ((void *)(tcp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;

	__u32 src = ip->saddr;
	__u64 len = data_end - data;
	if (tcp->fin || tcp->rst) {
		record(2, bpf_map_delete_elem(&flows, &src));
		return XDP_PASS;
	}
	struct flow *f = bpf_map_lookup_elem(&flows, &src);
	if (f) {
		f->packets += 1;
		f->bytes += len;
		struct flow again = *f;
		record(3, bpf_map_update_elem(&flows, &src, &again, BPF_NOEXIST));
		return XDP_PASS;
	}
	struct flow nf = { .packets = 1, .bytes = len };
	record(1, bpf_map_update_elem(&flows, &src, &nf, BPF_EXIST));
	long ret = bpf_map_update_elem(&flows, &src, &nf, BPF_NOEXIST);
	record(0, ret);
	return ret == 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
