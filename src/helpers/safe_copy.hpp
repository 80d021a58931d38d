// Copies from (or to) memory that may not be mapped, without a system call per copy: the copy runs in a few
// known instructions, and a SIGSEGV/SIGBUS raised by one of them resumes at a recovery point instead of
// killing the process. Faults anywhere else go to the handler that was installed before (or the default).
#pragma once

#include <cstddef>

namespace ubee {

// Copies n bytes; false when any byte of either side could not be accessed (dst may then be partly written).
bool safe_copy(void* dst, const void* src, std::size_t n);

// bpf_probe_read_user_str semantics: copies the NUL-terminated string at src into dst, at most n bytes with
// the NUL (a longer string is cut and terminated); returns the length copied including the NUL, 0 when n is
// 0, or -EFAULT when a byte before the NUL (or before n - 1 bytes) cannot be read. Bytes of dst after the NUL
// are left as they were.
long safe_copy_str(char* dst, const void* src, std::size_t n);

// Installs the fault handler now rather than on the first copy (which may be in a signal handler).
void prepare_safe_copy();

}  // namespace ubee
