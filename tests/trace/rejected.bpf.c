// A program the verifier must refuse: it reads past the end of its context (struct pt_regs is 168 bytes).
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

SEC("uprobe//proc/self/exe:work")
int read_past_regs(struct pt_regs *ctx) { return *(volatile long *)((char *)ctx + 400); }

char LICENSE[] SEC("license") = "GPL";
