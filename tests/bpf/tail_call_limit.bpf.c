// The tail call limit: a tc program that tail-calls itself. Every invocation increments skb->cb[0] (the control
// block survives tail calls); the kernel allows 33 tail calls in a chain (MAX_TAIL_CALL_CNT), after which
// bpf_tail_call returns and the program returns the count: 34 invocations when cb[0] starts at zero.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int count_depth(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct __sk_buff *));
} self SEC(".maps") = {
	.values = { [0] = (void *)&count_depth },
};

SEC("tc")
int count_depth(struct __sk_buff *skb)
{
	skb->cb[0]++;
	bpf_tail_call(skb, &self, 0);
	return skb->cb[0];
}

char LICENSE[] SEC("license") = "GPL";
