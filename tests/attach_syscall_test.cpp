// System call interception: every scenario runs in a forked child (so this process is never left intercepted)
// that starts interception with counting handlers, runs its body, and sends a report back through a pipe.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ubee/attach.hpp"

namespace {

using ubee::attach::SyscallHandlers;

constexpr int kMaxNr = 512;

// What the handlers saw, per system call number (the last call's values for the args/results).
struct Seen {
  std::atomic<long> entries[kMaxNr];
  std::atomic<long> exits[kMaxNr];
  std::atomic<unsigned long> arg0[kMaxNr], arg1[kMaxNr], arg2[kMaxNr], entry_ip[kMaxNr];
  std::atomic<unsigned long> result[kMaxNr], exit_ip[kMaxNr];
  char openat_path[64];
};
Seen g_seen;

void on_entry(pt_regs* r, void* cookie) {
  if (cookie != &g_seen || r->orig_rax >= kMaxNr) return;
  const auto nr = r->orig_rax;
  g_seen.entries[nr].fetch_add(1, std::memory_order_relaxed);
  g_seen.arg0[nr] = r->rdi, g_seen.arg1[nr] = r->rsi, g_seen.arg2[nr] = r->rdx, g_seen.entry_ip[nr] = r->rip;
  if (nr == SYS_openat) std::strncpy(g_seen.openat_path, reinterpret_cast<const char*>(r->rsi), 63);
}

void on_exit(pt_regs* r, void* cookie) {
  if (cookie != &g_seen || r->orig_rax >= kMaxNr) return;
  g_seen.exits[r->orig_rax].fetch_add(1, std::memory_order_relaxed);
  g_seen.result[r->orig_rax] = r->rax, g_seen.exit_ip[r->orig_rax] = r->rip;
}

long entries(long nr) { return g_seen.entries[nr].load(); }
long exits(long nr) { return g_seen.exits[nr].load(); }

// Up to 16 values a scenario reports, and the child's exit status.
struct Report {
  long v[16] = {};
  int status = -1;
};

// Forks; the child runs `before` unintercepted, starts interception, runs `body` (which fills the report and
// returns the exit code), and exits through _exit with that code.
Report run_intercepted(const std::function<int(long*)>& body, const std::function<void()>& before = [] {}) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    before();
    Report report;
    if (!ubee::attach::start_syscall_interception({on_entry, on_exit, &g_seen})) _exit(99);
    const int code = body(report.v);
    ubee::attach::stop_syscall_interception();
    if (write(fds[1], report.v, sizeof report.v) != sizeof report.v) _exit(98);
    _exit(code);
  }
  close(fds[1]);
  Report report;
  const ssize_t n = read(fds[0], report.v, sizeof report.v);
  close(fds[0]);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(n, static_cast<ssize_t>(sizeof report.v)) << "child died, status " << status;
  report.status = status;
  return report;
}

TEST(SyscallInterception, LibcCallsWithArgumentsAndResults) {
  static const char kPath[] = "/proc/self/comm";
  const Report r = run_intercepted([](long* v) {
    v[0] = getpid();
    v[1] = entries(SYS_getpid), v[2] = exits(SYS_getpid), v[3] = static_cast<long>(g_seen.result[SYS_getpid]);
    const int fd = open(kPath, O_RDONLY | O_CLOEXEC);
    v[4] = fd, v[5] = entries(SYS_openat), v[6] = exits(SYS_openat);
    v[7] = static_cast<long>(g_seen.result[SYS_openat]);
    v[8] = std::strcmp(g_seen.openat_path, kPath);
    v[9] = static_cast<long>(g_seen.arg1[SYS_openat]) == reinterpret_cast<long>(kPath);
    v[10] = static_cast<int>(g_seen.arg0[SYS_openat]), v[11] = static_cast<long>(g_seen.arg2[SYS_openat]);
    close(fd);
    return 0;
  });
  EXPECT_EQ(r.v[1], 1);
  EXPECT_EQ(r.v[2], 1);
  EXPECT_EQ(r.v[3], r.v[0]);  // the result the handler saw is the pid the caller got
  EXPECT_GE(r.v[4], 3);
  EXPECT_EQ(r.v[5], 1);
  EXPECT_EQ(r.v[6], 1);
  EXPECT_EQ(r.v[7], r.v[4]);
  EXPECT_EQ(r.v[8], 0);
  EXPECT_EQ(r.v[9], 1);
  EXPECT_EQ(r.v[10], AT_FDCWD);
  EXPECT_EQ(r.v[11], O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(r.status, 0);
}

// close(-77) through an inline `syscall`: seen with its argument, the right ip, the kernel's result, and
// callee-saved and vector registers intact across it.
TEST(SyscallInterception, RawSyscallInstruction) {
  const Report r = run_intercepted([](long* v) {
    long ret = 0;
    unsigned long after = 0, r12 = 0, xmm = 0;
    asm volatile(
        "mov $0x1212121212121212, %%r12\n\t"
        "mov $0x5a5a5a5a5a5a5a5a, %%rax\n\t"
        "movq %%rax, %%xmm1\n\t"
        "lea 1f(%%rip), %1\n\t"
        "mov %5, %%eax\n\t"
        "syscall\n"
        "1:\n\t"
        "mov %%r12, %2\n\t"
        "movq %%xmm1, %3\n\t"
        : "=&a"(ret), "=&r"(after), "=&r"(r12), "=&r"(xmm)
        : "D"(-77L), "i"(SYS_close)
        : "rcx", "r11", "r12", "xmm1", "memory");
    v[0] = ret, v[1] = static_cast<long>(after), v[2] = static_cast<long>(r12), v[3] = static_cast<long>(xmm);
    v[4] = static_cast<long>(g_seen.arg0[SYS_close]), v[5] = static_cast<long>(g_seen.entry_ip[SYS_close]);
    v[6] = static_cast<long>(g_seen.result[SYS_close]), v[7] = static_cast<long>(g_seen.exit_ip[SYS_close]);
    v[8] = entries(SYS_close), v[9] = exits(SYS_close);
    return 0;
  });
  EXPECT_EQ(r.v[0], -EBADF);
  EXPECT_EQ(r.v[2], 0x1212121212121212);
  EXPECT_EQ(r.v[3], 0x5a5a5a5a5a5a5a5a);
  EXPECT_EQ(r.v[4], -77);
  EXPECT_EQ(r.v[5], r.v[1]);  // ip = the address after the `syscall` instruction
  EXPECT_EQ(r.v[6], -EBADF);
  EXPECT_EQ(r.v[7], r.v[1]);
  EXPECT_EQ(r.v[8], 1);
  EXPECT_EQ(r.v[9], 1);
}

// libc's getppid is `mov eax, 110; syscall`: once hot it is rewritten to jump to its stub (no more SIGSYS),
// and calls stay counted exactly, with the same ip, before, during and after the rewrite.
TEST(SyscallInterception, HotLibcSiteIsRewrittenAndStillExact) {
  const Report r = run_intercepted([](long* v) {
    getppid();
    const auto ret = static_cast<std::uintptr_t>(g_seen.entry_ip[SYS_getppid]);
    const auto* site = reinterpret_cast<const volatile unsigned char*>(ret - 7);
    v[0] = site[0];  // before: mov eax, imm32
    long calls = 1;
    for (int i = 0; i < 5000 && site[0] != 0xe9; ++i, ++calls) {  // the rewriter is asynchronous
      getppid();
      if (i > 20) usleep(1000);
    }
    v[1] = site[0];  // after: jmp rel32
    const long before = entries(SYS_getppid);
    for (int i = 0; i < 1000; ++i) getppid();
    v[2] = entries(SYS_getppid) - before, v[3] = exits(SYS_getppid) - before;
    v[4] = static_cast<std::uintptr_t>(g_seen.entry_ip[SYS_getppid]) == ret;
    v[5] = static_cast<std::uintptr_t>(g_seen.exit_ip[SYS_getppid]) == ret;
    v[6] = entries(SYS_getppid) - calls - 1000, v[7] = static_cast<long>(g_seen.result[SYS_getppid]);
    return 0;
  });
  EXPECT_EQ(r.v[0], 0xb8);
  EXPECT_EQ(r.v[1], 0xe9);
  EXPECT_EQ(r.v[2], 1000);
  EXPECT_EQ(r.v[3], 1000);
  EXPECT_EQ(r.v[4], 1);
  EXPECT_EQ(r.v[5], 1);
  EXPECT_EQ(r.v[6], 0);
  EXPECT_EQ(r.v[7], getpid());
}

TEST(SyscallInterception, EightThreadsCountedExactly) {
  const Report r = run_intercepted([](long* v) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([] {
        for (int i = 0; i < 10000; ++i) getppid();
      });
    for (auto& t : threads) t.join();
    v[0] = entries(SYS_getppid), v[1] = exits(SYS_getppid), v[2] = static_cast<long>(g_seen.result[SYS_getppid]);
    v[3] = getppid();
    return 0;
  });
  EXPECT_EQ(r.v[0], 80000);
  EXPECT_EQ(r.v[1], 80000);
  EXPECT_EQ(r.v[2], getpid());  // the children's parent is this process
  EXPECT_EQ(r.status, 0);
}

// A thread blocked in read() when interception starts is switched by tgkill and keeps its read.
int g_gate[2];
std::thread* g_early = nullptr;

TEST(SyscallInterception, ThreadStartedBeforeIsSwitched) {
  const Report r = run_intercepted(
      [](long* v) {
        const long before = entries(SYS_getppid);
        if (write(g_gate[1], "go", 2) != 2) return 1;
        g_early->join();
        v[0] = entries(SYS_getppid) - before, v[1] = exits(SYS_getppid) - before;
        return 0;
      },
      [] {
        if (pipe(g_gate) != 0) _exit(97);
        g_early = new std::thread([] {
          char buf[2];
          if (read(g_gate[0], buf, 2) != 2) _exit(96);
          for (int i = 0; i < 1000; ++i) getppid();
        });
        usleep(20000);  // let it block in read()
      });
  EXPECT_EQ(r.v[0], 1000);
  EXPECT_EQ(r.v[1], 1000);
  EXPECT_EQ(r.status, 0);
}

// fork() inside: the child resumes with 0, is intercepted itself (its getppid calls counted in its copy of
// the counters) and its exit status reaches the parent unchanged.
TEST(SyscallInterception, ForkInsideInterceptedProcess) {
  const Report r = run_intercepted([](long* v) {
    const pid_t self = getpid();
    const long before = entries(SYS_getppid);
    const pid_t child = fork();
    if (child == 0) {
      bool parent_right = true;
      for (int i = 0; i < 5; ++i) parent_right = parent_right && getppid() == self;
      _exit(parent_right ? 40 + static_cast<int>(entries(SYS_getppid) - before) : 1);
    }
    int status = 0;
    v[0] = waitpid(child, &status, 0) == child, v[1] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    v[2] = entries(SYS_getppid) - before;  // the parent made none
    v[3] = static_cast<long>(g_seen.result[SYS_clone]) == child;
    return 0;
  });
  EXPECT_EQ(r.v[0], 1);
  EXPECT_EQ(r.v[1], 45);
  EXPECT_EQ(r.v[2], 0);
  EXPECT_EQ(r.v[3], 1);
}

// posix_spawn makes a CLONE_VM | CLONE_VFORK child on its own small stack, which then execs.
TEST(SyscallInterception, SpawnAndExec) {
  const Report r = run_intercepted([](long* v) {
    pid_t child = 0;
    char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"), const_cast<char*>("exit 7"), nullptr};
    v[0] = posix_spawn(&child, "/bin/sh", nullptr, nullptr, argv, environ);
    int status = 0;
    v[1] = waitpid(child, &status, 0) == child, v[2] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    v[3] = entries(SYS_execve);
    return 0;
  });
  EXPECT_EQ(r.v[0], 0);
  EXPECT_EQ(r.v[1], 1);
  EXPECT_EQ(r.v[2], 7);
  EXPECT_EQ(r.v[3], 1);  // seen in the vfork child, which shares the counters
}

// vfork: the child borrows the parent's stack and memory until it exits or execs.
TEST(SyscallInterception, VforkChildExitsAndExecs) {
  const Report r = run_intercepted([](long* v) {
    const long before = entries(SYS_vfork);
    pid_t child = vfork();
    if (child == 0) _exit(9);
    int status = 0;
    v[0] = waitpid(child, &status, 0) == child, v[1] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    child = vfork();
    if (child == 0) {
      execl("/bin/sh", "sh", "-c", "exit 5", static_cast<char*>(nullptr));
      _exit(1);
    }
    v[2] = waitpid(child, &status, 0) == child, v[3] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    v[4] = entries(SYS_vfork) - before;
    return 0;
  });
  EXPECT_EQ(r.v[0], 1);
  EXPECT_EQ(r.v[1], 9);
  EXPECT_EQ(r.v[2], 1);
  EXPECT_EQ(r.v[3], 5);
  EXPECT_EQ(r.v[4], 2);
  EXPECT_EQ(r.status, 0);
}

TEST(SyscallInterception, WriteOutputAndExitCodeUnchanged) {
  const Report r = run_intercepted([](long* v) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    static const char kText[] = "hello, interception\n";
    v[0] = write(fds[1], kText, sizeof kText - 1);
    char buf[64] = {};
    v[1] = read(fds[0], buf, sizeof buf);
    v[2] = std::memcmp(buf, kText, sizeof kText - 1);
    v[3] = static_cast<long>(g_seen.arg0[SYS_write]) == fds[1], v[4] = static_cast<long>(g_seen.arg2[SYS_write]);
    v[5] = static_cast<long>(g_seen.result[SYS_write]);
    return 3;
  });
  EXPECT_EQ(r.v[0], 20);
  EXPECT_EQ(r.v[1], 20);
  EXPECT_EQ(r.v[2], 0);
  EXPECT_EQ(r.v[3], 1);
  EXPECT_EQ(r.v[4], 20);
  EXPECT_EQ(r.v[5], 20);
  ASSERT_TRUE(WIFEXITED(r.status));
  EXPECT_EQ(WEXITSTATUS(r.status), 3);
}

// exit_group: the entry handler runs (with the status as its argument), the exit handler never does.
int g_exit_pipe = -1;

TEST(SyscallInterception, ExitGroupSeenOnEntryOnly) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    g_exit_pipe = fds[1];
    const auto entry = [](pt_regs* r, void*) {
      const char text[2] = {'E', static_cast<char>('0' + r->rdi)};
      if (r->orig_rax == SYS_exit_group && write(g_exit_pipe, text, 2) != 2) _exit(98);
    };
    const auto exit = [](pt_regs* r, void*) {
      if (r->orig_rax == SYS_exit_group && write(g_exit_pipe, "X", 1) != 1) _exit(98);
    };
    if (!ubee::attach::start_syscall_interception({entry, exit, nullptr})) _exit(99);
    _exit(6);
  }
  close(fds[1]);
  char buf[8] = {};
  std::size_t n = 0;
  for (ssize_t got; (got = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0;) n += static_cast<std::size_t>(got);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_STREQ(buf, "E6");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 6);
}

// A signal handler runs intercepted and returns through an intercepted rt_sigreturn to the right place.
std::atomic<long> g_handler_ppid{0};

TEST(SyscallInterception, SignalHandlerAndSigreturn) {
  const Report r = run_intercepted([](long* v) {
    signal(SIGUSR1, [](int) { g_handler_ppid = getppid(); });
    const long before = entries(SYS_getppid), sigreturns = entries(SYS_rt_sigreturn);
    raise(SIGUSR1);
    v[0] = entries(SYS_getppid) - before, v[1] = g_handler_ppid.load();
    v[2] = entries(SYS_rt_sigreturn) - sigreturns;
    return 0;
  });
  EXPECT_EQ(r.v[0], 1);
  EXPECT_EQ(r.v[1], getpid());
  EXPECT_EQ(r.v[2], 1);
  EXPECT_EQ(r.status, 0);
}

// Blocking every signal (as pthread_create and posix_spawn do) must not block SIGSYS, or the next call would
// kill the process; the rest of the mask behaves as asked: SIGUSR1 stays pending until unblocked.
std::atomic<int> g_usr1_runs{0};

TEST(SyscallInterception, SignalMaskKeepsItsMeaning) {
  const Report r = run_intercepted([](long* v) {
    signal(SIGUSR1, [](int) { g_usr1_runs.fetch_add(1); });
    sigset_t all, old, now;
    sigfillset(&all);
    v[0] = sigprocmask(SIG_BLOCK, &all, &old);
    const long before = entries(SYS_getppid);
    getppid();  // intercepted, not fatal
    v[1] = entries(SYS_getppid) - before;
    raise(SIGUSR1);
    v[2] = g_usr1_runs.load();
    sigpending(&now);
    v[3] = sigismember(&now, SIGUSR1);
    sigprocmask(SIG_SETMASK, &old, &now);
    v[4] = sigismember(&now, SIGUSR1), v[5] = sigismember(&now, SIGSYS), v[6] = sigismember(&now, SIGTERM);
    v[7] = g_usr1_runs.load();
    return 0;
  });
  EXPECT_EQ(r.v[0], 0);
  EXPECT_EQ(r.v[1], 1);
  EXPECT_EQ(r.v[2], 0);  // blocked
  EXPECT_EQ(r.v[3], 1);  // pending
  EXPECT_EQ(r.v[4], 1);  // the mask in force is everything the application blocked...
  EXPECT_EQ(r.v[5], 0);  // ...except SIGSYS, which ubee never lets be blocked
  EXPECT_EQ(r.v[6], 1);
  EXPECT_EQ(r.v[7], 1);  // delivered once unblocked
  EXPECT_EQ(r.status, 0);
}

TEST(SyscallInterception, StopEndsItOnEveryThread) {
  const Report r = run_intercepted([](long* v) {
    std::atomic<int> phase{0};
    std::thread other([&] {
      getppid();
      phase = 1;
      while (phase != 2) sched_yield();
      for (int i = 0; i < 100; ++i) getppid();
    });
    while (phase != 1) sched_yield();
    ubee::attach::stop_syscall_interception();
    const long before = entries(SYS_getppid);
    phase = 2;
    other.join();
    for (int i = 0; i < 100; ++i) getppid();
    v[0] = before, v[1] = entries(SYS_getppid) - before;
    return 0;
  });
  EXPECT_EQ(r.v[0], 1);
  EXPECT_EQ(r.v[1], 0);
}

}  // namespace
