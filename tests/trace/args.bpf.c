// Arguments and return values of the test target's functions, as ring buffer records and bpf_printk lines.
#define __TARGET_ARCH_x86
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct event {
  __u32 kind;  // 1 add_pair entry, 2 add_pair return, 3 emit
  __u32 pad;
  __s64 a;
  __s64 b;
  char word[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 64 * 1024);
} events SEC(".maps");

SEC("uprobe//proc/self/exe:add_pair")
int BPF_KPROBE(on_add_pair, long a, long b) {
  struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) return 0;
  __builtin_memset(e, 0, sizeof(*e));
  e->kind = 1;
  e->a = a;
  e->b = b;
  bpf_ringbuf_submit(e, 0);
  bpf_printk("add_pair(%ld, %ld)", a, b);
  return 0;
}

SEC("uretprobe//proc/self/exe:add_pair")
int BPF_KRETPROBE(on_add_pair_return, long ret) {
  struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) return 0;
  __builtin_memset(e, 0, sizeof(*e));
  e->kind = 2;
  e->a = ret;
  bpf_ringbuf_submit(e, 0);
  return 0;
}

SEC("uprobe//proc/self/exe:emit")
int BPF_KPROBE(on_emit, const char *word, long n) {
  struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) return 0;
  __builtin_memset(e, 0, sizeof(*e));
  e->kind = 3;
  e->a = n;
  bpf_probe_read_user_str(e->word, sizeof(e->word), word);
  bpf_ringbuf_submit(e, 0);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
