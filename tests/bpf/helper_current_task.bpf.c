// The current task from a raw tracepoint program: bpf_get_current_pid_tgid, bpf_get_current_uid_gid and
// bpf_get_current_comm. In a test run the current task is the caller of BPF_PROG_TEST_RUN, whose identity varies,
// so the program returns one bit per fact that holds when the caller is the main thread of its process:
//   bit 0: pid_tgid is not zero and pid == tgid
//   bit 1: two bpf_get_current_uid_gid calls agree (and are not -EINVAL)
//   bit 2: bpf_get_current_comm succeeds with a non-empty, NUL-terminated name
//   bit 3: a second call gives the same name
//   bit 4: the name is NUL-padded to 16 bytes after its end
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define TASK_COMM_LEN 16
#define EINVAL 22

SEC("raw_tp/sys_enter")
int current_task(void *ctx)
{
	char comm[TASK_COMM_LEN], again[TASK_COMM_LEN];
	int bits = 0;

	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (pid_tgid != 0 && (__u32)pid_tgid == pid_tgid >> 32)
		bits |= 1;

	__u64 ug = bpf_get_current_uid_gid();
	if (ug != (__u64)-EINVAL && ug == bpf_get_current_uid_gid())
		bits |= 2;

	__builtin_memset(comm, 0x7f, sizeof(comm));
	long ret = bpf_get_current_comm(comm, sizeof(comm));
	if (ret == 0 && comm[0] != 0 && comm[TASK_COMM_LEN - 1] == 0)
		bits |= 4;
	bpf_get_current_comm(again, sizeof(again));
	int same = 1, ended = 0, padded = 1;
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != again[i])
			same = 0;
		if (ended && comm[i] != 0)
			padded = 0;
		if (comm[i] == 0)
			ended = 1;
	}
	if (same)
		bits |= 8;
	if (padded)
		bits |= 16;
	return bits;
}

char LICENSE[] SEC("license") = "GPL";
