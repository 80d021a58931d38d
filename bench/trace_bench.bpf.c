// The programs bench/trace_bench.sh attaches with `ubee trace --program NAME`: an empty and a counting program
// on bench_function's entry and return, and a counter on getppid's syscall tracepoint.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} hits SEC(".maps");

static __always_inline int count(void) {
  __u32 zero = 0;
  __u64 *v = bpf_map_lookup_elem(&hits, &zero);
  if (v) __sync_fetch_and_add(v, 1);
  return 0;
}

SEC("uprobe//proc/self/exe:bench_function")
int entry_empty(struct pt_regs *ctx) { return 0; }

SEC("uprobe//proc/self/exe:bench_function")
int entry_count(struct pt_regs *ctx) { return count(); }

SEC("uretprobe//proc/self/exe:bench_function")
int return_empty(struct pt_regs *ctx) { return 0; }

SEC("uretprobe//proc/self/exe:bench_function")
int return_count(struct pt_regs *ctx) { return count(); }

SEC("tracepoint/syscalls/sys_enter_getppid")
int getppid_count(void *ctx) { return count(); }

char LICENSE[] SEC("license") = "GPL";
