// Global data: a `const volatile` configuration and a constant table in .rodata (frozen: read-only for programs
// and user space), counters in .bss, an initialised array in .data and a variable in a custom ".data.stats"
// section. libbpf turns each section into a one-element array map ("globals.rodata", "globals.bss",
// "globals.data", ".data.stats") that the program addresses directly. TCP packets to the configured port are
// dropped; `weighted` adds up a per-port weight read from the table.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u16 blocked_port = 23;	/* a loader would set it before load */
const volatile __u8 verdict_if_blocked = XDP_DROP;
static const __u8 port_weight[10] = { 1, 2, 4, 8, 16, 32, 64, 128, 0, 0 };	/* 10: not a .rodata.cst* size */

__u64 packets;
__u64 blocked;
__u16 last_ports[4] = { 1, 2, 3, 4 };	/* ring of the last destination ports */
__u32 next_slot = 0;
__u64 weighted SEC(".data.stats") = 100;

SEC("xdp")
int filter_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);

	packets++;
	if ((void *)(tcp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;

	__u16 port = bpf_ntohs(tcp->dest);
	last_ports[next_slot & 3] = port;
	next_slot++;
	weighted += port_weight[port & 7];
	if (port == blocked_port) {
		blocked++;
		return verdict_if_blocked;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
