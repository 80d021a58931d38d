// System call interception with Syscall User Dispatch (prctl PR_SET_SYSCALL_USER_DISPATCH, Linux >= 5.11).
//
// Each thread points the kernel at its own selector byte. While it holds BLOCK, every system call made outside
// ubee's code region (syscall_code.cpp) is turned by the kernel into a SIGSYS before it runs, wherever the
// `syscall` instruction is (libc, the vDSO's fallbacks, inline assembly). The SIGSYS handler runs on_entry,
// then points the interrupted context at the stub for that call site and returns; the stub makes the call
// from the allowed region, and the exit trampoline runs on_exit and jumps back to the site. The call itself
// therefore runs in the application's own context (its stack, signal mask and registers), which is what
// makes the hard calls correct without special cases:
//   - clone/clone3/fork/vfork: parent and child both return into the stub; a new thread runs the trampoline
//     on its new stack and returns where the original call would. Dispatch is NOT inherited by clone or fork
//     on Linux (checked on 6.18), so the exit hook switches it on in every child (a vfork child shares the
//     parent's selector byte; a fork child gets its own copy at the same address).
//   - rt_sigreturn, rt_sigprocmask, sigsuspend and blocking calls see the application's signal frame and mask,
//     and signals arriving during the call are delivered to the application as usual (its handlers run
//     intercepted, with the selector at BLOCK).
//   - exit, exit_group, and execve when it succeeds never return: only on_entry runs, as with the kernel's
//     sys_exit tracepoint. Dispatch is switched off by execve, so the new image runs unintercepted.
// Hot sites of the shape `mov eax, NR; syscall` are then rewritten (syscall_rewrite.hpp) to jump to an entry
// stub that runs on_entry and continues into the same exit stub, without a signal (the rewriter is a thread of
// its own, never intercepted; a fork child has none, so its new hot sites stay on SIGSYS).
// While a handler runs the thread's selector is ALLOW, so the handler's own calls go straight to the kernel.
// ubee's own calls go through raw_syscall in the allowed region, which works whatever the selector says.
//
// Threads that exist at start (or stop) are reached with tgkill(SIGRTMAX - 1) (syscall_threads.hpp).
// Limits: a thread with that signal blocked is switched only when it unblocks it (start waits 2 s for it);
// signal handlers interrupting a running handler run unintercepted; the application may not take SIGSYS or
// SIGRTMAX - 1 over (its rt_sigaction for them is answered 0 and not made) nor change dispatch itself, and
// SIGSYS is never blocked (syscall_emulate.hpp: a dispatched call with SIGSYS blocked kills the process).
#include <linux/prctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <string>

#include "attach/syscall_code.hpp"
#include "attach/syscall_emulate.hpp"
#include "attach/syscall_rewrite.hpp"
#include "attach/syscall_threads.hpp"
#include "helpers/safe_copy.hpp"
#include "ubee/attach.hpp"

namespace ubee::attach {
namespace {

using detail::raw_syscall;

constexpr int kSysUserDispatch = 2;  // si_code of a dispatched call (SYS_USER_DISPATCH, asm-generic/siginfo.h)
constexpr unsigned long kSaRestorer = 0x04000000;  // SA_RESTORER (asm/signal.h; glibc keeps it to itself)

// Per thread; initial-exec, so reaching them from a signal handler never allocates.
__attribute__((tls_model("initial-exec"))) thread_local volatile char t_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
__attribute__((tls_model("initial-exec"))) thread_local bool t_enabled = false;

std::atomic<bool> g_active{false};
std::atomic<Handler> g_on_entry{nullptr};
std::atomic<Handler> g_on_exit{nullptr};
std::atomic<void*> g_cookie{nullptr};
std::mutex g_start_stop;

void enable_this_thread() {
  t_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  // A dispatched call with SIGSYS blocked kills the process; the mask may predate the interception.
  const std::uint64_t sigsys = detail::signal_bit(SIGSYS);
  raw_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, reinterpret_cast<long>(&sigsys), 0, sizeof sigsys);
  raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, static_cast<long>(detail::code_begin()),
              static_cast<long>(detail::code_size()), reinterpret_cast<long>(&t_selector));
  t_enabled = true;
}

void disable_this_thread() {
  raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
  t_enabled = false;
  t_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
}

// Back to BLOCK after a handler, unless dispatch is off for this thread.
void leave_handler() { t_selector = t_enabled ? SYSCALL_DISPATCH_FILTER_BLOCK : SYSCALL_DISPATCH_FILTER_ALLOW; }

// Handlers run for intercepted threads only: a rewritten site is also run by threads that are not (the
// rewriter, threads after stop).
void run(const std::atomic<Handler>& handler, pt_regs* regs) {
  if (!t_enabled || !g_active.load(std::memory_order_acquire)) return;
  if (const Handler h = handler.load(std::memory_order_acquire)) h(regs, g_cookie.load(std::memory_order_relaxed));
}

pt_regs regs_at_entry(const greg_t* g) {
  pt_regs r{};
  r.r15 = g[REG_R15], r.r14 = g[REG_R14], r.r13 = g[REG_R13], r.r12 = g[REG_R12];
  r.rbp = g[REG_RBP], r.rbx = g[REG_RBX], r.r11 = g[REG_R11], r.r10 = g[REG_R10];
  r.r9 = g[REG_R9], r.r8 = g[REG_R8], r.rcx = g[REG_RCX], r.rdx = g[REG_RDX];
  r.rsi = g[REG_RSI], r.rdi = g[REG_RDI];
  r.orig_rax = g[REG_RAX];  // the kernel rolled ax back to the number
  r.rax = static_cast<unsigned long>(-ENOSYS);  // as the kernel's pt_regs hold it on entry
  r.rip = g[REG_RIP], r.eflags = g[REG_EFL], r.rsp = g[REG_RSP];
  r.cs = 0x33, r.ss = 0x2b;
  return r;
}

bool is_clone(unsigned long nr) {
  return nr == __NR_clone || nr == __NR_clone3 || nr == __NR_fork || nr == __NR_vfork;
}

// Whether the call creates a child with its own copy of memory; read by the parent before the call.
bool private_child(const pt_regs& r) {
  if (!is_clone(r.orig_rax) || r.orig_rax == __NR_vfork) return false;
  if (r.orig_rax == __NR_fork) return true;
  // clone's flags are its first argument; clone3's the first field of struct clone_args.
  std::uint64_t flags = r.rdi;
  if (r.orig_rax == __NR_clone3 && !safe_copy(&flags, reinterpret_cast<const void*>(r.rdi), sizeof flags))
    return false;  // the call fails with EFAULT
  return (flags & CLONE_VM) == 0;
}

// Completes the call inside the handler with `result`: for calls ubee answers itself, and should every stub
// slot be taken (then the call is made here, which is right for all but the clone family and sigreturn).
void complete_here(pt_regs& regs, greg_t* g, long result) {
  g[REG_RAX] = result;
  regs.rax = static_cast<unsigned long>(result);
  run(g_on_exit, &regs);
}

long make_call_here(const pt_regs& r) {
  return raw_syscall(static_cast<long>(r.orig_rax), static_cast<long>(r.rdi), static_cast<long>(r.rsi),
                     static_cast<long>(r.rdx), static_cast<long>(r.r10), static_cast<long>(r.r8),
                     static_cast<long>(r.r9));
}

void dispatch(ucontext_t* context) {
  greg_t* g = context->uc_mcontext.gregs;
  pt_regs regs = regs_at_entry(g);
  run(g_on_entry, &regs);
  if (const auto answer = detail::emulate(regs, context)) return complete_here(regs, g, *answer);
  const unsigned long tagged = regs.orig_rax | (private_child(regs) ? detail::kPrivateChild : 0);
  const detail::SiteStub stub = detail::site_stub(regs.rip, tagged);
  if (stub.address == 0) return complete_here(regs, g, make_call_here(regs));
  g[REG_RIP] = static_cast<greg_t>(stub.address);
  detail::consider_rewrite(regs.rip, tagged, stub.hits);
}

// A request from start or stop: switch this thread to the current state.
void serve_request() {
  const bool wanted = g_active.load(std::memory_order_acquire) && !detail::is_rewriter_thread();
  if (wanted) enable_this_thread();
  else if (t_enabled) disable_this_thread();
  detail::request_served();
}

void on_sigsys(int, siginfo_t* info, void* context) {
  if (info->si_code != kSysUserDispatch) return;  // someone's kill(SIGSYS): nothing to do
  t_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  const int saved_errno = errno;  // handlers may change it; the interrupted code may be reading it
  dispatch(static_cast<ucontext_t*>(context));
  errno = saved_errno;
  leave_handler();
}

void on_request(int, siginfo_t*, void*) {
  t_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  serve_request();
  leave_handler();
}

// The child of clone, clone3, fork or vfork, on its first instructions: dispatch is not inherited.
void adopt_child(bool own_memory) {
  if (own_memory) detail::make_region_private();
  if (g_active.load(std::memory_order_acquire)) enable_this_thread();
  else t_enabled = false;
}

// Called by the entry trampoline of a rewritten site, before its call.
void entry_hook(pt_regs* regs) {
  t_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  const int saved_errno = errno;
  regs->rax = static_cast<unsigned long>(-ENOSYS);  // as on the SIGSYS path: the kernel's value on entry
  run(g_on_entry, regs);
  errno = saved_errno;
  leave_handler();
}

// Called by the exit trampoline, after the stub's call returned.
void exit_hook(pt_regs* regs) {
  t_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  const int saved_errno = errno;
  const bool own_memory = (regs->orig_rax & detail::kPrivateChild) != 0;
  regs->orig_rax &= ~detail::kPrivateChild;
  if (regs->rax == 0 && is_clone(regs->orig_rax)) adopt_child(own_memory);
  run(g_on_exit, regs);
  errno = saved_errno;
  leave_handler();
}

// With sigreturn from the allowed range: the handler returns with the selector at BLOCK.
Result<void> install_handler(int sig, void (*handler)(int, siginfo_t*, void*)) {
  // Every asynchronous signal waits while the handler runs; synchronous ones (a fault in a handler, a probe's
  // trap) must not be blocked, or the kernel would kill the process instead of delivering them.
  std::uint64_t mask = ~0ULL;
  for (const int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) mask &= ~detail::signal_bit(s);
  const detail::KernelSigaction action{handler, SA_SIGINFO | SA_RESTART | kSaRestorer, detail::sigreturn_code(), mask};
  if (raw_syscall(SYS_rt_sigaction, sig, reinterpret_cast<long>(&action), 0, sizeof mask) != 0)
    return make_error(Errc::permission_denied, "cannot install the handler of signal " + std::to_string(sig));
  return {};
}

}  // namespace

Result<void> start_syscall_interception(const SyscallHandlers& handlers) {
  std::lock_guard lock(g_start_stop);
  if (auto r = detail::init_syscall_code(entry_hook, exit_hook); !r) return r;
  if (auto r = install_handler(SIGSYS, on_sigsys); !r) return r;
  if (auto r = install_handler(detail::request_signal(), on_request); !r) return r;
  prepare_safe_copy();  // used by the SIGSYS handler
  g_cookie.store(handlers.cookie, std::memory_order_relaxed);
  g_on_entry.store(handlers.on_entry, std::memory_order_release);
  g_on_exit.store(handlers.on_exit, std::memory_order_release);
  g_active.store(true, std::memory_order_release);
  if (auto r = detail::start_rewriter(); !r) return r;  // before the others are signalled: it stays out
  detail::signal_other_threads();  // threads that do not answer now switch when they unblock the signal
  enable_this_thread();            // last, so setting up is not itself intercepted
  leave_handler();
  return {};
}

void stop_syscall_interception() {
  std::lock_guard lock(g_start_stop);
  if (!g_active.exchange(false, std::memory_order_acq_rel)) return;
  disable_this_thread();
  detail::signal_other_threads();
}

}  // namespace ubee::attach
