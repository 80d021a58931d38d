// Entries and returns of frames left by longjmp or by C++ exceptions (tests/trace/unwind_target.cpp), and the
// returns of after(), which follow them. Index: 0 descend entries, 1 descend returns, 2 after returns,
// 3 the sum of after()'s return values.
#define __TARGET_ARCH_x86
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} unwind SEC(".maps");

static __always_inline void add(__u32 index, __u64 amount) {
  __u64 *v = bpf_map_lookup_elem(&unwind, &index);
  if (v) __sync_fetch_and_add(v, amount);
}

SEC("uprobe//proc/self/exe:descend_and_jump")
int jump_entry(struct pt_regs *ctx) { add(0, 1); return 0; }

SEC("uretprobe//proc/self/exe:descend_and_jump")
int jump_return(struct pt_regs *ctx) { add(1, 1); return 0; }

SEC("uprobe//proc/self/exe:descend_and_throw")
int throw_entry(struct pt_regs *ctx) { add(0, 1); return 0; }

SEC("uretprobe//proc/self/exe:descend_and_throw")
int throw_return(struct pt_regs *ctx) { add(1, 1); return 0; }

SEC("uretprobe//proc/self/exe:after")
int after_return(struct pt_regs *ctx) {
  add(2, 1);
  add(3, PT_REGS_RC(ctx));
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
