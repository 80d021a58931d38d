// A uprobe that tail-calls another program through a program array (both JIT'ed by the agent): the target
// counts, and the fall-through after a tail call never runs.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} hits SEC(".maps");

static __always_inline int count(__u32 index) {
  __u64 *v = bpf_map_lookup_elem(&hits, &index);
  if (v) __sync_fetch_and_add(v, 1);
  return 0;
}

SEC("uprobe")
int tail_target(struct pt_regs *ctx) { return count(0); }

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __array(values, int(void *));
} jump SEC(".maps") = {
    .values = {[0] = (void *)&tail_target},
};

SEC("uprobe//proc/self/exe:work")
int tail_entry(struct pt_regs *ctx) {
  bpf_tail_call(ctx, &jump, 0);
  return count(1);  // only when the tail call fails
}

char LICENSE[] SEC("license") = "GPL";
