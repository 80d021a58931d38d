// BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c): max_entries preallocated,
// zero-initialised values indexed by a u32 key; elements always exist, so they cannot be deleted.
//
// Values are updated in place, as array_map_update_elem() does with copy_map_value(): a program holding a
// pointer to a value longer than 8 bytes can observe a half-written value while another thread updates it.
// The kernel gives no stronger guarantee (BPF_F_LOCK with a bpf_spin_lock in the value is how it offers one,
// and that needs BTF, which this runtime's maps do not have). Aligned 8-byte fields never tear.
#include <cerrno>
#include <cstring>

#include "array_common.hpp"
#include "map_types.hpp"
#include "shm_region.hpp"
#include "value_layout.hpp"

namespace ubee {
namespace {

using detail::array_index;

class ArrayMap final : public Map {
 public:
  ArrayMap(const MapSpec& spec, detail::ShmRegion region, detail::ValueLayout layout)
      : Map(spec), region_(std::move(region)), layout_(layout) {}

  void* lookup(const void* key) override {
    const std::uint32_t index = array_index(key);
    return index < max_entries() ? layout_.this_cpu(element(index)) : nullptr;
  }
  void* lookup_percpu(const void* key, std::uint32_t cpu) override {
    const std::uint32_t index = array_index(key);
    const bool ok = layout_.per_cpu && index < max_entries() && cpu < layout_.ncpus;
    return ok ? layout_.slot(element(index), cpu) : nullptr;
  }
  long update(const void* key, const void* value, std::uint64_t flags) override {
    const std::uint32_t index = array_index(key);
    if (long err = detail::array_update_check(index, flags, max_entries())) return err;
    layout_.store_this_cpu(element(index), value);
    return 0;
  }
  long erase(const void* /*key*/) override { return -EINVAL; }

  long user_lookup(const void* key, void* value) override {
    const std::uint32_t index = array_index(key);
    if (index >= max_entries()) return -ENOENT;
    layout_.copy_out(value, element(index));
    return 0;
  }
  long user_update(const void* key, const void* value, std::uint64_t flags) override {
    const std::uint32_t index = array_index(key);
    if (long err = detail::array_update_check(index, flags, max_entries())) return err;
    layout_.copy_in(element(index), value);
    return 0;
  }
  long user_delete(const void* /*key*/) override { return -EINVAL; }
  long get_next_key(const void* key, void* next_key) override {
    return detail::array_get_next_key(key, next_key, max_entries());
  }
  [[nodiscard]] std::size_t user_value_size() const override { return layout_.user_size(); }
  [[nodiscard]] int shared_fd() const override { return region_.fd(); }

  // Global data (.data/.rodata/.bss) starts as the object file's section contents, in element 0.
  void set_initial_value(const std::vector<std::uint8_t>& bytes) {
    std::memcpy(element(0), bytes.data(), bytes.size());
  }

 private:
  std::byte* element(std::uint32_t index) const { return region_.at<std::byte>(index * layout_.element_bytes()); }

  detail::ShmRegion region_;
  detail::ValueLayout layout_;
};

}  // namespace

Result<std::shared_ptr<Map>> make_array_map(const MapSpec& spec, int fd) {
  const auto layout = detail::ValueLayout::of(spec, spec.type == BPF_MAP_TYPE_PERCPU_ARRAY);
  const std::size_t size = std::size_t{spec.max_entries} * layout.element_bytes();
  auto region = fd < 0 ? detail::ShmRegion::create(spec, size) : detail::ShmRegion::open(spec, fd, size);
  if (!region) return region.error();
  auto map = std::make_shared<ArrayMap>(spec, std::move(*region), layout);
  if (fd < 0 && !spec.initial_value.empty()) map->set_initial_value(spec.initial_value);
  return std::shared_ptr<Map>(std::move(map));
}

}  // namespace ubee
