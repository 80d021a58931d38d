// What the trampolines call: the handlers of a site, and the per-thread shadow stack of return probes.
//
// Return probes: at entry the return address at [sp] is swapped for the return stub's, and the real one is
// pushed on this thread's shadow stack with the slot it came from. Invariant: the slots strictly decrease from
// the bottom to the top of the shadow stack. Frames left without returning (longjmp, exceptions) leave
// entries whose slot is below the current sp: every entry and every return first discards those.
//
// Exceptions: the unwinder cannot walk through the stub (it has no unwind information, and the real return
// address is only in the shadow stack), so internal entry probes on _Unwind_RaiseException and
// _Unwind_ForcedUnwind put every pending real return address of the thread back on the stack before unwinding
// starts (those frames then return without a return event), and one on __cxa_begin_catch swaps the stub back
// into the frames that survived the throw (those still give their return event). Not covered: backtraces
// through _Unwind_Backtrace show the stub; a sigaltstack above the thread's stack discards its entries; CET
// shadow stacks (not enabled by default on Linux) forbid swapping return addresses at all.
#pragma once

#include <asm/ptrace.h>

#include <cstdint>

#include "ubee/error.hpp"

namespace ubee::attach {

struct Site;

// Runs the site's entry handlers (unless this thread is already inside a handler: a probed function called
// from a handler runs unprobed), then arms its return probes if it has any.
void dispatch_entry(Site* site, pt_regs* regs) noexcept;

// The return stub's dispatcher: pops this thread's shadow entry, runs its site's return handlers and returns
// the real return address.
std::uintptr_t dispatch_return(pt_regs* regs) noexcept;

// Builds the return stub once; the exception-safety probes are attached by the registry (probe.cpp).
Result<std::uintptr_t> return_stub();

// Handlers of the internal probes described above.
void restore_return_addresses(pt_regs* regs, void* cookie);
void rearm_return_addresses(pt_regs* regs, void* cookie);

// Entries on this thread's shadow stack (for tests).
std::size_t pending_returns();

}  // namespace ubee::attach
