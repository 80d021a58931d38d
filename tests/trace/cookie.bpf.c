// bpf_get_attach_cookie() and the LINUX_HAS_BPF_COOKIE kconfig extern, as libbpf's usdt.bpf.h uses them: a
// program attached by its SEC() name has cookie 0, and ubee says the helper exists.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

extern _Bool LINUX_HAS_BPF_COOKIE __kconfig;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} seen SEC(".maps");

SEC("uprobe//proc/self/exe:work")
int record_cookie(struct pt_regs *ctx) {
  __u32 has = 0, cookie = 1;
  __u64 *v = bpf_map_lookup_elem(&seen, &has);
  if (v) *v = LINUX_HAS_BPF_COOKIE ? 1 : 0;
  v = bpf_map_lookup_elem(&seen, &cookie);
  if (v) *v = bpf_get_attach_cookie(ctx) + 100;  // 100 + the cookie: 0 would not show it ran
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
