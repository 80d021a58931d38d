// BPF_MAP_TYPE_PERF_EVENT_ARRAY, producer side: bpf_perf_event_output() (kernel/trace/bpf_trace.c
// __bpf_perf_event_output), the perf ring buffer write (kernel/events/ring_buffer.c __perf_output_begin,
// ring_buffer_has_space) and the raw sample layout (kernel/events/core.c perf_prepare_sample, PERF_SAMPLE_RAW).
//
// Deviation: the kernel also returns -EOPNOTSUPP when the slot's perf event is not on the current CPU; user-space
// threads migrate between CPUs at any time, so here any thread may write any slot (each slot has a spinlock).
#include <linux/bpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "array_common.hpp"
#include "map_types.hpp"
#include "perf_event_array_layout.hpp"
#include "shm_sync.hpp"
#include "ubee/perf_buffer.hpp"

namespace ubee {
namespace {

using detail::PerfLayout;
using detail::PerfSlot;

constexpr std::uint64_t kMaxRecordSize = 0xffff;  // perf_event_header.size is a u16

bool valid_buffer_size(std::uint64_t bytes) {
  return bytes != 0 && (bytes & (bytes - 1)) == 0 && bytes % detail::page_size() == 0 && bytes <= (1U << 31);
}

// libbpf (bpf_object__create_map) sizes a perf event array to the possible CPUs when max_entries is 0.
MapSpec normalized(const MapSpec& spec) {
  MapSpec s = spec;
  if (s.max_entries == 0) s.max_entries = possible_cpus();
  return s;
}

// CIRC_SPACE(head, tail, size) of ring_buffer_has_space(): one byte always stays free.
std::uint64_t circ_space(std::uint64_t head, std::uint64_t tail, std::uint64_t mask) {
  return (tail - (head + 1)) & mask;
}

// Writes the pending PERF_RECORD_LOST (if any) and the sample at `head`; returns the bytes written.
std::uint64_t write_records(const PerfLayout& layout, std::uint32_t index, std::uint64_t head, const void* data,
                            std::uint32_t size, std::uint32_t raw_size) {
  PerfSlot& slot = layout.slot(index);
  std::byte* ring = layout.ring(index);
  const std::uint64_t start = head;
  if (slot.lost.load(std::memory_order_relaxed) != 0) {
    const detail::PerfLostRecord lost{{PERF_RECORD_LOST, 0, sizeof(detail::PerfLostRecord)}, index,
                                      slot.lost.exchange(0, std::memory_order_relaxed)};
    detail::ring_copy_in(ring, layout.mask(), head, &lost, sizeof lost);
    head += sizeof lost;
  }
  const auto total = static_cast<std::uint16_t>(sizeof(perf_event_header) + sizeof raw_size + raw_size);
  const perf_event_header header{PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER, total};
  detail::ring_copy_in(ring, layout.mask(), head, &header, sizeof header);
  detail::ring_copy_in(ring, layout.mask(), head + sizeof header, &raw_size, sizeof raw_size);
  detail::ring_copy_in(ring, layout.mask(), head + sizeof header + sizeof raw_size, data, size);
  static constexpr std::byte kZeros[8]{};  // the kernel skips the padding; zeroing it keeps records deterministic
  detail::ring_copy_in(ring, layout.mask(), head + total - (raw_size - size), kZeros, raw_size - size);
  return head + total - start;
}

// perf_prepare_sample(): the raw data is padded so that its u32 size field plus the data is a multiple of 8.
std::uint64_t raw_size_of(std::uint64_t size) {
  return ((size + sizeof(std::uint32_t) + 7) & ~std::uint64_t{7}) - sizeof(std::uint32_t);
}

// Bytes of the PERF_RECORD_SAMPLE for `size` bytes of data; 0 when perf_event_header.size (a u16) cannot hold it.
std::uint64_t sample_bytes_of(std::uint64_t size) {
  if (size > kMaxRecordSize) return 0;
  const std::uint64_t bytes = sizeof(perf_event_header) + sizeof(std::uint32_t) + raw_size_of(size);
  return bytes <= kMaxRecordSize ? bytes : 0;
}

// Under the slot lock: __perf_output_begin()'s room check, the records, perf_output_end()'s data_head update.
// Returns the old head (where the records start), or -ENOSPC after counting one more lost sample.
std::int64_t append_locked(const PerfLayout& layout, std::uint32_t index, const void* data, std::uint64_t size) {
  PerfSlot& slot = layout.slot(index);
  perf_event_mmap_page& page = layout.page(index);
  const std::uint64_t lost_bytes = slot.lost.load(std::memory_order_relaxed) != 0 ? sizeof(detail::PerfLostRecord) : 0;
  const std::uint64_t head = detail::data_head(page).load(std::memory_order_relaxed);
  const std::uint64_t tail = detail::data_tail(page).load(std::memory_order_acquire);
  // A record longer than perf_event_header.size can express is dropped as if there were no room.
  const std::uint64_t sample_bytes = sample_bytes_of(size);
  if (sample_bytes == 0 || circ_space(head, tail, layout.mask()) < sample_bytes + lost_bytes) {
    slot.lost.fetch_add(1, std::memory_order_relaxed);
    return -ENOSPC;
  }
  const std::uint64_t written = write_records(layout, index, head, data, static_cast<std::uint32_t>(size),
                                              static_cast<std::uint32_t>(raw_size_of(size)));
  // seq_cst: paired with the consumer's tail store, see write_sample().
  detail::data_head(page).store(head + written, std::memory_order_seq_cst);
  return static_cast<std::int64_t>(head);
}

long write_sample(const detail::PerfState& state, std::uint32_t index, const void* data, std::uint64_t size) {
  const PerfLayout& layout = state.layout;
  std::int64_t head = 0;
  {
    detail::SpinGuard guard(layout.slot(index).lock);
    head = append_locked(layout, index, data, size);
  }
  if (head < 0) return static_cast<long>(head);
  // Wake the consumer when it had caught up with everything before these records; one that is still reading
  // sees the new head when it re-reads it after publishing its tail (PerfBufferConsumer, Dekker's pattern).
  if (detail::data_tail(layout.page(index)).load(std::memory_order_seq_cst) == static_cast<std::uint64_t>(head)) {
    detail::wake_consumers(layout.meta().wake, state.event_fd);
  }
  return 0;
}

void init_region(const PerfLayout& layout) {
  layout.meta().per_cpu_bytes = layout.per_cpu_bytes();
  layout.meta().slots = layout.slots();
  // Slots start without an event, as in the kernel, where user space stores a perf event fd in each slot it
  // wants samples from (libbpf's perf_buffer__new; here PerfBufferConsumer::open or user_update).
  for (std::uint32_t i = 0; i < layout.slots(); ++i) {
    layout.slot(i).attached.store(0, std::memory_order_relaxed);
    layout.page(i).data_offset = detail::page_size();
    layout.page(i).data_size = layout.per_cpu_bytes();
  }
}

// The buffer size of the region behind `fd`, from its length (the spec does not carry it).
Result<std::uint32_t> buffer_size_of(const MapSpec& spec, int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return map_error(spec, "bad shared region fd", Errc::io);
  const std::size_t table = PerfLayout::table_bytes(spec.max_entries);
  const std::size_t file = static_cast<std::size_t>(st.st_size);
  const std::size_t per_slot = file > table ? (file - table) / spec.max_entries : 0;
  if (per_slot <= detail::page_size() || !valid_buffer_size(per_slot - detail::page_size())) {
    return map_error(spec, "shared region is not a perf event array of " + std::to_string(spec.max_entries) + " slots");
  }
  return static_cast<std::uint32_t>(per_slot - detail::page_size());
}

Result<std::shared_ptr<PerfEventArrayMap>> make_map(const MapSpec& spec, int fd, std::uint32_t per_cpu_bytes) {
  if (!valid_buffer_size(per_cpu_bytes)) {
    return map_error(spec, "perf buffer size must be a power of 2 and a multiple of the page size, not " +
                               std::to_string(per_cpu_bytes));
  }
  const std::size_t bytes = PerfLayout::region_bytes(spec.max_entries, per_cpu_bytes);
  auto region = fd < 0 ? detail::ShmRegion::create(spec, bytes) : detail::ShmRegion::open(spec, fd, bytes);
  if (!region) return region.error();
  const PerfLayout layout(region->data(), spec.max_entries, per_cpu_bytes);
  if (fd < 0) init_region(layout);
  if (layout.meta().per_cpu_bytes != per_cpu_bytes || layout.meta().slots != spec.max_entries) {
    return map_error(spec, "shared region is not a perf event array of this shape");
  }
  auto state = std::make_unique<detail::PerfState>(std::move(*region), layout, detail::make_event_fd());
  return std::make_shared<PerfEventArrayMap>(spec, std::move(state));
}

}  // namespace

detail::PerfState::~PerfState() {
  if (event_fd >= 0) close(event_fd);
}

PerfEventArrayMap::PerfEventArrayMap(MapSpec spec, std::unique_ptr<detail::PerfState> state)
    : Map(std::move(spec)), state_(std::move(state)) {}

PerfEventArrayMap::~PerfEventArrayMap() = default;

Result<std::shared_ptr<PerfEventArrayMap>> PerfEventArrayMap::create(const MapSpec& spec,
                                                                     const PerfBufferOptions& options) {
  const MapSpec s = normalized(spec);
  if (s.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY) return map_error(s, "not a perf event array spec");
  if (auto valid = validate_map_spec(s); !valid) return valid.error();
  auto map = make_map(s, -1, options.per_cpu_bytes);
  if (map) register_map(*map);
  return map;
}

long PerfEventArrayMap::output(std::uint64_t flags, const void* data, std::uint64_t size) {
  if ((flags & ~BPF_F_INDEX_MASK) != 0) return -EINVAL;  // bpf_perf_event_output
  std::uint64_t index = flags & BPF_F_INDEX_MASK;
  if (index == BPF_F_CURRENT_CPU) index = current_cpu();
  if (index >= max_entries()) return -E2BIG;
  const auto slot = static_cast<std::uint32_t>(index);
  if (state_->layout.slot(slot).attached.load(std::memory_order_acquire) == 0) return -ENOENT;
  return write_sample(*state_, slot, data, size);
}

std::uint32_t PerfEventArrayMap::per_cpu_bytes() const { return state_->layout.per_cpu_bytes(); }
std::size_t PerfEventArrayMap::buffer_offset(std::uint32_t cpu) const {
  return PerfLayout::buffer_offset(max_entries(), per_cpu_bytes(), cpu);
}
int PerfEventArrayMap::wake_fd() const { return state_->event_fd; }
int PerfEventArrayMap::shared_fd() const { return state_->region.fd(); }

void* PerfEventArrayMap::lookup(const void* /*key*/) { return nullptr; }
long PerfEventArrayMap::update(const void* /*key*/, const void* /*value*/, std::uint64_t /*flags*/) { return -EINVAL; }
long PerfEventArrayMap::erase(const void* /*key*/) { return -EINVAL; }
long PerfEventArrayMap::user_lookup(const void* /*key*/, void* /*value*/) { return -EOPNOTSUPP; }

// bpf_fd_array_map_update_elem(): BPF_ANY only, then the index.
long PerfEventArrayMap::user_update(const void* key, const void* /*value*/, std::uint64_t flags) {
  if (flags != BPF_ANY) return -EINVAL;
  const std::uint32_t index = detail::array_index(key);
  if (index >= max_entries()) return -E2BIG;
  state_->layout.slot(index).attached.store(1, std::memory_order_release);
  return 0;
}

// fd_array_map_delete_elem().
long PerfEventArrayMap::user_delete(const void* key) {
  const std::uint32_t index = detail::array_index(key);
  if (index >= max_entries()) return -E2BIG;
  return state_->layout.slot(index).attached.exchange(0, std::memory_order_acq_rel) != 0 ? 0 : -ENOENT;
}

long PerfEventArrayMap::get_next_key(const void* key, void* next_key) {
  return detail::array_get_next_key(key, next_key, max_entries());
}

Result<std::shared_ptr<Map>> make_perf_event_array_map(const MapSpec& spec, int fd) {
  const MapSpec s = normalized(spec);
  std::uint32_t per_cpu_bytes = PerfBufferOptions{}.per_cpu_bytes;
  if (fd >= 0) {
    auto found = buffer_size_of(s, fd);
    if (!found) return found.error();
    per_cpu_bytes = *found;
  }
  auto map = make_map(s, fd, per_cpu_bytes);
  if (!map) return map.error();
  return std::shared_ptr<Map>(std::move(*map));
}

}  // namespace ubee
