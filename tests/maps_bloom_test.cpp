// BLOOM_FILTER: kernel/bpf/bloom_filter.c semantics.
#include <cerrno>

#include "maps_test_util.hpp"
#include "ubee/maps.hpp"

namespace ubee::test {
namespace {

std::uint64_t present_key(std::uint64_t i) { return i * 0x9E3779B97F4A7C15ULL; }
std::uint64_t absent_key(std::uint64_t i) { return present_key(i) ^ 0x5555'0000'0000'0001ULL; }

// Fraction of 10,000 never-pushed keys the filter says may be present, after pushing 10,000 keys.
double false_positive_rate(Map& map) {
  for (std::uint64_t i = 0; i < 10000; ++i) {
    const std::uint64_t k = present_key(i);
    EXPECT_EQ(map.push(&k, BPF_ANY), 0);
  }
  int positives = 0;
  for (std::uint64_t i = 0; i < 10000; ++i) {
    std::uint64_t k = absent_key(i);
    positives += map.peek(&k) == 0 ? 1 : 0;
  }
  return positives / 10000.0;
}

TEST(MapsBloom, NoFalseNegativesOverTenThousandKeys) {
  auto map = make_map(map_spec("bloom", BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 10000));
  ASSERT_TRUE(map);
  std::uint64_t k = present_key(1);
  EXPECT_EQ(map->peek(&k), -ENOENT);  // empty
  for (std::uint64_t i = 0; i < 10000; ++i) {
    k = present_key(i);
    ASSERT_EQ(map->push(&k, BPF_ANY), 0);
  }
  int misses = 0;
  for (std::uint64_t i = 0; i < 10000; ++i) {
    k = present_key(i);
    misses += map->peek(&k) == 0 ? 0 : 1;
  }
  EXPECT_EQ(misses, 0);
}

// 5 hashes over 131072 bits (70000 rounded up to a power of 2): (1 - e^(-5 * 10000 / 131072))^5 = 0.3%.
TEST(MapsBloom, FalsePositiveRateWithTheDefaultFiveHashes) {
  auto map = make_map(map_spec("bloom", BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 10000));
  ASSERT_TRUE(map);
  const double rate = false_positive_rate(*map);
  EXPECT_LT(rate, 0.02);
}

// map_extra = 1: one hash over 16384 bits, 1 - e^(-10000 / 16384) = 46%.
TEST(MapsBloom, MapExtraSetsTheNumberOfHashes) {
  MapSpec spec = map_spec("bloom1", BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 10000);
  spec.map_extra = 1;
  auto map = make_map(spec);
  ASSERT_TRUE(map);
  const double rate = false_positive_rate(*map);
  EXPECT_GT(rate, 0.35);
  EXPECT_LT(rate, 0.57);
}

TEST(MapsBloom, OnlyPushAndPeek) {
  auto map = make_map(map_spec("bloom", BPF_MAP_TYPE_BLOOM_FILTER, 0, 12, 100));
  ASSERT_TRUE(map);
  const std::uint8_t value[12] = {1, 2, 3};
  EXPECT_EQ(map->push(value, BPF_NOEXIST), -EINVAL);
  EXPECT_EQ(map->push(value, BPF_EXIST), -EINVAL);
  std::uint8_t out[12] = {};
  EXPECT_EQ(map->pop(out), -EOPNOTSUPP);
  EXPECT_EQ(map->lookup(value), nullptr);
  EXPECT_EQ(map->update(nullptr, value, BPF_ANY), -EINVAL);
  EXPECT_EQ(map->erase(value), -EOPNOTSUPP);
  EXPECT_EQ(map->user_delete(value), -EOPNOTSUPP);
  EXPECT_EQ(map->get_next_key(nullptr, out), -EOPNOTSUPP);
  // bpf(2): update pushes, lookup peeks (the value is the element).
  std::uint8_t probe[12] = {1, 2, 3};
  EXPECT_EQ(map->user_lookup(nullptr, probe), -ENOENT);
  ASSERT_EQ(map->user_update(nullptr, value, BPF_ANY), 0);
  EXPECT_EQ(map->user_lookup(nullptr, probe), 0);
  EXPECT_EQ(map->peek(probe), 0);
}

}  // namespace
}  // namespace ubee::test
