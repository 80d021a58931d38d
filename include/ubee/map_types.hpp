// The map types an engine needs to see through: program arrays (bpf_tail_call targets) and maps of maps.
// create_map() returns them as std::shared_ptr<Map>; std::dynamic_pointer_cast to these classes to use the extra
// accessors.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "ubee/maps.hpp"

namespace ubee {

namespace detail {
class ShmRegion;
}

// BPF_MAP_TYPE_PROG_ARRAY: u32 index -> u32 program id. The ids are the caller's: the engine keeps its own table
// of programs. user_update(&index, &id, BPF_ANY) stores an id, user_delete clears the slot (-ENOENT if empty),
// user_lookup reads it back (-ENOENT if empty). Programs cannot use it as a map: the kernel's verifier allows
// only bpf_tail_call on it, so lookup() returns null and update()/erase() return -EOPNOTSUPP.
class ProgArrayMap final : public Map {
 public:
  // The program id in slot `index`, or nothing when the slot is empty or out of range. Lock-free and not
  // virtual: this is a tail call's one memory access.
  [[nodiscard]] std::optional<std::uint32_t> program_at(std::uint32_t index) const {
    if (index >= max_entries()) return std::nullopt;
    const std::uint64_t slot = slots_[index].load(std::memory_order_acquire);
    if ((slot & kPresent) == 0) return std::nullopt;
    return static_cast<std::uint32_t>(slot);
  }

  void* lookup(const void* key) override;
  long update(const void* key, const void* value, std::uint64_t flags) override;
  long erase(const void* key) override;
  long user_lookup(const void* key, void* value) override;
  long user_update(const void* key, const void* value, std::uint64_t flags) override;
  long user_delete(const void* key) override;
  long get_next_key(const void* key, void* next_key) override;
  [[nodiscard]] int shared_fd() const override;

  // Use create_map(); this is public only for std::make_shared.
  ProgArrayMap(const MapSpec& spec, detail::ShmRegion region);
  ~ProgArrayMap() override;

 private:
  static constexpr std::uint64_t kPresent = 1ULL << 32;  // slot = kPresent | id; 0 = empty
  std::unique_ptr<detail::ShmRegion> region_;
  std::atomic<std::uint64_t>* slots_;
};

// BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS. Values are u32 map ids (Map::id(), this runtime's
// counterpart of the map fds bpf(2) takes). user_update checks that the id names a live map whose shape matches
// spec().inner as the kernel's map_meta_equal does (type, key and value size, flags; max_entries too for ARRAY
// and PERCPU_ARRAY inner maps unless created with BPF_F_INNER_MAP), else -EINVAL; user_lookup returns the id.
//
// A program's lookup() returns the inner Map* itself as the value pointer, as the kernel's returns the inner
// struct bpf_map *: the program passes it back as the map of its next helper call, never dereferences it.
// Programs cannot update or delete (the verifier allows only lookups): update()/erase() return -EOPNOTSUPP.
//
// Lifetime: the outer map keeps every inner map it has held alive until the outer map is destroyed. The kernel
// frees a removed inner map after an RCU grace period, once no program can still hold it; user space has no
// grace period, so keeping it is what keeps a Map* a running program looked up valid.
//
// Sharing: the region holds ids, and ids are process-local. A process that opens the region with
// open_shared_map() sees the ids other processes stored, but its lookup()/inner_at() only resolve the maps it
// stored itself.
class MapOfMaps final : public Map {
 public:
  // The inner map stored under `key`, or null.
  [[nodiscard]] std::shared_ptr<Map> inner_at(const void* key) const;

  void* lookup(const void* key) override;
  long update(const void* key, const void* value, std::uint64_t flags) override;
  long erase(const void* key) override;
  long user_lookup(const void* key, void* value) override;
  long user_update(const void* key, const void* value, std::uint64_t flags) override;
  long user_delete(const void* key) override;
  long get_next_key(const void* key, void* next_key) override;
  [[nodiscard]] int shared_fd() const override;

  // Use create_map(); this is public only for std::make_shared. `ids` is the ARRAY or HASH of u32 ids.
  MapOfMaps(const MapSpec& spec, std::shared_ptr<Map> ids);

 private:
  [[nodiscard]] bool is_array() const { return type() == BPF_MAP_TYPE_ARRAY_OF_MAPS; }
  [[nodiscard]] Map* held(std::uint32_t id) const;

  std::shared_ptr<Map> ids_;
  mutable std::shared_mutex mu_;  // guards held_; user-side writers take it exclusively
  std::unordered_map<std::uint32_t, std::shared_ptr<Map>> held_;
};

}  // namespace ubee
