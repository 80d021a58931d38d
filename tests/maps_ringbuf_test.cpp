// BPF_MAP_TYPE_RINGBUF: the bpf_ringbuf_* helpers' semantics (kernel/bpf/ringbuf.c), the consumer (libbpf
// ring_buffer), the region layout a libbpf-style consumer maps, concurrency and other processes.
#include <linux/bpf.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "maps_test_util.hpp"
#include "ubee/ringbuf.hpp"

namespace ubee::test {
namespace {

using Bytes = std::vector<std::uint8_t>;

const std::uint32_t kPage = static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE));

std::shared_ptr<RingBufMap> make_ringbuf(std::uint32_t size) {
  return std::dynamic_pointer_cast<RingBufMap>(make_map(map_spec("events", BPF_MAP_TYPE_RINGBUF, 0, 0, size)));
}

RingBufConsumer open_consumer(const RingBufMap& map) {
  auto c = RingBufConsumer::open(map);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().to_string());
  return std::move(*c);
}

// Every record consume() passes, as byte strings.
std::vector<Bytes> drain(RingBufConsumer& consumer) {
  std::vector<Bytes> out;
  const int n = consumer.consume([&](const void* data, std::uint32_t size) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    out.emplace_back(p, p + size);
    return 0;
  });
  EXPECT_EQ(n, static_cast<int>(out.size()));
  return out;
}

Bytes pattern(std::size_t size, std::uint32_t seed) {
  Bytes b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>(seed * 31 + i * 7);
  return b;
}

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

TEST(RingbufMap, RecordsArriveInOrderWithExactContents) {
  auto rb = make_ringbuf(4 * kPage);
  ASSERT_NE(rb, nullptr);
  auto consumer = open_consumer(*rb);
  const std::vector<std::size_t> sizes{1, 7, 8, 9, 100, 0, 333};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const Bytes data = pattern(sizes[i], static_cast<std::uint32_t>(i));
    if (i % 2 == 0) {
      ASSERT_EQ(rb->output(data.data(), data.size(), 0), 0);
    } else {
      void* rec = rb->reserve(data.size());
      ASSERT_NE(rec, nullptr);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(rec) % 8, 0U);
      if (!data.empty()) std::memcpy(rec, data.data(), data.size());
      rb->submit(rec, 0);
    }
  }
  const auto got = drain(consumer);
  ASSERT_EQ(got.size(), sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) EXPECT_EQ(got[i], pattern(sizes[i], static_cast<std::uint32_t>(i)));
  EXPECT_EQ(consumer.consume([](const void*, std::uint32_t) { return 0; }), 0);
}

TEST(RingbufMap, DiscardedRecordsAreSkippedAndPendingOnesWaited) {
  auto rb = make_ringbuf(kPage);
  auto consumer = open_consumer(*rb);
  auto* a = static_cast<std::uint32_t*>(rb->reserve(4));
  auto* b = static_cast<std::uint32_t*>(rb->reserve(4));
  auto* c = static_cast<std::uint32_t*>(rb->reserve(4));
  ASSERT_TRUE(a && b && c);
  *a = 1;
  *b = 2;
  *c = 3;
  rb->submit(c, 0);
  rb->discard(b, 0);
  // The first record is still being written: the consumer stops in front of it.
  EXPECT_TRUE(drain(consumer).empty());
  rb->submit(a, 0);
  const auto got = drain(consumer);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0], (Bytes{1, 0, 0, 0}));
  EXPECT_EQ(got[1], (Bytes{3, 0, 0, 0}));
  EXPECT_EQ(rb->query(BPF_RB_AVAIL_DATA), 0U);
  EXPECT_EQ(rb->query(BPF_RB_CONS_POS), 3U * 16);
}

TEST(RingbufMap, WrapsAroundTheDataAreaManyTimes) {
  auto rb = make_ringbuf(kPage);
  auto consumer = open_consumer(*rb);
  std::uint32_t produced = 0;
  std::uint32_t consumed = 0;
  std::size_t wrapped = 0;
  while (consumed < 20000) {
    for (;;) {  // produce until full
      const std::size_t size = 1 + produced % 250;
      const std::uint64_t pos = rb->query(BPF_RB_PROD_POS);
      const Bytes data = pattern(size, produced);
      if (rb->output(data.data(), data.size(), 0) == -EAGAIN) break;
      if ((pos % kPage) + 8 + size > kPage) ++wrapped;  // this record runs past the end of the data area
      ++produced;
    }
    for (const Bytes& rec : drain(consumer)) {
      ASSERT_EQ(rec, pattern(1 + consumed % 250, consumed)) << "record " << consumed;
      ++consumed;
    }
  }
  EXPECT_EQ(produced, consumed);
  EXPECT_GT(rb->query(BPF_RB_CONS_POS), 500U * kPage);
  EXPECT_GT(wrapped, 100U);
}

TEST(RingbufMap, FullBufferMakesReserveReturnNull) {
  auto rb = make_ringbuf(kPage);
  auto consumer = open_consumer(*rb);
  // 16-byte records (8 of header, 8 of data): the producer may get at most ring_size - 1 bytes ahead.
  std::vector<void*> recs;
  while (void* r = rb->reserve(8)) recs.push_back(r);
  EXPECT_EQ(recs.size(), kPage / 16 - 1);
  EXPECT_EQ(rb->output("x", 1, 0), -EAGAIN);
  EXPECT_EQ(rb->query(BPF_RB_AVAIL_DATA), (kPage / 16 - 1) * 16);
  for (void* r : recs) rb->submit(r, 0);
  EXPECT_EQ(drain(consumer).size(), recs.size());
  EXPECT_NE(rb->reserve(8), nullptr);
  // Never-fitting sizes and flags: NULL, as __bpf_ringbuf_reserve / bpf_ringbuf_reserve.
  EXPECT_EQ(rb->reserve(kPage), nullptr);
  EXPECT_EQ(rb->reserve(kPage - 8), nullptr);
  EXPECT_EQ(rb->reserve(std::uint64_t{1} << 40), nullptr);
  EXPECT_EQ(rb->reserve(8, 1), nullptr);
  EXPECT_EQ(rb->output("x", 1, 4), -EINVAL);
}

TEST(RingbufMap, QueryReportsPositionsAndSizes) {
  auto rb = make_ringbuf(2 * kPage);
  auto consumer = open_consumer(*rb);
  EXPECT_EQ(rb->query(BPF_RB_RING_SIZE), 2U * kPage);
  EXPECT_EQ(rb->query(BPF_RB_AVAIL_DATA), 0U);
  ASSERT_EQ(rb->output("abcde", 5, 0), 0);   // 8 + 5 -> 16
  ASSERT_EQ(rb->output("abcdefghi", 9, 0), 0);  // 8 + 9 -> 24
  EXPECT_EQ(rb->query(BPF_RB_PROD_POS), 40U);
  EXPECT_EQ(rb->query(BPF_RB_CONS_POS), 0U);
  EXPECT_EQ(rb->query(BPF_RB_AVAIL_DATA), 40U);
  EXPECT_EQ(drain(consumer).size(), 2U);
  EXPECT_EQ(rb->query(BPF_RB_CONS_POS), 40U);
  EXPECT_EQ(rb->query(BPF_RB_AVAIL_DATA), 0U);
  EXPECT_EQ(rb->query(99), 0U);
}

TEST(RingbufMap, WakeFdBecomesReadableOnSubmit) {
  auto rb = make_ringbuf(kPage);
  auto consumer = open_consumer(*rb);
  const int fd = consumer.fd();
  ASSERT_GE(fd, 0);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
  EXPECT_FALSE(readable(fd));
  ASSERT_EQ(rb->output("a", 1, 0), 0);  // the consumer waits at this record: woken
  EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
  EXPECT_EQ(drain(consumer).size(), 1U);
  EXPECT_FALSE(readable(fd));
  ASSERT_EQ(rb->output("b", 1, BPF_RB_NO_WAKEUP), 0);
  EXPECT_FALSE(readable(fd));
  ASSERT_EQ(rb->output("c", 1, 0), 0);  // the consumer is behind (record b): no wake-up
  EXPECT_FALSE(readable(fd));
  ASSERT_EQ(rb->output("d", 1, BPF_RB_FORCE_WAKEUP), 0);
  EXPECT_TRUE(readable(fd));
  EXPECT_EQ(drain(consumer).size(), 3U);
  EXPECT_FALSE(readable(fd));
  close(ep);
}

TEST(RingbufMap, PollSleepsUntilAProducerSubmitsOrTheTimeout) {
  auto rb = make_ringbuf(kPage);
  auto consumer = open_consumer(*rb);
  const auto none = [](const void*, std::uint32_t) { return 0; };
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(consumer.poll(none, 50), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(40));
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(rb->output("zz", 2, 0), 0);
  });
  std::uint32_t size = 0;
  EXPECT_EQ(consumer.poll([&](const void*, std::uint32_t s) { size = s; return 0; }, 10000), 1);
  EXPECT_EQ(size, 2U);
  producer.join();
}

TEST(RingbufMap, CallbackErrorStopsConsuming) {
  auto rb = make_ringbuf(kPage);
  auto consumer = open_consumer(*rb);
  for (std::uint8_t i = 0; i < 3; ++i) ASSERT_EQ(rb->output(&i, 1, 0), 0);
  int calls = 0;
  EXPECT_EQ(consumer.consume([&](const void*, std::uint32_t) { return ++calls == 2 ? -42 : 0; }), -42);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(rb->query(BPF_RB_CONS_POS), 32U);  // the failing record counts as consumed, as in libbpf
  EXPECT_EQ(drain(consumer), (std::vector<Bytes>{{2}}));
}

// What libbpf's ring_buffer__add() maps, at this runtime's page offsets: the consumer page read-write, the
// producer page and the data area read-only, the data area twice in a row.
struct RawRing {
  unsigned long* consumer_pos = nullptr;
  const unsigned long* producer_pos = nullptr;
  const std::uint8_t* data = nullptr;
  unsigned long mask = 0;
};

RawRing map_like_libbpf(int fd, std::uint32_t size) {
  RawRing r;
  void* cons = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, kRingbufConsumerPage * kPage);
  void* area = mmap(nullptr, kPage + 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  auto* base = static_cast<std::uint8_t*>(area);
  EXPECT_NE(mmap(base, kPage + size, PROT_READ, MAP_SHARED | MAP_FIXED, fd, kRingbufProducerPage * kPage), MAP_FAILED);
  EXPECT_NE(mmap(base + kPage + size, size, PROT_READ, MAP_SHARED | MAP_FIXED, fd, kRingbufDataPage * kPage),
            MAP_FAILED);
  r.consumer_pos = static_cast<unsigned long*>(cons);
  r.producer_pos = reinterpret_cast<const unsigned long*>(base);
  r.data = base + kPage;
  r.mask = size - 1;
  return r;
}

// libbpf's ringbuf_process_ring(), transcribed.
std::vector<Bytes> process_like_libbpf(RawRing& r) {
  std::vector<Bytes> out;
  unsigned long cons_pos = __atomic_load_n(r.consumer_pos, __ATOMIC_ACQUIRE);
  bool got_new_data = false;
  do {
    got_new_data = false;
    const unsigned long prod_pos = __atomic_load_n(r.producer_pos, __ATOMIC_ACQUIRE);
    while (cons_pos < prod_pos) {
      const auto* len_ptr = reinterpret_cast<const std::uint32_t*>(r.data + (cons_pos & r.mask));
      const std::uint32_t len = __atomic_load_n(len_ptr, __ATOMIC_ACQUIRE);
      if (len & BPF_RINGBUF_BUSY_BIT) return out;
      got_new_data = true;
      cons_pos += ((len << 2 >> 2) + BPF_RINGBUF_HDR_SZ + 7) / 8 * 8;
      if ((len & BPF_RINGBUF_DISCARD_BIT) == 0) {
        const auto* sample = reinterpret_cast<const std::uint8_t*>(len_ptr) + BPF_RINGBUF_HDR_SZ;
        out.emplace_back(sample, sample + len);
      }
      __atomic_store_n(r.consumer_pos, cons_pos, __ATOMIC_RELEASE);
    }
  } while (got_new_data);
  return out;
}

TEST(RingbufMap, RegionHasTheKernelLayoutForALibbpfStyleConsumer) {
  auto rb = make_ringbuf(kPage);
  RawRing raw = map_like_libbpf(rb->shared_fd(), kPage);
  std::uint32_t next = 0;
  for (int round = 0; round < 50; ++round) {
    for (std::uint32_t i = 0; i < 20; ++i) {
      const Bytes data = pattern(40 + (round + i) % 37, round * 20 + i);
      ASSERT_EQ(rb->output(data.data(), data.size(), 0), 0);
    }
    rb->discard(rb->reserve(16), 0);
    for (const Bytes& rec : process_like_libbpf(raw)) {
      ASSERT_EQ(rec, pattern(40 + (next / 20 + next % 20) % 37, next));
      ++next;
    }
  }
  EXPECT_EQ(next, 1000U);
  EXPECT_EQ(rb->query(BPF_RB_CONS_POS), *raw.consumer_pos);
}

TEST(RingbufMap, ReservationNeverOverrunsAPendingRecord) {
  auto rb = make_ringbuf(kPage);
  RawRing raw = map_like_libbpf(rb->shared_fd(), kPage);
  void* pending = rb->reserve(8);
  ASSERT_NE(pending, nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(rb->output("12345678", 8, 0), 0);
  // A consumer that jumps past the busy record (as a buggy process could) must not let producers lap it.
  *raw.consumer_pos = rb->query(BPF_RB_PROD_POS);
  std::size_t more = 0;
  while (rb->output("12345678", 8, 0) == 0) ++more;
  EXPECT_EQ(more, kPage / 16 - 1 - 101);
  rb->submit(pending, 0);
}

// One producer's records: {producer, seq, check}, half through output(), half through reserve() + submit().
struct Event {
  std::uint32_t producer, seq;
  std::uint64_t check;
};

void produce_events(RingBufMap& rb, std::uint32_t producer, std::uint32_t count) {
  for (std::uint32_t i = 0; i < count; ++i) {
    const Event e{producer, i, producer * 1000003ULL + i};
    if (i % 2 == 0) {
      while (rb.output(&e, sizeof e, 0) != 0) std::this_thread::yield();
      continue;
    }
    void* rec = nullptr;
    while ((rec = rb.reserve(sizeof e)) == nullptr) std::this_thread::yield();
    std::memcpy(rec, &e, sizeof e);
    rb.submit(rec, 0);
  }
}

// Consumes until `total` records arrived (or 3 minutes passed), checking each producer's sequence.
struct EventChecker {
  std::vector<std::uint32_t> next;
  std::uint64_t seen = 0;
  bool in_order = true;

  void run(RingBufConsumer& consumer, std::uint64_t total) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
    while (seen < total && std::chrono::steady_clock::now() < deadline) {
      consumer.poll([this](const void* data, std::uint32_t size) { return check(data, size); }, 100);
    }
  }
  int check(const void* data, std::uint32_t size) {
    Event e{};
    std::memcpy(&e, data, sizeof e);
    const bool known = size == sizeof e && e.producer < next.size();
    in_order = in_order && known && e.seq == next[e.producer] && e.check == e.producer * 1000003ULL + e.seq;
    if (known) ++next[e.producer];
    ++seen;
    return 0;
  }
};

TEST(RingbufMap, FourProducerThreadsOneConsumerNothingLostOrDuplicated) {
  constexpr std::uint32_t kProducers = 4;
  constexpr std::uint32_t kPerProducer = 100000;
  auto rb = make_ringbuf(16 * kPage);
  auto consumer = open_consumer(*rb);
  EventChecker checker{std::vector<std::uint32_t>(kProducers, 0)};
  std::thread reader([&] { checker.run(consumer, std::uint64_t{kProducers} * kPerProducer); });
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < kProducers; ++p) producers.emplace_back(produce_events, std::ref(*rb), p, kPerProducer);
  for (auto& t : producers) t.join();
  reader.join();
  EXPECT_TRUE(checker.in_order);
  EXPECT_EQ(checker.seen, std::uint64_t{kProducers} * kPerProducer);
  for (std::uint32_t p = 0; p < kProducers; ++p) EXPECT_EQ(checker.next[p], kPerProducer) << "producer " << p;
}

// Child side of the fork test: the exit status says what went wrong (0: every record, in order, intact).
int consume_in_child(int fd, std::uint32_t size, int wake_fd, std::uint32_t count) {
  auto consumer = RingBufConsumer::open(fd, size, wake_fd);
  if (!consumer) return 2;
  std::uint32_t seen = 0;
  bool intact = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (seen < count && std::chrono::steady_clock::now() < deadline) {
    consumer->poll([&](const void* data, std::uint32_t n) {
      intact = intact && Bytes(static_cast<const std::uint8_t*>(data), static_cast<const std::uint8_t*>(data) + n) ==
                             pattern(4 + seen % 61, seen);
      ++seen;
      return 0;
    }, 1000);
  }
  return seen != count ? 3 : intact ? 0 : 4;
}

TEST(RingbufMap, ConsumerInAForkedChildReadsWhatTheParentProduces) {
  constexpr std::uint32_t kCount = 20000;
  auto rb = make_ringbuf(4 * kPage);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(consume_in_child(rb->shared_fd(), rb->ring_size(), rb->wake_fd(), kCount));
  for (std::uint32_t i = 0; i < kCount; ++i) {
    const Bytes data = pattern(4 + i % 61, i);
    while (rb->output(data.data(), data.size(), 0) == -EAGAIN) std::this_thread::yield();
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(rb->query(BPF_RB_AVAIL_DATA), 0U);
}

TEST(RingbufMap, ConsumerFromAnFdChecksTheRegion) {
  auto rb = make_ringbuf(kPage);
  EXPECT_FALSE(RingBufConsumer::open(rb->shared_fd(), 2 * kPage).ok());
  auto consumer = RingBufConsumer::open(rb->shared_fd(), kPage);
  ASSERT_TRUE(consumer.ok()) << consumer.error().to_string();
  EXPECT_EQ(consumer->fd(), -1);
  ASSERT_EQ(rb->output("hello", 5, 0), 0);
  EXPECT_EQ(drain(*consumer), (std::vector<Bytes>{{'h', 'e', 'l', 'l', 'o'}}));
  auto numa = make_map(map_spec("numa_rb", BPF_MAP_TYPE_RINGBUF, 0, 0, kPage, BPF_F_NUMA_NODE));
  ASSERT_NE(numa, nullptr);
  EXPECT_TRUE(RingBufConsumer::open(numa->shared_fd(), kPage).ok());
  std::uint32_t zeros[16] = {};
  EXPECT_FALSE(RingBufConsumer::open(-1, kPage).ok());
  const int not_a_ring = memfd_create("not_a_ring", MFD_CLOEXEC);
  ASSERT_EQ(write(not_a_ring, zeros, sizeof zeros), static_cast<ssize_t>(sizeof zeros));
  EXPECT_FALSE(RingBufConsumer::open(not_a_ring, kPage).ok());
  close(not_a_ring);
}

TEST(RingbufMap, HasNoElementsAndChecksItsSpec) {
  auto rb = make_ringbuf(kPage);
  std::uint32_t key = 0;
  std::uint32_t value = 0;
  EXPECT_EQ(rb->lookup(&key), nullptr);
  EXPECT_EQ(rb->update(&key, &value, BPF_ANY), -EINVAL);
  EXPECT_EQ(rb->erase(&key), -EINVAL);
  EXPECT_EQ(rb->user_lookup(&key, &value), -EOPNOTSUPP);
  EXPECT_EQ(rb->user_update(&key, &value, BPF_ANY), -EOPNOTSUPP);
  EXPECT_EQ(rb->user_delete(&key), -EOPNOTSUPP);
  EXPECT_EQ(rb->get_next_key(nullptr, &key), -EOPNOTSUPP);
  for (std::uint32_t bad : {0U, kPage / 2, 3 * kPage, kPage + 1}) {
    auto map = create_map(map_spec("bad_rb", BPF_MAP_TYPE_RINGBUF, 0, 0, bad));
    ASSERT_FALSE(map.ok()) << bad;
    EXPECT_NE(map.error().message.find("bad_rb"), std::string::npos) << map.error().message;
  }
  EXPECT_FALSE(create_map(map_spec("bad_rb", BPF_MAP_TYPE_RINGBUF, 4, 0, kPage)).ok());
}

}  // namespace
}  // namespace ubee::test
