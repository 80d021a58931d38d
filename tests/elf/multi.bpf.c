// Several programs in one section and several sections, with attach targets in the section names.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp") int xdp_one(struct xdp_md* ctx) { return XDP_PASS; }
SEC("xdp") int xdp_two(struct xdp_md* ctx) { return XDP_DROP; }
SEC("kprobe/do_sys_openat2") int probe(void* ctx) { return 0; }
SEC("uprobe.s/./app:main") int sleepy(void* ctx) { return 1; }
SEC("tracepoint/syscalls/sys_enter_openat") int tp(void* ctx) { return 0; }
SEC("cgroup_skb/egress") int egress(struct __sk_buff* skb) { return 1; }
SEC("xdp.frags") int frags(struct xdp_md* ctx) { return XDP_PASS; }

char LICENSE[] SEC("license") = "GPL";
