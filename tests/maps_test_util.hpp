// Shared by the map tests: building specs and maps, walking keys, pinning the thread to a CPU.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ubee/maps.hpp"

namespace ubee::test {

inline MapSpec map_spec(std::string name, std::uint32_t type, std::uint32_t key_size, std::uint32_t value_size,
                        std::uint32_t max_entries, std::uint32_t flags = 0) {
  MapSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.key_size = key_size;
  spec.value_size = value_size;
  spec.max_entries = max_entries;
  spec.flags = flags;
  return spec;
}

// The map, or a test failure carrying the error.
inline std::shared_ptr<Map> make_map(const MapSpec& spec) {
  auto map = create_map(spec);
  EXPECT_TRUE(map.ok()) << (map.ok() ? "" : map.error().to_string());
  return map.ok() ? *map : nullptr;
}

// Every key get_next_key() visits from the start, in order (stops after `limit` to catch cycles).
template <class Key>
std::vector<Key> all_keys(Map& map, std::size_t limit = 1 << 20) {
  std::vector<Key> keys;
  Key current{};
  Key next{};
  while (keys.size() < limit && map.get_next_key(keys.empty() ? nullptr : &current, &next) == 0) {
    keys.push_back(next);
    current = next;
  }
  return keys;
}

// Pins the calling thread to one CPU for a per-CPU test, restoring its affinity afterwards.
class PinnedToCpu {
 public:
  explicit PinnedToCpu(int cpu) {
    ok_ = sched_getaffinity(0, sizeof saved_, &saved_) == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ok_ = ok_ && sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~PinnedToCpu() {
    if (ok_) sched_setaffinity(0, sizeof saved_, &saved_);
  }
  PinnedToCpu(const PinnedToCpu&) = delete;
  PinnedToCpu& operator=(const PinnedToCpu&) = delete;
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  cpu_set_t saved_{};
  bool ok_ = false;
};

}  // namespace ubee::test
