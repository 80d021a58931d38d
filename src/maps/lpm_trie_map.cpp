// BPF_MAP_TYPE_LPM_TRIE: the Map over the trie of lpm_trie.hpp (kernel/bpf/lpm_trie.c trie_alloc and the
// map ops). Key: struct bpf_lpm_trie_key_u8 {u32 prefixlen; u8 data[key_size - 4]}.
//
// Concurrency (see lpm_trie_pool.hpp): updates and deletes, from programs or user space, serialise on the
// region's sequence lock; lookups and get_next_key never block writers and retry when one ran meanwhile.
// Deviation: the kernel frees a replaced or deleted node after an RCU grace period, so a value pointer a program
// got from lookup() stays that node's value until the program ends. Here the node goes to the end of a FIFO
// free list and is reused only after every node freed before it, so the pointer stays valid memory, but a
// program that holds it across many concurrent updates may see it reused for another entry.
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "lpm_trie.hpp"
#include "map_types.hpp"
#include "shm_sync.hpp"

namespace ubee {
namespace {

using detail::LpmKey;
using detail::LpmPool;
using detail::LpmTrie;

// LPM_VAL_SIZE_MAX on x86-64: KMALLOC_MAX_SIZE less the largest key data and struct lpm_trie_node.
constexpr std::uint32_t kValueSizeMax = (4U << 20) - detail::kLpmDataSizeMax - 40;

class LpmTrieMap final : public Map {
 public:
  LpmTrieMap(const MapSpec& spec, detail::ShmRegion region, LpmTrie trie)
      : Map(spec), region_(std::move(region)), trie_(trie) {}

  void* lookup(const void* key) override {
    const LpmKey k = LpmKey::from(key, trie_.pool().data_size());
    if (k.prefixlen > trie_.max_prefixlen()) return nullptr;
    const std::uint32_t node = read_section([&] { return trie_.find(k); });
    return node == 0 ? nullptr : trie_.pool().value(node);
  }
  long update(const void* key, const void* value, std::uint64_t flags) override {
    if (flags > BPF_EXIST) return -EINVAL;
    const LpmKey k = LpmKey::from(key, trie_.pool().data_size());
    if (k.prefixlen > trie_.max_prefixlen()) return -EINVAL;
    detail::SeqWriteGuard guard(trie_.pool().meta().seq);
    return trie_.insert(k, value, flags);
  }
  long erase(const void* key) override {
    const LpmKey k = LpmKey::from(key, trie_.pool().data_size());
    if (k.prefixlen > trie_.max_prefixlen()) return -EINVAL;
    detail::SeqWriteGuard guard(trie_.pool().meta().seq);
    return trie_.remove(k);
  }

  // bpf(2) lookup is the same longest-prefix match, copying the value inside the read section.
  long user_lookup(const void* key, void* value) override {
    const LpmKey k = LpmKey::from(key, trie_.pool().data_size());
    if (k.prefixlen > trie_.max_prefixlen()) return -ENOENT;
    const std::uint32_t node = read_section([&] {
      const std::uint32_t n = trie_.find(k);
      if (n != 0) detail::load_atomic_bytes(static_cast<std::byte*>(value), trie_.pool().value(n), value_size());
      return n;
    });
    return node == 0 ? -ENOENT : 0;
  }
  long user_update(const void* key, const void* value, std::uint64_t flags) override {
    return update(key, value, flags);
  }
  long user_delete(const void* key) override { return erase(key); }
  long get_next_key(const void* key, void* next_key) override;
  [[nodiscard]] int shared_fd() const override { return region_.fd(); }

 private:
  // Runs the reader `read` until no writer ran meanwhile (seq_read_begin / seq_read_valid).
  template <class Read>
  auto read_section(Read read) const -> decltype(read()) {
    const auto& seq = trie_.pool().meta().seq;
    for (;;) {
      const std::uint32_t begin = detail::seq_read_begin(seq);
      auto result = read();
      if (detail::seq_read_valid(seq, begin)) return result;
    }
  }

  detail::ShmRegion region_;
  LpmTrie trie_;
};

long LpmTrieMap::get_next_key(const void* key, void* next_key) {
  const std::uint32_t data_size = trie_.pool().data_size();
  LpmKey k;
  if (key != nullptr) k = LpmKey::from(key, data_size);
  LpmKey next;
  const long err = read_section([&] { return trie_.next(key != nullptr ? &k : nullptr, next); });
  if (err != 0) return err;
  std::memcpy(next_key, &next.prefixlen, sizeof next.prefixlen);
  std::memcpy(static_cast<std::byte*>(next_key) + sizeof next.prefixlen, next.raw, data_size);
  return 0;
}

// validate_map_spec() has checked trie_alloc()'s key size and flag rules; the value limit is LPM_VAL_SIZE_MAX
// (a node is one kmalloc()), and the node pool needs 2 * max_entries + 1 numbers.
Result<void> check_lpm_spec(const MapSpec& spec) {
  if (spec.value_size > kValueSizeMax) {
    return map_error(spec, "value_size must be at most " + std::to_string(kValueSizeMax) + " for LPM trie maps");
  }
  if (spec.max_entries > (UINT32_MAX - 1) / 2) return map_error(spec, "max_entries too big for an LPM trie");
  return {};
}

}  // namespace

Result<std::shared_ptr<Map>> make_lpm_trie_map(const MapSpec& spec, int fd) {
  if (auto ok = check_lpm_spec(spec); !ok) return ok.error();
  const std::uint32_t data_size = spec.key_size - 4;
  const std::uint32_t capacity = 2 * spec.max_entries + 1;
  const std::size_t bytes = LpmPool::region_bytes(data_size, spec.value_size, capacity);
  auto region = fd < 0 ? detail::ShmRegion::create(spec, bytes) : detail::ShmRegion::open(spec, fd, bytes);
  if (!region) return region.error();
  // A zero-filled region is an empty trie with an empty free list.
  const LpmPool pool(region->data(), data_size, spec.value_size, capacity);
  return std::shared_ptr<Map>(std::make_shared<LpmTrieMap>(spec, std::move(*region), LpmTrie(pool, spec.max_entries)));
}

}  // namespace ubee
