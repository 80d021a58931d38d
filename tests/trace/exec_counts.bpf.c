// Counts work() calls in the test target named by a relative path, which ubee resolves against its working
// directory: run through a shell, the target is an exec'd child whose own agent attaches the probe.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} work_calls SEC(".maps");

SEC("uprobe/./trace_target:work")
int count_work_by_path(struct pt_regs *ctx) {
  __u32 zero = 0;
  __u64 *v = bpf_map_lookup_elem(&work_calls, &zero);
  if (v) __sync_fetch_and_add(v, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
