// BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY: kernel/bpf/arraymap.c semantics.
#include <cerrno>
#include <cstring>
#include <array>
#include <thread>

#include "maps_test_util.hpp"
#include "ubee/maps.hpp"

namespace ubee::test {
namespace {

struct Value12 {
  std::uint32_t a, b, c;
};

TEST(MapsArray, ValuesStartZeroed) {
  auto map = make_map(map_spec("arr", BPF_MAP_TYPE_ARRAY, 4, 12, 8));
  ASSERT_TRUE(map);
  for (std::uint32_t i = 0; i < 8; ++i) {
    const auto* v = static_cast<const Value12*>(map->lookup(&i));
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->a | v->b | v->c, 0U);
    Value12 copy{1, 1, 1};
    ASSERT_EQ(map->user_lookup(&i, &copy), 0);
    EXPECT_EQ(copy.a | copy.b | copy.c, 0U);
  }
}

TEST(MapsArray, UpdateFlagsFollowTheKernel) {
  auto map = make_map(map_spec("arr", BPF_MAP_TYPE_ARRAY, 4, 8, 4));
  ASSERT_TRUE(map);
  const std::uint32_t key = 2;
  std::uint64_t v = 41;
  EXPECT_EQ(map->update(&key, &v, BPF_ANY), 0);
  v = 42;
  EXPECT_EQ(map->update(&key, &v, BPF_EXIST), 0);  // every element exists
  v = 43;
  EXPECT_EQ(map->update(&key, &v, BPF_NOEXIST), -EEXIST);
  EXPECT_EQ(map->user_update(&key, &v, BPF_NOEXIST), -EEXIST);
  EXPECT_EQ(map->update(&key, &v, BPF_EXIST + 1), -EINVAL);
  EXPECT_EQ(map->update(&key, &v, BPF_F_LOCK), -EINVAL);  // no bpf_spin_lock in the value
  std::uint64_t seen = 0;
  ASSERT_EQ(map->user_lookup(&key, &seen), 0);
  EXPECT_EQ(seen, 42U);
  EXPECT_EQ(*static_cast<std::uint64_t*>(map->lookup(&key)), 42U);
}

TEST(MapsArray, OutOfRangeIndexes) {
  auto map = make_map(map_spec("arr", BPF_MAP_TYPE_ARRAY, 4, 8, 4));
  ASSERT_TRUE(map);
  const std::uint64_t v = 1;
  for (std::uint32_t key : {4U, 5U, 0xffffffffU}) {
    EXPECT_EQ(map->lookup(&key), nullptr);
    EXPECT_EQ(map->update(&key, &v, BPF_ANY), -E2BIG);
    EXPECT_EQ(map->user_update(&key, &v, BPF_ANY), -E2BIG);
    std::uint64_t out = 0;
    EXPECT_EQ(map->user_lookup(&key, &out), -ENOENT);
  }
}

TEST(MapsArray, DeleteIsInvalid) {
  auto map = make_map(map_spec("arr", BPF_MAP_TYPE_ARRAY, 4, 8, 4));
  ASSERT_TRUE(map);
  const std::uint32_t key = 1;
  EXPECT_EQ(map->erase(&key), -EINVAL);
  EXPECT_EQ(map->user_delete(&key), -EINVAL);
  EXPECT_NE(map->lookup(&key), nullptr);
}

TEST(MapsArray, GetNextKeyVisitsEveryIndexOnce) {
  auto map = make_map(map_spec("arr", BPF_MAP_TYPE_ARRAY, 4, 8, 100));
  ASSERT_TRUE(map);
  const auto keys = all_keys<std::uint32_t>(*map);
  ASSERT_EQ(keys.size(), 100U);
  for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(keys[i], i);
  std::uint32_t next = 99;
  const std::uint32_t last = 99;
  EXPECT_EQ(map->get_next_key(&last, &next), -ENOENT);
  const std::uint32_t past = 1000;  // an absent key restarts at 0
  ASSERT_EQ(map->get_next_key(&past, &next), 0);
  EXPECT_EQ(next, 0U);
}

TEST(MapsArray, ValuesAreEightByteAlignedAndUpdatedInPlace) {
  auto map = make_map(map_spec("arr", BPF_MAP_TYPE_ARRAY, 4, 12, 4));
  ASSERT_TRUE(map);
  const std::uint32_t k0 = 0;
  const std::uint32_t k1 = 1;
  auto* v0 = static_cast<std::byte*>(map->lookup(&k0));
  auto* v1 = static_cast<std::byte*>(map->lookup(&k1));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v0) % 8, 0U);
  EXPECT_EQ(v1 - v0, 16);  // round_up(12, 8)
  // A program writes through the pointer; user space sees it, and an update lands in the same place.
  static_cast<Value12*>(static_cast<void*>(v1))->b = 77;
  Value12 seen{};
  ASSERT_EQ(map->user_lookup(&k1, &seen), 0);
  EXPECT_EQ(seen.b, 77U);
  const Value12 next{1, 2, 3};
  ASSERT_EQ(map->update(&k1, &next, BPF_ANY), 0);
  EXPECT_EQ(static_cast<Value12*>(static_cast<void*>(v1))->c, 3U);
  EXPECT_EQ(map->user_value_size(), 12U);
}

TEST(MapsArray, AtomicAddOnAValueIsAtomic) {
  auto map = make_map(map_spec("arr", BPF_MAP_TYPE_ARRAY, 4, 8, 1));
  ASSERT_TRUE(map);
  const std::uint32_t key = 0;
  auto* counter = static_cast<std::uint64_t*>(map->lookup(&key));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([counter] {
      for (int i = 0; i < 50000; ++i) __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
    });
  }
  for (auto& t : threads) t.join();
  std::uint64_t total = 0;
  ASSERT_EQ(map->user_lookup(&key, &total), 0);
  EXPECT_EQ(total, 200000U);
}

TEST(MapsArray, InitialValueIsElementZero) {
  MapSpec spec = map_spec(".data", BPF_MAP_TYPE_ARRAY, 4, 16, 2, BPF_F_MMAPABLE);
  spec.initial_value = {1, 2, 3, 4, 5};
  auto map = make_map(spec);
  ASSERT_TRUE(map);
  std::uint8_t bytes[16];
  const std::uint32_t k0 = 0;
  ASSERT_EQ(map->user_lookup(&k0, bytes), 0);
  const std::uint8_t expected[16] = {1, 2, 3, 4, 5};
  EXPECT_EQ(std::memcmp(bytes, expected, 16), 0);
  const std::uint32_t k1 = 1;
  ASSERT_EQ(map->user_lookup(&k1, bytes), 0);
  EXPECT_EQ(std::memcmp(bytes, std::array<std::uint8_t, 16>{}.data(), 16), 0);
  // Opening the region again must not re-apply it over what the program wrote since.
  static_cast<std::uint8_t*>(map->lookup(&k0))[0] = 9;
  auto view = open_shared_map(spec, map->shared_fd());
  ASSERT_TRUE(view.ok());
  ASSERT_EQ((*view)->user_lookup(&k0, bytes), 0);
  EXPECT_EQ(bytes[0], 9);
}

// ---- PERCPU_ARRAY

TEST(MapsPercpuArray, UserValueHasOneEightByteSlotPerCpu) {
  auto map = make_map(map_spec("pc", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 3));
  ASSERT_TRUE(map);
  const std::uint32_t ncpus = possible_cpus();
  EXPECT_EQ(map->user_value_size(), 8U * ncpus);
  std::vector<std::uint64_t> in(ncpus);
  for (std::uint32_t c = 0; c < ncpus; ++c) in[c] = 0x100 + c;
  const std::uint32_t key = 2;
  ASSERT_EQ(map->user_update(&key, in.data(), BPF_ANY), 0);
  std::vector<std::uint64_t> out(ncpus, 0);
  ASSERT_EQ(map->user_lookup(&key, out.data()), 0);
  EXPECT_EQ(out, in);
  EXPECT_EQ(map->user_update(&key, in.data(), BPF_NOEXIST), -EEXIST);
  const std::uint32_t other = 1;
  ASSERT_EQ(map->user_lookup(&other, out.data()), 0);
  EXPECT_EQ(out, std::vector<std::uint64_t>(ncpus, 0));
}

TEST(MapsPercpuArray, ProgramSideUsesTheCurrentCpuSlot) {
  auto map = make_map(map_spec("pc", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2));
  ASSERT_TRUE(map);
  const std::uint32_t ncpus = possible_cpus();
  const std::uint32_t key = 1;
  std::vector<bool> pinned(ncpus, false);
  for (std::uint32_t cpu = 0; cpu < ncpus; ++cpu) {
    PinnedToCpu pin(static_cast<int>(cpu));
    if (!pin.ok()) continue;
    pinned[cpu] = true;
    const std::uint64_t v = 1000 + cpu;
    ASSERT_EQ(map->update(&key, &v, BPF_ANY), 0);
    *static_cast<std::uint64_t*>(map->lookup(&key)) += 1;
  }
  std::vector<std::uint64_t> out(ncpus);
  ASSERT_EQ(map->user_lookup(&key, out.data()), 0);
  for (std::uint32_t cpu = 0; cpu < ncpus; ++cpu) {
    EXPECT_EQ(out[cpu], pinned[cpu] ? 1001 + cpu : 0) << "cpu " << cpu;
  }
}

TEST(MapsPercpuArray, IterationAndDeleteMatchArray) {
  auto map = make_map(map_spec("pc", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, 5));
  ASSERT_TRUE(map);
  const auto keys = all_keys<std::uint32_t>(*map);
  EXPECT_EQ(keys, (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
  const std::uint32_t key = 0;
  EXPECT_EQ(map->user_delete(&key), -EINVAL);
  EXPECT_EQ(map->user_value_size(), 16U * possible_cpus());
}

}  // namespace
}  // namespace ubee::test
