// LPM trie iteration: kernel/bpf/lpm_trie.c trie_get_next_key(). Post-order, so more specific prefixes come
// before the prefixes that contain them; a missing or unmatched key restarts at the leftmost entry.
#include <array>
#include <cerrno>

#include "lpm_trie.hpp"

namespace ubee::detail {

void LpmTrie::copy_key(std::uint32_t node, LpmKey& out) const {
  out.prefixlen = pool_.prefixlen(node);
  load_atomic_bytes(out.raw, pool_.data(node), LpmPool::data_bytes(pool_.data_size()));
}

// The find_leftmost part: the first non-intermediate node in post-order under `search_root` (intermediate nodes
// always have two children, so there is one). Bounded as find() is, for readers racing a writer.
long LpmTrie::leftmost(std::uint32_t search_root, LpmKey& out) const {
  std::uint32_t next_node = 0;
  std::uint32_t node = search_root;
  for (std::uint32_t steps = 0; pool_.valid(node) && steps <= max_prefixlen_; ++steps) {
    if (pool_.intermediate(node)) {
      node = pool_.child(node, 0).load(std::memory_order_acquire);
    } else {
      next_node = node;
      node = pool_.child(node, 0).load(std::memory_order_acquire);
      if (node == 0) node = pool_.child(next_node, 1).load(std::memory_order_acquire);
    }
  }
  if (!pool_.valid(next_node)) return -ENOENT;  // only under a racing writer: the read is retried
  copy_key(next_node, out);
  return 0;
}

long LpmTrie::next(const LpmKey* key, LpmKey& out) const {
  const std::uint32_t search_root = pool_.meta().root.load(std::memory_order_acquire);
  if (!pool_.valid(search_root)) return -ENOENT;
  if (key == nullptr || key->prefixlen > max_prefixlen_) return leftmost(search_root, out);
  // The path from the root to the key's exact node.
  std::array<std::uint32_t, kLpmDataSizeMax * 8 + 1> stack{};
  std::size_t depth = 0;
  std::uint32_t node = search_root;
  std::uint32_t matchlen = 0;
  while (pool_.valid(node) && depth < stack.size()) {
    stack[depth++] = node;
    const std::uint32_t prefixlen = pool_.prefixlen(node);
    matchlen = match_len(node, prefixlen, *key);
    if (prefixlen != matchlen || prefixlen == key->prefixlen) break;
    node = pool_.child(node, key->bit(prefixlen)).load(std::memory_order_acquire);
  }
  if (!pool_.valid(node) || pool_.prefixlen(node) != matchlen || pool_.prefixlen(node) != key->prefixlen ||
      pool_.intermediate(node)) {
    return leftmost(search_root, out);
  }
  // Post-order successor: the leftmost entry of the right sibling subtree, else the first real ancestor.
  for (; depth > 1; --depth) {
    const std::uint32_t parent = stack[depth - 2];
    if (pool_.child(parent, 0).load(std::memory_order_acquire) == stack[depth - 1]) {
      const std::uint32_t right = pool_.child(parent, 1).load(std::memory_order_acquire);
      if (right != 0) return leftmost(right, out);
    }
    if (!pool_.intermediate(parent)) {
      copy_key(parent, out);
      return 0;
    }
  }
  return -ENOENT;
}

}  // namespace ubee::detail
