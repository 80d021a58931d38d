// Internal: synchronisation that works across processes sharing a region. Only lock-free std::atomic words live
// in a region (a pthread mutex would need PTHREAD_PROCESS_SHARED and robust-mutex handling, and a futex-free
// spinlock is enough for the short critical sections maps have, as the kernel's raw spinlocks are).
// A process that dies holding one of these locks leaves it held: the kernel has no such failure mode, and we
// accept it rather than pay for robust locks.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>

namespace ubee::detail {

static_assert(std::atomic<std::uint32_t>::is_always_lock_free && std::atomic<std::uint64_t>::is_always_lock_free,
              "region words must be lock-free to be shared between processes");

// Waiting for a lock or a writer: spin briefly, then yield. Kernel spinlocks can spin because their holder
// cannot be preempted; a user-space holder can, and a waiter spinning through its whole time slice would only
// delay it (badly so when there are more threads than cores).
class Backoff {
 public:
  void pause() {
    if (++spins_ < 64) {
      __builtin_ia32_pause();
    } else {
      sched_yield();
    }
  }

 private:
  int spins_ = 0;
};

// A test-and-test-and-set spinlock on a region word (0 = free, 1 = held).
class SpinGuard {
 public:
  explicit SpinGuard(std::atomic<std::uint32_t>& word) : word_(word) {
    Backoff backoff;
    for (;;) {
      if (word_.exchange(1, std::memory_order_acquire) == 0) return;
      while (word_.load(std::memory_order_relaxed) != 0) backoff.pause();
    }
  }
  ~SpinGuard() { word_.store(0, std::memory_order_release); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  std::atomic<std::uint32_t>& word_;
};

// A sequence lock on a region word: odd while a writer holds it. Writers exclude each other; readers take no
// lock, read only through atomics, and retry when the sequence moved. Fence-free form: writers make every store
// a reader may see a release store and readers make every such load an acquire load, so a reader that sees any
// of a writer's stores also sees its odd sequence when it re-reads it (Boehm, "Can seqlocks get along with
// programming language memory models?", MSPC 2012). On x86-64 these are plain moves, and ThreadSanitizer, which
// does not model fences, checks it exactly. The classic fences are kept as well (a compiler barrier on x86-64),
// so code that reads or writes some fields with relaxed atomics under the lock stays covered; GCC refuses
// fences under -fsanitize=thread, so TSan builds rely on the release/acquire accesses alone.
inline void seq_fence(std::memory_order order) {
#if !defined(__SANITIZE_THREAD__)
  std::atomic_thread_fence(order);
#else
  (void)order;
#endif
}

class SeqWriteGuard {
 public:
  explicit SeqWriteGuard(std::atomic<std::uint32_t>& seq) : seq_(seq) {
    Backoff backoff;
    for (;;) {
      std::uint32_t s = seq_.load(std::memory_order_relaxed);
      if ((s & 1) == 0 && seq_.compare_exchange_weak(s, s + 1, std::memory_order_acquire)) break;
      backoff.pause();
    }
    seq_fence(std::memory_order_release);  // the odd sequence before the writer's stores
  }
  ~SeqWriteGuard() { seq_.fetch_add(1, std::memory_order_release); }
  SeqWriteGuard(const SeqWriteGuard&) = delete;
  SeqWriteGuard& operator=(const SeqWriteGuard&) = delete;

 private:
  std::atomic<std::uint32_t>& seq_;
};

// Reader side: begin() waits out a writer and returns the sequence; valid() says nothing changed since.
inline std::uint32_t seq_read_begin(const std::atomic<std::uint32_t>& seq) {
  Backoff backoff;
  for (;;) {
    std::uint32_t s = seq.load(std::memory_order_acquire);
    if ((s & 1) == 0) return s;
    backoff.pause();
  }
}
inline bool seq_read_valid(const std::atomic<std::uint32_t>& seq, std::uint32_t begin) {
  seq_fence(std::memory_order_acquire);  // the reader's loads before the sequence re-read
  return seq.load(std::memory_order_acquire) == begin;
}

// The orders of the data accesses under a sequence lock (see above).
inline constexpr std::memory_order kSeqStore = std::memory_order_release;
inline constexpr std::memory_order kSeqLoad = std::memory_order_acquire;

}  // namespace ubee::detail
