// Maps shared between processes: a forked child maps the parent's region with open_shared_map() and both
// sides see and modify the same map.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <set>

#include "maps_test_util.hpp"
#include "ubee/maps.hpp"

namespace ubee::test {
namespace {

// Forks a child running `body`; its exit status is 0 when every check in it held, else the number of the first
// failed check. (No gtest assertions in the child: it reports only through its status.)
pid_t spawn(const std::function<int()>& body) {
  std::fflush(nullptr);  // or the child may print the parent's buffered output again
  const pid_t pid = fork();
  if (pid == 0) _exit(body());
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::shared_ptr<Map> open_view(const Map& map) {
  auto opened = open_shared_map(map.spec(), map.shared_fd());
  return opened.ok() ? *opened : nullptr;
}

// A one-way, one-byte handshake over a pipe.
class Signal {
 public:
  Signal() { EXPECT_EQ(pipe(fds_), 0); }
  ~Signal() {
    close(fds_[0]);
    close(fds_[1]);
  }
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;
  bool post() const { return write(fds_[1], "x", 1) == 1; }
  bool wait() const {
    char c = 0;
    return read(fds_[0], &c, 1) == 1;
  }

 private:
  int fds_[2] = {-1, -1};
};

std::uint64_t get(Map& map, std::uint32_t key) {
  std::uint64_t v = 0;
  return map.user_lookup(&key, &v) == 0 ? v : ~0ULL;
}

bool put(Map& map, std::uint32_t key, std::uint64_t value, std::uint64_t flags = BPF_ANY) {
  return map.update(&key, &value, flags) == 0;
}

TEST(MapsShared, ChildAndParentSeeEachOthersHashUpdates) {
  auto map = make_map(map_spec("shared", BPF_MAP_TYPE_HASH, 4, 8, 64));
  ASSERT_TRUE(map);
  ASSERT_TRUE(put(*map, 1, 100));
  Signal child_ready;
  Signal parent_wrote;
  const pid_t child = spawn([&]() -> int {
    auto view = open_view(*map);
    if (!view) return 1;
    if (get(*view, 1) != 100) return 2;
    if (!put(*view, 2, 200, BPF_NOEXIST)) return 3;
    const std::uint32_t one = 1;
    if (view->erase(&one) != 0) return 4;
    if (!child_ready.post() || !parent_wrote.wait()) return 5;
    if (get(*view, 3) != 300) return 6;  // written by the parent after the child mapped the region
    return put(*view, 4, 400) ? 0 : 7;
  });
  ASSERT_TRUE(child_ready.wait());
  EXPECT_EQ(get(*map, 2), 200U);
  const std::uint32_t one = 1;
  EXPECT_EQ(map->lookup(&one), nullptr);  // erased by the child
  ASSERT_TRUE(put(*map, 3, 300));
  ASSERT_TRUE(parent_wrote.post());
  ASSERT_EQ(wait_for(child), 0);
  EXPECT_EQ(get(*map, 4), 400U);
  const auto keys = all_keys<std::uint32_t>(*map);
  EXPECT_EQ(std::set<std::uint32_t>(keys.begin(), keys.end()), (std::set<std::uint32_t>{2, 3, 4}));
}

TEST(MapsShared, EveryKernelTypeIsSharedWithAChild) {
  auto array = make_map(map_spec("arr", BPF_MAP_TYPE_ARRAY, 4, 8, 8));
  auto percpu = make_map(map_spec("pch", BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 8));
  auto lru = make_map(map_spec("lru", BPF_MAP_TYPE_LRU_HASH, 4, 8, 2));
  auto queue = make_map(map_spec("q", BPF_MAP_TYPE_QUEUE, 0, 8, 4));
  auto stack = make_map(map_spec("s", BPF_MAP_TYPE_STACK, 0, 8, 4));
  auto bloom = make_map(map_spec("b", BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 100));
  auto progs = make_map(map_spec("p", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4));
  ASSERT_TRUE(array && percpu && lru && queue && stack && bloom && progs);
  const std::uint64_t first = 11;
  ASSERT_EQ(queue->push(&first, BPF_ANY), 0);
  ASSERT_TRUE(put(*lru, 1, 10));
  ASSERT_TRUE(put(*lru, 2, 20));
  const std::uint32_t ncpus = possible_cpus();
  const pid_t child = spawn([&]() -> int {
    auto a = open_view(*array), p = open_view(*percpu), l = open_view(*lru), q = open_view(*queue);
    auto s = open_view(*stack), b = open_view(*bloom), g = open_view(*progs);
    if (!a || !p || !l || !q || !s || !b || !g) return 1;
    if (!put(*a, 3, 33)) return 2;
    std::vector<std::uint64_t> per_cpu(ncpus, 7);
    const std::uint32_t key = 5;
    if (p->user_update(&key, per_cpu.data(), BPF_NOEXIST) != 0) return 3;
    const std::uint32_t one = 1;
    if (l->lookup(&one) == nullptr || !put(*l, 3, 30)) return 4;  // touches 1, so 2 is evicted
    std::uint64_t v = 0;
    if (q->pop(&v) != 0 || v != 11) return 5;
    const std::uint64_t pushed = 22;
    if (q->push(&pushed, BPF_ANY) != 0 || s->push(&pushed, BPF_ANY) != 0) return 6;
    if (b->push(&pushed, BPF_ANY) != 0) return 7;
    const std::uint32_t slot = 2;
    const std::uint32_t prog = 77;
    return g->user_update(&slot, &prog, BPF_ANY) == 0 ? 0 : 8;
  });
  ASSERT_EQ(wait_for(child), 0);
  EXPECT_EQ(get(*array, 3), 33U);
  std::vector<std::uint64_t> per_cpu(ncpus, 0);
  const std::uint32_t five = 5;
  ASSERT_EQ(percpu->user_lookup(&five, per_cpu.data()), 0);
  EXPECT_EQ(per_cpu, std::vector<std::uint64_t>(ncpus, 7));
  const auto lru_keys = all_keys<std::uint32_t>(*lru);
  EXPECT_EQ(std::set<std::uint32_t>(lru_keys.begin(), lru_keys.end()), (std::set<std::uint32_t>{1, 3}));
  std::uint64_t v = 0;
  ASSERT_EQ(queue->pop(&v), 0);
  EXPECT_EQ(v, 22U);
  EXPECT_EQ(queue->pop(&v), -ENOENT);
  ASSERT_EQ(stack->peek(&v), 0);
  EXPECT_EQ(v, 22U);
  std::uint64_t probe = 22;
  EXPECT_EQ(bloom->user_lookup(nullptr, &probe), 0);
  std::uint32_t prog = 0;
  const std::uint32_t slot = 2;
  ASSERT_EQ(progs->user_lookup(&slot, &prog), 0);
  EXPECT_EQ(prog, 77U);
}

// Both processes at once: atomic adds on a shared value and inserts into a shared hash; the region's locks and
// free list work across processes.
TEST(MapsShared, ConcurrentUpdatesFromTwoProcesses) {
  auto counter = make_map(map_spec("counter", BPF_MAP_TYPE_ARRAY, 4, 8, 1));
  auto hash = make_map(map_spec("keys", BPF_MAP_TYPE_HASH, 4, 8, 4000));
  ASSERT_TRUE(counter && hash);
  constexpr std::uint32_t kEach = 2000;
  auto work = [](Map& c, Map& h, std::uint32_t first_key) -> int {
    const std::uint32_t zero = 0;
    auto* value = static_cast<std::uint64_t*>(c.lookup(&zero));
    for (std::uint32_t i = 0; i < kEach; ++i) {
      if (!put(h, first_key + i, first_key + i, BPF_NOEXIST)) return 2;
      for (int j = 0; j < 100; ++j) __atomic_fetch_add(value, 1, __ATOMIC_RELAXED);
    }
    return 0;
  };
  Signal go;
  const pid_t child = spawn([&]() -> int {
    auto c = open_view(*counter), h = open_view(*hash);
    if (!c || !h || !go.wait()) return 1;
    return work(*c, *h, 10000);
  });
  ASSERT_TRUE(go.post());
  EXPECT_EQ(work(*counter, *hash, 0), 0);
  ASSERT_EQ(wait_for(child), 0);
  EXPECT_EQ(get(*counter, 0), 2ULL * kEach * 100);
  const auto keys = all_keys<std::uint32_t>(*hash);
  ASSERT_EQ(keys.size(), 2U * kEach);
  for (std::uint32_t key : keys) EXPECT_EQ(get(*hash, key), key);
  EXPECT_EQ(get(*hash, 10000 + kEach - 1), 10000U + kEach - 1);
}

}  // namespace
}  // namespace ubee::test
