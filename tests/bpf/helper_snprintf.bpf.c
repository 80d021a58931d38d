// bpf_snprintf (through libbpf's BPF_SNPRINTF): formats a one-line description of a UDP packet into a map value,
// as a program preparing text for user space would. Conversions: %s, %pI4, %u, %d, %x with width and zero
// padding, %-6s, %c and %%. The return value is the length of the whole string including its NUL, also when
// the output is truncated (the 12-byte `cut` line), whose text is cut and NUL-terminated.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

struct line {
	char text[80];
};

struct short_line {
	char text[12];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct line);
} full SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct short_line);
} cut SEC(".maps");

/* [0] return for `full`, [1] return for `cut` */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __s64);
} lengths SEC(".maps");

SEC("xdp")
int describe(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *udp = (void *)(ip + 1);
	__u32 zero = 0, one = 1;

	if ((void *)(udp + 1) > data_end)
		return XDP_DROP;
	struct line *l = bpf_map_lookup_elem(&full, &zero);
	struct short_line *s = bpf_map_lookup_elem(&cut, &zero);
	if (!l || !s)
		return XDP_ABORTED;

	static const char proto[] = "udp";
	unsigned int sport = bpf_ntohs(udp->source), dport = bpf_ntohs(udp->dest);
	int ttl_left = ip->ttl - 64;
	__s64 n = BPF_SNPRINTF(l->text, sizeof(l->text), "%s %pI4:%u > %pI4:%u ttl%d id=%04x %-6s%c%%", proto,
			       &ip->saddr, sport, &ip->daddr, dport, ttl_left, bpf_ntohs(ip->id), "ok", '!');
	bpf_map_update_elem(&lengths, &zero, &n, BPF_ANY);
	n = BPF_SNPRINTF(s->text, sizeof(s->text), "%u-%u", sport * 1000, dport * 1000);
	bpf_map_update_elem(&lengths, &one, &n, BPF_ANY);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
