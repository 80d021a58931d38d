// BPF_MAP_TYPE_PERF_EVENT_ARRAY, consumer side: libbpf src/libbpf.c perf_buffer (perf_event_read_simple,
// perf_buffer__process_record, perf_buffer__poll / __consume / __consume_buffer).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <vector>

#include "perf_event_array_layout.hpp"
#include "ubee/perf_buffer.hpp"

namespace ubee {

namespace detail {

struct PerfConsumerState {
  std::shared_ptr<PerfEventArrayMap> map;
  const PerfLayout* layout = nullptr;
  PerfBufferConsumer::SampleCallback on_sample;
  PerfBufferConsumer::LostCallback on_lost;
  std::vector<std::byte> scratch;  // a record that wraps around the end of its buffer, copied flat (as libbpf)
  int event_fd = -1;

  ~PerfConsumerState() {
    if (event_fd >= 0) close(event_fd);
  }
};

}  // namespace detail

namespace {

using detail::PerfConsumerState;

// perf_buffer__process_record(): samples and lost counts to their callbacks, other record types ignored.
void dispatch(PerfConsumerState& s, std::uint32_t cpu, const std::byte* record, std::uint16_t size) {
  perf_event_header header{};
  std::memcpy(&header, record, sizeof header);
  if (header.type == PERF_RECORD_SAMPLE && size >= sizeof header + sizeof(std::uint32_t)) {
    std::uint32_t raw_size = 0;
    std::memcpy(&raw_size, record + sizeof header, sizeof raw_size);
    if (s.on_sample && raw_size <= size - sizeof header - sizeof raw_size) {
      s.on_sample(cpu, record + sizeof header + sizeof raw_size, raw_size);
    }
  } else if (header.type == PERF_RECORD_LOST && size >= sizeof(detail::PerfLostRecord)) {
    detail::PerfLostRecord lost{};
    std::memcpy(&lost, record, sizeof lost);
    if (s.on_lost) s.on_lost(cpu, lost.lost);
  }
}

// perf_event_read_simple() over [tail, head): the number of records, or -EINVAL for a corrupt header.
std::int64_t read_records(PerfConsumerState& s, std::uint32_t cpu, std::uint64_t& tail, std::uint64_t head) {
  const detail::PerfLayout& layout = *s.layout;
  const std::byte* ring = layout.ring(cpu);
  std::int64_t count = 0;
  while (tail != head) {
    perf_event_header header{};
    detail::ring_copy_out(&header, ring, layout.mask(), tail, sizeof header);
    if (header.size < sizeof header || header.size > head - tail) return -EINVAL;
    const std::size_t at = tail & layout.mask();
    const std::byte* record = ring + at;
    if (at + header.size > layout.per_cpu_bytes()) {
      s.scratch.resize(header.size);
      detail::ring_copy_out(s.scratch.data(), ring, layout.mask(), tail, header.size);
      record = s.scratch.data();
    }
    dispatch(s, cpu, record, header.size);
    tail += header.size;
    ++count;
  }
  return count;
}

// Reads one slot until its head stops moving. The tail is published seq_cst before the head is read again: with
// the producer's head store and tail load (write_sample), either it wakes us or we see its records.
std::int64_t process_buffer(PerfConsumerState& s, std::uint32_t cpu) {
  perf_event_mmap_page& page = s.layout->page(cpu);
  std::uint64_t tail = detail::data_tail(page).load(std::memory_order_relaxed);
  std::int64_t count = 0;
  for (;;) {
    const std::uint64_t head = detail::data_head(page).load(std::memory_order_seq_cst);
    if (head == tail) return count;
    const std::int64_t n = read_records(s, cpu, tail, head);
    detail::data_tail(page).store(n < 0 ? head : tail, std::memory_order_seq_cst);
    if (n < 0) return n;
    count += n;
  }
}

bool any_ready(const detail::PerfLayout& layout) {
  for (std::uint32_t cpu = 0; cpu < layout.slots(); ++cpu) {
    perf_event_mmap_page& page = layout.page(cpu);
    const std::uint64_t head = detail::data_head(page).load(std::memory_order_seq_cst);
    if (head != detail::data_tail(page).load(std::memory_order_relaxed)) return true;
  }
  return false;
}

int clamp_count(std::int64_t n) { return n > INT_MAX ? INT_MAX : static_cast<int>(n); }

}  // namespace

Result<PerfBufferConsumer> PerfBufferConsumer::open(std::shared_ptr<PerfEventArrayMap> map, SampleCallback on_sample,
                                                    LostCallback on_lost) {
  if (map == nullptr) return make_error(Errc::invalid_argument, "perf buffer consumer: no map");
  // Attach every slot, as perf_buffer__new opens an event per CPU and stores it in the map.
  for (std::uint32_t slot = 0; slot < map->max_entries(); ++slot) {
    const std::uint32_t value = 0;
    map->user_update(&slot, &value, BPF_ANY);
  }
  auto state = std::make_unique<PerfConsumerState>();
  state->layout = &map->state_->layout;
  state->event_fd = map->wake_fd() < 0 ? -1 : fcntl(map->wake_fd(), F_DUPFD_CLOEXEC, 0);
  state->map = std::move(map);
  state->on_sample = std::move(on_sample);
  state->on_lost = std::move(on_lost);
  return PerfBufferConsumer(std::move(state));
}

PerfBufferConsumer::PerfBufferConsumer(std::unique_ptr<PerfConsumerState> state) : state_(std::move(state)) {}
PerfBufferConsumer::PerfBufferConsumer(PerfBufferConsumer&& other) noexcept = default;
PerfBufferConsumer& PerfBufferConsumer::operator=(PerfBufferConsumer&& other) noexcept = default;
PerfBufferConsumer::~PerfBufferConsumer() = default;

int PerfBufferConsumer::consume_buffer(std::uint32_t cpu) {
  if (cpu >= buffer_count()) return -EINVAL;
  return clamp_count(process_buffer(*state_, cpu));
}

int PerfBufferConsumer::consume() {
  // Reset fd() readiness first: a wake-up that arrives after this point leaves it readable again.
  detail::drain_event_fd(state_->event_fd);
  std::int64_t total = 0;
  for (std::uint32_t cpu = 0; cpu < buffer_count(); ++cpu) {
    const std::int64_t n = process_buffer(*state_, cpu);
    if (n < 0) return static_cast<int>(n);
    total += n;
  }
  return clamp_count(total);
}

int PerfBufferConsumer::poll(int timeout_ms) {
  const int n = consume();
  if (n != 0 || timeout_ms == 0) return n;
  detail::SharedWake& wake = state_->layout->meta().wake;
  // Read the wake-up sequence before looking for data: a producer signalling in between changes it.
  const std::uint32_t seen = wake.seq.load(std::memory_order_seq_cst);
  if (!any_ready(*state_->layout)) detail::wait_for_wake(wake, seen, timeout_ms);
  return consume();
}

std::uint32_t PerfBufferConsumer::buffer_count() const { return state_->layout->slots(); }
int PerfBufferConsumer::fd() const { return state_->event_fd; }

}  // namespace ubee
