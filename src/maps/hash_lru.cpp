// Eviction for LRU_HASH and LRU_PERCPU_HASH.
//
// The kernel approximates LRU (kernel/bpf/bpf_lru_list.c): lookups only set a reference bit, and when no free
// element is left __bpf_lru_list_shrink() walks the inactive list, giving referenced elements another round on
// the active list and evicting the first unreferenced one. This is the same second-chance rule as a CLOCK over
// the element pool, which is what we keep: one hand sweeps the elements in index order; a referenced element
// loses its bit and is passed over, the first unreferenced one is evicted and its element reused. Elements are
// handed out in index order while the map fills, so until keys are deleted the hand meets keys in insertion
// order: the evicted key is the oldest one not looked up since the hand last passed it.
//
// Differences from the kernel: there is one common LRU (BPF_F_NO_COMMON_LRU is accepted, and its per-CPU lists
// only change which element goes first, not the map's behaviour); as in the kernel, an update of an existing
// key takes a new element first (htab_lru_map_update_elem()), so in a full map it evicts one, and user-space
// lookups (bpf(2)) do not mark elements used (htab_lru_map_lookup_elem_sys()).
#include "hash_table.hpp"

namespace ubee::detail {

std::uint32_t HashTable::lru_alloc() {
  if (const std::uint32_t index = alloc_elem(); index != kNone) return index;
  SpinGuard guard(header().lru_lock);
  // Another thread may have freed one while we waited for the lock.
  if (const std::uint32_t index = alloc_elem(); index != kNone) return index;
  return lru_scan();
}

// Two full turns: the first may only clear reference bits. Lock order: lru_lock, then a bucket's lock; no
// caller holds a bucket lock here.
std::uint32_t HashTable::lru_scan() {
  std::atomic<std::uint32_t>& hand = header().lru_hand;
  for (std::uint64_t step = 0; step < 2ULL * pool_ + 1; ++step) {
    const std::uint32_t index = hand.load(std::memory_order_relaxed) % pool_;
    hand.store((index + 1) % pool_, std::memory_order_relaxed);
    ElemHeader& e = elem(index);
    if (e.linked.load(std::memory_order_relaxed) == 0) continue;
    if (e.ref.load(std::memory_order_relaxed) != 0) {
      e.ref.store(0, std::memory_order_relaxed);
      continue;
    }
    if (lru_evict(index)) return index;
  }
  return kNone;
}

// htab_lru_map_delete_node(): unlink the victim if it is still where its hash says (it may have been deleted
// or replaced since the hand read it).
bool HashTable::lru_evict(std::uint32_t index) {
  ElemHeader& e = elem(index);
  Bucket& b = bucket(e.hash.load(std::memory_order_relaxed));
  SeqWriteGuard guard(b.seq);
  std::atomic<std::uint32_t>* link = &b.head;
  for (std::uint32_t steps = 0; steps <= pool_; ++steps) {
    const std::uint32_t next = link->load(std::memory_order_relaxed);
    if (next == 0) return false;
    if (next - 1 == index) {
      unlink(Found{link, index});
      return true;
    }
    link = &elem(next - 1).next;
  }
  return false;
}

}  // namespace ubee::detail
