// Hash maps under concurrent use: lock-free lookups alongside bucket-locked updates, deletes and evictions.
#include <atomic>
#include <cerrno>
#include <thread>

#include "maps_test_util.hpp"
#include "ubee/maps.hpp"

namespace ubee::test {
namespace {

constexpr int kThreads = 4;
constexpr int kOpsPerThread = 100000;
constexpr std::uint32_t kKeys = 64;

// What every program counting events does: look up, create the key if missing, atomically add.
void count_events(Map& map, int thread) {
  for (int i = 0; i < kOpsPerThread; ++i) {
    const std::uint32_t key = static_cast<std::uint32_t>(i * 7 + thread) % kKeys;
    auto* counter = static_cast<std::uint64_t*>(map.lookup(&key));
    if (counter == nullptr) {
      const std::uint64_t zero = 0;
      const long err = map.update(&key, &zero, BPF_NOEXIST);
      ASSERT_TRUE(err == 0 || err == -EEXIST) << err;
      counter = static_cast<std::uint64_t*>(map.lookup(&key));
      ASSERT_NE(counter, nullptr);
    }
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
  }
}

TEST(MapsConcurrency, NoLostIncrementsWithAtomicAddsOnLookedUpValues) {
  auto map = make_map(map_spec("counts", BPF_MAP_TYPE_HASH, 4, 8, 1024));
  ASSERT_TRUE(map);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back([&map, t] { count_events(*map, t); });
  for (auto& t : threads) t.join();
  std::vector<std::uint64_t> expected(kKeys, 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kOpsPerThread; ++i) ++expected[static_cast<std::uint32_t>(i * 7 + t) % kKeys];
  }
  std::uint64_t total = 0;
  for (std::uint32_t key = 0; key < kKeys; ++key) {
    std::uint64_t v = 0;
    ASSERT_EQ(map->user_lookup(&key, &v), 0);
    EXPECT_EQ(v, expected[key]) << "key " << key;
    total += v;
  }
  EXPECT_EQ(total, std::uint64_t{kThreads} * kOpsPerThread);
  EXPECT_EQ(all_keys<std::uint32_t>(*map).size(), kKeys);
}

struct Tagged {
  std::uint64_t key;
  std::uint64_t check;  // key * 3: a value copied whole always has check == key * 3
};

// Two threads churn keys (insert, replace, delete) while two read them: a reader finds either nothing or the
// key's own, whole value; never another key's element, never half of one.
TEST(MapsConcurrency, ReadersSeeWholeValuesWhileWritersChurn) {
  auto map = make_map(map_spec("churn", BPF_MAP_TYPE_HASH, 8, 16, 128));
  ASSERT_TRUE(map);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> hits{0};
  auto writer = [&](std::uint64_t seed) {
    for (std::uint64_t i = 0; i < kOpsPerThread; ++i) {
      const std::uint64_t key = (i * 13 + seed) % 200;
      const Tagged v{key, key * 3};
      if (i % 3 == 2) {
        map->erase(&key);
      } else {
        const long err = map->update(&key, &v, BPF_ANY);
        ASSERT_TRUE(err == 0 || err == -E2BIG) << err;
      }
    }
  };
  auto reader = [&](std::uint64_t seed) {
    for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      const std::uint64_t key = (i * 7 + seed) % 200;
      Tagged v{};
      if (map->user_lookup(&key, &v) == 0) {
        ASSERT_EQ(v.key, key);
        ASSERT_EQ(v.check, key * 3);
        hits.fetch_add(1, std::memory_order_relaxed);
      }
      map->lookup(&key);  // the lock-free path, racing the same writers
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  std::thread w1(writer, 0), w2(writer, 5);
  w1.join();
  w2.join();
  stop = true;
  r1.join();
  r2.join();
  EXPECT_GT(hits.load(), 0U);
  for (std::uint64_t key : all_keys<std::uint64_t>(*map)) {
    Tagged v{};
    ASSERT_EQ(map->user_lookup(&key, &v), 0);
    EXPECT_EQ(v.check, key * 3);
  }
}

TEST(MapsConcurrency, LruEvictionUnderContentionKeepsTheMapConsistent) {
  auto map = make_map(map_spec("lru", BPF_MAP_TYPE_LRU_HASH, 4, 8, 128));
  ASSERT_TRUE(map);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&map, t] {
      for (std::uint32_t i = 0; i < kOpsPerThread / 2; ++i) {
        const std::uint32_t key = (i * 31 + static_cast<std::uint32_t>(t) * 1000) % 5000;
        const std::uint64_t v = key * 5ULL;
        ASSERT_EQ(map->update(&key, &v, BPF_ANY), 0);
        map->lookup(&key);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto keys = all_keys<std::uint32_t>(*map);
  EXPECT_LE(keys.size(), 128U);
  EXPECT_GE(keys.size(), 120U);  // only elements in flight at the end may be missing
  for (std::uint32_t key : keys) {
    std::uint64_t v = 0;
    ASSERT_EQ(map->user_lookup(&key, &v), 0);
    EXPECT_EQ(v, key * 5ULL);
  }
}

}  // namespace
}  // namespace ubee::test
