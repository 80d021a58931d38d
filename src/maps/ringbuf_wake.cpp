// Consumer wake-up for the event maps: see ringbuf_wake.hpp.
#include "ringbuf_wake.hpp"

#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

namespace ubee::detail {
namespace {

// FUTEX_WAIT/FUTEX_WAKE without FUTEX_PRIVATE_FLAG: the word is in a MAP_SHARED region that other processes map.
long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t value, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, timeout, nullptr, 0);
}

}  // namespace

void wake_consumers(SharedWake& wake, int event_fd) {
  // seq_cst on both words pairs with wait_for_wake(): either the sleeper counted itself before our load of
  // `waiters` (and gets FUTEX_WAKE), or its FUTEX_WAIT sees the new sequence and does not sleep.
  wake.seq.fetch_add(1, std::memory_order_seq_cst);
  if (wake.waiters.load(std::memory_order_seq_cst) != 0) futex(wake.seq, FUTEX_WAKE, INT_MAX, nullptr);
  if (event_fd >= 0) {
    const std::uint64_t one = 1;
    // EAGAIN means the counter is saturated, i.e. already readable: nothing more to signal.
    [[maybe_unused]] const ssize_t n = write(event_fd, &one, sizeof one);
  }
}

void wait_for_wake(SharedWake& wake, std::uint32_t seen, int timeout_ms) {
  timespec limit{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1000000L};
  wake.waiters.fetch_add(1, std::memory_order_seq_cst);
  futex(wake.seq, FUTEX_WAIT, seen, timeout_ms < 0 ? nullptr : &limit);
  wake.waiters.fetch_sub(1, std::memory_order_seq_cst);
}

int make_event_fd() { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void drain_event_fd(int event_fd) {
  if (event_fd < 0) return;
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = read(event_fd, &count, sizeof count);
}

}  // namespace ubee::detail
