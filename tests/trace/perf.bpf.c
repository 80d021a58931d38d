// work()'s argument through a perf event array (bpf_perf_event_output), as older tools report events.
#define __TARGET_ARCH_x86
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} samples SEC(".maps");

struct sample {
  __u32 marker;
  __u32 arg;
};

SEC("uprobe//proc/self/exe:work")
int BPF_KPROBE(sample_work, long x) {
  struct sample s = {0xabcd, (__u32)x};
  bpf_perf_event_output(ctx, &samples, BPF_F_CURRENT_CPU, &s, sizeof(s));
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
