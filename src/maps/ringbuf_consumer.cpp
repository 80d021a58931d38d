// BPF_MAP_TYPE_RINGBUF, consumer side: libbpf src/ringbuf.c (ringbuf_process_ring, ring_buffer__consume,
// ring_buffer__poll) over the region of ringbuf_layout.hpp.
#include <fcntl.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <utility>

#include "map_types.hpp"
#include "ringbuf_layout.hpp"
#include "ubee/ringbuf.hpp"

namespace ubee {

namespace detail {

// What a consumer holds: the mapping (shared with the map when opened from one, so both use the same addresses),
// the region when it opened an fd itself, and its own dup of the wake-up eventfd.
struct RingConsumerState {
  std::shared_ptr<RingMapping> ring;
  std::shared_ptr<ShmRegion> region;
  int event_fd = -1;

  ~RingConsumerState() {
    if (event_fd >= 0) close(event_fd);
  }
};

}  // namespace detail

namespace {

using detail::RingMapping;

int dup_or_none(int fd) { return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0); }

// Publishes the new consumer position. seq_cst, not libbpf's smp_store_release: paired with the producer's
// exchange-then-load in bpf_ringbuf_commit(), either the producer sees the consumer caught up and wakes it, or
// the consumer sees the record on its next look (Dekker's pattern); release alone allows both to miss.
void store_consumer_pos(const RingMapping& ring, std::uint64_t pos) {
  ring.consumer_pos().store(pos, std::memory_order_seq_cst);
}

// ringbuf_process_ring(): records in order until the first one still being written (BUSY), skipping discarded
// ones, publishing the consumer position after each; loops while producers keep adding.
std::int64_t process_ring(const RingMapping& ring, const RingBufConsumer::Callback& callback) {
  std::int64_t count = 0;
  std::uint64_t cons_pos = ring.consumer_pos().load(std::memory_order_acquire);
  for (bool got_new_data = true; got_new_data;) {
    got_new_data = false;
    const std::uint64_t prod_pos = ring.producer_pos().load(std::memory_order_seq_cst);
    while (cons_pos < prod_pos) {
      std::byte* hdr = ring.data() + (cons_pos & ring.mask());
      const std::uint32_t len = detail::header_len(hdr).load(std::memory_order_seq_cst);
      if ((len & BPF_RINGBUF_BUSY_BIT) != 0) return count;
      if (detail::record_span(len) > prod_pos - cons_pos) return -EINVAL;  // a header no producer wrote
      got_new_data = true;
      cons_pos += detail::record_span(len);
      if ((len & BPF_RINGBUF_DISCARD_BIT) == 0) {
        const int err = callback(hdr + BPF_RINGBUF_HDR_SZ, len);
        if (err < 0) {
          store_consumer_pos(ring, cons_pos);
          return err;
        }
        ++count;
      }
      store_consumer_pos(ring, cons_pos);
    }
  }
  return count;
}

// True when the record at the consumer position is committed (so poll() must not sleep).
bool record_ready(const RingMapping& ring) {
  const std::uint64_t cons_pos = ring.consumer_pos().load(std::memory_order_seq_cst);
  if (cons_pos >= ring.producer_pos().load(std::memory_order_seq_cst)) return false;
  const std::uint32_t len = detail::header_len(ring.data() + (cons_pos & ring.mask())).load(std::memory_order_seq_cst);
  return (len & BPF_RINGBUF_BUSY_BIT) == 0;
}

}  // namespace

Result<RingBufConsumer> RingBufConsumer::open(const RingBufMap& map) {
  auto state = std::make_unique<detail::RingConsumerState>();
  state->ring = map.state_->ring;
  state->event_fd = dup_or_none(map.wake_fd());
  return RingBufConsumer(std::move(state));
}

Result<RingBufConsumer> RingBufConsumer::open(int fd, std::uint32_t ring_size, int wake_fd) {
  MapSpec spec;
  spec.name = "ringbuf fd " + std::to_string(fd);
  spec.type = BPF_MAP_TYPE_RINGBUF;
  spec.max_entries = ring_size;
  // The one spec field a consumer cannot know (BPF_F_NUMA_NODE or not); ShmRegion::open checks all the others.
  detail::RegionHeader header{};
  if (pread(fd, &header, sizeof header, 0) == static_cast<ssize_t>(sizeof header)) spec.flags = header.flags;
  auto region = detail::ShmRegion::open(spec, fd, detail::ring_region_bytes(ring_size));
  if (!region) return region.error();
  auto ring = RingMapping::map(spec, region->fd(), ring_size);
  if (!ring) return ring.error();
  auto state = std::make_unique<detail::RingConsumerState>();
  state->ring = std::move(*ring);
  state->region = std::make_shared<detail::ShmRegion>(std::move(*region));
  state->event_fd = dup_or_none(wake_fd);
  return RingBufConsumer(std::move(state));
}

RingBufConsumer::RingBufConsumer(std::unique_ptr<detail::RingConsumerState> state) : state_(std::move(state)) {}
RingBufConsumer::RingBufConsumer(RingBufConsumer&& other) noexcept = default;
RingBufConsumer& RingBufConsumer::operator=(RingBufConsumer&& other) noexcept = default;
RingBufConsumer::~RingBufConsumer() = default;

int RingBufConsumer::consume(const Callback& callback) {
  // Reset fd() readiness first: a wake-up that arrives after this point leaves it readable again.
  detail::drain_event_fd(state_->event_fd);
  const std::int64_t n = process_ring(*state_->ring, callback);
  return n > INT_MAX ? INT_MAX : static_cast<int>(n);
}

int RingBufConsumer::poll(const Callback& callback, int timeout_ms) {
  const int n = consume(callback);
  if (n != 0 || timeout_ms == 0) return n;
  const RingMapping& ring = *state_->ring;
  // Read the wake-up sequence before looking for data: a commit in between changes it and FUTEX_WAIT returns.
  const std::uint32_t seen = ring.meta().wake.seq.load(std::memory_order_seq_cst);
  if (!record_ready(ring)) detail::wait_for_wake(ring.meta().wake, seen, timeout_ms);
  return consume(callback);
}

int RingBufConsumer::fd() const { return state_->event_fd; }

}  // namespace ubee
