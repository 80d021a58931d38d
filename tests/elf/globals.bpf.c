// Global data: initialised (.data), constant (.rodata and a custom .rodata.* section), zeroed (.bss), static
// and global variables, a kconfig extern, and the kernel version section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int counter = 5;                          // .data, global: relocated through its symbol
static long hidden_total = 0x1122334455;  // .data, static: relocated through the section symbol
const volatile int limit = 42;            // .rodata
const volatile char tag[6] = "ubee!";     // .rodata
const volatile __u16 custom SEC(".rodata.custom") = 7;
__u64 zeroed[4];                          // .bss
static int hits;                          // .bss, static
extern int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_UBEE_TEST __kconfig __weak;

SEC("socket") int globals(struct __sk_buff* skb) {
  counter += limit;
  hidden_total += 1;
  zeroed[2] = tag[1] + custom;
  hits++;
  if (CONFIG_UBEE_TEST) return LINUX_KERNEL_VERSION;
  return counter + hits;
}

char LICENSE[] SEC("license") = "GPL";
__u32 VERSION SEC("version") = 0x060100;
