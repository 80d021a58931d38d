// A uprobe on a function the traced program does not have: `ubee trace` must fail with the agent's reason.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

SEC("uprobe//proc/self/exe:no_such_function")
int probe_missing(struct pt_regs *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
