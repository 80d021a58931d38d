// BPF_MAP_TYPE_STACK_TRACE: bpf_get_stackid from a raw tracepoint program, which records the kernel stack of the
// task that triggered it. Stacks and ids vary from kernel to kernel, so the program reduces them to facts, one
// bit of the return value each:
//   bit 0: the stack is recorded (id >= 0)
//   bit 1: the same call site twice (in a bpf_loop callback) gives the same id
//   bit 2: unknown flag bits: -EINVAL
//   bit 3: skipping 255 frames leaves nothing: -EFAULT
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define MAX_DEPTH 32

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 64);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct walk {
	void *ctx;
	long ids[2];
};

static long take_stack(__u32 i, struct walk *w)
{
	long id = bpf_get_stackid(w->ctx, &stacks, 0);
	if (i < 2)
		w->ids[i] = id;
	return 0;
}

#define EFAULT 14
#define EINVAL 22

SEC("raw_tp/sys_enter")
int record_stack(void *ctx)
{
	struct walk w = { .ctx = ctx, .ids = { -1, -1 } };
	int bits = 0;

	bpf_loop(2, take_stack, &w, 0);
	if (w.ids[0] >= 0)
		bits |= 1;
	if (w.ids[0] == w.ids[1])
		bits |= 2;
	if (bpf_get_stackid(ctx, &stacks, 1ULL << 40) == -EINVAL)
		bits |= 4;
	if (bpf_get_stackid(ctx, &stacks, 255 & BPF_F_SKIP_FIELD_MASK) == -EFAULT)
		bits |= 8;
	return bits;
}

char LICENSE[] SEC("license") = "GPL";
