// bpf_strtol / bpf_strtoul: a number sent as text in a UDP payload, parsed in the base given by the destination
// port (0: auto-detect "0x" and "0" prefixes, 8, 10, 16; anything else is -EINVAL). Leading whitespace and a
// '-' sign are accepted (strtoul refuses the sign), parsing stops at the first non-digit, and the return value
// is the number of characters consumed, or -EINVAL / -ERANGE. At most 24 bytes of payload are looked at. A failing
// helper sets its result to 0 (over the 0x7777 the program puts there).
//   [0] strtol return, [1] strtol result, [2] strtoul return, [3] strtoul result
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
} parsed SEC(".maps");

static void put(__u32 slot, __s64 v)
{
	bpf_map_update_elem(&parsed, &slot, &v, BPF_ANY);
}

SEC("xdp")
int parse_number(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = data + sizeof(struct ethhdr) + sizeof(struct iphdr);
	char *payload = (void *)(udp + 1);
	char text[24] = {};
	__u32 len = 0;

	if ((void *)(udp + 1) > data_end)
		return XDP_DROP;
	for (int i = 0; i < sizeof(text); i++) {
		if (payload + i + 1 > (char *)data_end)
			break;
		text[i] = payload[i];
		len++;
	}
	if (len == 0)
		return XDP_DROP;

	__u64 base = bpf_ntohs(udp->dest);
	long l = 0x7777;
	unsigned long ul = 0x7777;
	put(0, bpf_strtol(text, len, base, &l));
	put(1, l);
	put(2, bpf_strtoul(text, len, base, &ul));
	put(3, ul);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
