// BPF_USDT programs for the USDT sites of libubee_usdt_probes.so (usdt_probes.c): each stores the arguments
// bpf_usdt_arg() decoded into `args` and prints them, so tests compare them with what the sites passed.
#define __TARGET_ARCH_x86  // PT_REGS_IP() in usdt.bpf.h needs the target architecture
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

// Slots: 0-3 constants (a, b, c, arg count), 4-6 registers, 7-8 memory, 9 guarded, 10 guarded hits.
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __s64);
} args SEC(".maps");

static __always_inline void store(__u32 slot, long value) {
  __s64 *p = bpf_map_lookup_elem(&args, &slot);
  if (p) *p = value;
}

SEC("usdt/libubee_usdt_probes.so:ubee_test:constants")
int BPF_USDT(on_constants, int a, long b, unsigned char c) {
  store(0, a);
  store(1, b);
  store(2, c);
  store(3, bpf_usdt_arg_cnt(ctx));
  bpf_printk("constants %d %ld %u", a, b, c);
  return 0;
}

SEC("usdt/libubee_usdt_probes.so:ubee_test:registers")
int BPF_USDT(on_registers, int a, long b, unsigned short c) {
  store(4, a);
  store(5, b);
  store(6, c);
  bpf_printk("registers %d %ld %u", a, b, c);
  return 0;
}

SEC("usdt/libubee_usdt_probes.so:ubee_test:memory")
int BPF_USDT(on_memory, int a, long long b) {
  store(7, a);
  store(8, b);
  bpf_printk("memory %d %lld", a, b);
  return 0;
}

SEC("usdt/libubee_usdt_probes.so:ubee_test:guarded")
int BPF_USDT(on_guarded, int value) {
  __u32 hits = 10;
  __s64 *p = bpf_map_lookup_elem(&args, &hits);
  if (p) __sync_fetch_and_add(p, 1);
  store(9, value);
  bpf_printk("guarded %d", value);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
