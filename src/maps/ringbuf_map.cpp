// BPF_MAP_TYPE_RINGBUF, producer side: kernel/bpf/ringbuf.c (ringbuf_map_alloc, __bpf_ringbuf_reserve,
// bpf_ringbuf_commit, bpf_ringbuf_output, bpf_ringbuf_query).
#include <linux/bpf.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>

#include "map_types.hpp"
#include "ringbuf_layout.hpp"
#include "shm_sync.hpp"
#include "ubee/ringbuf.hpp"

namespace ubee {
namespace {

using detail::RingMapping;

// RINGBUF_MAX_RECORD_SZ: the length field keeps its top two bits for BUSY and DISCARD.
constexpr std::uint64_t kMaxRecordSize = UINT_MAX / 4;

// Advances pending_pos over records committed since the last reservation and returns it (the pending_pos loop
// of __bpf_ringbuf_reserve): a new record must not end more than the ring size after the oldest pending one, so
// a consumer that moved consumer_pos too far can never make a producer overwrite a record still being written.
std::uint64_t advance_pending(const RingMapping& ring, std::uint64_t prod_pos) {
  std::uint64_t pend_pos = ring.pending_pos().load(std::memory_order_relaxed);
  while (pend_pos < prod_pos) {
    std::byte* hdr = ring.data() + (pend_pos & ring.mask());
    const std::uint32_t len = detail::header_len(hdr).load(std::memory_order_acquire);
    if ((len & BPF_RINGBUF_BUSY_BIT) != 0) break;
    pend_pos += detail::record_span(len);
  }
  ring.pending_pos().store(pend_pos, std::memory_order_relaxed);
  return pend_pos;
}

// The record's page offset from the start of the region, which the kernel stores at offset 4 of the header
// (bpf_ringbuf_rec_pg_off) to find the ring from a sample pointer.
std::uint32_t record_pg_off(const RingMapping& ring, const std::byte* hdr) {
  return static_cast<std::uint32_t>(static_cast<std::size_t>(hdr - ring.base()) / detail::page_size());
}

}  // namespace

RingBufMap::RingBufMap(MapSpec spec, std::unique_ptr<detail::RingState> state)
    : Map(std::move(spec)), state_(std::move(state)) {}

RingBufMap::~RingBufMap() = default;

void* RingBufMap::reserve(std::uint64_t size, std::uint64_t flags) {
  if (flags != 0 || size > kMaxRecordSize) return nullptr;  // bpf_ringbuf_reserve, __bpf_ringbuf_reserve
  const RingMapping& ring = *state_->ring;
  const std::uint64_t len = (size + BPF_RINGBUF_HDR_SZ + 7) & ~std::uint64_t{7};
  if (len > ring.ring_size()) return nullptr;
  const std::uint64_t cons_pos = ring.consumer_pos().load(std::memory_order_acquire);
  detail::SpinGuard guard(ring.meta().lock);
  const std::uint64_t prod_pos = ring.producer_pos().load(std::memory_order_relaxed);
  const std::uint64_t pend_pos = advance_pending(ring, prod_pos);
  const std::uint64_t new_prod_pos = prod_pos + len;
  // At most ring_size - 1 bytes ahead of the consumer and of the oldest pending record.
  if (new_prod_pos - cons_pos > ring.mask() || new_prod_pos - pend_pos > ring.mask()) return nullptr;
  std::byte* hdr = ring.data() + (prod_pos & ring.mask());
  detail::header_len(hdr).store(static_cast<std::uint32_t>(size) | BPF_RINGBUF_BUSY_BIT, std::memory_order_relaxed);
  const std::uint32_t pg_off = record_pg_off(ring, hdr);
  std::memcpy(hdr + 4, &pg_off, sizeof pg_off);
  // seq_cst (the kernel: smp_store_release) so that the consumer's wake-up check in poll() cannot miss it.
  ring.producer_pos().store(new_prod_pos, std::memory_order_seq_cst);
  return hdr + BPF_RINGBUF_HDR_SZ;
}

void RingBufMap::commit(void* sample, std::uint64_t flags, bool discard) {
  const RingMapping& ring = *state_->ring;
  const auto hdr_addr = reinterpret_cast<std::uintptr_t>(sample) - BPF_RINGBUF_HDR_SZ;
  const std::uint64_t rec_pos = hdr_addr - reinterpret_cast<std::uintptr_t>(ring.data());
  if (sample == nullptr || rec_pos >= ring.ring_size() || rec_pos % 8 != 0) return;
  std::byte* hdr = ring.data() + rec_pos;
  auto len = detail::header_len(hdr);
  std::uint32_t new_len = len.load(std::memory_order_relaxed) ^ BPF_RINGBUF_BUSY_BIT;
  if (discard) new_len |= BPF_RINGBUF_DISCARD_BIT;
  len.exchange(new_len, std::memory_order_seq_cst);
  // bpf_ringbuf_commit(): wake the consumer only if it caught up and waits for exactly this record.
  const std::uint64_t cons_pos = ring.consumer_pos().load(std::memory_order_seq_cst) & ring.mask();
  if ((flags & BPF_RB_FORCE_WAKEUP) != 0 || (cons_pos == rec_pos && (flags & BPF_RB_NO_WAKEUP) == 0)) {
    detail::wake_consumers(ring.meta().wake, state_->event_fd);
  }
}

void RingBufMap::submit(void* sample, std::uint64_t flags) { commit(sample, flags, false); }
void RingBufMap::discard(void* sample, std::uint64_t flags) { commit(sample, flags, true); }

long RingBufMap::output(const void* data, std::uint64_t size, std::uint64_t flags) {
  if ((flags & ~static_cast<std::uint64_t>(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) != 0) return -EINVAL;
  void* rec = reserve(size, 0);
  if (rec == nullptr) return -EAGAIN;
  if (size != 0) std::memcpy(rec, data, size);
  commit(rec, flags, false);
  return 0;
}

std::uint64_t RingBufMap::query(std::uint64_t flags) const {
  const RingMapping& ring = *state_->ring;
  switch (flags) {
    case BPF_RB_AVAIL_DATA:
      return ring.producer_pos().load(std::memory_order_acquire) - ring.consumer_pos().load(std::memory_order_acquire);
    case BPF_RB_RING_SIZE: return ring.ring_size();
    case BPF_RB_CONS_POS: return ring.consumer_pos().load(std::memory_order_acquire);
    case BPF_RB_PROD_POS: return ring.producer_pos().load(std::memory_order_acquire);
    default: return 0;
  }
}

int RingBufMap::wake_fd() const { return state_->event_fd; }
int RingBufMap::shared_fd() const { return state_->region.fd(); }

void* RingBufMap::lookup(const void* /*key*/) { return nullptr; }
long RingBufMap::update(const void* /*key*/, const void* /*value*/, std::uint64_t /*flags*/) { return -EINVAL; }
long RingBufMap::erase(const void* /*key*/) { return -EINVAL; }
long RingBufMap::user_lookup(const void* /*key*/, void* /*value*/) { return -EOPNOTSUPP; }
long RingBufMap::user_update(const void* /*key*/, const void* /*value*/, std::uint64_t /*flags*/) {
  return -EOPNOTSUPP;
}
long RingBufMap::user_delete(const void* /*key*/) { return -EOPNOTSUPP; }
long RingBufMap::get_next_key(const void* /*key*/, void* /*next_key*/) { return -EOPNOTSUPP; }

// validate_map_spec() has checked ringbuf_map_alloc()'s rules: no key or value, a power-of-2 page-multiple size.
Result<std::shared_ptr<Map>> make_ringbuf_map(const MapSpec& spec, int fd) {
  const std::size_t bytes = detail::ring_region_bytes(spec.max_entries);
  auto region = fd < 0 ? detail::ShmRegion::create(spec, bytes) : detail::ShmRegion::open(spec, fd, bytes);
  if (!region) return region.error();
  auto ring = RingMapping::map(spec, region->fd(), spec.max_entries);
  if (!ring) return ring.error();
  // A new region is zero-filled: positions 0, lock free, no waiters — the state ringbuf_map_alloc() sets up.
  auto state = std::make_unique<detail::RingState>(std::move(*region), std::move(*ring), detail::make_event_fd());
  return std::shared_ptr<Map>(std::make_shared<RingBufMap>(spec, std::move(state)));
}

}  // namespace ubee
