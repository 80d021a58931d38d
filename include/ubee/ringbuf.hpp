// BPF_MAP_TYPE_RINGBUF: the producer side (the bpf_ringbuf_* helpers) and a consumer with libbpf's
// ring_buffer semantics (libbpf src/ringbuf.c), over a shared region laid out as the kernel's struct bpf_ringbuf
// (kernel/bpf/ringbuf.c), so that a consumer in another process that maps the region's fd works as one that
// mmap()s a kernel ring buffer map.
//
// Region layout (the fd of Map::shared_fd()), in pages of sysconf(_SC_PAGESIZE) bytes:
//   page 0                        ubee's region header, the reservation spinlock and the wake-up word (the
//                                 kernel's non-mmap()able part of struct bpf_ringbuf, RINGBUF_PGOFF)
//   page kRingbufConsumerPage     unsigned long consumer_pos, written by the consumer
//   page kRingbufProducerPage     unsigned long producer_pos, then the kernel's pending_pos
//   page kRingbufDataPage...      the data area, max_entries bytes: records with an 8-byte header
//                                 {u32 len | BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT; u32 pg_off}
// A libbpf ring_buffer__add() maps the consumer page at offset 0 of a kernel map fd; here it is at
// kRingbufConsumerPage pages. The kernel maps the data pages twice in a row so records that wrap around the end
// of the data area read contiguously; a memfd cannot, so a consumer maps the data area a second time itself,
// right after the first (RingBufConsumer does).
//
// Producers may run on many threads and in many processes at once (a spinlock in the region serialises
// reservations, as the kernel's rb->spinlock). There is one consumer at a time, as with libbpf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "ubee/error.hpp"
#include "ubee/maps.hpp"

namespace ubee {

inline constexpr std::size_t kRingbufConsumerPage = 1;
inline constexpr std::size_t kRingbufProducerPage = 2;
inline constexpr std::size_t kRingbufDataPage = 3;

namespace detail {
struct RingState;
struct RingConsumerState;
}  // namespace detail

class RingBufMap : public Map {
 public:
  // Made by create_map() / open_shared_map() for BPF_MAP_TYPE_RINGBUF.
  RingBufMap(MapSpec spec, std::unique_ptr<detail::RingState> state);
  ~RingBufMap() override;

  // ---- The helpers, with kernel/bpf/ringbuf.c semantics.
  // bpf_ringbuf_reserve: `size` writable bytes, 8-byte aligned, or nullptr when flags != 0, the record cannot fit
  // the ring, or there is no room now (a consumer is behind, or an older reservation is still pending).
  void* reserve(std::uint64_t size, std::uint64_t flags = 0);
  // bpf_ringbuf_submit / bpf_ringbuf_discard of a reserve()d sample. The consumer is woken when it has caught up
  // with this record, always with BPF_RB_FORCE_WAKEUP, never with BPF_RB_NO_WAKEUP. A pointer that is not a
  // record of this ring is ignored (the kernel trusts the verifier instead).
  void submit(void* sample, std::uint64_t flags = 0);
  void discard(void* sample, std::uint64_t flags = 0);
  // bpf_ringbuf_output: reserve + copy + submit; 0, -EAGAIN when there is no room, -EINVAL for unknown flags.
  long output(const void* data, std::uint64_t size, std::uint64_t flags = 0);
  // bpf_ringbuf_query: BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE, BPF_RB_CONS_POS, BPF_RB_PROD_POS; 0 otherwise.
  [[nodiscard]] std::uint64_t query(std::uint64_t flags) const;

  // Data area size (max_entries).
  [[nodiscard]] std::uint32_t ring_size() const { return max_entries(); }
  // The eventfd producers of this object signal on a wake-up (what epoll on a kernel ring buffer fd reports);
  // a fork()ed child inherits it. Owned by the map.
  [[nodiscard]] int wake_fd() const;

  // ---- Map: a ring buffer has no elements. Programs cannot call the element helpers on it (the verifier
  // rejects them): nullptr / -EINVAL. bpf(2) gets -ENOTSUPP (524) from the kernel; here -EOPNOTSUPP.
  void* lookup(const void* key) override;
  long update(const void* key, const void* value, std::uint64_t flags) override;
  long erase(const void* key) override;
  long user_lookup(const void* key, void* value) override;
  long user_update(const void* key, const void* value, std::uint64_t flags) override;
  long user_delete(const void* key) override;
  long get_next_key(const void* key, void* next_key) override;
  [[nodiscard]] int shared_fd() const override;

 private:
  friend class RingBufConsumer;  // consumes through the map's own mapping
  void commit(void* sample, std::uint64_t flags, bool discard);

  std::unique_ptr<detail::RingState> state_;
};

// The consumer: libbpf's ring_buffer__consume / ring_buffer__poll for one ring.
class RingBufConsumer {
 public:
  // Called for every submitted (not discarded) record, in ring order. A negative return stops consuming; the
  // record counts as consumed and consume()/poll() return that value (libbpf's ring_buffer_sample_fn).
  using Callback = std::function<int(const void* data, std::uint32_t size)>;

  // Consumes `map` through the map's own mapping, waking on its wake_fd().
  static Result<RingBufConsumer> open(const RingBufMap& map);
  // Consumes the ring buffer region behind `fd` (e.g. in another process) with a data area of `ring_size` bytes.
  // `wake_fd` (optional, e.g. RingBufMap::wake_fd() inherited over fork()) becomes fd(); the consumer dup()s both.
  static Result<RingBufConsumer> open(int fd, std::uint32_t ring_size, int wake_fd = -1);

  RingBufConsumer(RingBufConsumer&& other) noexcept;
  RingBufConsumer& operator=(RingBufConsumer&& other) noexcept;
  ~RingBufConsumer();

  // Consumes every record available now: the number of records passed to `callback` (at most INT_MAX), the
  // callback's negative return, or -EINVAL for a corrupt record header.
  int consume(const Callback& callback);
  // consume(), and when nothing was available, sleeps until a producer wakes the consumer or `timeout_ms`
  // passes (< 0: forever) and consumes again. The sleep uses the region's futex word, so producers in any
  // process that maps the region wake it.
  int poll(const Callback& callback, int timeout_ms);
  // An fd for epoll/poll(2): readable after a producer woke the consumer (the wake_fd given at open, or -1).
  // consume() and poll() reset it.
  [[nodiscard]] int fd() const;

 private:
  explicit RingBufConsumer(std::unique_ptr<detail::RingConsumerState> state);

  std::unique_ptr<detail::RingConsumerState> state_;
};

}  // namespace ubee
