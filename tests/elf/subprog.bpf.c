// Subprograms: static and global functions in .text called from two programs (each gets its own copy,
// appended once), a subprogram calling another, and a bpf_loop callback passed by address.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} totals SEC(".maps");

static __attribute__((noinline)) int square(int x) { return x * x; }

__attribute__((noinline)) int add_squares(int a, int b) {
  return square(a) + square(b);
}

static __attribute__((noinline)) __u64 bump(__u64 by) {
  __u32 zero = 0;
  __u64* v = bpf_map_lookup_elem(&totals, &zero);
  if (!v) return 0;
  *v += by;
  return *v;
}

static int loop_body(__u32 index, void* ctx) {
  *(__u64*)ctx += index;
  return 0;
}

SEC("tc") int calls(struct __sk_buff* skb) {
  return add_squares(skb->len, 3) + (int)bump(1);
}

SEC("tc") int loops(struct __sk_buff* skb) {
  __u64 sum = 0;
  bpf_loop(10, loop_body, &sum, 0);
  return (int)sum + square(skb->len) + (int)bump(2);
}

char LICENSE[] SEC("license") = "GPL";
