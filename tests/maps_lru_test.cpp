// LRU_HASH and LRU_PERCPU_HASH: a full map evicts instead of failing; lookups protect elements.
#include <cerrno>
#include <set>

#include "maps_test_util.hpp"
#include "ubee/maps.hpp"

namespace ubee::test {
namespace {

std::set<std::uint32_t> key_set(Map& map) {
  const auto keys = all_keys<std::uint32_t>(map);
  EXPECT_EQ(std::set<std::uint32_t>(keys.begin(), keys.end()).size(), keys.size()) << "a key visited twice";
  return {keys.begin(), keys.end()};
}

std::set<std::uint32_t> range(std::uint32_t first, std::uint32_t last) {
  std::set<std::uint32_t> s;
  for (std::uint32_t k = first; k <= last; ++k) s.insert(k);
  return s;
}

void insert(Map& map, std::uint32_t key) {
  const std::uint64_t v = key * 100ULL;
  ASSERT_EQ(map.update(&key, &v, BPF_NOEXIST), 0) << "key " << key;
}

class MapsLru : public ::testing::TestWithParam<std::uint32_t> {};  // the map_flags

TEST_P(MapsLru, EvictsTheLeastRecentlyUsedKey) {
  auto map = make_map(map_spec("lru", BPF_MAP_TYPE_LRU_HASH, 4, 8, 8, GetParam()));
  ASSERT_TRUE(map);
  for (std::uint32_t k = 0; k < 8; ++k) insert(*map, k);
  for (std::uint32_t k : {0U, 1U}) ASSERT_NE(map->lookup(&k), nullptr);  // used after 2..7 were inserted
  insert(*map, 8);  // recency, oldest first: 2 3 4 5 6 7 0 1 -> 2 goes
  EXPECT_EQ(key_set(*map), (std::set<std::uint32_t>{0, 1, 3, 4, 5, 6, 7, 8}));
  insert(*map, 9);  // 3 goes
  EXPECT_EQ(key_set(*map), (std::set<std::uint32_t>{0, 1, 4, 5, 6, 7, 8, 9}));
  const std::uint32_t four = 4;
  ASSERT_NE(map->lookup(&four), nullptr);
  insert(*map, 10);  // 5 6 7 0 1 8 9 4 -> 5 goes
  EXPECT_EQ(key_set(*map), (std::set<std::uint32_t>{0, 1, 4, 6, 7, 8, 9, 10}));
  std::uint64_t v = 0;
  const std::uint32_t ten = 10;
  ASSERT_EQ(map->user_lookup(&ten, &v), 0);
  EXPECT_EQ(v, 1000U);
}

TEST_P(MapsLru, NeverFullAndAlwaysHoldsMaxEntriesKeys) {
  auto map = make_map(map_spec("lru", BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, GetParam()));
  ASSERT_TRUE(map);
  for (std::uint32_t k = 0; k < 1000; ++k) insert(*map, k);
  // Nothing was looked up: the newest 16 survive, in the order a CLOCK over insertion order gives.
  EXPECT_EQ(key_set(*map), range(984, 999));
}

INSTANTIATE_TEST_SUITE_P(CommonAndPerCpuLists, MapsLru, ::testing::Values(0U, BPF_F_NO_COMMON_LRU));

TEST(MapsLruHash, UserLookupsDoNotMarkElementsUsed) {
  auto map = make_map(map_spec("lru", BPF_MAP_TYPE_LRU_HASH, 4, 8, 4));
  ASSERT_TRUE(map);
  for (std::uint32_t k = 0; k < 4; ++k) insert(*map, k);
  const std::uint32_t zero = 0;
  std::uint64_t v = 0;
  ASSERT_EQ(map->user_lookup(&zero, &v), 0);  // htab_lru_map_lookup_elem_sys() does not set the ref bit
  insert(*map, 4);
  EXPECT_EQ(key_set(*map), (std::set<std::uint32_t>{1, 2, 3, 4}));
}

TEST(MapsLruHash, DeletedElementsAreReusedBeforeEvicting) {
  auto map = make_map(map_spec("lru", BPF_MAP_TYPE_LRU_HASH, 4, 8, 4));
  ASSERT_TRUE(map);
  for (std::uint32_t k = 0; k < 4; ++k) insert(*map, k);
  const std::uint32_t two = 2;
  ASSERT_EQ(map->erase(&two), 0);
  EXPECT_EQ(map->erase(&two), -ENOENT);
  insert(*map, 7);
  EXPECT_EQ(key_set(*map), (std::set<std::uint32_t>{0, 1, 3, 7}));
}

TEST(MapsLruHash, FlagsStillApply) {
  auto map = make_map(map_spec("lru", BPF_MAP_TYPE_LRU_HASH, 4, 8, 4));
  ASSERT_TRUE(map);
  const std::uint32_t key = 1;
  const std::uint64_t v = 5;
  EXPECT_EQ(map->update(&key, &v, BPF_EXIST), -ENOENT);
  EXPECT_EQ(map->update(&key, &v, BPF_NOEXIST), 0);
  EXPECT_EQ(map->update(&key, &v, BPF_NOEXIST), -EEXIST);
  EXPECT_EQ(map->update(&key, &v, 7), -EINVAL);
  EXPECT_EQ(key_set(*map), (std::set<std::uint32_t>{1}));
}

// As in the kernel (htab_lru_map_update_elem() takes a new element first), replacing a value in a full map
// evicts the least recently used key.
TEST(MapsLruHash, UpdatingAKeyOfAFullMapEvictsOne) {
  auto map = make_map(map_spec("lru", BPF_MAP_TYPE_LRU_HASH, 4, 8, 4));
  ASSERT_TRUE(map);
  for (std::uint32_t k = 0; k < 4; ++k) insert(*map, k);
  const std::uint32_t three = 3;
  const std::uint64_t v = 333;
  ASSERT_EQ(map->update(&three, &v, BPF_EXIST), 0);
  EXPECT_EQ(key_set(*map), (std::set<std::uint32_t>{1, 2, 3}));
  std::uint64_t seen = 0;
  ASSERT_EQ(map->user_lookup(&three, &seen), 0);
  EXPECT_EQ(seen, 333U);
}

TEST(MapsLruPercpuHash, EvictsAndKeepsPerCpuValues) {
  auto map = make_map(map_spec("lpc", BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 4));
  ASSERT_TRUE(map);
  const std::uint32_t ncpus = possible_cpus();
  EXPECT_EQ(map->user_value_size(), 8U * ncpus);
  for (std::uint32_t k = 0; k < 4; ++k) {
    std::vector<std::uint64_t> v(ncpus, k);
    ASSERT_EQ(map->user_update(&k, v.data(), BPF_NOEXIST), 0);
  }
  const std::uint32_t zero = 0;
  ASSERT_NE(map->lookup(&zero), nullptr);
  // BPF_EXIST updates in place and takes no element, so it evicts nothing.
  std::vector<std::uint64_t> nine(ncpus, 9);
  const std::uint32_t one = 1;
  ASSERT_EQ(map->user_update(&one, nine.data(), BPF_EXIST), 0);
  EXPECT_EQ(key_set(*map), (std::set<std::uint32_t>{0, 1, 2, 3}));
  const std::uint32_t five = 5;
  ASSERT_EQ(map->user_update(&five, nine.data(), BPF_ANY), 0);  // 1 was not looked up by a program: it goes
  EXPECT_EQ(key_set(*map), (std::set<std::uint32_t>{0, 2, 3, 5}));
  std::vector<std::uint64_t> out(ncpus);
  ASSERT_EQ(map->user_lookup(&five, out.data()), 0);
  EXPECT_EQ(out, nine);
}

}  // namespace
}  // namespace ubee::test
