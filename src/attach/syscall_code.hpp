// The code region system calls are allowed from while Syscall User Dispatch is on (the "allowed range" of
// PR_SET_SYSCALL_USER_DISPATCH): ubee's own raw system call, the SIGSYS handler's sigreturn, the exit trampoline
// and one small stub per intercepted call site. Only the interception (syscall.cpp) uses it.
#pragma once

#include <asm/ptrace.h>

#include <cstddef>
#include <cstdint>

#include "ubee/error.hpp"

namespace ubee::attach::detail {

// Called by the trampolines with the registers as the original `syscall` instruction would see them: the entry
// hook before a rewritten site's call (orig_rax = its number), the exit hook after a stub's call returned, on
// the thread (or new thread or child) that made it (rax = the result).
using Hook = void (*)(pt_regs* regs);

// Maps the region and emits its fixed code once; later calls return the first result.
Result<void> init_syscall_code(Hook entry_hook, Hook exit_hook);

// [begin, begin + size): the range handed to the kernel as allowed.
std::uintptr_t code_begin();
std::size_t code_size();

// A system call made from the allowed range, so never dispatched whatever the calling thread's selector says.
long raw_syscall(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0, long a6 = 0);

// The sa_restorer for ubee's SIGSYS handler: rt_sigreturn from the allowed range.
void* sigreturn_code();

// Stubs carry the call's number with this bit when the call creates a child with its own memory (fork, or
// clone without CLONE_VM): decided by the parent before the call, as clone3's arguments are on its stack.
constexpr unsigned long kPrivateChild = 1UL << 16;

// The exit stub that performs system call `tagged_nr` (a number below 2^16, maybe with kPrivateChild) for the
// site whose `syscall` instruction ends at `ret`: `syscall` from the allowed range, then the exit trampoline
// (whose pt_regs carry tagged_nr as orig_rax), then a jump back to `ret`. The SIGSYS handler points the
// interrupted context's ip at it. Async-signal-safe; address 0 when every stub slot is taken. `hits` counts
// the lookups of this stub, so hot sites can be found.
struct SiteStub {
  std::uintptr_t address = 0;
  std::uint32_t hits = 0;
};
SiteStub site_stub(std::uintptr_t ret, unsigned long tagged_nr);

// The entry stub for a rewritten site, `mov eax, nr; syscall` ending at `ret`: the entry trampoline, then
// `mov eax, nr`, then the site's exit stub. 0 when every stub slot is taken. Not for calls that create a child.
std::uintptr_t entry_stub(std::uintptr_t ret, unsigned long nr);

// In a child created without CLONE_VM, before anything else: the region is a shared mapping, which fork keeps
// shared, so the child gets its own copy at the same addresses (or parent and child would write their new
// stubs over each other's); and the stub table's lock may have been held by a thread that does not exist there.
void make_region_private();

}  // namespace ubee::attach::detail
