// The hash table core: layout, lock-free lookup, update/delete under bucket locks, iteration.
#include "hash_table.hpp"

#include <linux/bpf.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <random>

#include "jhash.hpp"

namespace ubee::detail {

namespace {

constexpr std::size_t kHeaderBytes = 64;
constexpr std::size_t kElemHeaderBytes = 16;  // keeps keys and values 8-byte aligned

std::uint32_t bucket_count(std::uint32_t max_entries) { return std::bit_ceil(max_entries); }

std::uint32_t pool_size(const MapSpec& spec, HashTable::Shape shape) {
  // htab_map_alloc(): only the plain preallocated hash keeps one spare element per possible CPU.
  return spec.max_entries + (shape.per_cpu || shape.lru ? 0 : possible_cpus());
}

std::size_t element_size(const MapSpec& spec, HashTable::Shape shape) {
  return kElemHeaderBytes + round_up8(spec.key_size) + ValueLayout::of(spec, shape.per_cpu).element_bytes();
}

void store_key(std::byte* dst, const PaddedKey& key, std::size_t bytes) {
  auto* words = reinterpret_cast<std::uint64_t*>(dst);
  for (std::size_t i = 0; i < bytes / 8; ++i) __atomic_store_n(&words[i], key.words[i], __ATOMIC_RELEASE);
}

void load_key(const std::byte* src, PaddedKey& key, std::size_t bytes) {
  const auto* words = reinterpret_cast<const std::uint64_t*>(src);
  for (std::size_t i = 0; i < bytes / 8; ++i) key.words[i] = __atomic_load_n(&words[i], __ATOMIC_ACQUIRE);
}

bool key_equals(const std::byte* stored, const PaddedKey& key, std::size_t bytes) {
  const auto* words = reinterpret_cast<const std::uint64_t*>(stored);
  for (std::size_t i = 0; i < bytes / 8; ++i) {
    if (__atomic_load_n(&words[i], __ATOMIC_ACQUIRE) != key.words[i]) return false;
  }
  return true;
}

}  // namespace

PaddedKey::PaddedKey(const void* key, std::uint32_t key_size) { std::memcpy(words.data(), key, key_size); }

std::size_t HashTable::data_size(const MapSpec& spec, Shape shape) {
  return kHeaderBytes + sizeof(Bucket) * std::size_t{bucket_count(spec.max_entries)} +
         element_size(spec, shape) * pool_size(spec, shape);
}

HashTable::HashTable(const MapSpec& spec, Shape shape, ShmRegion region, bool fresh)
    : region_(std::move(region)), values_(ValueLayout::of(spec, shape.per_cpu)), shape_(shape),
      key_size_(spec.key_size), max_entries_(spec.max_entries), n_buckets_(bucket_count(spec.max_entries)),
      pool_(pool_size(spec, shape)), key_bytes_(round_up8(spec.key_size)), elem_size_(element_size(spec, shape)),
      elems_offset_(kHeaderBytes + sizeof(Bucket) * std::size_t{n_buckets_}) {
  // htab->hashrnd: random so that keys cannot be chosen to collide, unless BPF_F_ZERO_SEED asks for
  // reproducible placement. The seed lives in the region: every process must hash alike.
  static_assert(sizeof(Header) <= kHeaderBytes && sizeof(ElemHeader) == kElemHeaderBytes);
  if (fresh) header().seed = (spec.flags & BPF_F_ZERO_SEED) != 0 ? 0 : std::random_device{}();
}

HashTable::Header& HashTable::header() const { return *region_.at<Header>(0); }
HashTable::Bucket& HashTable::bucket(std::uint32_t hash) const {
  return *region_.at<Bucket>(kHeaderBytes + sizeof(Bucket) * (hash & (n_buckets_ - 1)));
}
HashTable::ElemHeader& HashTable::elem(std::uint32_t index) const {
  return *region_.at<ElemHeader>(elems_offset_ + elem_size_ * index);
}
std::byte* HashTable::key_of(std::uint32_t index) const {
  return region_.at<std::byte>(elems_offset_ + elem_size_ * index + sizeof(ElemHeader));
}
std::byte* HashTable::value_of(std::uint32_t index) const { return key_of(index) + key_bytes_; }
std::uint32_t HashTable::hash_of(const void* key) const { return jhash(key, key_size_, header().seed); }

// The element holding `key` in b's chain and the link pointing at it. Bounded: a lock-free reader can wander
// off through recycled elements, and must come back to retry rather than loop.
HashTable::Found HashTable::walk(Bucket& b, std::uint32_t hash, const PaddedKey& key) const {
  std::atomic<std::uint32_t>* link = &b.head;
  for (std::uint32_t steps = 0; steps <= pool_; ++steps) {
    const std::uint32_t next = link->load(kSeqLoad);
    if (next == 0 || next > pool_) break;
    ElemHeader& e = elem(next - 1);
    if (e.hash.load(kSeqLoad) == hash && key_equals(key_of(next - 1), key, key_bytes_)) {
      return Found{link, next - 1};
    }
    link = &e.next;
  }
  return Found{nullptr, kNone};
}

template <class Fn>
void HashTable::read_consistent(Bucket& b, Fn fn) const {
  for (;;) {
    const std::uint32_t seq = seq_read_begin(b.seq);
    fn();
    if (seq_read_valid(b.seq, seq)) return;
  }
}

std::byte* HashTable::find_value(const void* key, bool mark_used) const {
  const PaddedKey k(key, key_size_);
  const std::uint32_t hash = hash_of(key);
  Bucket& b = bucket(hash);
  std::uint32_t index = kNone;
  read_consistent(b, [&] { index = walk(b, hash, k).index; });
  if (index == kNone) return nullptr;
  // bpf_lru_node_set_ref(): test first, so hot elements do not bounce their cache line between CPUs.
  if (mark_used && shape_.lru && elem(index).ref.load(std::memory_order_relaxed) == 0) {
    elem(index).ref.store(1, std::memory_order_relaxed);
  }
  return value_of(index);
}

long HashTable::copy_value(const void* key, void* out) const {
  const PaddedKey k(key, key_size_);
  const std::uint32_t hash = hash_of(key);
  Bucket& b = bucket(hash);
  SeqWriteGuard guard(b.seq);  // excludes updates, so the copy is one value, not a mix
  const Found found = walk(b, hash, k);
  if (found.index == kNone) return -ENOENT;
  values_.copy_out(out, value_of(found.index));
  return 0;
}

long HashTable::update(const void* key, const void* value, std::uint64_t flags, Source from) {
  // BPF_F_LOCK needs a bpf_spin_lock in the value (BTF): never the case here, so -EINVAL like other bad flags.
  if (flags > BPF_EXIST) return -EINVAL;
  const PaddedKey k(key, key_size_);
  const std::uint32_t hash = hash_of(key);
  std::uint32_t fresh = kNone;
  // htab_lru_map_update_elem(): the new element is taken (evicting if need be) before the bucket lock, since
  // eviction locks the victim's bucket. A per-CPU BPF_EXIST update never needs one.
  if (shape_.lru && !(shape_.per_cpu && flags == BPF_EXIST)) {
    fresh = lru_alloc();
    if (fresh == kNone) return -ENOMEM;
  }
  std::uint32_t replaced = kNone;
  long err = 0;
  {
    Bucket& b = bucket(hash);
    SeqWriteGuard guard(b.seq);
    err = update_locked(b, hash, k, value, flags, from, fresh, replaced);
  }
  if (fresh != kNone) free_elem(fresh);
  if (replaced != kNone) free_elem(replaced);
  return err;
}

// check_flags() and the element swap of htab_map_update_elem(); consumes `fresh` (sets it to kNone) when it
// links it, and hands back the element it unlinked in `replaced`.
long HashTable::update_locked(Bucket& b, std::uint32_t hash, const PaddedKey& key, const void* value,
                              std::uint64_t flags, Source from, std::uint32_t& fresh, std::uint32_t& replaced) {
  const Found old = walk(b, hash, key);
  const bool exists = old.index != kNone;
  if (exists && flags == BPF_NOEXIST) return -EEXIST;
  if (!exists && flags == BPF_EXIST) return -ENOENT;
  if (exists && shape_.per_cpu) {  // pcpu_copy_value(): per-CPU values are updated in place
    write_value(old.index, value, from, false);
    return 0;
  }
  if (fresh == kNone) {
    if (long err = take_element(exists, fresh)) {
      if (!exists) return err;
      // More threads replacing values at once than there are spare elements: copy in place, not fail.
      write_value(old.index, value, from, false);
      return 0;
    }
  }
  fill(fresh, hash, key, value, from);
  if (exists) {
    unlink(old);
    replaced = old.index;
  }
  link_head(b, fresh);
  fresh = kNone;
  return 0;
}

// A free element for the plain hash: a new key must fit in max_entries (-E2BIG when full, as
// htab_map_update_elem() says); a replacement uses a spare.
long HashTable::take_element(bool replacing, std::uint32_t& fresh) {
  if (!replacing && !reserve_count()) return -E2BIG;
  fresh = alloc_elem();
  if (fresh != kNone) return 0;
  if (!replacing) header().count.fetch_sub(1, std::memory_order_relaxed);
  return -E2BIG;
}

void HashTable::fill(std::uint32_t index, std::uint32_t hash, const PaddedKey& key, const void* value,
                     Source from) {
  ElemHeader& e = elem(index);
  e.hash.store(hash, kSeqStore);
  e.ref.store(0, std::memory_order_relaxed);  // bpf_lru_pop_free() clears the reference bit of a new node
  store_key(key_of(index), key, key_bytes_);
  write_value(index, value, from, true);
}

void HashTable::write_value(std::uint32_t index, const void* value, Source from, bool new_element) {
  std::byte* area = value_of(index);
  if (from == Source::user) {
    values_.copy_in(area, value);
    return;
  }
  // pcpu_init_value(): a new per-CPU element has the program's value on this CPU and zero on the others.
  if (new_element && values_.per_cpu) std::memset(area, 0, values_.element_bytes());
  values_.store_this_cpu(area, value);
}

void HashTable::link_head(Bucket& b, std::uint32_t index) {
  elem(index).next.store(b.head.load(std::memory_order_relaxed), kSeqStore);
  elem(index).linked.store(1, kSeqStore);
  b.head.store(index + 1, kSeqStore);
}

void HashTable::unlink(const Found& found) {
  found.link->store(elem(found.index).next.load(std::memory_order_relaxed), kSeqStore);
  elem(found.index).linked.store(0, kSeqStore);
}

long HashTable::erase(const void* key) {
  const PaddedKey k(key, key_size_);
  const std::uint32_t hash = hash_of(key);
  std::uint32_t removed = kNone;
  {
    Bucket& b = bucket(hash);
    SeqWriteGuard guard(b.seq);
    const Found found = walk(b, hash, k);
    if (found.index == kNone) return -ENOENT;
    unlink(found);
    removed = found.index;
  }
  // Free before uncounting: a writer that finds room in the count must find the element too.
  free_elem(removed);
  if (!shape_.lru) header().count.fetch_sub(1, std::memory_order_relaxed);
  return 0;
}

// htab_map_get_next_key(): the element after `key` in its bucket, else the first element of a later bucket;
// a key that is absent (or null) restarts from the first bucket.
long HashTable::next_key(const void* key, void* next_key) const {
  std::uint32_t start = 0;
  if (key != nullptr) {
    const PaddedKey k(key, key_size_);
    const std::uint32_t hash = hash_of(key);
    Bucket& b = bucket(hash);
    PaddedKey next;
    bool found = false;
    std::uint32_t next_link = 0;
    read_consistent(b, [&] {
      const Found f = walk(b, hash, k);
      found = f.index != kNone;
      next_link = found ? elem(f.index).next.load(kSeqLoad) : 0;
      if (next_link != 0 && next_link <= pool_) load_key(key_of(next_link - 1), next, key_bytes_);
    });
    if (next_link != 0) {
      std::memcpy(next_key, next.words.data(), key_size_);
      return 0;
    }
    if (found) start = (hash & (n_buckets_ - 1)) + 1;
  }
  for (std::uint32_t i = start; i < n_buckets_; ++i) {
    if (first_key_in(i, next_key)) return 0;
  }
  return -ENOENT;
}

bool HashTable::first_key_in(std::uint32_t bucket_index, void* out) const {
  Bucket& b = bucket(bucket_index);
  PaddedKey key;
  std::uint32_t first = 0;
  read_consistent(b, [&] {
    first = b.head.load(kSeqLoad);
    if (first != 0 && first <= pool_) load_key(key_of(first - 1), key, key_bytes_);
  });
  if (first == 0) return false;
  std::memcpy(out, key.words.data(), key_size_);
  return true;
}

bool HashTable::reserve_count() {
  std::atomic<std::uint32_t>& count = header().count;
  std::uint32_t n = count.load(std::memory_order_relaxed);
  do {
    if (n >= max_entries_) return false;
  } while (!count.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

// A Treiber stack of free elements; the tag in the head's high half defeats ABA. Elements never used sit
// behind `bump` instead, so creating a large map touches none of them.
std::uint32_t HashTable::alloc_elem() {
  std::atomic<std::uint64_t>& head = header().free_head;
  std::uint64_t old = head.load(std::memory_order_acquire);
  while (const auto top = static_cast<std::uint32_t>(old)) {
    const std::uint64_t next = elem(top - 1).next.load(std::memory_order_relaxed);
    const std::uint64_t desired = (((old >> 32) + 1) << 32) | next;
    if (head.compare_exchange_weak(old, desired, std::memory_order_acquire, std::memory_order_acquire)) {
      return top - 1;
    }
  }
  return bump_alloc();
}

std::uint32_t HashTable::bump_alloc() {
  std::atomic<std::uint32_t>& bump = header().bump;
  std::uint32_t n = bump.load(std::memory_order_relaxed);
  while (n < pool_) {
    if (bump.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) return n;
  }
  return kNone;
}

void HashTable::free_elem(std::uint32_t index) {
  std::atomic<std::uint64_t>& head = header().free_head;
  std::uint64_t old = head.load(std::memory_order_relaxed);
  for (;;) {
    // Release: a lock-free reader still walking this element and reading this link must then also see the
    // bucket sequence that changed when the element was unlinked, and retry.
    elem(index).next.store(static_cast<std::uint32_t>(old), kSeqStore);
    const std::uint64_t desired = (((old >> 32) + 1) << 32) | (index + 1);
    if (head.compare_exchange_weak(old, desired, std::memory_order_release, std::memory_order_relaxed)) return;
  }
}

}  // namespace ubee::detail
