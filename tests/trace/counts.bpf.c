// Counts calls of the test target's functions (uprobes and a uretprobe) and of a function in a library it
// dlopen()s later. Index: 0 work, 1 recurse (entry), 2 recurse (return), 3 lib_twice.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} calls SEC(".maps");

static __always_inline int count(__u32 index) {
  __u64 *v = bpf_map_lookup_elem(&calls, &index);
  if (v) __sync_fetch_and_add(v, 1);
  return 0;
}

SEC("uprobe//proc/self/exe:work")
int count_work(struct pt_regs *ctx) { return count(0); }

SEC("uprobe//proc/self/exe:recurse")
int count_recurse(struct pt_regs *ctx) { return count(1); }

SEC("uretprobe//proc/self/exe:recurse")
int count_recurse_return(struct pt_regs *ctx) { return count(2); }

SEC("uprobe/libtrace_lib.so:lib_twice")
int count_lib_twice(struct pt_regs *ctx) { return count(3); }

char LICENSE[] SEC("license") = "GPL";
