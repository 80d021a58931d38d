// BPF_MAP_TYPE_PERF_EVENT_ARRAY: one perf ring buffer per slot (per CPU), written by bpf_perf_event_output()
// (kernel/trace/bpf_trace.c __bpf_perf_event_output, kernel/events/ring_buffer.c __perf_output_begin) and read
// by a consumer with libbpf's perf_buffer semantics (libbpf src/libbpf.c perf_buffer__poll/__consume).
//
// Each slot's buffer is what a perf event mmap() gives: a struct perf_event_mmap_page (data_head, data_tail,
// data_offset = page size, data_size), then data_size bytes of records:
//   PERF_RECORD_SAMPLE  {struct perf_event_header; u32 size; u8 data[size]}  (PERF_SAMPLE_RAW; size is the
//                       output size rounded up so that size + 4 is a multiple of 8, padding zeroed)
//   PERF_RECORD_LOST    {struct perf_event_header; u64 id; u64 lost}          (samples dropped for lack of room,
//                       written before the next sample that fits)
// The buffers live in the map's shared region: the region starts with ubee's header and the slot table, padded
// to a page; slot i's buffer starts (page + per_cpu_bytes) * i bytes after that.
//
// In the kernel the buffers belong to perf events that user space opens and stores into the map
// (bpf_map_update_elem(map, &cpu, &perf_fd)); here every slot gets its buffer when the map is created, and
// user_delete()/user_update() detach/reattach it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "ubee/error.hpp"
#include "ubee/maps.hpp"

namespace ubee {

struct PerfBufferOptions {
  // Data bytes of each slot's buffer (libbpf: perf_buffer__new page_cnt * page size): a power of 2 and a
  // multiple of the page size. create_map() uses this default, 64 KiB per slot.
  std::uint32_t per_cpu_bytes = 64 * 1024;
};

namespace detail {
struct PerfState;
struct PerfConsumerState;
}  // namespace detail

class PerfEventArrayMap : public Map {
 public:
  // Creates a map with the given buffer size (create_map() uses the defaults) and registers it for find_map().
  // max_entries 0 means possible_cpus(), as libbpf sets it.
  static Result<std::shared_ptr<PerfEventArrayMap>> create(const MapSpec& spec, const PerfBufferOptions& options);

  PerfEventArrayMap(MapSpec spec, std::unique_ptr<detail::PerfState> state);
  ~PerfEventArrayMap() override;

  // bpf_perf_event_output(ctx, map, flags, data, size): appends a PERF_RECORD_SAMPLE to slot
  // `flags & BPF_F_INDEX_MASK`, or to current_cpu()'s slot for BPF_F_CURRENT_CPU. 0; -EINVAL for other flag
  // bits; -E2BIG for an index >= max_entries; -ENOENT for a detached slot; -ENOSPC when the buffer has no room
  // (the sample is then counted as lost and reported by a PERF_RECORD_LOST later); a sample whose record would
  // exceed 65535 bytes (perf_event_header.size is a u16) is dropped and counted the same way.
  long output(std::uint64_t flags, const void* data, std::uint64_t size);

  [[nodiscard]] std::uint32_t per_cpu_bytes() const;
  // Where slot `cpu`'s struct perf_event_mmap_page starts in shared_fd() (page-aligned): mmap() page +
  // per_cpu_bytes() bytes from there to read it as a perf event's mapping.
  [[nodiscard]] std::size_t buffer_offset(std::uint32_t cpu) const;
  // The eventfd producers of this object signal when a consumer that caught up has new data (fork() shares it).
  [[nodiscard]] int wake_fd() const;

  // ---- Map. Programs cannot look up or change slots (the verifier rejects it): nullptr / -EINVAL.
  // user_update(key, value, BPF_ANY) reattaches slot `key` (the value, a perf event fd in the kernel, is not
  // used); user_delete(key) detaches it; user_lookup is -EOPNOTSUPP (the kernel: -ENOTSUPP, 524).
  void* lookup(const void* key) override;
  long update(const void* key, const void* value, std::uint64_t flags) override;
  long erase(const void* key) override;
  long user_lookup(const void* key, void* value) override;
  long user_update(const void* key, const void* value, std::uint64_t flags) override;
  long user_delete(const void* key) override;
  long get_next_key(const void* key, void* next_key) override;
  [[nodiscard]] int shared_fd() const override;

 private:
  friend class PerfBufferConsumer;

  std::unique_ptr<detail::PerfState> state_;
};

// libbpf's perf_buffer for one map: every slot's buffer.
class PerfBufferConsumer {
 public:
  using SampleCallback = std::function<void(std::uint32_t cpu, const void* data, std::uint32_t size)>;
  using LostCallback = std::function<void(std::uint32_t cpu, std::uint64_t lost)>;

  // Consumes `map` (in another process: open_shared_map() it first). The consumer keeps the map alive.
  static Result<PerfBufferConsumer> open(std::shared_ptr<PerfEventArrayMap> map, SampleCallback on_sample,
                                         LostCallback on_lost = {});

  PerfBufferConsumer(PerfBufferConsumer&& other) noexcept;
  PerfBufferConsumer& operator=(PerfBufferConsumer&& other) noexcept;
  ~PerfBufferConsumer();

  // Records (samples and lost records) of every slot available now, in each slot's order; the number handled,
  // or -EINVAL when a slot holds a corrupt record.
  int consume();
  // One slot's records (libbpf perf_buffer__consume_buffer): the number handled, -EINVAL for a bad slot.
  int consume_buffer(std::uint32_t cpu);
  // consume(), and when nothing was there, sleeps until a producer signals or `timeout_ms` passes (< 0: forever),
  // then consumes again.
  int poll(int timeout_ms);
  [[nodiscard]] std::uint32_t buffer_count() const;
  // Readable after a producer signalled (the map's wake_fd(), dup()ed); consume() and poll() reset it.
  [[nodiscard]] int fd() const;

 private:
  explicit PerfBufferConsumer(std::unique_ptr<detail::PerfConsumerState> state);

  std::unique_ptr<detail::PerfConsumerState> state_;
};

}  // namespace ubee
