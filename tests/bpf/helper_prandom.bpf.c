// bpf_get_prandom_u32: pseudo-random numbers, checked statistically with a failure probability far below 2^-60.
// Returns one bit per fact:
//   bit 0: the result fits in 32 bits
//   bit 1: 64 draws are not all equal
//   bit 2: among 64 draws the top bit is both set and clear
//   bit 3: 600 rolls of a die (value % 6) hit every face
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct dice {
	__u32 faces[6];
	__u64 first;
	__u32 differ;
	__u32 top_set;
	__u32 top_clear;
	__u32 wide;
};

static long roll(__u32 i, struct dice *d)
{
	__u64 r = bpf_get_prandom_u32();
	if (r >> 32)
		d->wide = 1;
	if (i == 0)
		d->first = r;
	else if (r != d->first)
		d->differ = 1;
	if (i < 64) {
		if (r & 0x80000000)
			d->top_set = 1;
		else
			d->top_clear = 1;
	}
	__u32 face = r % 6;
	barrier_var(face);	/* keep the bounds check the verifier needs: clang knows it always holds */
	if (face < 6)
		d->faces[face]++;
	return 0;
}

SEC("xdp")
int randomness(struct xdp_md *ctx)
{
	struct dice d = {};
	int bits = 0;

	bpf_loop(600, roll, &d, 0);
	if (!d.wide)
		bits |= 1;
	if (d.differ)
		bits |= 2;
	if (d.top_set && d.top_clear)
		bits |= 4;
	int hit = 0;
	for (int f = 0; f < 6; f++)
		hit += d.faces[f] > 0;
	if (hit == 6)
		bits |= 8;
	return bits;
}

char LICENSE[] SEC("license") = "GPL";
