// bpf_printk: libbpf's macro calls bpf_trace_printk for up to 3 arguments and bpf_trace_vprintk beyond. Both
// write to the kernel's trace pipe and return the length of the formatted message, which the program records:
//   [0] "udp %d -> %d" with the ports, [1] "%s len %u" with a string from the stack, [2] a 4-argument message
//   through bpf_trace_vprintk, [3] an unknown conversion (%y): -EINVAL
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __s64);
} lengths SEC(".maps");

static void put(__u32 slot, __s64 v)
{
	bpf_map_update_elem(&lengths, &slot, &v, BPF_ANY);
}

SEC("xdp")
int log_ports(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = data + sizeof(struct ethhdr) + sizeof(struct iphdr);
	char kind[] = "packet";

	if ((void *)(udp + 1) > data_end)
		return XDP_DROP;
	int sport = bpf_ntohs(udp->source), dport = bpf_ntohs(udp->dest);
	put(0, bpf_printk("udp %d -> %d", sport, dport));
	put(1, bpf_printk("%s len %u", kind, (unsigned int)(data_end - data)));
	put(2, bpf_printk("%d %d %x %c", sport, dport, sport + dport, 'z'));
	put(3, bpf_printk("bad %y", sport));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
