// QUEUE and STACK: kernel/bpf/queue_stack_maps.c semantics.
#include <cerrno>
#include <thread>

#include "maps_test_util.hpp"
#include "ubee/maps.hpp"

namespace ubee::test {
namespace {

std::vector<std::uint64_t> drain(Map& map) {
  std::vector<std::uint64_t> out;
  std::uint64_t v = 0;
  while (map.pop(&v) == 0) out.push_back(v);
  return out;
}

void push_all(Map& map, std::initializer_list<std::uint64_t> values, std::uint64_t flags = BPF_ANY) {
  for (std::uint64_t v : values) ASSERT_EQ(map.push(&v, flags), 0) << v;
}

TEST(MapsQueue, FirstInFirstOut) {
  auto map = make_map(map_spec("q", BPF_MAP_TYPE_QUEUE, 0, 8, 4));
  ASSERT_TRUE(map);
  push_all(*map, {1, 2, 3});
  std::uint64_t v = 0;
  ASSERT_EQ(map->peek(&v), 0);
  EXPECT_EQ(v, 1U);
  EXPECT_EQ(drain(*map), (std::vector<std::uint64_t>{1, 2, 3}));
  v = 77;
  EXPECT_EQ(map->pop(&v), -ENOENT);
  EXPECT_EQ(v, 0U);  // the kernel zeroes the value of a failed pop/peek
  v = 77;
  EXPECT_EQ(map->peek(&v), -ENOENT);
  EXPECT_EQ(v, 0U);
}

TEST(MapsQueue, FullQueueRefusesOrOverwritesTheOldestWithExist) {
  auto map = make_map(map_spec("q", BPF_MAP_TYPE_QUEUE, 0, 8, 3));
  ASSERT_TRUE(map);
  push_all(*map, {1, 2, 3});
  const std::uint64_t four = 4;
  EXPECT_EQ(map->push(&four, BPF_ANY), -E2BIG);
  EXPECT_EQ(map->push(&four, BPF_EXIST), 0);
  const std::uint64_t five = 5;
  EXPECT_EQ(map->push(&five, BPF_EXIST), 0);
  EXPECT_EQ(drain(*map), (std::vector<std::uint64_t>{3, 4, 5}));
}

TEST(MapsQueue, WrapsAroundItsRing) {
  auto map = make_map(map_spec("q", BPF_MAP_TYPE_QUEUE, 0, 8, 3));
  ASSERT_TRUE(map);
  std::uint64_t next_in = 0;
  std::uint64_t next_out = 0;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 2; ++i, ++next_in) ASSERT_EQ(map->push(&next_in, BPF_ANY), 0);
    for (int i = 0; i < 2; ++i, ++next_out) {
      std::uint64_t v = 0;
      ASSERT_EQ(map->pop(&v), 0);
      ASSERT_EQ(v, next_out);
    }
  }
}

TEST(MapsQueueStack, FlagsAndKeyedOperations) {
  for (std::uint32_t type : {BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK}) {
    auto map = make_map(map_spec("qs", type, 0, 8, 4));
    ASSERT_TRUE(map);
    const std::uint64_t v = 1;
    EXPECT_EQ(map->push(&v, BPF_NOEXIST), -EINVAL);
    EXPECT_EQ(map->push(&v, BPF_EXIST + 1), -EINVAL);
    EXPECT_EQ(map->lookup(nullptr), nullptr);
    EXPECT_EQ(map->update(nullptr, &v, BPF_ANY), -EINVAL);
    EXPECT_EQ(map->erase(nullptr), -EINVAL);
    EXPECT_EQ(map->user_delete(nullptr), -EINVAL);
    std::uint64_t next = 0;
    EXPECT_EQ(map->get_next_key(nullptr, &next), -EINVAL);
    // bpf(2): update pushes, lookup peeks.
    const std::uint64_t pushed = 42;
    ASSERT_EQ(map->user_update(nullptr, &pushed, BPF_ANY), 0);
    std::uint64_t seen = 0;
    ASSERT_EQ(map->user_lookup(nullptr, &seen), 0);
    EXPECT_EQ(seen, 42U);
    EXPECT_EQ(drain(*map), (std::vector<std::uint64_t>{42}));
  }
}

TEST(MapsStack, LastInFirstOut) {
  auto map = make_map(map_spec("s", BPF_MAP_TYPE_STACK, 0, 8, 4));
  ASSERT_TRUE(map);
  push_all(*map, {1, 2, 3});
  std::uint64_t v = 0;
  ASSERT_EQ(map->peek(&v), 0);
  EXPECT_EQ(v, 3U);
  EXPECT_EQ(drain(*map), (std::vector<std::uint64_t>{3, 2, 1}));
  EXPECT_EQ(map->peek(&v), -ENOENT);
}

TEST(MapsStack, FullStackOverwritesTheOldestWithExist) {
  auto map = make_map(map_spec("s", BPF_MAP_TYPE_STACK, 0, 8, 3));
  ASSERT_TRUE(map);
  push_all(*map, {1, 2, 3});
  const std::uint64_t four = 4;
  EXPECT_EQ(map->push(&four, BPF_ANY), -E2BIG);
  EXPECT_EQ(map->push(&four, BPF_EXIST), 0);  // 1, the bottom, is dropped
  EXPECT_EQ(drain(*map), (std::vector<std::uint64_t>{4, 3, 2}));
  // Interleaved push/pop across the ring's end.
  push_all(*map, {10, 11});
  std::uint64_t v = 0;
  ASSERT_EQ(map->pop(&v), 0);
  EXPECT_EQ(v, 11U);
  push_all(*map, {12, 13});
  EXPECT_EQ(map->push(&four, BPF_EXIST), 0);  // drops 10
  EXPECT_EQ(drain(*map), (std::vector<std::uint64_t>{4, 13, 12}));
}

TEST(MapsQueue, OddValueSizesCopyExactlyValueSizeBytes) {
  struct V {
    std::uint8_t b[5];
  };
  auto map = make_map(map_spec("q", BPF_MAP_TYPE_QUEUE, 0, 5, 2));
  ASSERT_TRUE(map);
  const V a{{1, 2, 3, 4, 5}};
  ASSERT_EQ(map->push(&a, BPF_ANY), 0);
  std::uint8_t out[8] = {9, 9, 9, 9, 9, 9, 9, 9};
  ASSERT_EQ(map->pop(out), 0);
  EXPECT_EQ(out[4], 5);
  EXPECT_EQ(out[5], 9);  // nothing past value_size written
}

TEST(MapsQueue, ConcurrentProducersAndConsumersLoseNothing) {
  auto map = make_map(map_spec("q", BPF_MAP_TYPE_QUEUE, 0, 8, 64));
  ASSERT_TRUE(map);
  constexpr std::uint64_t kPerProducer = 50000;
  std::atomic<std::uint64_t> popped_sum{0};
  std::atomic<std::uint64_t> popped_count{0};
  std::vector<std::thread> threads;
  for (std::uint64_t p = 0; p < 2; ++p) {
    threads.emplace_back([&map, p] {
      for (std::uint64_t i = 1; i <= kPerProducer; ++i) {
        const std::uint64_t v = i + p * kPerProducer;
        while (map->push(&v, BPF_ANY) == -E2BIG) std::this_thread::yield();
      }
    });
  }
  for (int c = 0; c < 2; ++c) {
    threads.emplace_back([&] {
      std::uint64_t v = 0;
      while (popped_count.load() < 2 * kPerProducer) {
        if (map->pop(&v) != 0) {
          std::this_thread::yield();
          continue;
        }
        popped_sum += v;
        ++popped_count;
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::uint64_t n = 2 * kPerProducer;
  EXPECT_EQ(popped_count.load(), n);
  EXPECT_EQ(popped_sum.load(), n * (n + 1) / 2);
}

}  // namespace
}  // namespace ubee::test
