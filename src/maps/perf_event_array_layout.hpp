// Internal: the perf event array region (layout in include/ubee/perf_buffer.hpp).
#pragma once

#include <linux/perf_event.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ringbuf_layout.hpp"
#include "ringbuf_wake.hpp"
#include "shm_region.hpp"

namespace ubee::detail {

// Region data offset 0.
struct PerfMeta {
  std::uint32_t per_cpu_bytes;  // data bytes of each slot's buffer
  std::uint32_t slots;          // max_entries
  SharedWake wake;
};

// One per slot, after PerfMeta: what the kernel keeps in struct perf_buffer and the map's slot pointer.
struct alignas(64) PerfSlot {
  std::atomic<std::uint32_t> lock;      // serialises producers of this slot (the kernel: per-CPU, no preemption)
  std::atomic<std::uint32_t> attached;  // array->ptrs[index] != NULL
  std::atomic<std::uint64_t> lost;      // rb->lost: samples dropped since the last PERF_RECORD_LOST
};

// PERF_RECORD_LOST as perf_output_begin() writes it (no sample_id: sample_id_all is off).
struct PerfLostRecord {
  perf_event_header header;
  std::uint64_t id;
  std::uint64_t lost;
};

// Addresses inside a mapped perf event array region.
class PerfLayout {
 public:
  PerfLayout(std::byte* region_data, std::uint32_t slots, std::uint32_t per_cpu_bytes)
      : data_(region_data), slots_(slots), per_cpu_bytes_(per_cpu_bytes) {}

  // Bytes of the file before slot 0's perf_event_mmap_page: header, PerfMeta and slot table, padded to a page.
  static std::size_t table_bytes(std::uint32_t slots) {
    const std::size_t bytes = kRegionDataOffset + sizeof(PerfSlot) * (std::size_t{slots} + 1);
    return (bytes + page_size() - 1) / page_size() * page_size();
  }
  // File offset of slot i's perf_event_mmap_page.
  static std::size_t buffer_offset(std::uint32_t slots, std::uint32_t per_cpu_bytes, std::uint32_t i) {
    return table_bytes(slots) + std::size_t{i} * (page_size() + per_cpu_bytes);
  }
  // Bytes of region data (after the RegionHeader) for this many slots of this size.
  static std::size_t region_bytes(std::uint32_t slots, std::uint32_t per_cpu_bytes) {
    return buffer_offset(slots, per_cpu_bytes, slots) - kRegionDataOffset;
  }

  [[nodiscard]] PerfMeta& meta() const { return *reinterpret_cast<PerfMeta*>(data_); }
  [[nodiscard]] PerfSlot& slot(std::uint32_t i) const { return reinterpret_cast<PerfSlot*>(data_)[i + 1]; }
  [[nodiscard]] perf_event_mmap_page& page(std::uint32_t i) const {
    return *reinterpret_cast<perf_event_mmap_page*>(buffer(i));
  }
  [[nodiscard]] std::byte* ring(std::uint32_t i) const { return buffer(i) + page_size(); }
  [[nodiscard]] std::uint64_t mask() const { return per_cpu_bytes_ - 1; }
  [[nodiscard]] std::uint32_t slots() const { return slots_; }
  [[nodiscard]] std::uint32_t per_cpu_bytes() const { return per_cpu_bytes_; }

 private:
  [[nodiscard]] std::byte* buffer(std::uint32_t i) const {
    return data_ - kRegionDataOffset + buffer_offset(slots_, per_cpu_bytes_, i);
  }

  std::byte* data_;
  std::uint32_t slots_;
  std::uint32_t per_cpu_bytes_;
};

// data_head / data_tail: the producer and the consumer (maybe in another process) race on them.
// The fields are __u64 (unsigned long long), which is not std::uint64_t (unsigned long): use their own type.
inline std::atomic_ref<__u64> data_head(perf_event_mmap_page& page) { return std::atomic_ref<__u64>(page.data_head); }
inline std::atomic_ref<__u64> data_tail(perf_event_mmap_page& page) { return std::atomic_ref<__u64>(page.data_tail); }

// Copies between a flat buffer and the circular data area at position `pos` (records may wrap around its end).
inline void ring_copy_in(std::byte* ring, std::uint64_t mask, std::uint64_t pos, const void* src, std::size_t n) {
  const std::size_t at = pos & mask;
  const std::size_t first = n < mask + 1 - at ? n : mask + 1 - at;
  if (first != 0) std::memcpy(ring + at, src, first);
  if (n > first) std::memcpy(ring, static_cast<const std::byte*>(src) + first, n - first);
}
inline void ring_copy_out(void* dst, const std::byte* ring, std::uint64_t mask, std::uint64_t pos, std::size_t n) {
  const std::size_t at = pos & mask;
  const std::size_t first = n < mask + 1 - at ? n : mask + 1 - at;
  if (first != 0) std::memcpy(dst, ring + at, first);
  if (n > first) std::memcpy(static_cast<std::byte*>(dst) + first, ring, n - first);
}

// Owned by a PerfEventArrayMap.
struct PerfState {
  PerfState(ShmRegion region_, PerfLayout layout_, int event_fd_)
      : region(std::move(region_)), layout(layout_), event_fd(event_fd_) {}
  PerfState(const PerfState&) = delete;
  PerfState& operator=(const PerfState&) = delete;
  ~PerfState();

  ShmRegion region;
  PerfLayout layout;
  int event_fd;
};

}  // namespace ubee::detail
