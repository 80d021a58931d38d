// BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS (kernel/bpf/arraymap.c, hashtab.c, map_in_map.c):
// an ARRAY or HASH of u32 inner map ids in the shared region, plus the process-local references that keep the
// inner maps alive. An id of 0 is an empty slot (map ids start at 1).
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "array_common.hpp"
#include "map_types.hpp"
#include "ubee/map_types.hpp"

namespace ubee {
namespace {

// bpf_map_meta_equal(), and array_map_meta_equal() which also compares max_entries unless BPF_F_INNER_MAP.
bool same_shape(const MapSpec& inner, const MapSpec& candidate) {
  if (candidate.type != inner.type || candidate.key_size != inner.key_size ||
      candidate.value_size != inner.value_size || candidate.flags != inner.flags) {
    return false;
  }
  const bool array = inner.type == BPF_MAP_TYPE_ARRAY || inner.type == BPF_MAP_TYPE_PERCPU_ARRAY;
  return !array || (inner.flags & BPF_F_INNER_MAP) != 0 || candidate.max_entries == inner.max_entries;
}

std::uint32_t load_id(const void* slot) {
  return slot == nullptr ? 0 : __atomic_load_n(static_cast<const std::uint32_t*>(slot), __ATOMIC_ACQUIRE);
}

}  // namespace

MapOfMaps::MapOfMaps(const MapSpec& spec, std::shared_ptr<Map> ids) : Map(spec), ids_(std::move(ids)) {}

Map* MapOfMaps::held(std::uint32_t id) const {
  std::shared_lock lock(mu_);
  const auto it = held_.find(id);
  return it == held_.end() ? nullptr : it->second.get();
}

std::shared_ptr<Map> MapOfMaps::inner_at(const void* key) const {
  const std::uint32_t id = load_id(ids_->lookup(key));
  std::shared_lock lock(mu_);
  const auto it = held_.find(id);
  return it == held_.end() ? nullptr : it->second;
}

// array_of_map_lookup_elem() / htab_of_map_lookup_elem(): the inner map itself, or null.
void* MapOfMaps::lookup(const void* key) {
  const std::uint32_t id = load_id(ids_->lookup(key));
  return id == 0 ? nullptr : held(id);
}

long MapOfMaps::update(const void* /*key*/, const void* /*value*/, std::uint64_t /*flags*/) { return -EOPNOTSUPP; }
long MapOfMaps::erase(const void* /*key*/) { return -EOPNOTSUPP; }

// bpf_map_fd_sys_lookup_elem(): the inner map's id.
long MapOfMaps::user_lookup(const void* key, void* value) {
  const std::uint32_t id = load_id(ids_->lookup(key));
  if (id == 0) return -ENOENT;
  std::memcpy(value, &id, sizeof id);
  return 0;
}

// bpf_fd_array_map_update_elem() (BPF_ANY only, -E2BIG past the end) or bpf_fd_htab_map_update_elem() (the
// hash's flag rules), after bpf_map_fd_get_ptr() checked the inner map.
long MapOfMaps::user_update(const void* key, const void* value, std::uint64_t flags) {
  if (is_array() && flags != BPF_ANY) return -EINVAL;
  if (is_array() && detail::array_index(key) >= max_entries()) return -E2BIG;
  std::uint32_t id = 0;
  std::memcpy(&id, value, sizeof id);
  std::shared_ptr<Map> inner = find_map(id);
  if (inner == nullptr || spec().inner == nullptr || !same_shape(*spec().inner, inner->spec())) return -EINVAL;
  // Held before a program can read the id: lookup() resolves ids under the shared side of this lock.
  std::unique_lock lock(mu_);
  if (is_array()) {
    __atomic_store_n(static_cast<std::uint32_t*>(ids_->lookup(key)), id, __ATOMIC_RELEASE);
  } else if (long err = ids_->user_update(key, &id, flags)) {
    return err;
  }
  held_.emplace(id, std::move(inner));
  return 0;
}

// fd_array_map_delete_elem() (-E2BIG past the end, -ENOENT when empty) or the hash's delete.
long MapOfMaps::user_delete(const void* key) {
  std::unique_lock lock(mu_);
  if (!is_array()) return ids_->user_delete(key);
  if (detail::array_index(key) >= max_entries()) return -E2BIG;
  auto* slot = static_cast<std::uint32_t*>(ids_->lookup(key));
  return __atomic_exchange_n(slot, 0, __ATOMIC_ACQ_REL) != 0 ? 0 : -ENOENT;
}

long MapOfMaps::get_next_key(const void* key, void* next_key) { return ids_->get_next_key(key, next_key); }
int MapOfMaps::shared_fd() const { return ids_->shared_fd(); }

Result<std::shared_ptr<Map>> make_map_of_maps(const MapSpec& spec, int fd) {
  auto ids = spec.type == BPF_MAP_TYPE_ARRAY_OF_MAPS ? make_array_map(spec, fd) : make_hash_map(spec, fd);
  if (!ids) return ids.error();
  return std::shared_ptr<Map>(std::make_shared<MapOfMaps>(spec, std::move(*ids)));
}

}  // namespace ubee
