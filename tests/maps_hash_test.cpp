// BPF_MAP_TYPE_HASH and PERCPU_HASH: kernel/bpf/hashtab.c semantics.
#include <cerrno>
#include <cstring>
#include <array>
#include <map>
#include <random>
#include <set>

#include "maps_test_util.hpp"
#include "ubee/maps.hpp"

namespace ubee::test {
namespace {

std::uint64_t user_get(Map& map, std::uint32_t key) {
  std::uint64_t v = 0;
  EXPECT_EQ(map.user_lookup(&key, &v), 0) << "key " << key;
  return v;
}

TEST(MapsHash, UpdateFlags) {
  auto map = make_map(map_spec("h", BPF_MAP_TYPE_HASH, 4, 8, 16));
  ASSERT_TRUE(map);
  const std::uint32_t key = 5;
  std::uint64_t v = 1;
  EXPECT_EQ(map->update(&key, &v, BPF_EXIST), -ENOENT);
  EXPECT_EQ(map->lookup(&key), nullptr);
  EXPECT_EQ(map->update(&key, &v, BPF_NOEXIST), 0);
  v = 2;
  EXPECT_EQ(map->update(&key, &v, BPF_NOEXIST), -EEXIST);
  EXPECT_EQ(user_get(*map, key), 1U);
  EXPECT_EQ(map->update(&key, &v, BPF_EXIST), 0);
  EXPECT_EQ(user_get(*map, key), 2U);
  v = 3;
  EXPECT_EQ(map->user_update(&key, &v, BPF_ANY), 0);
  EXPECT_EQ(*static_cast<std::uint64_t*>(map->lookup(&key)), 3U);
  EXPECT_EQ(map->update(&key, &v, BPF_EXIST + 1), -EINVAL);
  EXPECT_EQ(map->update(&key, &v, BPF_F_LOCK), -EINVAL);
  EXPECT_EQ(user_get(*map, key), 3U);
}

TEST(MapsHash, FullMapRefusesNewKeysButUpdatesExistingOnes) {
  auto map = make_map(map_spec("h", BPF_MAP_TYPE_HASH, 4, 8, 8));
  ASSERT_TRUE(map);
  for (std::uint32_t k = 0; k < 8; ++k) {
    const std::uint64_t v = k * 10;
    ASSERT_EQ(map->update(&k, &v, BPF_NOEXIST), 0);
  }
  const std::uint32_t extra = 100;
  const std::uint64_t v = 1;
  EXPECT_EQ(map->update(&extra, &v, BPF_ANY), -E2BIG);
  EXPECT_EQ(map->user_update(&extra, &v, BPF_NOEXIST), -E2BIG);
  // Replacing values of a full map uses the spare elements, over and over.
  for (std::uint64_t round = 0; round < 50; ++round) {
    for (std::uint32_t k = 0; k < 8; ++k) {
      const std::uint64_t nv = round * 100 + k;
      ASSERT_EQ(map->update(&k, &nv, BPF_EXIST), 0);
    }
  }
  for (std::uint32_t k = 0; k < 8; ++k) EXPECT_EQ(user_get(*map, k), 4900U + k);
  const std::uint32_t gone = 3;
  ASSERT_EQ(map->erase(&gone), 0);
  EXPECT_EQ(map->update(&extra, &v, BPF_NOEXIST), 0);
  EXPECT_EQ(map->update(&gone, &v, BPF_NOEXIST), -E2BIG);
}

TEST(MapsHash, Delete) {
  auto map = make_map(map_spec("h", BPF_MAP_TYPE_HASH, 4, 8, 4));
  ASSERT_TRUE(map);
  const std::uint32_t key = 9;
  const std::uint64_t v = 99;
  EXPECT_EQ(map->erase(&key), -ENOENT);
  EXPECT_EQ(map->user_delete(&key), -ENOENT);
  ASSERT_EQ(map->update(&key, &v, BPF_ANY), 0);
  EXPECT_EQ(map->user_delete(&key), 0);
  EXPECT_EQ(map->lookup(&key), nullptr);
  std::uint64_t out = 0;
  EXPECT_EQ(map->user_lookup(&key, &out), -ENOENT);
  EXPECT_EQ(map->erase(&key), -ENOENT);
}

TEST(MapsHash, GetNextKeyVisitsEveryKeyExactlyOnce) {
  auto map = make_map(map_spec("h", BPF_MAP_TYPE_HASH, 4, 8, 1000));
  ASSERT_TRUE(map);
  std::uint32_t first = 0;
  EXPECT_EQ(map->get_next_key(nullptr, &first), -ENOENT);  // empty
  std::set<std::uint32_t> inserted;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const std::uint32_t key = i * 2654435761U;
    const std::uint64_t v = i;
    ASSERT_EQ(map->update(&key, &v, BPF_NOEXIST), 0);
    inserted.insert(key);
  }
  const auto keys = all_keys<std::uint32_t>(*map);
  EXPECT_EQ(keys.size(), 1000U);
  EXPECT_EQ(std::set<std::uint32_t>(keys.begin(), keys.end()), inserted);
  std::uint32_t next = 0;
  EXPECT_EQ(map->get_next_key(&keys.back(), &next), -ENOENT);
  // An absent key restarts from the first key, as htab_map_get_next_key() does.
  ASSERT_EQ(map->get_next_key(nullptr, &first), 0);
  const std::uint32_t absent = 1;  // 1 * 2654435761 != 1
  ASSERT_EQ(map->get_next_key(&absent, &next), 0);
  EXPECT_EQ(next, first);
}

TEST(MapsHash, UpdateReplacesTheElementSoAnOldPointerSeesTheWholeOldValue) {
  struct Big {
    std::uint64_t a, b, c;
  };
  auto map = make_map(map_spec("h", BPF_MAP_TYPE_HASH, 4, 24, 4));
  ASSERT_TRUE(map);
  const std::uint32_t key = 1;
  const Big old_value{1, 2, 3};
  ASSERT_EQ(map->update(&key, &old_value, BPF_ANY), 0);
  const auto* held = static_cast<const Big*>(map->lookup(&key));
  ASSERT_NE(held, nullptr);
  const Big new_value{4, 5, 6};
  ASSERT_EQ(map->update(&key, &new_value, BPF_EXIST), 0);
  EXPECT_EQ(held->a + held->b + held->c, 6U);  // still the old one, whole
  const auto* now = static_cast<const Big*>(map->lookup(&key));
  EXPECT_NE(now, held);
  EXPECT_EQ(now->a + now->b + now->c, 15U);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(now) % 8, 0U);
}

TEST(MapsHash, OddKeySizesCompareEveryByte) {
  auto map = make_map(map_spec("h", BPF_MAP_TYPE_HASH, 13, 3, 64));
  ASSERT_TRUE(map);
  std::array<std::uint8_t, 13> key{};
  for (std::uint8_t i = 0; i < 13; ++i) {
    key.fill(0);
    key[i] = 1;  // keys differing only in byte i
    const std::array<std::uint8_t, 3> v{i, static_cast<std::uint8_t>(i + 1), 0xAA};
    ASSERT_EQ(map->update(key.data(), v.data(), BPF_NOEXIST), 0);
  }
  for (std::uint8_t i = 0; i < 13; ++i) {
    key.fill(0);
    key[i] = 1;
    std::array<std::uint8_t, 3> v{};
    ASSERT_EQ(map->user_lookup(key.data(), v.data()), 0);
    EXPECT_EQ(v[0], i);
    EXPECT_EQ(v[2], 0xAA);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(map->lookup(key.data())) % 8, 0U);
  }
  using Key13 = std::array<std::uint8_t, 13>;
  EXPECT_EQ(all_keys<Key13>(*map).size(), 13U);
}

// A long random mix of operations against std::map: chains, the free list and the count stay consistent.
TEST(MapsHash, RandomOperationsMatchAModel) {
  auto map = make_map(map_spec("h", BPF_MAP_TYPE_HASH, 4, 8, 64));
  ASSERT_TRUE(map);
  std::map<std::uint32_t, std::uint64_t> model;
  std::mt19937 rng(12345);
  for (int i = 0; i < 30000; ++i) {
    const std::uint32_t key = rng() % 160;
    const std::uint64_t value = rng();
    const std::uint64_t flags = rng() % 3;
    const bool present = model.count(key) != 0;
    if (rng() % 3 == 0) {
      ASSERT_EQ(map->erase(&key), present ? 0 : -ENOENT);
      model.erase(key);
      continue;
    }
    long expected = 0;
    if (present && flags == BPF_NOEXIST) expected = -EEXIST;
    if (!present && flags == BPF_EXIST) expected = -ENOENT;
    if (!present && expected == 0 && model.size() == 64) expected = -E2BIG;
    ASSERT_EQ(map->update(&key, &value, flags), expected) << "op " << i;
    if (expected == 0) model[key] = value;
  }
  const auto keys = all_keys<std::uint32_t>(*map);
  ASSERT_EQ(keys.size(), model.size());
  for (std::uint32_t key : keys) EXPECT_EQ(user_get(*map, key), model.at(key));
}

TEST(MapsHash, ZeroSeedMakesPlacementReproducible) {
  auto a = make_map(map_spec("a", BPF_MAP_TYPE_HASH, 4, 8, 32, BPF_F_ZERO_SEED));
  auto b = make_map(map_spec("b", BPF_MAP_TYPE_HASH, 4, 8, 32, BPF_F_ZERO_SEED));
  ASSERT_TRUE(a && b);
  for (std::uint32_t k = 0; k < 20; ++k) {
    const std::uint64_t v = k;
    ASSERT_EQ(a->update(&k, &v, BPF_ANY), 0);
    ASSERT_EQ(b->update(&k, &v, BPF_ANY), 0);
  }
  EXPECT_EQ(all_keys<std::uint32_t>(*a), all_keys<std::uint32_t>(*b));
}

// ---- PERCPU_HASH

TEST(MapsPercpuHash, UserValuesCarryEveryCpu) {
  auto map = make_map(map_spec("ph", BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 8));
  ASSERT_TRUE(map);
  const std::uint32_t ncpus = possible_cpus();
  EXPECT_EQ(map->user_value_size(), 8U * ncpus);
  std::vector<std::uint64_t> in(ncpus);
  for (std::uint32_t c = 0; c < ncpus; ++c) in[c] = 7 * (c + 1);
  const std::uint32_t key = 3;
  ASSERT_EQ(map->user_update(&key, in.data(), BPF_NOEXIST), 0);
  std::vector<std::uint64_t> out(ncpus);
  ASSERT_EQ(map->user_lookup(&key, out.data()), 0);
  EXPECT_EQ(out, in);
  EXPECT_EQ(map->user_update(&key, in.data(), BPF_NOEXIST), -EEXIST);
  const std::uint32_t missing = 4;
  EXPECT_EQ(map->user_update(&missing, in.data(), BPF_EXIST), -ENOENT);
}

TEST(MapsPercpuHash, ProgramUpdatesOnlyItsCpuAndANewKeyStartsZeroElsewhere) {
  auto map = make_map(map_spec("ph", BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 8));
  ASSERT_TRUE(map);
  const std::uint32_t ncpus = possible_cpus();
  const std::uint32_t key = 1;
  std::vector<std::uint64_t> garbage(ncpus, 0xdead);
  // Leave old bytes in the element the key will reuse, then delete it.
  ASSERT_EQ(map->user_update(&key, garbage.data(), BPF_ANY), 0);
  ASSERT_EQ(map->erase(&key), 0);
  {
    PinnedToCpu pin(0);
    ASSERT_TRUE(pin.ok());
    const std::uint64_t v = 11;
    ASSERT_EQ(map->update(&key, &v, BPF_NOEXIST), 0);
    EXPECT_EQ(*static_cast<std::uint64_t*>(map->lookup(&key)), 11U);
  }
  std::vector<std::uint64_t> out(ncpus);
  ASSERT_EQ(map->user_lookup(&key, out.data()), 0);
  std::vector<std::uint64_t> expected(ncpus, 0);
  expected[0] = 11;
  EXPECT_EQ(out, expected);
  if (ncpus > 1) {
    PinnedToCpu pin(1);
    ASSERT_TRUE(pin.ok());
    const std::uint64_t v = 22;
    ASSERT_EQ(map->update(&key, &v, BPF_EXIST), 0);  // in place, this CPU only
    ASSERT_EQ(map->user_lookup(&key, out.data()), 0);
    EXPECT_EQ(out[0], 11U);
    EXPECT_EQ(out[1], 22U);
  }
}

TEST(MapsPercpuHash, FullDeleteAndIteration) {
  auto map = make_map(map_spec("ph", BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 4));
  ASSERT_TRUE(map);
  const std::vector<std::uint64_t> v(possible_cpus(), 5);
  for (std::uint32_t k = 10; k < 14; ++k) ASSERT_EQ(map->user_update(&k, v.data(), BPF_ANY), 0);
  const std::uint32_t extra = 20;
  EXPECT_EQ(map->user_update(&extra, v.data(), BPF_ANY), -E2BIG);
  const auto keys = all_keys<std::uint32_t>(*map);
  EXPECT_EQ(keys.size(), 4U);
  EXPECT_EQ(std::set<std::uint32_t>(keys.begin(), keys.end()), (std::set<std::uint32_t>{10, 11, 12, 13}));
  const std::uint32_t k = 12;
  EXPECT_EQ(map->user_delete(&k), 0);
  EXPECT_EQ(map->user_delete(&k), -ENOENT);
  EXPECT_EQ(map->user_update(&extra, v.data(), BPF_ANY), 0);
}

}  // namespace
}  // namespace ubee::test
