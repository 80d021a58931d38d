// Rewriting hot system call sites so they stop costing a signal: a site `mov eax, NR; syscall` (7 bytes, as in
// libc's wrappers) becomes `jmp` to its entry stub (syscall_code.hpp), which runs the entry handler, makes the
// call from the allowed range and runs the exit handler, with no SIGSYS. Sites of any other shape, and calls
// that need the signal frame (the clone family, sigreturn, the calls syscall_emulate answers), stay on SIGSYS.
// A thread that was between the `mov` and the `syscall` when the bytes changed still finds `syscall` there.
#pragma once

#include <cstdint>

#include "ubee/error.hpp"

namespace ubee::attach::detail {

// Starts, once, the thread that patches (patching takes locks and system calls a signal handler cannot);
// that thread is never intercepted.
Result<void> start_rewriter();

// From the SIGSYS handler, async-signal-safe: the site ending at `ret` made call `nr` for the `hits`-th time.
// Queues it for the rewriter when it is hot and has the right shape.
void consider_rewrite(std::uintptr_t ret, unsigned long nr, std::uint32_t hits);

// Whether the calling thread is the rewriter.
bool is_rewriter_thread();

}  // namespace ubee::attach::detail
