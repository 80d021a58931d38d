// The latency of a function, as a log2 histogram in nanoseconds, with a uprobe on entry and a uretprobe on
// return (bcc's funclatency, for one function). Run inside the program by `ubee trace`:
//   ./build/ubee trace build/examples/bpf/func_latency.o -- ./build/examples/fib_calls
// "/proc/self/exe" is the traced program itself; name a library ("libc.so.6") or a path for other code.
// Calls slower than 1 ms are printed with bpf_printk as they happen.
#define __TARGET_ARCH_x86
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct start {
  __u64 ns;
  long arg;
};

// Entry time and argument per thread, until the call returns.
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, struct start);
} starts SEC(".maps");

// Bucket i counts the calls that took [2^i, 2^(i+1)) ns (a hash: the dump shows the buckets used).
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 32);
  __type(key, __u32);
  __type(value, __u64);
} latency_log2_ns SEC(".maps");

static __always_inline __u32 log2_u64(__u64 v) {
  __u32 r = 0;
  if (v >> 32) { v >>= 32; r += 32; }
  if (v >> 16) { v >>= 16; r += 16; }
  if (v >> 8) { v >>= 8; r += 8; }
  if (v >> 4) { v >>= 4; r += 4; }
  if (v >> 2) { v >>= 2; r += 2; }
  if (v >> 1) r += 1;
  return r;
}

SEC("uprobe//proc/self/exe:compute")
int BPF_KPROBE(compute_entry, long n) {
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct start s = {bpf_ktime_get_ns(), n};
  bpf_map_update_elem(&starts, &tid, &s, BPF_ANY);
  return 0;
}

SEC("uretprobe//proc/self/exe:compute")
int BPF_KRETPROBE(compute_return, long ret) {
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct start *s = bpf_map_lookup_elem(&starts, &tid);
  if (!s) return 0;
  __u64 delta = bpf_ktime_get_ns() - s->ns;
  if (delta > 1000000) bpf_printk("compute(%ld) = %ld took %llu us", s->arg, ret, delta / 1000);
  bpf_map_delete_elem(&starts, &tid);
  __u32 bucket = log2_u64(delta);
  if (bucket > 31) bucket = 31;
  __u64 *count = bpf_map_lookup_elem(&latency_log2_ns, &bucket);
  if (count) {
    __sync_fetch_and_add(count, 1);
  } else {
    __u64 one = 1;
    bpf_map_update_elem(&latency_log2_ns, &bucket, &one, BPF_NOEXIST);
  }
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
