// BPF_MAP_TYPE_PERF_EVENT_ARRAY: a tc classifier sends a sample with bpf_perf_event_output, optionally followed by
// the first bytes of the packet (BPF_F_CTXLEN_MASK). No perf event is open on any CPU in a test run, so the
// outcomes are the error paths, recorded by bit in the return value:
//   bit 0: BPF_F_CURRENT_CPU with no event on this CPU: -ENOENT
//   bit 1: the same with 14 packet bytes appended: -ENOENT
//   bit 2: an index past max_entries (libbpf sizes the map to the possible CPUs): -E2BIG
//   bit 3: unknown flag bits: -EINVAL
//   bit 4: more packet bytes than the packet has: -EFAULT
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} samples SEC(".maps");

struct sample {
	__u32 len;
	__u32 protocol;
};

#define ENOENT 2
#define E2BIG 7
#define EFAULT 14
#define EINVAL 22

SEC("tc")
int sample_packets(struct __sk_buff *skb)
{
	struct sample s = { .len = skb->len, .protocol = skb->protocol };
	__u64 with_bytes = (__u64)14 << 32;
	__u64 too_many = (__u64)(skb->len + 1) << 32;
	int bits = 0;

	if (bpf_perf_event_output(skb, &samples, BPF_F_CURRENT_CPU, &s, sizeof(s)) == -ENOENT)
		bits |= 1;
	if (bpf_perf_event_output(skb, &samples, with_bytes | BPF_F_CURRENT_CPU, &s, sizeof(s)) == -ENOENT)
		bits |= 2;
	if (bpf_perf_event_output(skb, &samples, 0xffff, &s, sizeof(s)) == -E2BIG)
		bits |= 4;
	if (bpf_perf_event_output(skb, &samples, 1ULL << 63, &s, sizeof(s)) == -EINVAL)
		bits |= 8;
	if (bpf_perf_event_output(skb, &samples, too_many | BPF_F_CURRENT_CPU, &s, sizeof(s)) == -EFAULT)
		bits |= 16;
	return bits;
}

char LICENSE[] SEC("license") = "GPL";
