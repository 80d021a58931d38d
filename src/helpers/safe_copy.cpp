// The copy loops are written in assembly so the only instructions that touch the foreign memory are at known
// addresses (ubee_safe_copy_fault_*), and the compiler cannot move or duplicate them; hidden, so a shared
// library holding them (the agent) neither exports nor interposes them. The fault handler is installed once,
// on first use, and chains to whatever handler it replaced.
#include "helpers/safe_copy.hpp"

#include <signal.h>
#include <sys/ucontext.h>

#include <cerrno>
#include <cstdint>
#include <mutex>

extern "C" {
// Return 0, or -EFAULT from the recovery point.
long ubee_safe_copy_bytes(void* dst, const void* src, std::size_t n);
// Copies up to n bytes, stopping after a NUL; returns the bytes copied, or -EFAULT.
long ubee_safe_copy_until_nul(char* dst, const void* src, std::size_t n);
extern const char ubee_safe_copy_fault_bytes[], ubee_safe_copy_recover_bytes[];
extern const char ubee_safe_copy_fault_str_load[], ubee_safe_copy_fault_str_store[], ubee_safe_copy_recover_str[];
}

asm(R"(
    .text
    .globl ubee_safe_copy_bytes
    .type ubee_safe_copy_bytes, @function
ubee_safe_copy_bytes:
    mov %rdx, %rcx
ubee_safe_copy_fault_bytes:
    rep movsb
    xor %eax, %eax
    ret
ubee_safe_copy_recover_bytes:
    mov $-14, %rax
    ret
    .size ubee_safe_copy_bytes, .-ubee_safe_copy_bytes

    .globl ubee_safe_copy_until_nul
    .type ubee_safe_copy_until_nul, @function
ubee_safe_copy_until_nul:
    xor %eax, %eax
    test %rdx, %rdx
    jz 2f
1:
ubee_safe_copy_fault_str_load:
    movzbl (%rsi,%rax), %ecx
ubee_safe_copy_fault_str_store:
    mov %cl, (%rdi,%rax)
    inc %rax
    test %cl, %cl
    jz 2f
    cmp %rdx, %rax
    jb 1b
2:
    ret
ubee_safe_copy_recover_str:
    mov $-14, %rax
    ret
    .size ubee_safe_copy_until_nul, .-ubee_safe_copy_until_nul
    .globl ubee_safe_copy_fault_bytes, ubee_safe_copy_recover_bytes
    .globl ubee_safe_copy_fault_str_load, ubee_safe_copy_fault_str_store, ubee_safe_copy_recover_str
    .hidden ubee_safe_copy_bytes, ubee_safe_copy_until_nul
    .hidden ubee_safe_copy_fault_bytes, ubee_safe_copy_recover_bytes
    .hidden ubee_safe_copy_fault_str_load, ubee_safe_copy_fault_str_store, ubee_safe_copy_recover_str
)");

namespace ubee {
namespace {

struct sigaction g_previous[2];  // SIGSEGV, SIGBUS

struct sigaction& previous(int sig) { return g_previous[sig == SIGBUS ? 1 : 0]; }

// The recovery point for a fault at `ip`, or 0 when the fault is not ours.
std::uintptr_t recovery_for(std::uintptr_t ip) {
  const auto at = [](const char* label) { return reinterpret_cast<std::uintptr_t>(label); };
  if (ip == at(ubee_safe_copy_fault_bytes)) return at(ubee_safe_copy_recover_bytes);
  if (ip == at(ubee_safe_copy_fault_str_load) || ip == at(ubee_safe_copy_fault_str_store))
    return at(ubee_safe_copy_recover_str);
  return 0;
}

void chain(int sig, siginfo_t* info, void* context) {
  const struct sigaction& old = previous(sig);
  if (old.sa_flags & SA_SIGINFO) return old.sa_sigaction(sig, info, context);
  if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) return old.sa_handler(sig);
  // Default action: restore it; returning re-runs the faulting instruction, which then kills as it would have.
  signal(sig, SIG_DFL);
}

void on_fault(int sig, siginfo_t* info, void* context) {
  auto* gregs = static_cast<ucontext_t*>(context)->uc_mcontext.gregs;
  if (const std::uintptr_t resume = recovery_for(static_cast<std::uintptr_t>(gregs[REG_RIP]))) {
    gregs[REG_RIP] = static_cast<greg_t>(resume);
    return;
  }
  chain(sig, info, context);
}

}  // namespace

void prepare_safe_copy() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action = {};
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous(SIGSEGV));
    sigaction(SIGBUS, &action, &previous(SIGBUS));
  });
}

namespace {

// Kernel addresses (and non-canonical ones) are never readable from user space: fail without a fault.
constexpr std::uintptr_t kUserEnd = 0x800000000000;

bool user_range(const void* p, std::size_t n) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  return a < kUserEnd && n <= kUserEnd - a;
}

}  // namespace

bool safe_copy(void* dst, const void* src, std::size_t n) {
  if (n == 0) return true;
  if (!user_range(src, n) || !user_range(dst, n)) return false;
  prepare_safe_copy();
  return ubee_safe_copy_bytes(dst, src, n) == 0;
}

long safe_copy_str(char* dst, const void* src, std::size_t n) {
  if (n == 0) return 0;
  if (!user_range(src, 1)) return -EFAULT;
  prepare_safe_copy();
  const long copied = ubee_safe_copy_until_nul(dst, src, n - 1);
  if (copied < 0) return copied;
  if (copied > 0 && dst[copied - 1] == '\0') return copied;
  dst[copied] = '\0';  // n - 1 bytes without a NUL: cut there, as the kernel does
  return copied + 1;
}

}  // namespace ubee
