// PROG_ARRAY, ARRAY_OF_MAPS and HASH_OF_MAPS: the fd-holding maps, with ids instead of fds.
#include <cerrno>
#include <set>

#include "maps_test_util.hpp"
#include "ubee/map_types.hpp"
#include "ubee/maps.hpp"

namespace ubee::test {
namespace {

std::shared_ptr<ProgArrayMap> prog_array(std::uint32_t max_entries) {
  return std::dynamic_pointer_cast<ProgArrayMap>(make_map(map_spec("jmp", BPF_MAP_TYPE_PROG_ARRAY, 4, 4,
                                                                   max_entries)));
}

TEST(MapsProgArray, StoresClearsAndResolvesProgramIds) {
  auto map = prog_array(4);
  ASSERT_TRUE(map);
  const std::uint32_t slot = 2;
  EXPECT_EQ(map->program_at(slot), std::nullopt);
  std::uint32_t id = 0;
  EXPECT_EQ(map->user_lookup(&slot, &id), -ENOENT);
  const std::uint32_t prog = 1234;
  ASSERT_EQ(map->user_update(&slot, &prog, BPF_ANY), 0);
  EXPECT_EQ(map->program_at(slot), 1234U);
  ASSERT_EQ(map->user_lookup(&slot, &id), 0);
  EXPECT_EQ(id, 1234U);
  const std::uint32_t zero_id = 0;  // any id the engine hands out, 0 included
  const std::uint32_t other = 3;
  ASSERT_EQ(map->user_update(&other, &zero_id, BPF_ANY), 0);
  EXPECT_EQ(map->program_at(other), 0U);
  EXPECT_EQ(map->user_delete(&slot), 0);
  EXPECT_EQ(map->program_at(slot), std::nullopt);
  EXPECT_EQ(map->user_delete(&slot), -ENOENT);
  EXPECT_EQ(map->program_at(other), 0U);
}

TEST(MapsProgArray, KernelErrors) {
  auto map = prog_array(4);
  ASSERT_TRUE(map);
  const std::uint32_t prog = 7;
  const std::uint32_t past = 4;
  EXPECT_EQ(map->user_update(&past, &prog, BPF_ANY), -E2BIG);
  EXPECT_EQ(map->user_delete(&past), -E2BIG);
  EXPECT_EQ(map->program_at(past), std::nullopt);
  EXPECT_EQ(map->program_at(0xffffffffU), std::nullopt);
  const std::uint32_t slot = 0;
  EXPECT_EQ(map->user_update(&slot, &prog, BPF_NOEXIST), -EINVAL);
  EXPECT_EQ(map->user_update(&slot, &prog, BPF_EXIST), -EINVAL);
  // Programs may only tail-call through it.
  EXPECT_EQ(map->lookup(&slot), nullptr);
  EXPECT_EQ(map->update(&slot, &prog, BPF_ANY), -EOPNOTSUPP);
  EXPECT_EQ(map->erase(&slot), -EOPNOTSUPP);
  EXPECT_EQ(map->program_at(slot), std::nullopt);
  EXPECT_EQ(all_keys<std::uint32_t>(*map), (std::vector<std::uint32_t>{0, 1, 2, 3}));
}

MapSpec outer_spec(std::uint32_t type, const MapSpec& inner, std::uint32_t max_entries = 4) {
  MapSpec spec = map_spec("outer", type, 4, 4, max_entries);
  spec.inner = std::make_shared<MapSpec>(inner);
  return spec;
}

std::shared_ptr<MapOfMaps> map_of_maps(const MapSpec& spec) {
  return std::dynamic_pointer_cast<MapOfMaps>(make_map(spec));
}

TEST(MapsArrayOfMaps, StoresInnerMapsByIdAndProgramsGetTheMapItself) {
  const MapSpec inner = map_spec("inner", BPF_MAP_TYPE_ARRAY, 4, 8, 4);
  auto outer = map_of_maps(outer_spec(BPF_MAP_TYPE_ARRAY_OF_MAPS, inner));
  ASSERT_TRUE(outer);
  auto a = make_map(inner);
  const std::uint32_t slot = 1;
  const std::uint32_t a_id = a->id();
  EXPECT_EQ(outer->lookup(&slot), nullptr);
  ASSERT_EQ(outer->user_update(&slot, &a_id, BPF_ANY), 0);
  EXPECT_EQ(outer->lookup(&slot), static_cast<void*>(a.get()));
  EXPECT_EQ(outer->inner_at(&slot), a);
  std::uint32_t id = 0;
  ASSERT_EQ(outer->user_lookup(&slot, &id), 0);
  EXPECT_EQ(id, a_id);
  // A program uses the pointer as the map of its next call.
  auto* inner_map = static_cast<Map*>(outer->lookup(&slot));
  const std::uint32_t key = 3;
  const std::uint64_t v = 99;
  ASSERT_EQ(inner_map->update(&key, &v, BPF_ANY), 0);
  std::uint64_t seen = 0;
  ASSERT_EQ(a->user_lookup(&key, &seen), 0);
  EXPECT_EQ(seen, 99U);
}

TEST(MapsArrayOfMaps, InnerMapMustExistAndMatchTheShape) {
  const MapSpec inner = map_spec("inner", BPF_MAP_TYPE_ARRAY, 4, 8, 4);
  auto outer = map_of_maps(outer_spec(BPF_MAP_TYPE_ARRAY_OF_MAPS, inner));
  ASSERT_TRUE(outer);
  auto wrong_value = make_map(map_spec("w", BPF_MAP_TYPE_ARRAY, 4, 16, 4));
  auto wrong_size = make_map(map_spec("w", BPF_MAP_TYPE_ARRAY, 4, 8, 5));  // arrays compare max_entries
  auto wrong_type = make_map(map_spec("w", BPF_MAP_TYPE_HASH, 4, 8, 4));
  auto wrong_flags = make_map(map_spec("w", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_RDONLY_PROG));
  const std::uint32_t slot = 0;
  for (const auto& m : {wrong_value, wrong_size, wrong_type, wrong_flags}) {
    const std::uint32_t id = m->id();
    EXPECT_EQ(outer->user_update(&slot, &id, BPF_ANY), -EINVAL) << m->spec().type;
  }
  const std::uint32_t no_such_map = 0xfffffff0U;
  EXPECT_EQ(outer->user_update(&slot, &no_such_map, BPF_ANY), -EINVAL);
  EXPECT_EQ(outer->lookup(&slot), nullptr);
}

TEST(MapsArrayOfMaps, ArrayRules) {
  const MapSpec inner = map_spec("inner", BPF_MAP_TYPE_ARRAY, 4, 8, 4);
  auto outer = map_of_maps(outer_spec(BPF_MAP_TYPE_ARRAY_OF_MAPS, inner));
  ASSERT_TRUE(outer);
  auto a = make_map(inner);
  const std::uint32_t id = a->id();
  const std::uint32_t slot = 3;
  const std::uint32_t past = 4;
  EXPECT_EQ(outer->user_update(&slot, &id, BPF_NOEXIST), -EINVAL);  // fd arrays take BPF_ANY only
  EXPECT_EQ(outer->user_update(&past, &id, BPF_ANY), -E2BIG);
  EXPECT_EQ(outer->user_delete(&past), -E2BIG);
  EXPECT_EQ(outer->user_delete(&slot), -ENOENT);
  std::uint32_t out = 0;
  EXPECT_EQ(outer->user_lookup(&slot, &out), -ENOENT);
  ASSERT_EQ(outer->user_update(&slot, &id, BPF_ANY), 0);
  EXPECT_EQ(outer->user_delete(&slot), 0);
  EXPECT_EQ(outer->lookup(&slot), nullptr);
  EXPECT_EQ(outer->inner_at(&slot), nullptr);
  EXPECT_EQ(outer->update(&slot, &id, BPF_ANY), -EOPNOTSUPP);
  EXPECT_EQ(outer->erase(&slot), -EOPNOTSUPP);
  EXPECT_EQ(all_keys<std::uint32_t>(*outer), (std::vector<std::uint32_t>{0, 1, 2, 3}));
}

TEST(MapsArrayOfMaps, InnerMapFlagAllowsOtherSizes) {
  const MapSpec inner = map_spec("inner", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_INNER_MAP);
  auto outer = map_of_maps(outer_spec(BPF_MAP_TYPE_ARRAY_OF_MAPS, inner));
  ASSERT_TRUE(outer);
  auto big = make_map(map_spec("big", BPF_MAP_TYPE_ARRAY, 4, 8, 64, BPF_F_INNER_MAP));
  const std::uint32_t id = big->id();
  const std::uint32_t slot = 0;
  EXPECT_EQ(outer->user_update(&slot, &id, BPF_ANY), 0);
  EXPECT_EQ(outer->inner_at(&slot), big);
}

TEST(MapsArrayOfMaps, TheOuterMapKeepsInnerMapsAlive) {
  const MapSpec inner = map_spec("inner", BPF_MAP_TYPE_HASH, 4, 8, 4);
  auto outer = map_of_maps(outer_spec(BPF_MAP_TYPE_ARRAY_OF_MAPS, inner));
  ASSERT_TRUE(outer);
  auto a = make_map(inner);
  const std::uint32_t id = a->id();
  const std::uint32_t slot = 0;
  ASSERT_EQ(outer->user_update(&slot, &id, BPF_ANY), 0);
  Map* raw = a.get();
  a.reset();
  EXPECT_EQ(find_map(id).get(), raw);
  EXPECT_EQ(outer->lookup(&slot), static_cast<void*>(raw));
  // Replaced, it still lives: a program may hold the pointer it looked up.
  auto b = make_map(inner);
  const std::uint32_t b_id = b->id();
  ASSERT_EQ(outer->user_update(&slot, &b_id, BPF_ANY), 0);
  EXPECT_EQ(find_map(id).get(), raw);
  const std::uint32_t k = 1;
  const std::uint64_t v = 2;
  EXPECT_EQ(raw->update(&k, &v, BPF_ANY), 0);
  outer.reset();
  EXPECT_EQ(find_map(id), nullptr);
}

TEST(MapsHashOfMaps, HashRulesAndLookups) {
  const MapSpec inner = map_spec("inner", BPF_MAP_TYPE_HASH, 4, 4, 16);
  auto outer = map_of_maps(outer_spec(BPF_MAP_TYPE_HASH_OF_MAPS, inner, 2));
  ASSERT_TRUE(outer);
  auto a = make_map(inner);
  auto bigger = make_map(map_spec("bigger", BPF_MAP_TYPE_HASH, 4, 4, 64));  // hashes don't compare max_entries
  const std::uint32_t ka = 100;
  const std::uint32_t kb = 200;
  const std::uint32_t a_id = a->id();
  const std::uint32_t big_id = bigger->id();
  EXPECT_EQ(outer->user_update(&ka, &a_id, BPF_EXIST), -ENOENT);
  ASSERT_EQ(outer->user_update(&ka, &a_id, BPF_NOEXIST), 0);
  EXPECT_EQ(outer->user_update(&ka, &a_id, BPF_NOEXIST), -EEXIST);
  ASSERT_EQ(outer->user_update(&kb, &big_id, BPF_ANY), 0);
  const std::uint32_t kc = 300;
  EXPECT_EQ(outer->user_update(&kc, &a_id, BPF_ANY), -E2BIG);
  EXPECT_EQ(outer->lookup(&ka), static_cast<void*>(a.get()));
  EXPECT_EQ(outer->inner_at(&kb), bigger);
  EXPECT_EQ(outer->lookup(&kc), nullptr);
  const auto keys = all_keys<std::uint32_t>(*outer);
  EXPECT_EQ(std::set<std::uint32_t>(keys.begin(), keys.end()), (std::set<std::uint32_t>{100, 200}));
  EXPECT_EQ(outer->user_delete(&ka), 0);
  EXPECT_EQ(outer->user_delete(&ka), -ENOENT);
  EXPECT_EQ(outer->lookup(&ka), nullptr);
  auto wrong = make_map(map_spec("w", BPF_MAP_TYPE_HASH, 8, 4, 16));
  const std::uint32_t wrong_id = wrong->id();
  EXPECT_EQ(outer->user_update(&ka, &wrong_id, BPF_ANY), -EINVAL);
}

}  // namespace
}  // namespace ubee::test
