// BPF_MAP_TYPE_PERF_EVENT_ARRAY (bpf_perf_event_output and a libbpf-style perf_buffer consumer) and
// BPF_MAP_TYPE_STACK_TRACE (bpf_get_stackid and the bpf(2) operations), with the kernel's semantics.
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "maps_test_util.hpp"
#include "ubee/perf_buffer.hpp"
#include "ubee/stack_trace.hpp"

namespace ubee::test {
namespace {

using Bytes = std::vector<std::uint8_t>;

const std::uint32_t kPage = static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE));

Bytes pattern(std::size_t size, std::uint32_t seed) {
  Bytes b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>(seed * 13 + i * 5 + 1);
  return b;
}

// The raw size bpf_perf_event_output() records for `size` bytes: padded so that 4 + raw size is a multiple of 8.
std::uint32_t padded(std::size_t size) { return static_cast<std::uint32_t>((size + 4 + 7) / 8 * 8 - 4); }

// `data` followed by the zero padding of its sample.
Bytes as_sample(Bytes data) {
  data.resize(padded(data.size()), 0);
  return data;
}

std::shared_ptr<PerfEventArrayMap> make_perf(std::uint32_t slots, std::uint32_t per_cpu_bytes) {
  auto map = PerfEventArrayMap::create(map_spec("perf", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, slots),
                                       PerfBufferOptions{per_cpu_bytes});
  EXPECT_TRUE(map.ok()) << (map.ok() ? "" : map.error().to_string());
  return map.ok() ? *map : nullptr;
}

// What a consumer saw, in order: samples (cpu, data) and lost counts (cpu, lost; data empty).
struct Event {
  std::uint32_t cpu;
  Bytes data;
  std::uint64_t lost;
  bool operator==(const Event&) const = default;
};

struct Collector {
  std::vector<Event> events;
  PerfBufferConsumer consumer;

  explicit Collector(std::shared_ptr<PerfEventArrayMap> map)
      : consumer(PerfBufferConsumer::open(
            std::move(map),
            [this](std::uint32_t cpu, const void* data, std::uint32_t size) {
              const auto* p = static_cast<const std::uint8_t*>(data);
              events.push_back({cpu, Bytes(p, p + size), 0});
            },
            [this](std::uint32_t cpu, std::uint64_t lost) { events.push_back({cpu, {}, lost}); })
                     .value()) {}
};

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

TEST(PerfEventArray, SamplesCarryThePaddedRawData) {
  auto map = make_perf(2, kPage);
  ASSERT_NE(map, nullptr);
  Collector c(map);
  ASSERT_EQ(map->output(0, "abcde", 5), 0);
  ASSERT_EQ(map->output(1, "12345678", 8), 0);
  ASSERT_EQ(map->output(0, "wxyz", 4), 0);
  ASSERT_EQ(map->output(0, nullptr, 0), 0);
  EXPECT_EQ(c.consumer.consume(), 4);
  const std::vector<Event> want{{0, as_sample({'a', 'b', 'c', 'd', 'e'}), 0},
                                {0, {'w', 'x', 'y', 'z'}, 0},
                                {0, as_sample({}), 0},
                                {1, as_sample({'1', '2', '3', '4', '5', '6', '7', '8'}), 0}};
  EXPECT_EQ(c.events, want);
  EXPECT_EQ(padded(5), 12U);
  EXPECT_EQ(c.consumer.consume(), 0);
}

TEST(PerfEventArray, BufferHoldsPerfRecordsAfterAPerfEventMmapPage) {
  auto map = make_perf(2, 2 * kPage);
  const std::uint32_t slot = 1, unused = 0;
  EXPECT_EQ(map->output(1, "abcde", 5), -ENOENT) << "no event stored in the slot yet";
  ASSERT_EQ(map->user_update(&slot, &unused, BPF_ANY), 0);
  ASSERT_EQ(map->output(1, "abcde", 5), 0);
  void* mem = mmap(nullptr, kPage + 2 * kPage, PROT_READ, MAP_SHARED, map->shared_fd(),
                   static_cast<off_t>(map->buffer_offset(1)));
  ASSERT_NE(mem, MAP_FAILED);
  const auto* page = static_cast<const perf_event_mmap_page*>(mem);
  EXPECT_EQ(page->data_offset, kPage);
  EXPECT_EQ(page->data_size, 2U * kPage);
  EXPECT_EQ(page->data_head, 24U);  // header 8 + size 4 + 12 padded bytes
  EXPECT_EQ(page->data_tail, 0U);
  const auto* rec = static_cast<const std::uint8_t*>(mem) + page->data_offset;
  perf_event_header header{};
  std::memcpy(&header, rec, sizeof header);
  EXPECT_EQ(header.type, static_cast<std::uint32_t>(PERF_RECORD_SAMPLE));
  EXPECT_EQ(header.misc, PERF_RECORD_MISC_USER);
  EXPECT_EQ(header.size, 24);
  std::uint32_t raw_size = 0;
  std::memcpy(&raw_size, rec + 8, 4);
  EXPECT_EQ(raw_size, 12U);
  EXPECT_EQ(Bytes(rec + 12, rec + 24), as_sample({'a', 'b', 'c', 'd', 'e'}));
  munmap(mem, 3 * kPage);
}

TEST(PerfEventArray, DroppedSamplesAreReportedAsLostBeforeTheNextSample) {
  auto map = make_perf(1, kPage);
  Collector c(map);
  const Bytes data = pattern(100, 7);  // a 112-byte record: 36 fit in 4095 usable bytes
  int stored = 0;
  while (map->output(0, data.data(), data.size()) == 0) ++stored;
  EXPECT_EQ(stored, 36);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(map->output(0, data.data(), data.size()), -ENOSPC);
  EXPECT_EQ(c.consumer.consume(), 36);
  ASSERT_EQ(map->output(0, "x", 1), 0);
  EXPECT_EQ(c.consumer.consume(), 2);
  ASSERT_EQ(c.events.size(), 38U);
  EXPECT_EQ(c.events[35], (Event{0, as_sample(data), 0}));
  EXPECT_EQ(c.events[36], (Event{0, {}, 5}));  // the failed loop test plus four
  EXPECT_EQ(c.events[37], (Event{0, as_sample({'x'}), 0}));
  // Too big for a perf record (its size is a u16): dropped and counted, as if there were no room.
  const Bytes huge(70000, 1);
  EXPECT_EQ(map->output(0, huge.data(), huge.size()), -ENOSPC);
}

TEST(PerfEventArray, HelperErrorsAndSlotOperations) {
  auto map = make_perf(2, kPage);
  Collector c(map);
  EXPECT_EQ(map->output(std::uint64_t{1} << 32, "a", 1), -EINVAL);
  EXPECT_EQ(map->output(2, "a", 1), -E2BIG);
  const std::uint32_t slot0 = 0;
  const std::uint32_t slot5 = 5;
  const std::uint32_t fd = 3;
  EXPECT_EQ(map->user_delete(&slot0), 0);
  EXPECT_EQ(map->output(0, "a", 1), -ENOENT);
  EXPECT_EQ(map->user_delete(&slot0), -ENOENT);
  EXPECT_EQ(map->user_delete(&slot5), -E2BIG);
  EXPECT_EQ(map->user_update(&slot0, &fd, BPF_NOEXIST), -EINVAL);
  EXPECT_EQ(map->user_update(&slot5, &fd, BPF_ANY), -E2BIG);
  EXPECT_EQ(map->user_update(&slot0, &fd, BPF_ANY), 0);
  EXPECT_EQ(map->output(0, "a", 1), 0);
  EXPECT_EQ(c.consumer.consume(), 1);
  std::uint32_t value = 0;
  EXPECT_EQ(map->lookup(&slot0), nullptr);
  EXPECT_EQ(map->update(&slot0, &fd, BPF_ANY), -EINVAL);
  EXPECT_EQ(map->erase(&slot0), -EINVAL);
  EXPECT_EQ(map->user_lookup(&slot0, &value), -EOPNOTSUPP);
  EXPECT_EQ(all_keys<std::uint32_t>(*map), (std::vector<std::uint32_t>{0, 1}));
  EXPECT_EQ(c.consumer.consume_buffer(2), -EINVAL);
}

TEST(PerfEventArray, CurrentCpuWritesTheCallingThreadsSlot) {
  auto map = PerfEventArrayMap::create(map_spec("percpu", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 0), {});
  ASSERT_TRUE(map.ok()) << map.error().to_string();
  EXPECT_EQ((*map)->max_entries(), possible_cpus());
  EXPECT_EQ((*map)->per_cpu_bytes(), 64U * 1024);
  Collector c(*map);
  PinnedToCpu pin(0);
  ASSERT_TRUE(pin.ok());
  ASSERT_EQ((*map)->output(BPF_F_CURRENT_CPU, "cpu", 3), 0);
  EXPECT_EQ(c.consumer.consume(), 1);
  ASSERT_EQ(c.events.size(), 1U);
  EXPECT_EQ(c.events[0].cpu, 0U);
}

TEST(PerfEventArray, RecordsWrapAroundTheBufferEnd) {
  auto map = make_perf(1, kPage);
  Collector c(map);
  std::uint32_t produced = 0;
  while (produced < 5000) {
    const Bytes data = pattern(1 + produced % 200, produced);
    if (map->output(0, data.data(), data.size()) == 0) {
      ++produced;
    } else {
      c.consumer.consume();
    }
  }
  c.consumer.consume();
  // The failed output before each consume() is reported as one lost sample, right before the next sample.
  std::uint32_t next = 0;
  for (const Event& e : c.events) {
    if (e.data.empty() && e.lost != 0) continue;
    ASSERT_EQ(e.data, as_sample(pattern(1 + next % 200, next))) << "sample " << next;
    ++next;
  }
  EXPECT_EQ(next, 5000U);
}

TEST(PerfEventArray, PollAndTheWakeFdSeeOutputFromAnotherThread) {
  auto map = make_perf(2, kPage);
  Collector c(map);
  const int fd = c.consumer.fd();
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(readable(fd));
  ASSERT_EQ(map->output(1, "a", 1), 0);
  EXPECT_TRUE(readable(fd));
  EXPECT_EQ(c.consumer.consume(), 1);
  EXPECT_FALSE(readable(fd));
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(map->output(0, "b", 1), 0);
  });
  EXPECT_EQ(c.consumer.poll(10000), 1);
  producer.join();
  EXPECT_EQ(c.consumer.poll(10), 0);
}

TEST(PerfEventArray, AForkedChildProducesIntoTheSharedBuffers) {
  auto map = make_perf(2, 16 * kPage);
  Collector c(map);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int failures = 0;
    for (std::uint32_t i = 0; i < 1000; ++i) {
      const Bytes data = pattern(i % 50, i);
      failures += map->output(i % 2, data.data(), data.size()) != 0;
    }
    _exit(failures);
  }
  std::size_t samples = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (samples < 1000 && std::chrono::steady_clock::now() < deadline) samples += c.consumer.poll(100);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(c.events.size(), 1000U);
  std::vector<std::uint32_t> next{0, 1};
  for (const Event& e : c.events) {
    ASSERT_EQ(e.data, as_sample(pattern(next[e.cpu] % 50, next[e.cpu])));
    next[e.cpu] += 2;
  }
}

TEST(PerfEventArray, CreateMapAndOpenSharedMapUseOneRegion) {
  auto made = create_map(map_spec("events", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2));
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  auto map = std::dynamic_pointer_cast<PerfEventArrayMap>(*made);
  ASSERT_NE(map, nullptr);
  EXPECT_EQ(map->per_cpu_bytes(), 64U * 1024);
  auto opened = open_shared_map(map->spec(), map->shared_fd());
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  auto other = std::dynamic_pointer_cast<PerfEventArrayMap>(*opened);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->per_cpu_bytes(), 64U * 1024);
  Collector c(map);
  ASSERT_EQ(other->output(1, "via other", 9), 0);
  EXPECT_EQ(c.consumer.consume(), 1);
  EXPECT_EQ(c.events, (std::vector<Event>{{1, as_sample({'v', 'i', 'a', ' ', 'o', 't', 'h', 'e', 'r'}), 0}}));
  EXPECT_FALSE(PerfEventArrayMap::create(map_spec("odd", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 1), {3000}).ok());
}

// ---- Stack trace maps.

std::shared_ptr<StackTraceMap> make_stacks(std::uint32_t max_entries, std::uint32_t depth) {
  return std::dynamic_pointer_cast<StackTraceMap>(
      make_map(map_spec("stacks", BPF_MAP_TYPE_STACK_TRACE, 4, depth * 8, max_entries)));
}

std::vector<std::uint64_t> stored(StackTraceMap& map, long id) {
  std::vector<std::uint64_t> ips(map.value_size() / 8, 0xdead);
  const auto key = static_cast<std::uint32_t>(id);
  EXPECT_EQ(map.user_lookup(&key, ips.data()), 0) << "id " << id;
  return ips;
}

// Bob Jenkins' lookup3 hashword(), which the kernel's jhash2() is, written from lookup3.c.
std::uint32_t hashword(const std::uint32_t* k, std::size_t length, std::uint32_t initval) {
  const auto rot = [](std::uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
  std::uint32_t a = 0xdeadbeef + (static_cast<std::uint32_t>(length) << 2) + initval;
  std::uint32_t b = a;
  std::uint32_t c = a;
  for (; length > 3; length -= 3, k += 3) {
    a += k[0], b += k[1], c += k[2];
    a -= c, a ^= rot(c, 4), c += b, b -= a, b ^= rot(a, 6), a += c, c -= b, c ^= rot(b, 8), b += a;
    a -= c, a ^= rot(c, 16), c += b, b -= a, b ^= rot(a, 19), a += c, c -= b, c ^= rot(b, 4), b += a;
  }
  if (length == 0) return c;
  if (length == 3) c += k[2];
  if (length >= 2) b += k[1];
  a += k[0];
  c ^= b, c -= rot(b, 14), a ^= c, a -= rot(c, 11), b ^= a, b -= rot(a, 25), c ^= b, c -= rot(b, 16);
  a ^= c, a -= rot(c, 4), b ^= a, b -= rot(a, 14), c ^= b, c -= rot(b, 24);
  return c;
}

std::uint32_t expected_id(const std::vector<std::uint64_t>& ips, std::uint32_t buckets) {
  std::vector<std::uint32_t> words(ips.size() * 2);
  std::memcpy(words.data(), ips.data(), ips.size() * 8);
  return hashword(words.data(), words.size(), 0) & (buckets - 1);
}

TEST(StackTraceMap, EqualStacksGetEqualIds) {
  auto map = make_stacks(100, 8);  // 128 buckets
  ASSERT_NE(map, nullptr);
  const std::vector<std::uint64_t> a{0x401000, 0x402000, 0x7f0000001234};
  const std::vector<std::uint64_t> b{0x401000, 0x402000, 0x7f0000001235};
  const long id_a = map->get_stackid(a.data(), a.size(), 0);
  const long id_b = map->get_stackid(b.data(), b.size(), 0);
  ASSERT_GE(id_a, 0);
  ASSERT_GE(id_b, 0);
  EXPECT_EQ(id_a, expected_id(a, 128));
  EXPECT_EQ(id_b, expected_id(b, 128));
  EXPECT_NE(id_a, id_b);
  EXPECT_EQ(map->get_stackid(a.data(), a.size(), 0), id_a);
  EXPECT_EQ(map->get_stackid(a.data(), a.size(), BPF_F_FAST_STACK_CMP | BPF_F_USER_STACK), id_a);
  EXPECT_EQ(stored(*map, id_a), (std::vector<std::uint64_t>{0x401000, 0x402000, 0x7f0000001234, 0, 0, 0, 0, 0}));
}

TEST(StackTraceMap, SkipAndDepthSelectTheFramesKept) {
  auto map = make_stacks(64, 2);
  const std::vector<std::uint64_t> ips{9, 8, 1, 2, 3};
  const long id = map->get_stackid(ips.data(), ips.size(), 2);  // skip 2, keep 2: {1, 2}
  ASSERT_GE(id, 0);
  EXPECT_EQ(stored(*map, id), (std::vector<std::uint64_t>{1, 2}));
  const std::vector<std::uint64_t> other_tail{1, 2, 4};
  EXPECT_EQ(map->get_stackid(other_tail.data(), other_tail.size(), 0), id);
  EXPECT_EQ(map->get_stackid(ips.data(), 2, 2), -EFAULT);
  EXPECT_EQ(map->get_stackid(ips.data(), 0, 0), -EFAULT);
  EXPECT_EQ(map->get_stackid(ips.data(), ips.size(), std::uint64_t{1} << 11), -EINVAL);
  // Call chains are cut at perf_event_max_stack frames, skipped ones included.
  auto deep = make_stacks(64, kPerfEventMaxStack);
  std::vector<std::uint64_t> chain(200);
  for (std::size_t i = 0; i < chain.size(); ++i) chain[i] = 0x1000 + i;
  const long deep_id = deep->get_stackid(chain.data(), chain.size(), 10);
  ASSERT_GE(deep_id, 0);
  const auto frames = stored(*deep, deep_id);
  EXPECT_EQ(frames[0], 0x1000U + 10);
  EXPECT_EQ(frames[kPerfEventMaxStack - 11], 0x1000U + 126);
  EXPECT_EQ(frames[kPerfEventMaxStack - 10], 0U);
}

// A one-frame stack other than `ips` whose id is `id` in a map of `buckets` buckets.
std::vector<std::uint64_t> colliding_stack(const std::vector<std::uint64_t>& ips, std::uint32_t id,
                                           std::uint32_t buckets) {
  for (std::uint64_t ip = 1;; ++ip) {
    std::vector<std::uint64_t> candidate{ip};
    if (candidate != ips && expected_id(candidate, buckets) == id) return candidate;
  }
}

TEST(StackTraceMap, BucketCollisionsNeedReuseStackid) {
  auto map = make_stacks(4, 4);
  const std::vector<std::uint64_t> a{0xabc};
  const long id = map->get_stackid(a.data(), a.size(), 0);
  ASSERT_GE(id, 0);
  const auto b = colliding_stack(a, static_cast<std::uint32_t>(id), 4);
  EXPECT_EQ(map->get_stackid(b.data(), b.size(), 0), -EEXIST);
  EXPECT_EQ(map->get_stackid(b.data(), b.size(), BPF_F_FAST_STACK_CMP), -EEXIST);
  EXPECT_EQ(stored(*map, id)[0], 0xabcU);
  EXPECT_EQ(map->get_stackid(b.data(), b.size(), BPF_F_REUSE_STACKID), id);
  EXPECT_EQ(stored(*map, id)[0], b[0]);
  EXPECT_EQ(map->get_stackid(a.data(), a.size(), 0), -EEXIST);
  EXPECT_EQ(map->get_stackid(b.data(), b.size(), 0), id);
}

TEST(StackTraceMap, AllElementsInUseMakesEvenReuseFail) {
  auto map = make_stacks(1, 1);  // one bucket, one element
  const std::vector<std::uint64_t> a{1};
  const std::vector<std::uint64_t> b{2};
  ASSERT_EQ(map->get_stackid(a.data(), 1, 0), 0);
  EXPECT_EQ(map->get_stackid(b.data(), 1, BPF_F_REUSE_STACKID), -ENOMEM);
  const std::uint32_t key = 0;
  EXPECT_EQ(map->user_delete(&key), 0);
  EXPECT_EQ(map->get_stackid(b.data(), 1, 0), 0);
  EXPECT_EQ(stored(*map, 0)[0], 2U);
}

TEST(StackTraceMap, IterationLookupAndDeleteFollowTheKernel) {
  auto map = make_stacks(64, 4);
  std::set<std::uint32_t> ids;
  for (std::uint64_t ip = 1; ids.size() < 20; ++ip) {
    const long id = map->get_stackid(&ip, 1, 0);
    if (id >= 0) ids.insert(static_cast<std::uint32_t>(id));
  }
  EXPECT_EQ(all_keys<std::uint32_t>(*map), std::vector<std::uint32_t>(ids.begin(), ids.end()));
  const std::uint32_t first = *ids.begin();
  std::uint32_t next = 0;
  const std::uint32_t out_of_range = 64;
  EXPECT_EQ(map->get_next_key(&out_of_range, &next), 0);
  EXPECT_EQ(next, first);
  std::uint64_t value[4];
  EXPECT_EQ(map->user_delete(&first), 0);
  EXPECT_EQ(map->user_delete(&first), -ENOENT);
  EXPECT_EQ(map->user_lookup(&first, value), -ENOENT);
  EXPECT_EQ(map->user_delete(&out_of_range), -E2BIG);
  EXPECT_EQ(map->user_lookup(&out_of_range, value), -ENOENT);
  EXPECT_EQ(map->get_next_key(&first, &next), 0);  // a deleted id restarts at the first used one
  EXPECT_EQ(next, *std::next(ids.begin()));
  EXPECT_EQ(map->user_update(&first, value, BPF_ANY), -EINVAL);
  EXPECT_EQ(map->lookup(&first), nullptr);
  EXPECT_EQ(map->update(&first, value, BPF_ANY), -EINVAL);
  EXPECT_EQ(map->erase(&first), -EINVAL);
}

TEST(StackTraceMap, SpecRules) {
  auto build_id = create_map(map_spec("bid", BPF_MAP_TYPE_STACK_TRACE, 4, 32, 8, BPF_F_STACK_BUILD_ID));
  ASSERT_FALSE(build_id.ok());
  EXPECT_EQ(build_id.error().code, Errc::unsupported);
  EXPECT_FALSE(create_map(map_spec("s", BPF_MAP_TYPE_STACK_TRACE, 4, 12, 8)).ok());
  EXPECT_FALSE(create_map(map_spec("s", BPF_MAP_TYPE_STACK_TRACE, 4, 8 * 128, 8)).ok());
  EXPECT_FALSE(create_map(map_spec("s", BPF_MAP_TYPE_STACK_TRACE, 8, 8, 8)).ok());
}

TEST(StackTraceMap, ConcurrentGetStackidKeepsStacksWhole) {
  auto map = make_stacks(128, 6);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&map, t] {
      for (std::uint64_t i = 0; i < 20000; ++i) {
        const std::uint64_t ips[3] = {i % 50, static_cast<std::uint64_t>(t % 2), 0x5000 + i % 50};
        EXPECT_GE(map->get_stackid(ips, 3, BPF_F_REUSE_STACKID), 0);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (std::uint64_t i = 0; i < 50; ++i) {
    for (std::uint64_t t = 0; t < 2; ++t) {
      const std::uint64_t ips[3] = {i, t, 0x5000 + i};
      const long id = map->get_stackid(ips, 3, BPF_F_REUSE_STACKID);
      ASSERT_GE(id, 0);
      EXPECT_EQ(stored(*map, id), (std::vector<std::uint64_t>{i, t, 0x5000 + i, 0, 0, 0}));
    }
  }
}

}  // namespace
}  // namespace ubee::test
