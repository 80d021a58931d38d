// Internal: the ring buffer region (layout in include/ubee/ringbuf.hpp) and its double mapping.
#pragma once

#include <linux/bpf.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "ringbuf_wake.hpp"
#include "shm_region.hpp"
#include "ubee/error.hpp"
#include "ubee/maps.hpp"
#include "ubee/ringbuf.hpp"

namespace ubee::detail {

// Page 0, after the RegionHeader: what the kernel keeps in the non-mmap()able part of struct bpf_ringbuf.
struct RingMeta {
  std::atomic<std::uint32_t> lock;  // rb->spinlock: serialises reservations
  SharedWake wake;                  // rb->waitq
};

std::size_t page_size();

// Bytes of region data (after the RegionHeader) a ring with `ring_size` data bytes needs.
std::size_t ring_region_bytes(std::uint32_t ring_size);

// round_up(len + BPF_RINGBUF_HDR_SZ, 8) of a header's length word, flag bits cleared (libbpf roundup_len()).
inline std::uint64_t record_span(std::uint32_t len_word) {
  const std::uint64_t len = len_word & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
  return (len + BPF_RINGBUF_HDR_SZ + 7) & ~std::uint64_t{7};
}

// The length word of the record header at `hdr`: read and written atomically, as producers, the pending_pos scan
// and the consumer race on it (the kernel's xchg / smp_load_acquire on hdr->len).
inline std::atomic_ref<std::uint32_t> header_len(std::byte* hdr) {
  return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(hdr));
}

// The whole region mapped read-write with the data area mapped a second time right after the first, as the
// kernel's bpf_ringbuf_area_alloc() vmap()s it: a record that wraps around the end is contiguous.
class RingMapping {
 public:
  static Result<std::shared_ptr<RingMapping>> map(const MapSpec& spec, int fd, std::uint32_t ring_size);
  RingMapping(std::byte* base, std::size_t length, std::uint32_t ring_size);
  RingMapping(const RingMapping&) = delete;
  RingMapping& operator=(const RingMapping&) = delete;
  ~RingMapping();

  [[nodiscard]] RingMeta& meta() const { return *reinterpret_cast<RingMeta*>(base_ + kRegionDataOffset); }
  [[nodiscard]] std::atomic<std::uint64_t>& consumer_pos() const { return word(kRingbufConsumerPage, 0); }
  [[nodiscard]] std::atomic<std::uint64_t>& producer_pos() const { return word(kRingbufProducerPage, 0); }
  [[nodiscard]] std::atomic<std::uint64_t>& pending_pos() const { return word(kRingbufProducerPage, 1); }
  [[nodiscard]] std::byte* data() const { return base_ + kRingbufDataPage * page_size(); }
  [[nodiscard]] std::uint64_t mask() const { return ring_size_ - 1; }
  [[nodiscard]] std::uint32_t ring_size() const { return ring_size_; }
  [[nodiscard]] std::byte* base() const { return base_; }

 private:
  [[nodiscard]] std::atomic<std::uint64_t>& word(std::size_t page, std::size_t index) const {
    return reinterpret_cast<std::atomic<std::uint64_t>*>(base_ + page * page_size())[index];
  }

  std::byte* base_;
  std::size_t length_;
  std::uint32_t ring_size_;
};

// Owned by a RingBufMap: the region (fd, shape check), the double mapping and the map's eventfd.
struct RingState {
  RingState(ShmRegion region, std::shared_ptr<RingMapping> mapping, int event_fd);
  RingState(const RingState&) = delete;
  RingState& operator=(const RingState&) = delete;
  ~RingState();

  ShmRegion region;
  std::shared_ptr<RingMapping> ring;
  int event_fd;
};

}  // namespace ubee::detail
