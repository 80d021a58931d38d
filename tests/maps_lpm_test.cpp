// BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): longest-prefix match against a brute-force reference on random
// overlapping prefixes (IPv4, IPv6, the smallest and largest keys), exact-prefix update and delete, the kernel's
// get_next_key order, limits, a shared region, and lookups racing updates.
#include <linux/bpf.h>

#include <algorithm>
#include <array>
#include <functional>
#include <cstddef>
#include <atomic>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "maps_test_util.hpp"

namespace ubee::test {
namespace {

// struct bpf_lpm_trie_key_u8 with N data bytes.
template <std::size_t N>
struct Key {
  std::uint32_t prefixlen = 0;
  std::array<std::uint8_t, N> data{};
  bool operator==(const Key&) const = default;
};
static_assert(offsetof(Key<1>, data) == 4 && sizeof(Key<4>) == 8 && sizeof(Key<16>) == 20);

// GCC 12 at -O2 merges the instantiations of bit() for different N and then warns about the larger one's
// bounds inside the smaller key (a false -Warray-bounds); reading through a plain pointer avoids that.
template <std::size_t N>
unsigned bit(const Key<N>& k, std::uint32_t i) {
  if (i / 8 >= N) return 0;
  const std::uint8_t* bytes = k.data.data();
  return (bytes[i / 8] >> (7 - i % 8)) & 1U;
}

// The key with the bits after its prefix cleared.
template <std::size_t N>
Key<N> masked(Key<N> k) {
  for (std::uint32_t i = k.prefixlen; i < 8 * N; ++i) k.data[i / 8] &= static_cast<std::uint8_t>(~(0x80U >> (i % 8)));
  return k;
}

// True when prefix `p` contains `addr` taken with addr's own prefix length (the kernel's limit is the shorter).
template <std::size_t N>
bool covers(const Key<N>& p, const Key<N>& addr) {
  if (p.prefixlen > addr.prefixlen) return false;
  for (std::uint32_t i = 0; i < p.prefixlen; ++i) {
    if (bit(p, i) != bit(addr, i)) return false;
  }
  return true;
}

// trie_get_next_key()'s post-order: where two prefixes first differ, the 0 side first; a prefix after every
// more specific prefix it contains.
template <std::size_t N>
bool kernel_order_less(const Key<N>& x, const Key<N>& y) {
  for (std::uint32_t i = 0; i < std::min(x.prefixlen, y.prefixlen); ++i) {
    if (bit(x, i) != bit(y, i)) return bit(x, i) < bit(y, i);
  }
  return x.prefixlen > y.prefixlen;
}

// The brute-force reference: a list of (masked prefix, value).
template <std::size_t N>
class Reference {
 public:
  void insert(const Key<N>& k, std::uint64_t v) {
    for (auto& [key, value] : entries_) {
      if (key == k) {
        value = v;
        return;
      }
    }
    entries_.emplace_back(k, v);
  }
  bool erase(const Key<N>& k) {
    const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.first == k; });
    if (it == entries_.end()) return false;
    entries_.erase(it);
    return true;
  }
  std::optional<std::uint64_t> lookup(const Key<N>& addr) const {
    std::optional<std::uint64_t> best;
    std::int64_t best_len = -1;
    for (const auto& [key, value] : entries_) {
      if (covers(key, addr) && static_cast<std::int64_t>(key.prefixlen) > best_len) {
        best_len = key.prefixlen;
        best = value;
      }
    }
    return best;
  }
  std::vector<Key<N>> keys_in_kernel_order() const {
    std::vector<Key<N>> keys;
    for (const auto& e : entries_) keys.push_back(e.first);
    std::sort(keys.begin(), keys.end(), kernel_order_less<N>);
    return keys;
  }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<Key<N>, std::uint64_t>> entries_;
};

template <std::size_t N>
std::shared_ptr<Map> make_lpm(std::uint32_t max_entries, const std::string& name = "lpm") {
  return make_map(map_spec(name, BPF_MAP_TYPE_LPM_TRIE, 4 + N, 8, max_entries, BPF_F_NO_PREALLOC));
}

// The value the map gives for `addr`, checking that lookup() and user_lookup() agree.
template <std::size_t N>
std::optional<std::uint64_t> map_lookup(Map& map, const Key<N>& addr) {
  std::uint64_t value = 0;
  const long err = map.user_lookup(&addr, &value);
  const auto* ptr = static_cast<const std::uint64_t*>(map.lookup(&addr));
  EXPECT_EQ(err == 0, ptr != nullptr);
  if (err != 0) {
    EXPECT_EQ(err, -ENOENT);
    return std::nullopt;
  }
  EXPECT_EQ(*ptr, value);
  return value;
}

Key<4> ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint32_t prefixlen) {
  return Key<4>{prefixlen, {a, b, c, d}};
}

// Random keys clustered around a few bases, so that prefixes overlap and nest deeply.
template <std::size_t N>
class KeyGen {
 public:
  explicit KeyGen(std::uint32_t seed) : rng_(seed) {
    for (auto& base : bases_) {
      for (auto& byte : base) byte = static_cast<std::uint8_t>(rng_());
    }
  }
  Key<N> address(std::uint32_t prefixlen) {
    Key<N> k{prefixlen, bases_[rng_() % bases_.size()]};
    const std::uint32_t keep = static_cast<std::uint32_t>(rng_() % (8 * N + 1));
    for (std::uint32_t i = keep; i < 8 * N; ++i) {
      if (rng_() % 2) k.data[i / 8] ^= static_cast<std::uint8_t>(0x80U >> (i % 8));
    }
    return k;
  }
  // At least N bits long (a /0 or /1 would answer almost every lookup), up to the full key.
  Key<N> prefix() { return masked(address(static_cast<std::uint32_t>(N + rng_() % (7 * N + 1)))); }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(rng_() % n); }

 private:
  std::mt19937 rng_;
  std::array<std::array<std::uint8_t, N>, 6> bases_{};
};

// Inserts `count` random prefixes, deletes a third, then compares lookups and the key order with the reference.
template <std::size_t N>
void random_trial(std::uint32_t seed, std::uint32_t count, std::uint32_t lookups) {
  auto map = make_lpm<N>(count);
  ASSERT_NE(map, nullptr);
  KeyGen<N> gen(seed);
  Reference<N> ref;
  std::vector<Key<N>> inserted;
  for (std::uint32_t i = 0; i < count; ++i) {
    const Key<N> k = gen.prefix();
    const std::uint64_t v = 1000 + i;
    ASSERT_EQ(map->update(&k, &v, BPF_ANY), 0);
    ref.insert(k, v);
    inserted.push_back(k);
  }
  for (std::uint32_t i = 0; i < count / 3; ++i) {
    const Key<N>& k = inserted[gen.below(count)];
    ASSERT_EQ(map->erase(&k), ref.erase(k) ? 0 : -ENOENT);
  }
  std::set<std::optional<std::uint64_t>> answers;
  for (std::uint32_t i = 0; i < lookups; ++i) {
    const Key<N> addr = gen.address(i % 4 == 0 ? gen.below(8 * N + 1) : 8 * N);
    const auto want = ref.lookup(addr);
    ASSERT_EQ(map_lookup(*map, addr), want) << "lookup " << i << " /" << addr.prefixlen;
    answers.insert(want);
  }
  // Many different entries answered (and the empty answer too): the trial exercised nested prefixes.
  EXPECT_GT(answers.size(), std::min<std::size_t>(ref.size(), lookups) / 8);
  if (N >= 4) {
    EXPECT_EQ(answers.count(std::nullopt), 1U);
  }
  EXPECT_EQ(all_keys<Key<N>>(*map), ref.keys_in_kernel_order());
}

TEST(LpmTrieMap, KernelDocumentationExample) {
  auto map = make_lpm<4>(16);
  const std::pair<Key<4>, std::uint64_t> entries[] = {{ipv4(192, 168, 0, 0, 16), 1},
                                                      {ipv4(192, 168, 0, 0, 24), 2},
                                                      {ipv4(192, 168, 128, 0, 24), 3},
                                                      {ipv4(192, 168, 1, 0, 24), 5}};
  for (const auto& [k, v] : entries) ASSERT_EQ(map->update(&k, &v, BPF_ANY), 0);
  EXPECT_EQ(map_lookup(*map, ipv4(192, 168, 0, 1, 32)), 2U);
  EXPECT_EQ(map_lookup(*map, ipv4(192, 168, 1, 1, 32)), 5U);
  EXPECT_EQ(map_lookup(*map, ipv4(192, 168, 128, 255, 32)), 3U);
  EXPECT_EQ(map_lookup(*map, ipv4(192, 168, 200, 1, 32)), 1U);
  EXPECT_EQ(map_lookup(*map, ipv4(192, 168, 1, 1, 23)), 1U);  // the /23 node is intermediate: never a result
  EXPECT_EQ(map_lookup(*map, ipv4(192, 168, 1, 1, 16)), 1U);  // the key's prefix length limits the match
  EXPECT_EQ(map_lookup(*map, ipv4(192, 168, 1, 1, 15)), std::nullopt);
  EXPECT_EQ(map_lookup(*map, ipv4(10, 0, 0, 1, 32)), std::nullopt);
  // The order trie_get_next_key()'s comment gives for this trie.
  EXPECT_EQ(all_keys<Key<4>>(*map), (std::vector<Key<4>>{ipv4(192, 168, 0, 0, 24), ipv4(192, 168, 1, 0, 24),
                                                          ipv4(192, 168, 128, 0, 24), ipv4(192, 168, 0, 0, 16)}));
  const Key<4> im = ipv4(192, 168, 0, 0, 23);
  EXPECT_EQ(map->erase(&im), -ENOENT);
  const Key<4> missing = ipv4(10, 0, 0, 0, 8);
  Key<4> next{};
  EXPECT_EQ(map->get_next_key(&missing, &next), 0);  // a key not in the trie restarts at the leftmost
  EXPECT_EQ(next, ipv4(192, 168, 0, 0, 24));
  const Key<4> last = ipv4(192, 168, 0, 0, 16);
  EXPECT_EQ(map->get_next_key(&last, &next), -ENOENT);
}

TEST(LpmTrieMap, RandomIpv4PrefixesMatchBruteForce) { random_trial<4>(1, 3000, 20000); }
TEST(LpmTrieMap, RandomIpv6PrefixesMatchBruteForce) { random_trial<16>(2, 3000, 20000); }
TEST(LpmTrieMap, OneByteKeys) { random_trial<1>(3, 300, 2000); }
TEST(LpmTrieMap, LargestKeys) { random_trial<256>(4, 300, 2000); }

TEST(LpmTrieMap, DeleteEverythingThenRefill) {
  constexpr std::uint32_t kCount = 500;
  auto map = make_lpm<16>(kCount);
  KeyGen<16> gen(5);
  for (int round = 0; round < 3; ++round) {
    Reference<16> ref;
    std::vector<Key<16>> keys;
    while (ref.size() < kCount) {
      const Key<16> k = gen.prefix();
      const std::uint64_t v = gen.below(1000000);
      ASSERT_EQ(map->update(&k, &v, BPF_ANY), 0) << "round " << round;
      ref.insert(k, v);
      keys.push_back(k);
    }
    std::shuffle(keys.begin(), keys.end(), std::mt19937(round));
    for (std::size_t i = 0; i < keys.size(); ++i) {
      ASSERT_EQ(map->erase(&keys[i]), ref.erase(keys[i]) ? 0 : -ENOENT);
      if (i % 50 == 0) {
        const Key<16> addr = gen.address(128);
        ASSERT_EQ(map_lookup(*map, addr), ref.lookup(addr));
      }
    }
    Key<16> next{};
    EXPECT_EQ(map->get_next_key(nullptr, &next), -ENOENT);
  }
}

TEST(LpmTrieMap, UpdateFlagsAndLimits) {
  auto map = make_lpm<4>(3);
  const Key<4> a = ipv4(10, 0, 0, 0, 8);
  const Key<4> b = ipv4(10, 1, 0, 0, 16);
  const Key<4> c = ipv4(10, 2, 0, 0, 16);  // with b, needs an intermediate node
  const Key<4> d = ipv4(11, 0, 0, 0, 8);
  std::uint64_t v = 1;
  EXPECT_EQ(map->update(&a, &v, BPF_EXIST), -ENOENT);
  EXPECT_EQ(map->update(&a, &v, BPF_NOEXIST), 0);
  EXPECT_EQ(map->update(&a, &v, BPF_NOEXIST), -EEXIST);
  EXPECT_EQ(map->update(&b, &v, BPF_ANY), 0);
  EXPECT_EQ(map->update(&c, &v, BPF_ANY), 0);
  EXPECT_EQ(map->update(&d, &v, BPF_ANY), -ENOSPC);  // trie_check_add_elem(): the kernel says -ENOSPC
  v = 7;
  EXPECT_EQ(map->update(&c, &v, BPF_EXIST), 0);  // replacing in place is allowed when full
  EXPECT_EQ(map_lookup(*map, ipv4(10, 2, 3, 4, 32)), 7U);
  EXPECT_EQ(map->update(&a, &v, BPF_EXIST + 1), -EINVAL);
  const Key<4> too_long = ipv4(10, 0, 0, 0, 33);
  EXPECT_EQ(map->update(&too_long, &v, BPF_ANY), -EINVAL);
  EXPECT_EQ(map->erase(&too_long), -EINVAL);
  EXPECT_EQ(map->lookup(&too_long), nullptr);
  EXPECT_EQ(map->user_lookup(&too_long, &v), -ENOENT);
  Key<4> next{};
  EXPECT_EQ(map->get_next_key(&too_long, &next), 0);
  EXPECT_EQ(next, b);
  EXPECT_EQ(map->erase(&b), 0);
  EXPECT_EQ(map->erase(&b), -ENOENT);
  EXPECT_EQ(map->update(&d, &v, BPF_ANY), 0);
  EXPECT_EQ(all_keys<Key<4>>(*map), (std::vector<Key<4>>{c, a, d}));
}

TEST(LpmTrieMap, SpecRules) {
  auto no_prealloc = create_map(map_spec("routes", BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16));
  ASSERT_FALSE(no_prealloc.ok());
  EXPECT_NE(no_prealloc.error().message.find("routes"), std::string::npos);
  EXPECT_NE(no_prealloc.error().message.find("BPF_F_NO_PREALLOC"), std::string::npos);
  EXPECT_FALSE(create_map(map_spec("k4", BPF_MAP_TYPE_LPM_TRIE, 4, 8, 16, BPF_F_NO_PREALLOC)).ok());
  EXPECT_FALSE(create_map(map_spec("k261", BPF_MAP_TYPE_LPM_TRIE, 261, 8, 16, BPF_F_NO_PREALLOC)).ok());
  EXPECT_FALSE(create_map(map_spec("v0", BPF_MAP_TYPE_LPM_TRIE, 8, 0, 16, BPF_F_NO_PREALLOC)).ok());
  EXPECT_FALSE(create_map(map_spec("e0", BPF_MAP_TYPE_LPM_TRIE, 8, 8, 0, BPF_F_NO_PREALLOC)).ok());
  EXPECT_TRUE(create_map(map_spec("k5", BPF_MAP_TYPE_LPM_TRIE, 5, 1, 16, BPF_F_NO_PREALLOC)).ok());
  EXPECT_TRUE(create_map(map_spec("k260", BPF_MAP_TYPE_LPM_TRIE, 260, 8, 16, BPF_F_NO_PREALLOC)).ok());
}

TEST(LpmTrieMap, AnotherMappingOfTheRegionSeesTheSameTrie) {
  auto map = make_lpm<4>(64, "shared_routes");
  const Key<4> k = ipv4(172, 16, 0, 0, 12);
  const std::uint64_t v = 12;
  ASSERT_EQ(map->update(&k, &v, BPF_ANY), 0);
  auto other = open_shared_map(map->spec(), map->shared_fd());
  ASSERT_TRUE(other.ok()) << other.error().to_string();
  EXPECT_EQ(map_lookup(**other, ipv4(172, 20, 1, 1, 32)), 12U);
  const Key<4> k2 = ipv4(172, 20, 0, 0, 16);
  const std::uint64_t v2 = 16;
  ASSERT_EQ((*other)->update(&k2, &v2, BPF_ANY), 0);
  EXPECT_EQ(map_lookup(*map, ipv4(172, 20, 1, 1, 32)), 16U);
}

constexpr std::int64_t kNone = -1;  // "no match" (std::optional trips GCC 12's -Wmaybe-uninitialized here)

// Reader side: looks up addresses whose answers never change until `done`, counting wrong answers.
void check_fixed_answers(Map& map, const std::atomic<bool>& done, std::atomic<std::uint64_t>& wrong,
                         std::atomic<std::uint64_t>& reads) {
  const std::pair<Key<4>, std::int64_t> queries[] = {
      {ipv4(10, 1, 1, 5, 32), 24},
      {ipv4(10, 1, 9, 9, 32), 16},
      {ipv4(10, 9, 9, 9, 32), 8},
      {ipv4(11, 0, 0, 1, 32), kNone}};
  while (!done.load()) {
    for (const auto& [addr, want] : queries) {
      std::uint64_t value = 0;
      const std::int64_t got = map.user_lookup(&addr, &value) == 0 ? static_cast<std::int64_t>(value) : kNone;
      const auto* ptr = static_cast<const std::uint64_t*>(map.lookup(&addr));
      const std::int64_t via_ptr = ptr != nullptr ? static_cast<std::int64_t>(*ptr) : kNone;
      wrong += got != want || via_ptr != want;
      ++reads;
    }
  }
}

// Writer side: inserts and deletes prefixes under 10.2.0.0/15 and 12.0.0.0/8 (siblings and cousins of the fixed
// nodes, never covering a query), at least 20000 times and on until the readers did 20000 lookups meanwhile.
// Returns the number of unexpected results.
int churn_neighbours(Map& map, const std::atomic<std::uint64_t>& reads) {
  KeyGen<4> gen(9);
  std::vector<Key<4>> live;
  int unexpected = 0;
  for (int i = 0; (i < 20000 || reads.load() < 20000) && i < 10000000; ++i) {
    Key<4> k = gen.address(15 + gen.below(18));
    k.data[0] = i % 2 ? 10 : 12;
    if (k.data[0] == 10) k.data[1] = static_cast<std::uint8_t>(2 + k.data[1] % 2);
    k = masked(k);
    const std::uint64_t v = static_cast<std::uint64_t>(i);
    if (live.size() < 500 || (live.size() < 900 && gen.below(2) == 0)) {
      unexpected += map.update(&k, &v, BPF_ANY) != 0;
      live.push_back(k);
    } else {
      const std::size_t at = gen.below(static_cast<std::uint32_t>(live.size()));
      const long err = map.erase(&live[at]);
      unexpected += err != 0 && err != -ENOENT;  // -ENOENT: a duplicate in `live`, erased already
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
    }
  }
  return unexpected;
}

// Lookups racing updates and deletes elsewhere in the trie. The fixed nodes are never replaced, so reading their
// values through lookup()'s pointer is safe even while the writer runs.
TEST(LpmTrieMap, LookupsStayCorrectWhileAnotherThreadUpdates) {
  auto map = make_lpm<4>(1024);
  const std::pair<Key<4>, std::uint64_t> fixed[] = {
      {ipv4(10, 0, 0, 0, 8), 8}, {ipv4(10, 1, 0, 0, 16), 16}, {ipv4(10, 1, 1, 0, 24), 24}};
  for (const auto& [k, v] : fixed) ASSERT_EQ(map->update(&k, &v, BPF_ANY), 0);
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> wrong{0};
  std::atomic<std::uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back(check_fixed_answers, std::ref(*map), std::cref(done), std::ref(wrong), std::ref(reads));
  }
  EXPECT_EQ(churn_neighbours(*map, reads), 0);
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0U);
  EXPECT_GE(reads.load(), 20000U);
}

}  // namespace
}  // namespace ubee::test
