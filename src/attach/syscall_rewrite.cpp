// The SIGSYS handler queues hot sites in a fixed array (a slot claimed with fetch_add, published with a flag)
// and wakes the rewriter with a futex; the rewriter checks the bytes again, makes the entry stub, and patches
// the site with patch_text (patch.hpp), through a jump island near the site when the stub is out of rel32
// reach. A thread that hits patch_text's int3 is sent to the entry stub: the same effect as the site.
#include "attach/syscall_rewrite.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>

#include <array>
#include <atomic>
#include <cstring>
#include <latch>
#include <thread>

#include "attach/code_memory.hpp"
#include "attach/patch.hpp"
#include "attach/syscall_code.hpp"
#include "helpers/safe_copy.hpp"

namespace ubee::attach::detail {
namespace {

constexpr std::uint32_t kHotHits = 8;  // SIGSYS round trips a site makes before it is rewritten
constexpr std::size_t kQueueSize = 1024;  // sites ever queued; later ones stay on SIGSYS
constexpr std::size_t kSiteSize = 7;   // mov eax, imm32 (5) + syscall (2)

struct Request {
  std::uintptr_t ret = 0;
  unsigned long nr = 0;
  std::atomic<bool> ready{false};
};
std::array<Request, kQueueSize> g_queue;
std::atomic<std::uint32_t> g_claimed{0};
std::atomic<std::uint32_t> g_posted{0};  // the futex word

__attribute__((tls_model("initial-exec"))) thread_local bool t_rewriter = false;

bool needs_signal_frame(unsigned long nr) {
  switch (nr) {
    case SYS_clone: case SYS_clone3: case SYS_fork: case SYS_vfork:
    case SYS_rt_sigreturn: case SYS_rt_sigprocmask: case SYS_rt_sigaction: case SYS_prctl:
      return true;
    default:
      return false;
  }
}

// `mov eax, nr; syscall` ending at ret.
bool has_site_shape(const std::uint8_t* bytes, unsigned long nr) {
  std::uint32_t imm = 0;
  std::memcpy(&imm, bytes + 1, 4);
  return bytes[0] == 0xb8 && imm == nr && bytes[5] == 0x0f && bytes[6] == 0x05;
}

void rewrite(std::uintptr_t ret, unsigned long nr) {
  const std::uintptr_t site = ret - kSiteSize;
  if (!has_site_shape(reinterpret_cast<const std::uint8_t*>(site), nr)) return;  // already rewritten
  const std::uintptr_t stub = entry_stub(ret, nr);
  if (stub == 0) return;
  std::uintptr_t target = stub;
  if (!rel32_reachable(site + 5, stub)) {
    auto island = allocate_code(site, 16);
    if (!island) return;
    std::uint8_t jump[14] = {0xff, 0x25, 0, 0, 0, 0};  // jmp qword [rip + 0]; .quad stub
    std::memcpy(jump + 6, &stub, 8);
    if (!write_code(*island, jump)) return;
    target = *island;
  }
  std::uint8_t jmp[5] = {0xe9};
  const auto rel = static_cast<std::int32_t>(static_cast<std::int64_t>(target - (site + 5)));
  std::memcpy(jmp + 1, &rel, 4);
  (void)patch_text(site, jmp, stub);  // refused: the site simply stays on SIGSYS
}

[[noreturn]] void run_rewriter(std::latch& started) {
  t_rewriter = true;
  started.count_down();
  std::uint32_t done = 0;
  for (;;) {
    const std::uint32_t posted = g_posted.load(std::memory_order_acquire);
    for (; done < posted && done < kQueueSize; ++done) {
      Request& r = g_queue[done];
      while (!r.ready.load(std::memory_order_acquire)) std::this_thread::yield();
      rewrite(r.ret, r.nr);
    }
    syscall(SYS_futex, &g_posted, FUTEX_WAIT_PRIVATE, posted, nullptr, nullptr, 0);
  }
}

}  // namespace

Result<void> start_rewriter() {
  static const bool started = [] {
    std::latch latch(1);
    std::thread(run_rewriter, std::ref(latch)).detach();
    latch.wait();
    return true;
  }();
  (void)started;
  return {};
}

bool is_rewriter_thread() { return t_rewriter; }

void consider_rewrite(std::uintptr_t ret, unsigned long nr, std::uint32_t hits) {
  if (hits != kHotHits || needs_signal_frame(nr)) return;
  std::uint8_t bytes[kSiteSize];
  if (!safe_copy(bytes, reinterpret_cast<const void*>(ret - kSiteSize), kSiteSize) || !has_site_shape(bytes, nr))
    return;
  const std::uint32_t slot = g_claimed.fetch_add(1, std::memory_order_relaxed);
  if (slot >= kQueueSize) return;
  g_queue[slot].ret = ret, g_queue[slot].nr = nr;
  g_queue[slot].ready.store(true, std::memory_order_release);
  g_posted.fetch_add(1, std::memory_order_acq_rel);
  raw_syscall(SYS_futex, reinterpret_cast<long>(&g_posted), FUTEX_WAKE_PRIVATE, 1);
}

}  // namespace ubee::attach::detail
