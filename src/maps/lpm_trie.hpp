// Internal: the longest-prefix-match trie of kernel/bpf/lpm_trie.c over an LpmPool. Writers (insert, remove)
// must hold the pool's sequence lock; readers (find, next) must run inside a sequence-lock read section and
// discard their result when it fails (see lpm_trie_pool.hpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lpm_trie_pool.hpp"

namespace ubee::detail {

inline constexpr std::uint32_t kLpmDataSizeMax = 256;  // LPM_DATA_SIZE_MAX

// A struct bpf_lpm_trie_key_u8 copied out of caller memory, its data zero-padded to whole 8-byte words.
struct LpmKey {
  std::uint32_t prefixlen = 0;
  alignas(8) std::byte raw[kLpmDataSizeMax + 8]{};

  static LpmKey from(const void* key, std::uint32_t data_size) {
    LpmKey k;
    std::memcpy(&k.prefixlen, key, sizeof k.prefixlen);
    std::memcpy(k.raw, static_cast<const std::byte*>(key) + sizeof k.prefixlen, data_size);
    return k;
  }
  // Bits 64*w .. 64*w+63 as a number (the first data byte most significant).
  [[nodiscard]] std::uint64_t word(std::uint32_t w) const {
    std::uint64_t x = 0;
    std::memcpy(&x, raw + 8 * std::size_t{w}, sizeof x);
    return __builtin_bswap64(x);
  }
  // extract_bit(): bit `index`, counted from the most significant bit of data[0].
  [[nodiscard]] unsigned bit(std::uint32_t index) const {
    return (static_cast<unsigned>(raw[index / 8]) >> (7 - index % 8)) & 1U;
  }
};

class LpmTrie {
 public:
  LpmTrie(LpmPool pool, std::uint32_t max_entries)
      : pool_(pool), max_prefixlen_(pool.data_size() * 8), max_entries_(max_entries) {}

  [[nodiscard]] const LpmPool& pool() const { return pool_; }
  [[nodiscard]] std::uint32_t max_prefixlen() const { return max_prefixlen_; }

  // trie_lookup_elem(): the node with the longest prefix matching `key`, 0 when none does.
  [[nodiscard]] std::uint32_t find(const LpmKey& key) const;
  // trie_update_elem() (writer).
  long insert(const LpmKey& key, const void* value, std::uint64_t flags);
  // trie_delete_elem() (writer).
  long remove(const LpmKey& key);
  // trie_get_next_key(): into `out`; 0 or -ENOENT.
  long next(const LpmKey* key, LpmKey& out) const;

 private:
  // Where a writer's walk from the root stopped: the slot holding `node` (0 when the slot is empty).
  struct Walk {
    std::atomic<std::uint32_t>* slot;
    std::uint32_t node;
    std::uint32_t matchlen;
  };

  [[nodiscard]] std::uint32_t match_len(std::uint32_t node, std::uint32_t node_prefixlen, const LpmKey& key) const;
  [[nodiscard]] unsigned node_bit(std::uint32_t node, std::uint32_t index) const;
  [[nodiscard]] Walk walk(const LpmKey& key) const;
  long check_add(std::uint64_t flags);
  long attach(const Walk& w, std::uint32_t fresh, const LpmKey& key, std::uint64_t flags);
  long replace(const Walk& w, std::uint32_t fresh, std::uint64_t flags);
  long split(const Walk& w, std::uint32_t fresh, const LpmKey& key);
  void unlink(std::uint32_t node, std::atomic<std::uint32_t>& slot, std::uint32_t parent,
              std::atomic<std::uint32_t>& parent_slot);
  long leftmost(std::uint32_t search_root, LpmKey& out) const;
  void copy_key(std::uint32_t node, LpmKey& out) const;

  LpmPool pool_;
  std::uint32_t max_prefixlen_;
  std::uint32_t max_entries_;
};

}  // namespace ubee::detail
