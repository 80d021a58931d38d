// Every openat(2) of the traced process: its path as a ring buffer record (a C string), and counts from the
// syscall tracepoints (entry, exit with success) and the raw sys_enter tracepoint.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NR_OPENAT 257

// The kernel's record for syscalls/sys_enter_openat and sys_exit_openat.
struct sys_enter_openat {
  __u64 common;
  int nr;
  int pad;
  __u64 dfd;
  const char *filename;
  __u64 flags;
  __u64 mode;
};
struct sys_exit {
  __u64 common;
  int nr;
  int pad;
  long ret;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} paths SEC(".maps");

// 0: sys_enter_openat, 1: sys_exit_openat that succeeded, 2: raw sys_enter with id openat
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 3);
  __type(key, __u32);
  __type(value, __u64);
} opens SEC(".maps");

static __always_inline void count(__u32 index) {
  __u64 *v = bpf_map_lookup_elem(&opens, &index);
  if (v) __sync_fetch_and_add(v, 1);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct sys_enter_openat *ctx) {
  count(0);
  char *path = bpf_ringbuf_reserve(&paths, 256, 0);
  if (!path) return 0;
  bpf_probe_read_user_str(path, 256, ctx->filename);
  bpf_ringbuf_submit(path, 0);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int on_openat_exit(struct sys_exit *ctx) {
  if (ctx->ret >= 0) count(1);
  return 0;
}

SEC("raw_tracepoint/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx) {
  if (ctx->args[1] == NR_OPENAT) count(2);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
