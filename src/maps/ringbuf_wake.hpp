// Internal: the wake-up of event-map consumers (ring buffer and perf event array). The kernel wakes a
// consumer's poll()/epoll through a wait queue and irq_work (kernel/bpf/ringbuf.c bpf_ringbuf_notify,
// kernel/events/ring_buffer.c perf_output_wakeup). Here two mechanisms stand in for the wait queue:
//   - a futex word in the shared region, so a consumer in any process that maps the region can sleep until a
//     producer in any process signals;
//   - an eventfd per map object, so a consumer can put fd() into its own epoll set. Producers signal the eventfd
//     of the map object they produce through; a fork()ed child inherits it, an unrelated process that opens the
//     region from its fd gets its own (and then only the futex reaches across).
#pragma once

#include <atomic>
#include <cstdint>

namespace ubee::detail {

// Lives in a shared region: zero-initialised memory is a valid idle state.
struct SharedWake {
  std::atomic<std::uint32_t> seq;      // futex word: bumped by every wake-up
  std::atomic<std::uint32_t> waiters;  // consumers sleeping (or about to) on seq
};

// Bumps the sequence, wakes every futex sleeper and signals `event_fd` (when >= 0).
void wake_consumers(SharedWake& wake, int event_fd);

// Sleeps until the sequence moves away from `seen` (read before the caller last checked for data, so a wake-up
// in between is never lost), `timeout_ms` passes (< 0: no limit) or a signal arrives.
void wait_for_wake(SharedWake& wake, std::uint32_t seen, int timeout_ms);

// A non-blocking, close-on-exec eventfd, or -1 when the system has none to give.
int make_event_fd();
// Resets the eventfd's readiness (reads its counter); a no-op for -1.
void drain_event_fd(int event_fd);

}  // namespace ubee::detail
