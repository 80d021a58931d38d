// Clocks: bpf_ktime_get_ns (CLOCK_MONOTONIC), bpf_ktime_get_boot_ns (CLOCK_BOOTTIME, which also counts suspend),
// bpf_ktime_get_coarse_ns (CLOCK_MONOTONIC_COARSE, the last tick) and bpf_jiffies64. Their values vary, so the
// program returns one bit per fact that must hold:
//   bit 0: monotonic time is positive and never goes back
//   bit 1: boot time read later is not behind monotonic time
//   bit 2: coarse time is positive and not ahead of monotonic time read after it
//   bit 3: coarse time lags monotonic time by less than a second
//   bit 4: jiffies are positive and never go back
//   bit 5: the whole run takes less than a second
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NSEC_PER_SEC 1000000000ULL

static long spin(__u32 i, __u64 *acc)
{
	*acc += i;
	return 0;
}

SEC("xdp")
int clocks(struct xdp_md *ctx)
{
	__u64 acc = 0;
	int bits = 0;

	__u64 j1 = bpf_jiffies64();
	__u64 t1 = bpf_ktime_get_ns();
	bpf_loop(1000, spin, &acc, 0);
	__u64 t2 = bpf_ktime_get_ns();
	__u64 boot = bpf_ktime_get_boot_ns();
	__u64 coarse = bpf_ktime_get_coarse_ns();
	__u64 t3 = bpf_ktime_get_ns();
	__u64 j2 = bpf_jiffies64();

	if (t1 > 0 && t2 >= t1 && t3 >= t2)
		bits |= 1;
	if (boot >= t2)
		bits |= 2;
	if (coarse > 0 && coarse <= t3)
		bits |= 4;
	if (t3 - coarse < NSEC_PER_SEC)
		bits |= 8;
	if (j1 > 0 && j2 >= j1)
		bits |= 16;
	if (t3 - t1 < NSEC_PER_SEC)
		bits |= 32;
	return bits;
}

char LICENSE[] SEC("license") = "GPL";
