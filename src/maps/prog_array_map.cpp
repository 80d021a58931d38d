// BPF_MAP_TYPE_PROG_ARRAY (kernel/bpf/arraymap.c, the fd_array ops): one 8-byte slot per index in the shared
// region, written with single atomic stores so that a tail call never sees half an update.
#include <cerrno>
#include <cstring>

#include "array_common.hpp"
#include "map_types.hpp"
#include "shm_region.hpp"
#include "ubee/map_types.hpp"

namespace ubee {

using detail::array_index;

ProgArrayMap::ProgArrayMap(const MapSpec& spec, detail::ShmRegion region)
    : Map(spec), region_(std::make_unique<detail::ShmRegion>(std::move(region))),
      slots_(region_->at<std::atomic<std::uint64_t>>(0)) {}

ProgArrayMap::~ProgArrayMap() = default;

// The verifier only lets programs pass a program array to bpf_tail_call (check_map_func_compatibility()).
void* ProgArrayMap::lookup(const void* /*key*/) { return nullptr; }
long ProgArrayMap::update(const void* /*key*/, const void* /*value*/, std::uint64_t /*flags*/) {
  return -EOPNOTSUPP;
}
long ProgArrayMap::erase(const void* /*key*/) { return -EOPNOTSUPP; }

// bpf_fd_array_map_lookup_elem(): the stored program's id, -ENOENT for an empty slot.
long ProgArrayMap::user_lookup(const void* key, void* value) {
  const auto id = program_at(array_index(key));
  if (!id) return -ENOENT;
  std::memcpy(value, &*id, sizeof *id);
  return 0;
}

// bpf_fd_array_map_update_elem(): only BPF_ANY; an out-of-range index is -E2BIG.
long ProgArrayMap::user_update(const void* key, const void* value, std::uint64_t flags) {
  const std::uint32_t index = array_index(key);
  if (flags != BPF_ANY) return -EINVAL;
  if (index >= max_entries()) return -E2BIG;
  std::uint32_t id = 0;
  std::memcpy(&id, value, sizeof id);
  slots_[index].store(kPresent | id, std::memory_order_release);
  return 0;
}

// fd_array_map_delete_elem(): -E2BIG out of range, -ENOENT when already empty.
long ProgArrayMap::user_delete(const void* key) {
  const std::uint32_t index = array_index(key);
  if (index >= max_entries()) return -E2BIG;
  return slots_[index].exchange(0, std::memory_order_acq_rel) != 0 ? 0 : -ENOENT;
}

long ProgArrayMap::get_next_key(const void* key, void* next_key) {
  return detail::array_get_next_key(key, next_key, max_entries());
}

int ProgArrayMap::shared_fd() const { return region_->fd(); }

Result<std::shared_ptr<Map>> make_prog_array_map(const MapSpec& spec, int fd) {
  const std::size_t size = sizeof(std::uint64_t) * spec.max_entries;
  auto region = fd < 0 ? detail::ShmRegion::create(spec, size) : detail::ShmRegion::open(spec, fd, size);
  if (!region) return region.error();
  return std::shared_ptr<Map>(std::make_shared<ProgArrayMap>(spec, std::move(*region)));
}

}  // namespace ubee
