// The Map base (process-unique ids, the operations only some types have) and the registry behind find_map().
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <unordered_map>

#include "map_types.hpp"
#include "ubee/maps.hpp"

namespace ubee {
namespace {

// Weak references: the registry never keeps a map alive, so a map needs no unregistering; expired entries are
// swept whenever the table has doubled since the last sweep, which keeps it proportional to the live maps.
struct Registry {
  std::mutex mu;
  std::unordered_map<std::uint32_t, std::weak_ptr<Map>> maps;
  std::unordered_map<const void*, std::weak_ptr<Map>> by_address;  // for is_live_map()
  std::size_t sweep_at = 64;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::uint32_t next_map_id() {
  static std::atomic<std::uint32_t> next{1};
  std::uint32_t id = next.fetch_add(1, std::memory_order_relaxed);
  // 0 means "no map" (an empty map-in-map slot), as a kernel map id is never 0.
  return id != 0 ? id : next.fetch_add(1, std::memory_order_relaxed);
}

void sweep_expired(Registry& r) {
  std::erase_if(r.maps, [](const auto& entry) { return entry.second.expired(); });
  std::erase_if(r.by_address, [](const auto& entry) { return entry.second.expired(); });
  r.sweep_at = std::max<std::size_t>(64, 2 * r.maps.size());
}

}  // namespace

Map::Map(MapSpec spec) : spec_(std::move(spec)), id_(next_map_id()) {}

long Map::push(const void* /*value*/, std::uint64_t /*flags*/) { return -EOPNOTSUPP; }
long Map::pop(void* /*value*/) { return -EOPNOTSUPP; }
long Map::peek(void* /*value*/) { return -EOPNOTSUPP; }

void register_map(const std::shared_ptr<Map>& map) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  if (r.maps.size() >= r.sweep_at) sweep_expired(r);
  r.maps[map->id()] = map;
  r.by_address[map.get()] = map;
}

bool is_live_map(const void* p) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.by_address.find(p);
  return it != r.by_address.end() && !it->second.expired();
}

std::shared_ptr<Map> find_map(std::uint32_t id) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.maps.find(id);
  return it == r.maps.end() ? nullptr : it->second.lock();
}

Error map_error(const MapSpec& spec, const std::string& what, Errc code) {
  return make_error(code, "map '" + spec.name + "': " + what);
}

}  // namespace ubee
