// BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): push sets nr_hash_funcs bits of a bitset, peek says
// "maybe present" (0) or "certainly absent" (-ENOENT). No false negatives; nothing can be removed or listed.
// bpf(2) maps update to push and lookup to peek.
#include <linux/bpf.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <random>

#include "jhash.hpp"
#include "map_types.hpp"
#include "shm_region.hpp"

namespace ubee {
namespace {

struct BloomGeometry {
  std::uint32_t nr_hash_funcs;
  std::uint64_t mask;  // bit index mask: the bitset has mask + 1 bits

  // bloom_map_alloc(): n * k / ln(2) bits (7/5 approximates 1/ln 2), at least 64, rounded up to a power of two
  // so that a mask picks the bit; 2^32 bits when that would overflow. map_extra's low 4 bits are k, 0 = 5.
  static BloomGeometry of(const MapSpec& spec) {
    const auto k = static_cast<std::uint32_t>(spec.map_extra & 0xF);
    const std::uint32_t nr_hash_funcs = k == 0 ? 5 : k;
    std::uint64_t bits = std::uint64_t{spec.max_entries} * nr_hash_funcs;
    if (bits > UINT32_MAX) return {nr_hash_funcs, UINT32_MAX};
    bits = bits / 5 * 7;
    if (bits > (1ULL << 31)) return {nr_hash_funcs, UINT32_MAX};
    return {nr_hash_funcs, std::bit_ceil(std::max<std::uint64_t>(bits, 64)) - 1};
  }
  [[nodiscard]] std::size_t words() const { return (mask + 1) / 64; }
};

struct BloomHeader {
  std::uint32_t seed;  // written once at creation, before the region is shared
  std::uint32_t unused;
};

class BloomFilterMap final : public Map {
 public:
  BloomFilterMap(const MapSpec& spec, detail::ShmRegion region)
      : Map(spec), region_(std::move(region)), geometry_(BloomGeometry::of(spec)) {}

  void init_seed() {
    region_.at<BloomHeader>(0)->seed = (spec().flags & BPF_F_ZERO_SEED) != 0 ? 0 : std::random_device{}();
  }

  long push(const void* value, std::uint64_t flags) override {
    if (flags != BPF_ANY) return -EINVAL;
    for (std::uint32_t i = 0; i < geometry_.nr_hash_funcs; ++i) {
      const std::uint64_t bit = bit_of(value, i);
      word(bit).fetch_or(1ULL << (bit % 64), std::memory_order_relaxed);
    }
    return 0;
  }
  long peek(void* value) override {
    for (std::uint32_t i = 0; i < geometry_.nr_hash_funcs; ++i) {
      const std::uint64_t bit = bit_of(value, i);
      if ((word(bit).load(std::memory_order_relaxed) & (1ULL << (bit % 64))) == 0) return -ENOENT;
    }
    return 0;
  }

  // bloom_map_lookup_elem() and friends: programs must use push/peek.
  void* lookup(const void* /*key*/) override { return nullptr; }
  long update(const void* /*key*/, const void* /*value*/, std::uint64_t /*flags*/) override { return -EINVAL; }
  long erase(const void* /*key*/) override { return -EOPNOTSUPP; }
  long user_lookup(const void* /*key*/, void* value) override { return peek(value); }
  long user_update(const void* /*key*/, const void* value, std::uint64_t flags) override {
    return push(value, flags);
  }
  long user_delete(const void* /*key*/) override { return -EOPNOTSUPP; }
  long get_next_key(const void* /*key*/, void* /*next_key*/) override { return -EOPNOTSUPP; }
  [[nodiscard]] int shared_fd() const override { return region_.fd(); }

 private:
  // hash(): jhash of the value seeded with seed + i. (The kernel's jhash2 for 4-byte-multiple values computes
  // the same function on little-endian machines.)
  std::uint64_t bit_of(const void* value, std::uint32_t i) const {
    const std::uint32_t seed = region_.at<BloomHeader>(0)->seed;
    return detail::jhash(value, value_size(), seed + i) & geometry_.mask;
  }
  std::atomic<std::uint64_t>& word(std::uint64_t bit) const {
    return region_.at<std::atomic<std::uint64_t>>(sizeof(BloomHeader))[bit / 64];
  }

  detail::ShmRegion region_;
  BloomGeometry geometry_;
};

}  // namespace

Result<std::shared_ptr<Map>> make_bloom_filter_map(const MapSpec& spec, int fd) {
  const std::size_t size = sizeof(BloomHeader) + 8 * BloomGeometry::of(spec).words();
  auto region = fd < 0 ? detail::ShmRegion::create(spec, size) : detail::ShmRegion::open(spec, fd, size);
  if (!region) return region.error();
  auto map = std::make_shared<BloomFilterMap>(spec, std::move(*region));
  if (fd < 0) map->init_seed();
  return std::shared_ptr<Map>(std::move(map));
}

}  // namespace ubee
