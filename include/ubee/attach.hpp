// Hooks inside the running process: inline probes on its functions (uprobes, uretprobes) and interception of
// its system calls. They run a handler with the registers in the kernel's x86-64 `struct pt_regs` layout, so a
// program written for the kernel reads them unchanged; they know nothing of eBPF (the agent joins the two).
#pragma once

#include <asm/ptrace.h>  // struct pt_regs: the x86-64 layout PT_REGS_PARM1() and friends read

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ubee/error.hpp"

namespace ubee::attach {

// Runs on the thread that hit the hook. For an entry probe `regs` holds the registers at the probed address
// (ip = that address, sp as the caller left it); for a return probe, the registers as the function returns
// (ax = its return value, ip = the address it returns to). For a system call, orig_ax = the call's number and
// di, si, dx, r10, r8, r9 its arguments on entry; ax = its result on exit. Handlers must not throw.
using Handler = void (*)(pt_regs* regs, void* cookie);

enum class ProbeKind : std::uint8_t { entry, ret };

struct ProbeId {
  std::uint64_t value = 0;
};

// Patches the code at `address` (a function's entry, or an instruction inside one, as USDT sites are) so that
// every thread reaching it runs `handler` first. Safe while other threads run the code. Refused, with the
// reason, when the instructions there cannot be displaced (a function too short, a jump into the patched bytes,
// an instruction that cannot be relocated). Several probes on one address share one patch and run in the
// order they were attached.
// - ProbeKind::ret needs a function's entry, as the kernel's uretprobes do (the return address is at sp).
// - A probe hit on a thread that is already running a handler is skipped (as BPF programs do not trigger
//   uprobes), so handlers may call probed functions.
// - Changes a handler makes to the general registers in regs are applied (not to ip and sp; to flags only at
//   a site inside a function).
// - Implementation and its limits: src/attach/probe_*.hpp, patch.hpp (live patching), code_memory.hpp.
Result<ProbeId> attach_probe(std::uintptr_t address, ProbeKind kind, Handler handler, void* cookie);
// When the last probe at an address goes, its original bytes come back (safely, as attach_probe patches).
// The trampoline stays allocated (threads may still be inside it): under 1 KiB per address ever probed.
// Errc::not_found for an id that is not attached.
Result<void> detach_probe(ProbeId id);

// The address of FUNC in the object PATH names as libbpf's SEC("uprobe/PATH:FUNC+OFF") does: an absolute path
// or a library's file name ("libc.so.6"), matched against the objects this process has loaded (the main
// executable too, whose static functions count). Errc::not_found when PATH is not loaded (yet: dlopen may
// load it later) or FUNC is not in it.
Result<std::uintptr_t> resolve_function(std::string_view path, std::string_view function, std::uint64_t offset = 0);

struct SyscallHandlers {
  Handler on_entry = nullptr;
  Handler on_exit = nullptr;
  void* cookie = nullptr;
};

// Intercepts every system call this process makes from now on, on every thread (threads created later too),
// including raw `syscall` instructions outside libc. A handler's own system calls are not intercepted.
Result<void> start_syscall_interception(const SyscallHandlers& handlers);
void stop_syscall_interception();

}  // namespace ubee::attach
