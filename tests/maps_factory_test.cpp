// create_map()'s checks (the kernel's map_alloc_check rules), ids and find_map(), CPU slots, open_shared_map().
#include <cerrno>
#include <fstream>
#include <thread>

#include "maps_test_util.hpp"
#include "ubee/maps.hpp"

namespace ubee::test {
namespace {

// The error create_map() gives, or "" when it succeeds.
std::string create_error(const MapSpec& spec) {
  auto map = create_map(spec);
  return map.ok() ? std::string() : map.error().to_string();
}

TEST(MapsFactory, ArrayKeySizeErrorNamesTheMapAndTheRule) {
  auto map = create_map(map_spec("counts", BPF_MAP_TYPE_ARRAY, 8, 8, 4));
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.error().code, Errc::invalid_argument);
  EXPECT_EQ(map.error().to_string(), "map 'counts': key_size must be 4 for array maps");
}

TEST(MapsFactory, SizeAndEntryRules) {
  EXPECT_EQ(create_error(map_spec("m", BPF_MAP_TYPE_ARRAY, 4, 0, 4)),
            "map 'm': value_size must be non-zero for array maps");
  EXPECT_EQ(create_error(map_spec("m", BPF_MAP_TYPE_HASH, 4, 8, 0)), "map 'm': max_entries must be non-zero");
  EXPECT_EQ(create_error(map_spec("m", BPF_MAP_TYPE_HASH, 0, 8, 4)),
            "map 'm': key_size must be non-zero for hash maps");
  EXPECT_EQ(create_error(map_spec("m", BPF_MAP_TYPE_HASH, 513, 8, 4)), "map 'm': key_size must be at most 512");
  EXPECT_EQ(create_error(map_spec("q", BPF_MAP_TYPE_QUEUE, 4, 8, 4)), "map 'q': key_size must be 0 for queue maps");
  EXPECT_EQ(create_error(map_spec("p", BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 4)),
            "map 'p': value_size must be 4 for program array maps");
  EXPECT_EQ(create_error(map_spec("pc", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 40000, 4)),
            "map 'pc': value_size must be at most 32768 for per-CPU maps");
}

TEST(MapsFactory, FlagRules) {
  EXPECT_EQ(create_error(map_spec("a", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_NO_PREALLOC)),
            "map 'a': map_flags 0x1 not allowed for array maps");
  EXPECT_EQ(create_error(map_spec("h", BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU)),
            "map 'h': map_flags 0x2 not allowed for hash maps");
  EXPECT_EQ(create_error(map_spec("h", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, BPF_F_MMAPABLE)),
            "map 'h': map_flags 0x400 not allowed for per-CPU array maps");
  EXPECT_EQ(create_error(map_spec("l", BPF_MAP_TYPE_LRU_HASH, 4, 8, 4, BPF_F_NO_PREALLOC)),
            "map 'l': LRU hash maps must be preallocated (BPF_F_NO_PREALLOC is not supported)");
  EXPECT_EQ(create_error(map_spec("x", BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)),
            "map 'x': map_flags cannot make the map both read-only and write-only");
  MapSpec bloom = map_spec("b", BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 4);
  bloom.map_extra = 0x13;
  EXPECT_EQ(create_error(bloom),
            "map 'b': map_extra must hold only the number of hash functions (0-15) for bloom filter maps");
}

TEST(MapsFactory, AcceptsTheFlagsTheKernelAccepts) {
  EXPECT_EQ(create_error(map_spec("a", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_MMAPABLE | BPF_F_RDONLY_PROG)), "");
  EXPECT_EQ(create_error(map_spec("h", BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED)), "");
  EXPECT_EQ(create_error(map_spec("l", BPF_MAP_TYPE_LRU_HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU)), "");
  EXPECT_EQ(create_error(map_spec("l", BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU)), "");
  EXPECT_EQ(create_error(map_spec("b", BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 4, BPF_F_ZERO_SEED)), "");
}

TEST(MapsFactory, RulesForTheEventMapTypes) {
  EXPECT_EQ(create_error(map_spec("rb", BPF_MAP_TYPE_RINGBUF, 0, 0, 5000)),
            "map 'rb': max_entries must be a power of 2 and a multiple of the page size (4096) for ring buffer maps");
  EXPECT_EQ(create_error(map_spec("st", BPF_MAP_TYPE_STACK_TRACE, 4, 12, 4)),
            "map 'st': value_size must be a multiple of 8 and at most 1016 for stack trace maps");
  EXPECT_EQ(create_error(map_spec("lpm", BPF_MAP_TYPE_LPM_TRIE, 8, 8, 4)),
            "map 'lpm': LPM trie maps require BPF_F_NO_PREALLOC");
  EXPECT_EQ(create_error(map_spec("lpm", BPF_MAP_TYPE_LPM_TRIE, 4, 8, 4, BPF_F_NO_PREALLOC)),
            "map 'lpm': key_size must be 5..260 (u32 prefixlen + 1..256 data bytes) for LPM trie maps");
}

TEST(MapsFactory, UnknownTypeIsUnsupported) {
  auto map = create_map(map_spec("dev", BPF_MAP_TYPE_DEVMAP, 4, 4, 4));
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.error().code, Errc::unsupported);
  EXPECT_EQ(map.error().message, "map 'dev': map type " + std::to_string(BPF_MAP_TYPE_DEVMAP) + " is not supported");
}

TEST(MapsFactory, InitialValueRules) {
  MapSpec data = map_spec(".data", BPF_MAP_TYPE_ARRAY, 4, 4, 1);
  data.initial_value = {1, 2, 3, 4, 5};
  EXPECT_EQ(create_error(data), "map '.data': initial_value has 5 bytes, more than value_size 4");
  MapSpec hash = map_spec("h", BPF_MAP_TYPE_HASH, 4, 8, 1);
  hash.initial_value = {1};
  EXPECT_EQ(create_error(hash), "map 'h': initial_value is only for array maps (global data)");
}

TEST(MapsFactory, MapsOfMapsNeedAnInnerSpec) {
  EXPECT_EQ(create_error(map_spec("o", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4)),
            "map 'o': maps of maps need the inner map's spec (spec.inner)");
  MapSpec outer = map_spec("o", BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 4);
  outer.inner = std::make_shared<MapSpec>(map_spec("i", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4));
  EXPECT_EQ(create_error(outer), "map 'o': inner maps cannot themselves be maps of maps");
  outer.inner = std::make_shared<MapSpec>(map_spec("i", BPF_MAP_TYPE_ARRAY, 8, 4, 4));
  EXPECT_EQ(create_error(outer), "map 'o': inner map: map 'i': key_size must be 4 for array maps");
}

TEST(MapsFactory, IdsAreUniqueAndFindMapFollowsLifetime) {
  auto a = make_map(map_spec("a", BPF_MAP_TYPE_ARRAY, 4, 8, 1));
  auto b = make_map(map_spec("b", BPF_MAP_TYPE_HASH, 4, 8, 1));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->id(), 0U);
  EXPECT_NE(a->id(), b->id());
  EXPECT_EQ(find_map(a->id()), a);
  EXPECT_EQ(find_map(b->id()), b);
  const std::uint32_t id = a->id();
  a.reset();
  EXPECT_EQ(find_map(id), nullptr);
  EXPECT_EQ(find_map(0), nullptr);
}

TEST(MapsFactory, ManyShortLivedMapsKeepTheRegistryConsistent) {
  std::vector<std::uint32_t> dead;
  for (int i = 0; i < 300; ++i) dead.push_back(make_map(map_spec("t", BPF_MAP_TYPE_ARRAY, 4, 8, 1))->id());
  auto live = make_map(map_spec("live", BPF_MAP_TYPE_ARRAY, 4, 8, 1));
  for (std::uint32_t id : dead) EXPECT_EQ(find_map(id), nullptr);
  EXPECT_EQ(find_map(live->id()), live);
}

TEST(MapsFactory, PossibleCpusMatchesSysfs) {
  std::ifstream file("/sys/devices/system/cpu/possible");
  std::string line;
  ASSERT_TRUE(std::getline(file, line));
  // "0-N" on every machine we run on: N + 1 CPUs.
  const auto dash = line.find('-');
  const std::uint32_t expected = dash == std::string::npos ? 1 : std::stoul(line.substr(dash + 1)) + 1;
  EXPECT_EQ(possible_cpus(), expected);
  EXPECT_GE(possible_cpus(), std::thread::hardware_concurrency());
  for (std::uint32_t cpu = 0; cpu < possible_cpus() && cpu < 8; ++cpu) {
    PinnedToCpu pin(static_cast<int>(cpu));
    if (!pin.ok()) continue;
    EXPECT_EQ(current_cpu(), cpu);
  }
}

TEST(MapsFactory, OpenSharedMapChecksTheRegion) {
  auto map = make_map(map_spec("h", BPF_MAP_TYPE_HASH, 4, 8, 16));
  ASSERT_TRUE(map);
  auto bad_fd = open_shared_map(map->spec(), -1);
  ASSERT_FALSE(bad_fd.ok());
  EXPECT_EQ(bad_fd.error().message, "map 'h': open_shared_map needs the fd of a map's shared region");
  auto other_shape = open_shared_map(map_spec("h", BPF_MAP_TYPE_HASH, 4, 16, 16), map->shared_fd());
  ASSERT_FALSE(other_shape.ok());
  EXPECT_NE(other_shape.error().message.find("shared region"), std::string::npos);
  MapSpec same_size_other_flags = map->spec();
  same_size_other_flags.flags = BPF_F_NO_PREALLOC;
  auto other_flags = open_shared_map(same_size_other_flags, map->shared_fd());
  ASSERT_FALSE(other_flags.ok());
  EXPECT_EQ(other_flags.error().message,
            "map 'h': shared region was created for a map of another type, size or flags");
}

TEST(MapsFactory, OpenedMapIsANewMapOverTheSameData) {
  auto map = make_map(map_spec("h", BPF_MAP_TYPE_HASH, 4, 8, 16));
  ASSERT_TRUE(map);
  auto view = open_shared_map(map->spec(), map->shared_fd());
  ASSERT_TRUE(view.ok()) << view.error().to_string();
  EXPECT_NE((*view)->id(), map->id());
  EXPECT_NE((*view)->shared_fd(), map->shared_fd());  // its own dup
  EXPECT_EQ(find_map((*view)->id()), *view);
  const std::uint32_t key = 7;
  const std::uint64_t value = 0x1122334455667788;
  ASSERT_EQ(map->update(&key, &value, BPF_ANY), 0);
  std::uint64_t seen = 0;
  ASSERT_EQ((*view)->user_lookup(&key, &seen), 0);
  EXPECT_EQ(seen, value);
}

}  // namespace
}  // namespace ubee::test
