// bpf_get_smp_processor_id and per-CPU storage: the CPU a program runs on does not change during a run, and it is
// the CPU whose slot bpf_map_lookup_elem returns for a per-CPU map. Returns one bit per fact:
//   bit 0: two calls agree
//   bit 1: bpf_map_lookup_percpu_elem for that CPU gives the same value bpf_map_lookup_elem gives
//   bit 2: there is a slot for that CPU, and none for CPU 0xffff
// and stores 1 in this CPU's `slot` value, so that only the running CPU's value changes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} slot SEC(".maps");

SEC("xdp")
int which_cpu(struct xdp_md *ctx)
{
	__u32 zero = 0;
	int bits = 0;
	__u32 cpu = bpf_get_smp_processor_id();

	if (bpf_get_smp_processor_id() == cpu)
		bits |= 1;
	__u64 *mine = bpf_map_lookup_elem(&slot, &zero);
	__u64 *by_id = bpf_map_lookup_percpu_elem(&slot, &zero, cpu);
	if (!mine || !by_id)
		return bits;
	*mine = 0x5a5a;
	if (*by_id == 0x5a5a)
		bits |= 2;
	*mine = 1;
	if (!bpf_map_lookup_percpu_elem(&slot, &zero, 0xffff))
		bits |= 4;
	return bits;
}

char LICENSE[] SEC("license") = "GPL";
