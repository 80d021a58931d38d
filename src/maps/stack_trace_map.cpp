// BPF_MAP_TYPE_STACK_TRACE: kernel/bpf/stackmap.c (stack_map_alloc, __bpf_get_stackid, bpf_stackmap_copy,
// stack_map_get_next_key, stack_map_delete_elem).
//
// Region: StackMeta, then the bucket table (u32 element number + 1, 0 = empty), then max_entries preallocated
// elements {hash, nr, next_free, ips[value_size / 8]} on a free list. The kernel swaps bucket pointers with xchg()
// and keeps a per-CPU free list, reading a bucket's ips without a lock; here one spinlock in the region
// serialises every operation, which gives the same results without torn comparisons.
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "array_common.hpp"
#include "jhash.hpp"
#include "map_types.hpp"
#include "shm_region.hpp"
#include "shm_sync.hpp"
#include "ubee/stack_trace.hpp"

namespace ubee {

namespace detail {
namespace {

struct StackMeta {
  std::atomic<std::uint32_t> lock;
  std::uint32_t free_head;  // element number + 1 of the first free element, 0 when none is left
};

struct StackElem {
  std::uint32_t hash;
  std::uint32_t nr;         // instruction pointers stored
  std::uint32_t next_free;  // element number + 1 of the next free element
  std::uint32_t pad;
};

// The value_size / 8 instruction pointer slots that follow an element's header.
std::uint64_t* ips_of(StackElem& e) { return reinterpret_cast<std::uint64_t*>(&e + 1); }

constexpr std::uint64_t kGetStackidFlags = BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP |
                                           BPF_F_REUSE_STACKID;

std::uint32_t round_up_pow2(std::uint32_t n) { return n <= 1 ? 1 : 1U << (32 - __builtin_clz(n - 1)); }

// jhash2() of <linux/jhash.h> over the ips as u32 words (little-endian halves, as the kernel's (u32 *) cast).
std::uint32_t jhash2(const std::uint64_t* ips, std::uint32_t nr) {
  std::uint32_t words = nr * 2;
  std::uint32_t a = 0xdeadbeef + (words << 2);
  std::uint32_t b = a;
  std::uint32_t c = a;
  std::uint32_t k[3];
  auto word = [ips](std::uint32_t i) { return static_cast<std::uint32_t>(ips[i / 2] >> (32 * (i % 2))); };
  std::uint32_t i = 0;
  for (; words > 3; words -= 3, i += 3) {
    a += word(i); b += word(i + 1); c += word(i + 2);
    jhash_mix(a, b, c);
  }
  if (words == 0) return c;
  k[0] = word(i);
  k[1] = words > 1 ? word(i + 1) : 0;
  k[2] = words > 2 ? word(i + 2) : 0;
  a += k[0]; b += k[1]; c += k[2];
  jhash_final(a, b, c);
  return c;
}

}  // namespace

class StackState {
 public:
  StackState(ShmRegion region, std::uint32_t n_buckets, std::uint32_t max_entries, std::uint32_t value_size)
      : region_(std::move(region)), n_buckets_(n_buckets), max_entries_(max_entries), value_size_(value_size) {}

  static std::size_t region_bytes(std::uint32_t n_buckets, std::uint32_t max_entries, std::uint32_t value_size) {
    return elems_offset(n_buckets) + std::size_t{max_entries} * (sizeof(StackElem) + value_size);
  }

  // pcpu_freelist_populate(): every element free.
  void init_free_list() {
    for (std::uint32_t i = 0; i < max_entries_; ++i) elem(i + 1).next_free = i + 2 <= max_entries_ ? i + 2 : 0;
    meta().free_head = max_entries_ == 0 ? 0 : 1;
  }

  long find_or_insert(const std::uint64_t* ips, std::uint32_t nr, std::uint64_t flags);
  long copy(std::uint32_t id, void* value);
  long remove(std::uint32_t id);
  long next_id(const void* key, void* next_key);
  [[nodiscard]] int fd() const { return region_.fd(); }

 private:
  static std::size_t elems_offset(std::uint32_t n_buckets) {
    return (sizeof(StackMeta) + sizeof(std::uint32_t) * std::size_t{n_buckets} + 63) / 64 * 64;
  }
  StackMeta& meta() const { return *region_.at<StackMeta>(0); }
  std::uint32_t& bucket(std::uint32_t id) const { return region_.at<std::uint32_t>(sizeof(StackMeta))[id]; }
  StackElem& elem(std::uint32_t number) const {
    return *region_.at<StackElem>(elems_offset(n_buckets_) + (number - 1) * (sizeof(StackElem) + value_size_));
  }
  std::uint32_t pop_free() {
    const std::uint32_t number = meta().free_head;
    if (number != 0) meta().free_head = elem(number).next_free;
    return number;
  }
  void push_free(std::uint32_t number) {
    elem(number).next_free = meta().free_head;
    meta().free_head = number;
  }

  ShmRegion region_;
  std::uint32_t n_buckets_;
  std::uint32_t max_entries_;
  std::uint32_t value_size_;
};

// __bpf_get_stackid() from the hash on: the bucket's stack if it is this one, else a new element in its place.
long StackState::find_or_insert(const std::uint64_t* ips, std::uint32_t nr, std::uint64_t flags) {
  const std::uint32_t hash = jhash2(ips, nr);
  const std::uint32_t id = hash & (n_buckets_ - 1);
  SpinGuard guard(meta().lock);
  const std::uint32_t old = bucket(id);
  const bool hash_matches = old != 0 && elem(old).hash == hash;
  if (hash_matches && (flags & BPF_F_FAST_STACK_CMP) != 0) return id;
  if (hash_matches && elem(old).nr == nr && std::memcmp(ips_of(elem(old)), ips, nr * sizeof *ips) == 0) return id;
  if (old != 0 && (flags & BPF_F_REUSE_STACKID) == 0) return -EEXIST;
  // The kernel pops the new element before it frees the old one: with every element in use, even a reuse fails.
  const std::uint32_t fresh = pop_free();
  if (fresh == 0) return -ENOMEM;
  elem(fresh).hash = hash;
  elem(fresh).nr = nr;
  std::memcpy(ips_of(elem(fresh)), ips, nr * sizeof *ips);
  bucket(id) = fresh;
  if (old != 0) push_free(old);
  return id;
}

// bpf_stackmap_copy().
long StackState::copy(std::uint32_t id, void* value) {
  if (id >= n_buckets_) return -ENOENT;
  SpinGuard guard(meta().lock);
  const std::uint32_t number = bucket(id);
  if (number == 0) return -ENOENT;
  const std::size_t len = elem(number).nr * sizeof(std::uint64_t);
  std::memcpy(value, ips_of(elem(number)), len);
  std::memset(static_cast<std::byte*>(value) + len, 0, value_size_ - len);
  return 0;
}

// stack_map_delete_elem().
long StackState::remove(std::uint32_t id) {
  if (id >= n_buckets_) return -E2BIG;
  SpinGuard guard(meta().lock);
  const std::uint32_t number = bucket(id);
  if (number == 0) return -ENOENT;
  bucket(id) = 0;
  push_free(number);
  return 0;
}

// stack_map_get_next_key(): the next used id; a missing key, an unused or out-of-range id restarts at 0.
long StackState::next_id(const void* key, void* next_key) {
  SpinGuard guard(meta().lock);
  std::uint32_t id = 0;
  if (key != nullptr) {
    id = array_index(key);
    id = id >= n_buckets_ || bucket(id) == 0 ? 0 : id + 1;
  }
  while (id < n_buckets_ && bucket(id) == 0) ++id;
  if (id >= n_buckets_) return -ENOENT;
  std::memcpy(next_key, &id, sizeof id);
  return 0;
}

}  // namespace detail

StackTraceMap::StackTraceMap(MapSpec spec, std::unique_ptr<detail::StackState> state)
    : Map(std::move(spec)), state_(std::move(state)) {}

StackTraceMap::~StackTraceMap() = default;

long StackTraceMap::get_stackid(const std::uint64_t* ips, std::size_t n, std::uint64_t flags) {
  if ((flags & ~detail::kGetStackidFlags) != 0) return -EINVAL;
  const std::uint64_t skip = flags & BPF_F_SKIP_FIELD_MASK;
  // stack_map_calculate_max_depth(), then get_perf_callchain() collecting at most that many frames.
  const std::uint64_t max_depth = std::min<std::uint64_t>(value_size() / 8 + skip, kPerfEventMaxStack);
  const std::uint64_t nr = std::min<std::uint64_t>(n, max_depth);
  if (nr <= skip) return -EFAULT;  // skipping more than usable stack trace
  return state_->find_or_insert(ips + skip, static_cast<std::uint32_t>(nr - skip), flags);
}

void* StackTraceMap::lookup(const void* /*key*/) { return nullptr; }
long StackTraceMap::update(const void* /*key*/, const void* /*value*/, std::uint64_t /*flags*/) { return -EINVAL; }
long StackTraceMap::erase(const void* /*key*/) { return -EINVAL; }
long StackTraceMap::user_lookup(const void* key, void* value) { return state_->copy(detail::array_index(key), value); }
long StackTraceMap::user_update(const void* /*key*/, const void* /*value*/, std::uint64_t /*flags*/) { return -EINVAL; }
long StackTraceMap::user_delete(const void* key) { return state_->remove(detail::array_index(key)); }
long StackTraceMap::get_next_key(const void* key, void* next_key) { return state_->next_id(key, next_key); }
int StackTraceMap::shared_fd() const { return state_->fd(); }

namespace {

// validate_map_spec() has checked stack_map_alloc()'s size and flag rules; what remains is what this
// implementation cannot do, and the bucket count's range (the kernel's cost check, -E2BIG).
Result<void> check_stack_spec(const MapSpec& spec) {
  if ((spec.flags & BPF_F_STACK_BUILD_ID) != 0) {
    return map_error(spec, "BPF_F_STACK_BUILD_ID stack maps are not supported", Errc::unsupported);
  }
  if (spec.max_entries > (1U << 31)) return map_error(spec, "max_entries must be at most 2^31 for stack trace maps");
  return {};
}

}  // namespace

Result<std::shared_ptr<Map>> make_stack_trace_map(const MapSpec& spec, int fd) {
  if (auto ok = check_stack_spec(spec); !ok) return ok.error();
  const std::uint32_t n_buckets = detail::round_up_pow2(spec.max_entries);
  const std::size_t bytes = detail::StackState::region_bytes(n_buckets, spec.max_entries, spec.value_size);
  auto region = fd < 0 ? detail::ShmRegion::create(spec, bytes) : detail::ShmRegion::open(spec, fd, bytes);
  if (!region) return region.error();
  auto state = std::make_unique<detail::StackState>(std::move(*region), n_buckets, spec.max_entries, spec.value_size);
  if (fd < 0) state->init_free_list();
  return std::shared_ptr<Map>(std::make_shared<StackTraceMap>(spec, std::move(state)));
}

}  // namespace ubee
