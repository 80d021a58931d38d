// Internal: the LPM trie's nodes (kernel/bpf/lpm_trie.c struct lpm_trie_node) in a shared region.
//
// Region: LpmMeta, then a pool of fixed-size nodes addressed by number (1-based; 0 is "no node", the kernel's
// NULL). A node is {child[2], prefixlen, flags, data (the key bytes, big-endian, padded to 8), value}. Nodes come
// from a FIFO free list, else from the never-used tail of the pool (so untouched memfd pages stay unallocated, as
// the kernel allocates nodes on demand under BPF_F_NO_PREALLOC). The pool holds 2 * max_entries + 1 nodes: at
// most max_entries value nodes, one fewer intermediate nodes (each has exactly two children), and the one extra
// node an update allocates before it frees the node it replaces.
//
// Concurrency: writers hold the sequence lock (SeqWriteGuard on LpmMeta::seq); readers (lookup, get_next_key)
// take no lock and retry when the sequence moved. So readers may see any intermediate state, every node field
// is read and written through atomics, and readers bound-check node numbers and loop counts before trusting them.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "shm_region.hpp"

namespace ubee::detail {

static_assert(std::endian::native == std::endian::little, "LPM key words are byte-swapped from big-endian");

inline constexpr std::uint32_t kLpmFlagIntermediate = 1;  // LPM_TREE_NODE_FLAG_IM

struct LpmMeta {
  std::atomic<std::uint32_t> seq;   // sequence lock: odd while a writer changes the trie
  std::atomic<std::uint32_t> root;  // node number of the root, 0 when the trie is empty
  std::uint32_t n_entries;          // value nodes (writers only)
  std::uint32_t free_head;          // FIFO of freed nodes, linked through child[0]
  std::uint32_t free_tail;
  std::uint32_t next_unused;        // nodes before this number have been handed out at least once
};

struct LpmNodeHeader {
  std::atomic<std::uint32_t> child[2];
  std::atomic<std::uint32_t> prefixlen;
  std::atomic<std::uint32_t> flags;
};

// Word-wise atomic copies (relaxed) between plain memory and 8-byte aligned node memory that readers may race on.
inline void store_atomic_bytes(std::byte* dst, const std::byte* src, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, src + i, 8);
    std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(dst + i)).store(w, std::memory_order_relaxed);
  }
  for (; i < n; ++i) std::atomic_ref<std::byte>(dst[i]).store(src[i], std::memory_order_relaxed);
}
inline void load_atomic_bytes(std::byte* dst, std::byte* src, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const std::uint64_t w =
        std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(src + i)).load(std::memory_order_relaxed);
    std::memcpy(dst + i, &w, 8);
  }
  for (; i < n; ++i) dst[i] = std::atomic_ref<std::byte>(src[i]).load(std::memory_order_relaxed);
}

class LpmPool {
 public:
  LpmPool(std::byte* region_data, std::uint32_t data_size, std::uint32_t value_size, std::uint32_t capacity)
      : base_(region_data), data_size_(data_size), value_size_(value_size), capacity_(capacity) {}

  static std::size_t data_bytes(std::uint32_t data_size) { return (data_size + 7) / 8 * 8; }
  static std::size_t node_bytes(std::uint32_t data_size, std::uint32_t value_size) {
    return (sizeof(LpmNodeHeader) + data_bytes(data_size) + value_size + 7) / 8 * 8;
  }
  static std::size_t region_bytes(std::uint32_t data_size, std::uint32_t value_size, std::uint32_t capacity) {
    return kPoolOffset + std::size_t{capacity} * node_bytes(data_size, value_size);
  }

  [[nodiscard]] LpmMeta& meta() const { return *reinterpret_cast<LpmMeta*>(base_); }
  // A node number a reader may follow (writers only ever store valid ones; a racing reader may see others).
  [[nodiscard]] bool valid(std::uint32_t n) const { return n != 0 && n <= capacity_; }
  [[nodiscard]] std::atomic<std::uint32_t>& child(std::uint32_t n, unsigned bit) const { return header(n).child[bit]; }
  [[nodiscard]] std::uint32_t prefixlen(std::uint32_t n) const {
    return header(n).prefixlen.load(std::memory_order_relaxed);
  }
  [[nodiscard]] bool intermediate(std::uint32_t n) const {
    return (header(n).flags.load(std::memory_order_relaxed) & kLpmFlagIntermediate) != 0;
  }
  // Key bits 64*w .. 64*w+63 of node n as a number (the first key byte most significant).
  [[nodiscard]] std::uint64_t data_word(std::uint32_t n, std::uint32_t w) const {
    auto& word = reinterpret_cast<std::uint64_t*>(data(n))[w];
    return __builtin_bswap64(std::atomic_ref<std::uint64_t>(word).load(std::memory_order_relaxed));
  }
  [[nodiscard]] std::byte* data(std::uint32_t n) const { return node(n) + sizeof(LpmNodeHeader); }
  // Writers only: the node's prefix length and flags, before it is linked in (or, for flags, to demote it).
  void set_prefixlen(std::uint32_t n, std::uint32_t prefixlen) const {
    header(n).prefixlen.store(prefixlen, std::memory_order_relaxed);
  }
  void set_flags(std::uint32_t n, std::uint32_t flags) const {
    header(n).flags.store(flags, std::memory_order_relaxed);
  }
  [[nodiscard]] std::byte* value(std::uint32_t n) const { return data(n) + data_bytes(data_size_); }
  [[nodiscard]] std::uint32_t data_size() const { return data_size_; }
  [[nodiscard]] std::uint32_t value_size() const { return value_size_; }

  // Writers only: a node with every field cleared, or 0 when the pool is exhausted.
  std::uint32_t alloc();
  // Writers only: back to the end of the free list, so a reader that still holds its number sees it unchanged
  // for as long as possible (the kernel frees nodes after an RCU grace period).
  void release(std::uint32_t n);

 private:
  static constexpr std::size_t kPoolOffset = 64;
  static_assert(sizeof(LpmMeta) <= kPoolOffset);

  [[nodiscard]] std::byte* node(std::uint32_t n) const {
    return base_ + kPoolOffset + std::size_t{n - 1} * node_bytes(data_size_, value_size_);
  }
  [[nodiscard]] LpmNodeHeader& header(std::uint32_t n) const { return *reinterpret_cast<LpmNodeHeader*>(node(n)); }

  std::byte* base_;
  std::uint32_t data_size_;
  std::uint32_t value_size_;
  std::uint32_t capacity_;
};

inline std::uint32_t LpmPool::alloc() {
  LpmMeta& m = meta();
  std::uint32_t n = m.free_head;
  if (n != 0) {
    m.free_head = child(n, 0).load(std::memory_order_relaxed);
    if (m.free_head == 0) m.free_tail = 0;
  } else if (m.next_unused < capacity_) {
    n = ++m.next_unused;
  } else {
    return 0;
  }
  child(n, 0).store(0, std::memory_order_relaxed);
  child(n, 1).store(0, std::memory_order_relaxed);
  header(n).flags.store(0, std::memory_order_relaxed);
  return n;
}

inline void LpmPool::release(std::uint32_t n) {
  LpmMeta& m = meta();
  child(n, 0).store(0, std::memory_order_relaxed);
  if (m.free_tail != 0) {
    child(m.free_tail, 0).store(n, std::memory_order_relaxed);
  } else {
    m.free_head = n;
  }
  m.free_tail = n;
}

}  // namespace ubee::detail
