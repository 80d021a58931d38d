// bpf_probe_read_kernel / _str and bpf_probe_read_user / _str from a raw tracepoint program. Kernel memory read
// here is the program's own stack; user memory is the NULL page, which faults: the helpers then fail and zero
// their destination. Results:
//   rets: [0] probe_read_kernel of 8 bytes, [1] probe_read_kernel_str into 16 bytes, [2] the same into 4 bytes
//   (truncated), [3] probe_read_user of NULL, [4] probe_read_user_str of NULL, [5] probe_read_kernel of NULL
//   strings: [0] the 16-byte copy, [1] the 4-byte copy, [2] the user read (zeroed)
// and the return value is 1 when the 8 bytes read back equal the original.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 6);
	__type(key, __u32);
	__type(value, __s64);
} rets SEC(".maps");

struct text {
	char s[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, struct text);
} strings SEC(".maps");

static void put(__u32 slot, __s64 v)
{
	bpf_map_update_elem(&rets, &slot, &v, BPF_ANY);
}

SEC("raw_tracepoint/sched_switch")
int read_memory(void *ctx)
{
	__u64 original = 0x1122334455667788ULL, copy = 0;
	char name[] = "kernel-text";
	__u32 k;

	put(0, bpf_probe_read_kernel(&copy, sizeof(copy), &original));

	struct text t = {};
	__builtin_memset(t.s, 0x2e, sizeof(t.s));
	put(1, bpf_probe_read_kernel_str(t.s, sizeof(t.s), name));
	k = 0;
	bpf_map_update_elem(&strings, &k, &t, BPF_ANY);

	__builtin_memset(t.s, 0x2e, sizeof(t.s));
	put(2, bpf_probe_read_kernel_str(t.s, 4, name));
	k = 1;
	bpf_map_update_elem(&strings, &k, &t, BPF_ANY);

	__builtin_memset(t.s, 0x2e, sizeof(t.s));
	__u64 user_word = 0x7777;
	put(3, bpf_probe_read_user(&user_word, sizeof(user_word), NULL));
	put(4, bpf_probe_read_user_str(t.s, 8, NULL));
	k = 2;
	bpf_map_update_elem(&strings, &k, &t, BPF_ANY);
	__u64 kernel_word = 0x7777;
	put(5, bpf_probe_read_kernel(&kernel_word, sizeof(kernel_word), NULL));

	return copy == original && user_word == 0 && kernel_word == 0;
}

char LICENSE[] SEC("license") = "GPL";
