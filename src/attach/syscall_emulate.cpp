// See syscall_emulate.hpp. The application's pointers are read and written with safe_copy, so a bad one is
// -EFAULT, as from the kernel.
#include "attach/syscall_emulate.hpp"

#include <linux/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstring>

#include "attach/syscall_code.hpp"
#include "attach/syscall_threads.hpp"
#include "helpers/safe_copy.hpp"

namespace ubee::attach::detail {
namespace {

constexpr std::uint64_t kNeverBlocked = signal_bit(SIGKILL) | signal_bit(SIGSTOP) | signal_bit(SIGSYS);

void* user(unsigned long address) { return reinterpret_cast<void*>(address); }

// rt_sigprocmask(how, set, oldset, size) on the mask sigreturn will restore.
long sigprocmask(const pt_regs& r, ucontext_t* context) {
  if (r.r10 != sizeof(std::uint64_t)) return -EINVAL;
  std::uint64_t old = 0, set = 0;
  std::memcpy(&old, &context->uc_sigmask, sizeof old);
  if (r.rsi != 0) {
    if (!safe_copy(&set, user(r.rsi), sizeof set)) return -EFAULT;
    std::uint64_t next = 0;
    switch (r.rdi) {
      case SIG_BLOCK: next = old | set; break;
      case SIG_UNBLOCK: next = old & ~set; break;
      case SIG_SETMASK: next = set; break;
      default: return -EINVAL;
    }
    next &= ~kNeverBlocked;
    std::memcpy(&context->uc_sigmask, &next, sizeof next);
  }
  if (r.rdx != 0 && !safe_copy(user(r.rdx), &old, sizeof old)) return -EFAULT;
  return 0;
}

// rt_sigaction(sig, act, oldact, size) with SIGSYS out of act's mask; ubee's own two signals kept.
std::optional<long> sigaction(const pt_regs& r) {
  if (r.rsi == 0) return std::nullopt;
  if (r.rdi == SIGSYS || static_cast<int>(r.rdi) == request_signal()) return 0;
  KernelSigaction action;
  if (!safe_copy(&action, user(r.rsi), sizeof action)) return -EFAULT;
  action.mask &= ~signal_bit(SIGSYS);
  return raw_syscall(SYS_rt_sigaction, static_cast<long>(r.rdi), reinterpret_cast<long>(&action),
                     static_cast<long>(r.rdx), static_cast<long>(r.r10));
}

}  // namespace

std::optional<long> emulate(const pt_regs& regs, ucontext_t* context) {
  switch (regs.orig_rax) {
    case SYS_rt_sigprocmask: return sigprocmask(regs, context);
    case SYS_rt_sigaction: return sigaction(regs);
    case SYS_prctl:
      if (regs.rdi == PR_SET_SYSCALL_USER_DISPATCH) return 0;
      return std::nullopt;
    default: return std::nullopt;
  }
}

}  // namespace ubee::attach::detail
