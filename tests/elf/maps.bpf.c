// Every kind of map definition the ELF reader understands: BTF-defined maps with sizes given by type or by
// number, ringbuf, bloom filter (map_extra), pinning, map-in-map with an inner definition and initial
// slots, a program array initialised with a program, and legacy `maps` section definitions.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct key {
  __u32 a;
  __u16 b;
};
struct value {
  __u64 x;
  __u32 y;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 128);
  __type(key, struct key);
  __type(value, struct value);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} hash SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __uint(key_size, 4);
  __uint(value_size, 8);
} sized SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096 * 4);
} ring SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
  __uint(max_entries, 100);
  __type(value, __u32);
  __uint(map_extra, 3);
} bloom SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned SEC(".maps");

struct inner_map {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} inner1 SEC(".maps"), inner2 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 4);
  __type(key, __u32);
  __array(values, struct inner_map);
} outer SEC(".maps") = {
    .values = {[0] = &inner1, [2] = &inner2},
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
  __uint(max_entries, 8);
  __type(key, __u32);
  __array(values, struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 32);
    __type(key, __u64);
    __type(value, __u64);
  });
} outer_hash SEC(".maps");

int tail(struct xdp_md* ctx);

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 3);
  __uint(key_size, sizeof(__u32));
  __array(values, int(void*));
} jumps SEC(".maps") = {
    .values = {[1] = (void*)&tail},
};

// The pre-BTF definition (libbpf < 1.0 and iproute2): five u32 fields per map.
struct legacy_map_def {
  unsigned int type, key_size, value_size, max_entries, map_flags;
};
struct legacy_map_def legacy_hash SEC("maps") = {BPF_MAP_TYPE_HASH, 4, 8, 64, 0};
struct legacy_map_def legacy_array SEC("maps") = {BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, 2, 0};

SEC("xdp") int tail(struct xdp_md* ctx) { return XDP_PASS; }

SEC("xdp") int use_maps(struct xdp_md* ctx) {
  struct key k = {1, 2};
  __u32 zero = 0, two = 2;
  __u64 wide = 7;
  long sum = 0;
  struct value* v = bpf_map_lookup_elem(&hash, &k);
  if (v) sum += v->x;
  __u64* s = bpf_map_lookup_elem(&sized, &zero);
  if (s) sum += *s;
  bpf_ringbuf_output(&ring, &zero, sizeof(zero), 0);
  sum += bpf_map_peek_elem(&bloom, &two);
  __u64* p = bpf_map_lookup_elem(&pinned, &zero);
  if (p) sum += *p;
  void* in = bpf_map_lookup_elem(&outer, &two);
  if (in) {
    __u32* iv = bpf_map_lookup_elem(in, &zero);
    if (iv) sum += *iv;
  }
  in = bpf_map_lookup_elem(&outer_hash, &zero);
  if (in) {
    __u64* iv = bpf_map_lookup_elem(in, &wide);
    if (iv) sum += *iv;
  }
  __u64* l = bpf_map_lookup_elem(&legacy_hash, &zero);
  if (l) sum += *l;
  l = bpf_map_lookup_elem(&legacy_array, &zero);
  if (l) sum += *l;
  bpf_tail_call(ctx, &jumps, 1);
  return sum ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
