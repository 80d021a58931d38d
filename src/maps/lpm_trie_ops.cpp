// LPM trie lookup, update and delete: kernel/bpf/lpm_trie.c (longest_prefix_match, trie_lookup_elem,
// trie_update_elem with trie_check_add_elem, trie_delete_elem).
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>

#include "lpm_trie.hpp"

namespace ubee::detail {

// longest_prefix_match(): leading bits `node` and `key` share, at most min(node prefixlen, key prefixlen).
// Takes the node's prefixlen as read once by the caller, so a racing reader compares against a single value.
std::uint32_t LpmTrie::match_len(std::uint32_t node, std::uint32_t node_prefixlen, const LpmKey& key) const {
  const std::uint32_t limit = std::min({node_prefixlen, key.prefixlen, max_prefixlen_});
  for (std::uint32_t w = 0; 64 * w < limit; ++w) {
    const std::uint64_t diff = pool_.data_word(node, w) ^ key.word(w);
    if (diff != 0) return std::min(limit, 64 * w + static_cast<std::uint32_t>(__builtin_clzll(diff)));
  }
  return limit;
}

unsigned LpmTrie::node_bit(std::uint32_t node, std::uint32_t index) const {
  return static_cast<unsigned>(pool_.data_word(node, index / 64) >> (63 - index % 64)) & 1U;
}

// trie_lookup_elem(). Bounded by max_prefixlen + 1 steps: prefix lengths grow strictly along a path, and a
// reader racing a writer may otherwise see a cycle.
std::uint32_t LpmTrie::find(const LpmKey& key) const {
  std::uint32_t found = 0;
  std::uint32_t node = pool_.meta().root.load(std::memory_order_acquire);
  for (std::uint32_t steps = 0; pool_.valid(node) && steps <= max_prefixlen_; ++steps) {
    const std::uint32_t prefixlen = pool_.prefixlen(node);
    const std::uint32_t matchlen = match_len(node, prefixlen, key);
    // An exact match of the longest possible prefix is the answer.
    if (matchlen == max_prefixlen_) return node;
    // The node matches fewer bits than its prefix: its parent was the last candidate.
    if (matchlen < prefixlen) break;
    if (!pool_.intermediate(node)) found = node;
    node = pool_.child(node, key.bit(prefixlen)).load(std::memory_order_acquire);
  }
  return found;
}

// The walk of trie_update_elem() and trie_delete_elem(): down while the node's whole prefix matches and the
// node is not the key's own prefix length.
LpmTrie::Walk LpmTrie::walk(const LpmKey& key) const {
  std::atomic<std::uint32_t>* slot = &pool_.meta().root;
  std::uint32_t matchlen = 0;
  for (std::uint32_t node; (node = slot->load(std::memory_order_relaxed)) != 0;) {
    const std::uint32_t prefixlen = pool_.prefixlen(node);
    matchlen = match_len(node, prefixlen, key);
    if (prefixlen != matchlen || prefixlen == key.prefixlen) return {slot, node, matchlen};
    slot = &pool_.child(node, key.bit(prefixlen));
  }
  return {slot, 0, matchlen};
}

// trie_check_add_elem(): a new entry, so BPF_EXIST fails, and the map may be full.
long LpmTrie::check_add(std::uint64_t flags) {
  if (flags == BPF_EXIST) return -ENOENT;
  if (pool_.meta().n_entries == max_entries_) return -ENOSPC;
  ++pool_.meta().n_entries;
  return 0;
}

long LpmTrie::insert(const LpmKey& key, const void* value, std::uint64_t flags) {
  const std::uint32_t fresh = pool_.alloc();
  if (fresh == 0) return -ENOMEM;
  pool_.set_prefixlen(fresh, key.prefixlen);
  store_atomic_bytes(pool_.data(fresh), key.raw, LpmPool::data_bytes(pool_.data_size()));
  store_atomic_bytes(pool_.value(fresh), static_cast<const std::byte*>(value), pool_.value_size());
  const long err = attach(walk(key), fresh, key, flags);
  if (err != 0) pool_.release(fresh);
  return err;
}

// The placement cases of trie_update_elem() for the new node `fresh`.
long LpmTrie::attach(const Walk& w, std::uint32_t fresh, const LpmKey& key, std::uint64_t flags) {
  if (w.node == 0) {  // an empty slot (a free child pointer or an empty root)
    if (const long err = check_add(flags)) return err;
    w.slot->store(fresh, std::memory_order_release);
    return 0;
  }
  if (pool_.prefixlen(w.node) == w.matchlen) return replace(w, fresh, flags);
  if (const long err = check_add(flags)) return err;
  if (w.matchlen == key.prefixlen) {  // the new prefix covers the node: insert it as the node's parent
    pool_.child(fresh, node_bit(w.node, w.matchlen)).store(w.node, std::memory_order_relaxed);
    w.slot->store(fresh, std::memory_order_release);
    return 0;
  }
  return split(w, fresh, key);
}

// Same prefix as an existing node: the new node takes its place and its children.
long LpmTrie::replace(const Walk& w, std::uint32_t fresh, std::uint64_t flags) {
  if (!pool_.intermediate(w.node)) {
    if (flags == BPF_NOEXIST) return -EEXIST;
  } else if (const long err = check_add(flags)) {
    return err;
  }
  for (unsigned b = 0; b < 2; ++b) {
    pool_.child(fresh, b).store(pool_.child(w.node, b).load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  w.slot->store(fresh, std::memory_order_release);
  pool_.release(w.node);
  return 0;
}

// The key and the node diverge after matchlen bits: an intermediate node of that length parents both.
long LpmTrie::split(const Walk& w, std::uint32_t fresh, const LpmKey& key) {
  const std::uint32_t im = pool_.alloc();
  if (im == 0) {
    --pool_.meta().n_entries;
    return -ENOMEM;
  }
  pool_.set_prefixlen(im, w.matchlen);
  pool_.set_flags(im, kLpmFlagIntermediate);
  std::byte data[kLpmDataSizeMax + 8];
  const std::size_t bytes = LpmPool::data_bytes(pool_.data_size());
  load_atomic_bytes(data, pool_.data(w.node), bytes);
  store_atomic_bytes(pool_.data(im), data, bytes);
  const unsigned new_side = key.bit(w.matchlen);
  pool_.child(im, new_side).store(fresh, std::memory_order_relaxed);
  pool_.child(im, 1 - new_side).store(w.node, std::memory_order_relaxed);
  w.slot->store(im, std::memory_order_release);
  return 0;
}

// trie_delete_elem(): the walk, keeping the slot of the node and of its parent.
long LpmTrie::remove(const LpmKey& key) {
  std::atomic<std::uint32_t>* trim = &pool_.meta().root;
  std::atomic<std::uint32_t>* trim2 = trim;
  std::uint32_t parent = 0;
  std::uint32_t node = 0;
  std::uint32_t matchlen = 0;
  while ((node = trim->load(std::memory_order_relaxed)) != 0) {
    const std::uint32_t prefixlen = pool_.prefixlen(node);
    matchlen = match_len(node, prefixlen, key);
    if (prefixlen != matchlen || prefixlen == key.prefixlen) break;
    parent = node;
    trim2 = trim;
    trim = &pool_.child(node, key.bit(prefixlen));
  }
  if (node == 0 || pool_.prefixlen(node) != key.prefixlen || pool_.prefixlen(node) != matchlen ||
      pool_.intermediate(node)) {
    return -ENOENT;
  }
  --pool_.meta().n_entries;
  unlink(node, *trim, parent, *trim2);
  return 0;
}

// The removal cases of trie_delete_elem() for `node`, held in `slot`, whose parent is held in `parent_slot`.
void LpmTrie::unlink(std::uint32_t node, std::atomic<std::uint32_t>& slot, std::uint32_t parent,
                     std::atomic<std::uint32_t>& parent_slot) {
  const std::uint32_t left = pool_.child(node, 0).load(std::memory_order_relaxed);
  const std::uint32_t right = pool_.child(node, 1).load(std::memory_order_relaxed);
  if (left != 0 && right != 0) {  // two children: it stays, as an intermediate node
    pool_.set_flags(node, kLpmFlagIntermediate);
    return;
  }
  // A leaf under an intermediate parent: the parent goes too and the sibling takes its place, so every
  // intermediate node keeps exactly two children.
  if (parent != 0 && pool_.intermediate(parent) && left == 0 && right == 0) {
    const unsigned sibling = pool_.child(parent, 0).load(std::memory_order_relaxed) == node ? 1 : 0;
    parent_slot.store(pool_.child(parent, sibling).load(std::memory_order_relaxed), std::memory_order_release);
    pool_.release(parent);
    pool_.release(node);
    return;
  }
  slot.store(left != 0 ? left : right, std::memory_order_release);
  pool_.release(node);
}

}  // namespace ubee::detail
