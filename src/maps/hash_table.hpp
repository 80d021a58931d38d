// Internal: the preallocated hash table behind HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and HASH_OF_MAPS
// (kernel/bpf/hashtab.c), laid out in one shared region:
//
//   Header | n_buckets x Bucket | pool x Element(ElemHeader, key padded to 8, value slots)
//
// n_buckets = roundup_pow_of_two(max_entries) as htab_map_alloc() chooses. Links are element index + 1 (0 ends a
// chain), never pointers, so every process can walk them.
//
// Concurrency: each bucket has a sequence lock. Writers (update, delete, eviction) hold it; lookups take no lock
// at all: they walk the chain with atomic loads and retry if the bucket's sequence moved, the user-space
// counterpart of the kernel's RCU walk over hlist_nulls (an element a reader is walking may be freed and reused
// under it, as in the kernel; the sequence check is what detects it). Keys are written and compared with 8-byte
// atomic accesses for that reason.
//
// Updates of an existing key, except in per-CPU maps, link a new element and free the old one, as
// htab_map_update_elem() does with its extra per-CPU elements: a program holding a pointer to the old value
// keeps seeing the complete old value (until that element is reused), never a torn mix. Per-CPU maps update in
// place (pcpu_copy_value()), so values longer than 8 bytes can tear for a concurrent reader, as in the kernel.
// If more threads than possible CPUs replace values at once and the spare elements run out, the update falls
// back to an in-place copy.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "shm_region.hpp"
#include "shm_sync.hpp"
#include "value_layout.hpp"

namespace ubee::detail {

// A key zero-padded to whole 8-byte words: how keys are stored, compared and copied.
struct PaddedKey {
  static constexpr std::size_t kMaxBytes = 512;  // MAX_BPF_STACK: programs build keys on their stack
  std::array<std::uint64_t, kMaxBytes / 8> words{};
  PaddedKey() = default;
  PaddedKey(const void* key, std::uint32_t key_size);
};

class HashTable {
 public:
  enum class Source { program, user };  // program: one CPU's value; user: every CPU's (per-CPU maps)
  struct Shape {
    bool per_cpu = false;
    bool lru = false;
  };

  static std::size_t data_size(const MapSpec& spec, Shape shape);
  // `fresh`: the region was just created and needs its header initialised.
  HashTable(const MapSpec& spec, Shape shape, ShmRegion region, bool fresh);

  // The value area of `key` (every CPU slot), or null; lock-free. mark_used feeds the LRU.
  std::byte* find_value(const void* key, bool mark_used) const;
  long update(const void* key, const void* value, std::uint64_t flags, Source from);
  long erase(const void* key);
  long copy_value(const void* key, void* out) const;  // bpf(2) lookup: a consistent copy
  long next_key(const void* key, void* next_key) const;

  [[nodiscard]] const ValueLayout& values() const { return values_; }
  [[nodiscard]] int fd() const { return region_.fd(); }

 private:
  struct Header {
    std::atomic<std::uint64_t> free_head;  // (ABA tag << 32) | (index + 1) of the top free element
    std::atomic<std::uint32_t> count;      // keys held (HASH: the max_entries limit)
    std::atomic<std::uint32_t> bump;       // elements from here on were never used
    std::atomic<std::uint32_t> lru_lock;
    std::atomic<std::uint32_t> lru_hand;   // the clock hand, moved under lru_lock
    std::uint32_t seed;                    // written once at creation, before the region is shared
  };
  struct Bucket {
    std::atomic<std::uint32_t> seq;
    std::atomic<std::uint32_t> head;
  };
  struct ElemHeader {
    std::atomic<std::uint32_t> next;
    std::atomic<std::uint32_t> hash;
    std::atomic<std::uint32_t> linked;  // in a bucket chain (not free, not being filled)
    std::atomic<std::uint32_t> ref;     // LRU reference bit, set by lookups
  };
  struct Found {
    std::atomic<std::uint32_t>* link = nullptr;  // the word pointing at the element (bucket head or a next)
    std::uint32_t index;
  };
  static constexpr std::uint32_t kNone = UINT32_MAX;

  Header& header() const;
  Bucket& bucket(std::uint32_t hash) const;
  ElemHeader& elem(std::uint32_t index) const;
  std::byte* key_of(std::uint32_t index) const;
  std::byte* value_of(std::uint32_t index) const;
  std::uint32_t hash_of(const void* key) const;

  Found walk(Bucket& b, std::uint32_t hash, const PaddedKey& key) const;
  template <class Fn>
  void read_consistent(Bucket& b, Fn fn) const;
  bool first_key_in(std::uint32_t bucket_index, void* out) const;
  long update_locked(Bucket& b, std::uint32_t hash, const PaddedKey& key, const void* value,
                     std::uint64_t flags, Source from, std::uint32_t& fresh, std::uint32_t& replaced);
  long take_element(bool replacing, std::uint32_t& fresh);
  void fill(std::uint32_t index, std::uint32_t hash, const PaddedKey& key, const void* value, Source from);
  void write_value(std::uint32_t index, const void* value, Source from, bool new_element);
  void link_head(Bucket& b, std::uint32_t index);
  void unlink(const Found& found);

  bool reserve_count();
  std::uint32_t alloc_elem();
  std::uint32_t bump_alloc();
  void free_elem(std::uint32_t index);
  std::uint32_t lru_alloc();                    // hash_lru.cpp
  std::uint32_t lru_scan();                     // hash_lru.cpp
  bool lru_evict(std::uint32_t index);          // hash_lru.cpp

  ShmRegion region_;
  ValueLayout values_;
  Shape shape_;
  std::uint32_t key_size_;
  std::uint32_t max_entries_;
  std::uint32_t n_buckets_;
  std::uint32_t pool_;  // elements: max_entries, plus possible_cpus() spares for replacing values
  std::size_t key_bytes_;
  std::size_t elem_size_;
  std::size_t elems_offset_;
};

}  // namespace ubee::detail
