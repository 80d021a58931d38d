// Map operation cost in ns per operation, from C++ on the Map API and from programs run by the interpreter,
// beside std::unordered_map<uint32_t, uint64_t> as the baseline (counter x_baseline = ns/op over the baseline's).
// Run: ./build/bench/maps_bench
#include <benchmark/benchmark.h>

#include <linux/bpf.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <ubee/linux_helpers.hpp>
#include <ubee/maps.hpp>
#include <ubee/ringbuf.hpp>
#include <ubee/ubee.hpp>

namespace {

using Value = std::uint64_t;
using Clock = std::chrono::steady_clock;
constexpr std::size_t kBatch = 256;                // operations per benchmark iteration
constexpr std::size_t kSizes[] = {1024, 65536};    // entries; powers of two, so key indexes wrap with a mask
constexpr int kThreads[] = {1, 2, 4};
constexpr auto kBaselineTime = std::chrono::milliseconds(20);  // per run; the baseline is the best of 5

enum class Op { lookup, update, delete_reinsert, increment };
const char* op_name(Op op) {
  switch (op) {
    case Op::lookup: return "lookup";
    case Op::update: return "update";
    case Op::delete_reinsert: return "delete_reinsert";
    case Op::increment: return "lookup_atomic_inc";
  }
  return "?";
}

// ---- Keys: `entries` are inserted (and updated, deleted); `probes` are looked up. Both have n elements.
template <class Key>
struct Keys {
  std::vector<Key> entries;
  std::vector<Key> probes;
};

std::vector<std::uint32_t> random_keys(std::size_t n) {  // distinct, in random order
  std::mt19937 rng(42);
  std::set<std::uint32_t> seen;
  std::vector<std::uint32_t> keys;
  while (keys.size() < n)
    if (const auto k = static_cast<std::uint32_t>(rng()); seen.insert(k).second) keys.push_back(k);
  return keys;
}

std::vector<std::uint32_t> dense_keys(std::size_t n) {  // 0..n-1 in random order
  std::vector<std::uint32_t> keys(n);
  std::iota(keys.begin(), keys.end(), 0U);
  std::shuffle(keys.begin(), keys.end(), std::mt19937(42));
  return keys;
}

// struct bpf_lpm_trie_key with 4 bytes of data: an IPv4 prefix, address in network byte order.
struct LpmKey {
  std::uint32_t prefixlen;
  std::uint32_t addr;
};
static_assert(sizeof(LpmKey) == 8 && offsetof(bpf_lpm_trie_key, data) == offsetof(LpmKey, addr));

// n distinct prefixes of /16 to /32, and for each a /32 address inside it.
Keys<LpmKey> lpm_keys(std::size_t n) {
  std::mt19937 rng(42);
  std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
  Keys<LpmKey> keys;
  while (keys.entries.size() < n) {
    const auto len = static_cast<std::uint32_t>(16 + rng() % 17);
    const std::uint32_t mask = len == 32 ? ~0U : ~(~0U >> len);
    const auto addr = static_cast<std::uint32_t>(rng());
    if (!seen.insert({len, addr & mask}).second) continue;
    keys.entries.push_back({len, __builtin_bswap32(addr & mask)});
    keys.probes.push_back({32, __builtin_bswap32(addr)});
  }
  return keys;
}

// ---- Map kinds.
struct HashKind {
  static constexpr const char* name = "hash";
  static constexpr std::uint32_t type = BPF_MAP_TYPE_HASH;
  static constexpr std::uint32_t flags = 0;
  static constexpr bool can_delete = true;
  using Key = std::uint32_t;
  static Keys<Key> keys(std::size_t n) {
    auto k = random_keys(n);
    return {k, k};
  }
};
struct LruHashKind : HashKind {
  static constexpr const char* name = "lru_hash";
  static constexpr std::uint32_t type = BPF_MAP_TYPE_LRU_HASH;
};
struct ArrayKind : HashKind {
  static constexpr const char* name = "array";
  static constexpr std::uint32_t type = BPF_MAP_TYPE_ARRAY;
  static constexpr bool can_delete = false;  // array elements cannot be deleted (-EINVAL)
  static Keys<Key> keys(std::size_t n) {
    auto k = dense_keys(n);
    return {k, k};
  }
};
struct LpmKind {
  static constexpr const char* name = "lpm_trie";
  static constexpr std::uint32_t type = BPF_MAP_TYPE_LPM_TRIE;
  static constexpr std::uint32_t flags = BPF_F_NO_PREALLOC;
  static constexpr bool can_delete = true;
  using Key = LpmKey;
  static Keys<Key> keys(std::size_t n) { return lpm_keys(n); }
};

ubee::MapSpec map_spec(std::uint32_t type, std::uint32_t key_size, std::uint32_t value_size, std::size_t entries,
                       std::uint32_t flags = 0) {
  ubee::MapSpec spec;
  spec.name = "bench";
  spec.type = type;
  spec.key_size = key_size;
  spec.value_size = value_size;
  spec.max_entries = static_cast<std::uint32_t>(entries);
  spec.flags = flags;
  return spec;
}

// ---- Tables: one interface over a ubee map and the std::unordered_map baseline, so one loop measures both.
template <class Kind>
struct UbeeTable {
  using Key = typename Kind::Key;
  Keys<Key> keys;
  std::shared_ptr<ubee::Map> map;

  explicit UbeeTable(std::size_t n) : keys(Kind::keys(n)) {
    auto created = ubee::create_map(map_spec(Kind::type, sizeof(Key), sizeof(Value), n, Kind::flags));
    if (!created) throw std::runtime_error(created.error().to_string());
    map = *created;
    for (const Key& k : keys.entries)
      if (insert(k, 0) != 0) throw std::runtime_error("populating the map failed");
    for (const Key& k : keys.probes)
      if (lookup(k) == nullptr) throw std::runtime_error("a probe key is missing from the map");
  }
  Value* lookup(const Key& k) { return static_cast<Value*>(map->lookup(&k)); }
  long update(const Key& k, Value v) { return map->update(&k, &v, BPF_EXIST); }
  long insert(const Key& k, Value v) { return map->update(&k, &v, BPF_ANY); }
  long erase(const Key& k) { return map->erase(&k); }
  void increment(const Key& k) {
    if (Value* v = lookup(k)) std::atomic_ref<Value>(*v).fetch_add(1, std::memory_order_relaxed);
  }
};

struct StdTable {
  using Key = std::uint32_t;
  Keys<Key> keys;
  std::unordered_map<std::uint32_t, Value> map;
  std::mutex mutex;  // taken by increment() only: the multi-threaded baseline

  explicit StdTable(std::size_t n) : keys(HashKind::keys(n)) {
    for (Key k : keys.entries) map.emplace(k, 0);
  }
  Value* lookup(Key k) {
    auto it = map.find(k);
    return it == map.end() ? nullptr : &it->second;
  }
  long update(Key k, Value v) { return map.insert_or_assign(k, v).second ? 1 : 0; }
  long insert(Key k, Value v) { return map.emplace(k, v).second ? 0 : 1; }
  long erase(Key k) { return static_cast<long>(map.erase(k)); }
  void increment(Key k) {
    std::lock_guard lock(mutex);
    if (Value* v = lookup(k)) ++*v;
  }
};

// One table per type and size, built on first use and shared by every benchmark (and thread) using it.
template <class Table>
Table& table(std::size_t n) {
  static std::mutex mutex;
  static std::map<std::size_t, std::unique_ptr<Table>> tables;
  std::lock_guard lock(mutex);
  auto& t = tables[n];
  if (!t) t = std::make_unique<Table>(n);
  return *t;
}

template <class Table>
void do_op(Table& t, Op op, std::size_t i) {
  switch (op) {
    case Op::lookup: benchmark::DoNotOptimize(t.lookup(t.keys.probes[i])); break;
    case Op::update: benchmark::DoNotOptimize(t.update(t.keys.entries[i], i)); break;
    case Op::delete_reinsert:
      benchmark::DoNotOptimize(t.erase(t.keys.entries[i]));
      benchmark::DoNotOptimize(t.insert(t.keys.entries[i], i));
      break;
    case Op::increment: t.increment(t.keys.probes[i]); break;
  }
}

// ---- Timing: `op(i)` kBatch times per iteration, i cycling over [0, mask]; the result is ns per op(i).
double ns_since(Clock::time_point start, std::uint64_t ops) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()) /
         static_cast<double>(ops);
}

template <class F>
double timed_loop(benchmark::State& state, std::size_t mask, std::size_t i, F&& op) {
  const auto start = Clock::now();
  for (auto _ : state)
    for (std::size_t j = 0; j < kBatch; ++j, i = (i + 1) & mask) op(i);
  return ns_since(start, state.iterations() * kBatch);
}

// The same loop outside Google Benchmark, for the baselines: runs for kBaselineTime.
template <class F>
double timed_loop(std::size_t mask, std::size_t i, F&& op) {
  const auto start = Clock::now();
  std::uint64_t ops = 0;
  do {
    for (std::size_t j = 0; j < 64 * kBatch; ++j, i = (i + 1) & mask) op(i);
    ops += 64 * kBatch;
  } while (Clock::now() - start < kBaselineTime);
  return ns_since(start, ops);
}

// Per-thread ns per op of `threads` threads running timed_loop at once, averaged over the threads.
template <class F>
double timed_threads(int threads, std::size_t mask, F op) {
  std::latch ready(threads);
  std::vector<double> ns(static_cast<std::size_t>(threads));
  std::vector<std::jthread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready.arrive_and_wait();
      ns[static_cast<std::size_t>(t)] = timed_loop(mask, static_cast<std::size_t>(t) * 7919 & mask, op);
    });
  pool.clear();
  return std::accumulate(ns.begin(), ns.end(), 0.0) / threads;
}

// The baseline figure, measured once per (op, size, threads): std::unordered_map, behind its mutex for
// Op::increment. The best of 5 runs, so that a burst of load elsewhere on the machine does not skew every ratio.
double baseline_ns(Op op, std::size_t n, int threads = 1) {
  static std::mutex mutex;
  static std::map<std::tuple<Op, std::size_t, int>, double> figures;
  std::lock_guard lock(mutex);
  auto [it, fresh] = figures.try_emplace({op, n, threads}, 0.0);
  if (fresh) {
    StdTable& t = table<StdTable>(n);
    const auto op_i = [&t, op](std::size_t i) { do_op(t, op, i); };
    it->second = timed_threads(threads, n - 1, op_i);  // the first run also warms caches and pages up
    for (int run = 0; run < 4; ++run) it->second = std::min(it->second, timed_threads(threads, n - 1, op_i));
  }
  return it->second;
}

void report(benchmark::State& state, double ns, double baseline) {
  state.counters["ns/op"] = benchmark::Counter(ns, benchmark::Counter::kAvgThreads);
  if (baseline > 0) state.counters["x_baseline"] = benchmark::Counter(ns / baseline, benchmark::Counter::kAvgThreads);
}

// ---- 1. C++ on the Map API (and the baseline through the same loop); 3. the multi-threaded increments.
template <class Table>
void bm_table(benchmark::State& state, Op op, std::size_t n) {
  const double baseline = baseline_ns(op, n, state.threads());  // before the table is touched by the loop
  Table& t = table<Table>(n);
  const auto start_index = static_cast<std::size_t>(state.thread_index()) * 7919 & (n - 1);
  const double ns = timed_loop(state, n - 1, start_index, [&t, op](std::size_t i) { do_op(t, op, i); });
  report(state, ns, baseline);
}

// ---- 2. Programs run by the interpreter, with the map's address as the map reference.
const ubee::HelperRegistry& linux_helpers() {
  static const ubee::HelperRegistry registry = [] {
    ubee::HelperRegistry r;
    ubee::add_linux_helpers(r);
    return r;
  }();
  return registry;
}

std::string hex(const void* p) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(p)));
  return text;
}

// r1 (the run's memory) points at the key.
std::string lookup_increment_program(const ubee::Map* map) {
  return "r2 = r1\n r1 = " + hex(map) +
         " ll\n call 1\n if r0 == 0 goto out\n r1 = 1\n lock *(u64 *)(r0 + 0) += r1\n"
         "out:\n r0 = 0\n exit\n";
}
std::string update_program(const ubee::Map* map) {
  return "r2 = r1\n *(u64 *)(r10 - 8) = 1\n r3 = r10\n r3 += -8\n r4 = 0\n r1 = " + hex(map) +
         " ll\n call 2\n exit\n";
}

template <class Kind>
void bm_program(benchmark::State& state, Op op, std::size_t n) {
  const double baseline = baseline_ns(op == Op::increment ? Op::lookup : op, n);
  UbeeTable<Kind>& t = table<UbeeTable<Kind>>(n);
  const ubee::Map* map = t.map.get();
  auto program = ubee::assemble(op == Op::increment ? lookup_increment_program(map) : update_program(map));
  if (!program) return state.SkipWithError(program.error().to_string().c_str());
  auto vm = ubee::Interpreter::load(*program, linux_helpers(), ubee::LoadOptions{ubee::ExecMode::unchecked, {}});
  if (!vm) return state.SkipWithError(vm.error().to_string().c_str());
  auto& keys = op == Op::increment ? t.keys.probes : t.keys.entries;
  if (auto r0 = vm->run(&keys[0], sizeof keys[0]); !r0 || *r0 != 0)
    return state.SkipWithError(r0 ? "the program returned non-zero" : r0.error().to_string().c_str());
  const double ns = timed_loop(state, n - 1, 0, [&](std::size_t i) {
    benchmark::DoNotOptimize(vm->run(&keys[i], sizeof keys[i]));
  });
  report(state, ns, baseline);
}

// ---- Ring buffer: bpf_ringbuf_output of 64 bytes. The ring is drained between iterations, outside the timing, so
// it never fills: ns/op is the producer's cost alone.
void bm_ringbuf_output(benchmark::State& state) {
  auto created = ubee::create_map(map_spec(BPF_MAP_TYPE_RINGBUF, 0, 0, 1U << 20));
  if (!created) return state.SkipWithError(created.error().to_string().c_str());
  auto& ring = static_cast<ubee::RingBufMap&>(**created);
  auto consumer = ubee::RingBufConsumer::open(ring);
  if (!consumer) return state.SkipWithError(consumer.error().to_string().c_str());
  const std::uint8_t record[64] = {1, 2, 3};
  std::uint64_t failed = 0, consumed = 0, ns = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    for (std::size_t j = 0; j < kBatch; ++j) failed += ring.output(record, sizeof record) != 0;
    ns += static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
    state.PauseTiming();
    consumed += static_cast<std::uint64_t>(consumer->consume([](const void*, std::uint32_t) { return 0; }));
    state.ResumeTiming();
  }
  report(state, static_cast<double>(ns) / static_cast<double>(state.iterations() * kBatch), 0);
  if (failed != 0 || consumed != state.iterations() * kBatch) state.SkipWithError("ring full or records lost");
}

// ---- Registration.
template <class F>
void add(const std::string& name, F f) {
  benchmark::RegisterBenchmark(name.c_str(), f);
}

template <class Kind>
void register_kind() {
  for (std::size_t n : kSizes) {
    const std::string size = "/" + std::to_string(n);
    for (Op op : {Op::lookup, Op::update, Op::delete_reinsert})
      if (op != Op::delete_reinsert || Kind::can_delete)
        add(std::string("map/") + Kind::name + "/" + op_name(op) + size,
            [op, n](benchmark::State& s) { bm_table<UbeeTable<Kind>>(s, op, n); });
    for (Op op : {Op::increment, Op::update})
      add(std::string("prog/") + Kind::name + "/" + (op == Op::update ? "update" : "lookup_inc") + size,
          [op, n](benchmark::State& s) { bm_program<Kind>(s, op, n); });
  }
}

int register_all() {
  for (std::size_t n : kSizes)
    for (Op op : {Op::lookup, Op::update, Op::delete_reinsert})
      add(std::string("std_unordered_map/") + op_name(op) + "/" + std::to_string(n),
          [op, n](benchmark::State& s) { bm_table<StdTable>(s, op, n); });
  register_kind<HashKind>();
  register_kind<ArrayKind>();
  register_kind<LruHashKind>();
  register_kind<LpmKind>();
  add("ringbuf/output_64B", bm_ringbuf_output);
  for (std::size_t n : kSizes)
    for (int threads : kThreads) {
      const std::string suffix = std::string("/") + op_name(Op::increment) + "/" + std::to_string(n);
      benchmark::RegisterBenchmark(("mt/hash" + suffix).c_str(), [n](benchmark::State& s) {
        bm_table<UbeeTable<HashKind>>(s, Op::increment, n);
      })->Threads(threads)->UseRealTime();
      benchmark::RegisterBenchmark(("mt/std_mutex" + suffix).c_str(), [n](benchmark::State& s) {
        bm_table<StdTable>(s, Op::increment, n);
      })->Threads(threads)->UseRealTime();
    }
  return 0;
}
const int kRegistered = register_all();

}  // namespace

BENCHMARK_MAIN();
