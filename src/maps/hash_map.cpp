// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c): one Map over the shared
// HashTable, the variants differing only in its Shape. BPF_F_NO_PREALLOC is accepted and changes nothing: every
// hash is preallocated (same semantics, memory committed as elements are first used).
#include <cerrno>

#include "hash_table.hpp"
#include "map_types.hpp"

namespace ubee {
namespace {

using detail::HashTable;

class HashMap final : public Map {
 public:
  HashMap(const MapSpec& spec, HashTable::Shape shape, detail::ShmRegion region, bool fresh)
      : Map(spec), table_(spec, shape, std::move(region), fresh) {}

  void* lookup(const void* key) override {
    std::byte* area = table_.find_value(key, /*mark_used=*/true);
    return area == nullptr ? nullptr : table_.values().this_cpu(area);
  }
  void* lookup_percpu(const void* key, std::uint32_t cpu) override {
    if (!table_.values().per_cpu || cpu >= table_.values().ncpus) return nullptr;
    std::byte* area = table_.find_value(key, /*mark_used=*/true);
    return area == nullptr ? nullptr : table_.values().slot(area, cpu);
  }
  void* lookup_for_iteration(const void* key) override {
    std::byte* area = table_.find_value(key, /*mark_used=*/false);
    return area == nullptr ? nullptr : table_.values().this_cpu(area);
  }
  long update(const void* key, const void* value, std::uint64_t flags) override {
    return table_.update(key, value, flags, HashTable::Source::program);
  }
  long erase(const void* key) override { return table_.erase(key); }

  long user_lookup(const void* key, void* value) override { return table_.copy_value(key, value); }
  long user_update(const void* key, const void* value, std::uint64_t flags) override {
    return table_.update(key, value, flags, HashTable::Source::user);
  }
  long user_delete(const void* key) override { return table_.erase(key); }
  long get_next_key(const void* key, void* next_key) override { return table_.next_key(key, next_key); }
  [[nodiscard]] std::size_t user_value_size() const override { return table_.values().user_size(); }
  [[nodiscard]] int shared_fd() const override { return table_.fd(); }

 private:
  HashTable table_;
};

HashTable::Shape shape_of(std::uint32_t type) {
  return HashTable::Shape{type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH,
                          type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH};
}

}  // namespace

Result<std::shared_ptr<Map>> make_hash_map(const MapSpec& spec, int fd) {
  const HashTable::Shape shape = shape_of(spec.type);
  const std::size_t size = HashTable::data_size(spec, shape);
  auto region = fd < 0 ? detail::ShmRegion::create(spec, size) : detail::ShmRegion::open(spec, fd, size);
  if (!region) return region.error();
  return std::shared_ptr<Map>(std::make_shared<HashMap>(spec, shape, std::move(*region), fd < 0));
}

}  // namespace ubee
