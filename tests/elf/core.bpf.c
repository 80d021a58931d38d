// CO-RE relocations against the object's own types: field offsets through BPF_CORE_READ and direct
// access, field existence and size, bitfields, type existence and size, enum values, local type ids.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct inner {
  int pad;
  long value;
};

struct record {
  __u32 id;
  struct inner in;
  struct inner* next;
  unsigned int low : 3;
  int high : 5;
  char name[8];
} __attribute__((preserve_access_index));

enum color { RED = 1, GREEN = 20, BLUE = 300 };

SEC("raw_tp/sys_enter") int core(struct record* r) {
  long v = BPF_CORE_READ(r, next, value);
  v += r->in.value;
  v += bpf_core_field_exists(r->name);
  v += bpf_core_field_size(r->name);
  v += BPF_CORE_READ_BITFIELD_PROBED(r, high);
  v += BPF_CORE_READ_BITFIELD(r, low);
  v += bpf_core_type_exists(struct inner);
  v += bpf_core_type_size(struct record);
  v += bpf_core_enum_value_exists(enum color, GREEN);
  v += bpf_core_enum_value(enum color, BLUE);
  v += bpf_core_type_id_local(struct inner);
  return v;
}

char LICENSE[] SEC("license") = "GPL";
