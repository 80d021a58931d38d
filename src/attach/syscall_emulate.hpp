// Calls the SIGSYS handler answers itself instead of letting the application make them, because made as asked
// they would end the interception: a dispatched call while SIGSYS is blocked makes the kernel kill the process
// (force_sig_info_to_task resets a blocked forced signal to SIG_DFL), and SIGSYS or dispatch taken over by the
// application would stop ubee seeing its calls.
#pragma once

#include <asm/ptrace.h>
#include <sys/ucontext.h>

#include <signal.h>

#include <cstdint>
#include <optional>

namespace ubee::attach::detail {

// The kernel's struct sigaction (glibc's differs, and its sigaction() would put its own restorer in).
struct KernelSigaction {
  void (*handler)(int, siginfo_t*, void*);
  unsigned long flags;
  void* restorer;
  std::uint64_t mask;
};

constexpr std::uint64_t signal_bit(int sig) { return 1ULL << (sig - 1); }

// The call's result when ubee answered it (the call made with SIGSYS left out, or not made at all), or
// nothing when the application's call should be made as it is. `context` is the interrupted thread's.
//   rt_sigprocmask: applied to the mask the thread returns to (the signal frame's), SIGSYS never blocked.
//   rt_sigaction: SIGSYS left out of the handler's mask; for SIGSYS itself and the request signal
//   (syscall_threads.hpp), answered 0 without a change.
//   prctl(PR_SET_SYSCALL_USER_DISPATCH): answered 0 without a change.
std::optional<long> emulate(const pt_regs& regs, ucontext_t* context);

}  // namespace ubee::attach::detail
