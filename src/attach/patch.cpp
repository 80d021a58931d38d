// patch_text and its SIGTRAP handler. The handler reads a fixed table of (int3 address, target) pairs that is
// only ever appended to or retargeted, with atomics, so it is async-signal-safe and lock-free.
#include "attach/patch.hpp"

#include <signal.h>
#include <ucontext.h>

#include <array>
#include <atomic>
#include <csignal>
#include <mutex>

#include "attach/code_memory.hpp"

namespace ubee::attach {

namespace {

constexpr std::uint8_t kInt3 = 0xcc;
constexpr std::size_t kMaxTraps = 4096;

struct TrapSlot {
  std::atomic<std::uintptr_t> address{0};
  std::atomic<std::uintptr_t> target{0};
};

std::array<TrapSlot, kMaxTraps> g_traps;
std::atomic<std::size_t> g_trap_count{0};
std::mutex g_trap_mutex;  // writers only
struct sigaction g_previous {};

std::uintptr_t trap_target_of(std::uintptr_t int3_address) {
  const std::size_t n = g_trap_count.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i)
    if (g_traps[i].address.load(std::memory_order_acquire) == int3_address)
      return g_traps[i].target.load(std::memory_order_acquire);
  return 0;
}

// Another component's int3 (or a real SIGTRAP): hand it to whoever had SIGTRAP before us.
void chain(int signo, siginfo_t* info, void* context) {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(signo, info, context);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(signo);
  } else if (g_previous.sa_handler == SIG_DFL) {
    signal(SIGTRAP, SIG_DFL);
    raise(SIGTRAP);
  }
}

void on_sigtrap(int signo, siginfo_t* info, void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
  const auto rip = static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  if (const std::uintptr_t target = trap_target_of(rip - 1); target != 0) {
    uc->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(target);
    return;
  }
  chain(signo, info, context);
}

Result<void> install_handler() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_sigaction = on_sigtrap;
    action.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    return sigaction(SIGTRAP, &action, &g_previous) == 0;
  }();
  if (!installed) return make_error(Errc::permission_denied, "installing the SIGTRAP handler failed");
  return {};
}

Result<void> set_trap_target(std::uintptr_t address, std::uintptr_t target) {
  std::lock_guard lock(g_trap_mutex);
  const std::size_t n = g_trap_count.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < n; ++i) {
    if (g_traps[i].address.load(std::memory_order_relaxed) == address) {
      g_traps[i].target.store(target, std::memory_order_release);
      return {};
    }
  }
  if (n == kMaxTraps) return make_error(Errc::unsupported, "too many patched addresses (4096)");
  g_traps[n].target.store(target, std::memory_order_relaxed);
  g_traps[n].address.store(address, std::memory_order_relaxed);
  g_trap_count.store(n + 1, std::memory_order_release);
  return {};
}

Result<void> write_and_sync(std::uintptr_t address, std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return {};
  auto written = write_code(address, bytes);
  sync_cores();
  return written;
}

}  // namespace

Result<void> patch_text(std::uintptr_t address, std::span<const std::uint8_t> bytes, std::uintptr_t trap_target) {
  if (bytes.empty() || bytes.size() > 16) return make_error(Errc::invalid_argument, "patch of 1 to 16 bytes");
  if (auto r = install_handler(); !r) return r;
  if (auto r = set_trap_target(address, trap_target); !r) return r;
  const std::uint8_t int3 = kInt3;
  if (auto r = write_and_sync(address, {&int3, 1}); !r) return r;
  if (auto r = write_and_sync(address + 1, bytes.subspan(1)); !r) return r;
  return write_and_sync(address, bytes.first(1));
}

}  // namespace ubee::attach
