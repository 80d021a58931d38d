// Internal: the index rules every array-shaped map shares (kernel/bpf/arraymap.c), so ARRAY, PERCPU_ARRAY,
// PROG_ARRAY and ARRAY_OF_MAPS agree on them.
#pragma once

#include <linux/bpf.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace ubee::detail {

inline std::uint32_t array_index(const void* key) {
  std::uint32_t index = 0;
  std::memcpy(&index, key, sizeof index);
  return index;
}

// array_map_get_next_key(): a missing or out-of-range key restarts at 0; the last index has no successor.
inline long array_get_next_key(const void* key, void* next_key, std::uint32_t max_entries) {
  const std::uint32_t index = key == nullptr ? max_entries : array_index(key);
  std::uint32_t next = 0;
  if (index < max_entries) {
    if (index == max_entries - 1) return -ENOENT;
    next = index + 1;
  }
  std::memcpy(next_key, &next, sizeof next);
  return 0;
}

// array_map_update_elem(): every element exists, so BPF_NOEXIST always fails and BPF_EXIST always holds;
// BPF_F_LOCK needs a bpf_spin_lock in the value (BTF), which these maps never have.
inline long array_update_check(std::uint32_t index, std::uint64_t flags, std::uint32_t max_entries) {
  if ((flags & ~std::uint64_t{BPF_F_LOCK}) > BPF_EXIST) return -EINVAL;
  if (index >= max_entries) return -E2BIG;
  if ((flags & ~std::uint64_t{BPF_F_LOCK}) == BPF_NOEXIST) return -EEXIST;
  if ((flags & BPF_F_LOCK) != 0) return -EINVAL;
  return 0;
}

}  // namespace ubee::detail
