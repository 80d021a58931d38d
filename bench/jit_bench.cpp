// The JIT against the interpreter, the kernel's JIT and the same kernels written in C and compiled natively
// with the project's flags (-O2 in the default RelWithDebInfo build), in ns per run, with each engine's ratio
// to native printed in one table at the end; plus the compile time of a 1,000-instruction program.
// Run: ./build/bench/jit_bench   (--benchmark_min_time=0.2 for a quicker pass)
//
// Every kernel is one XDP program that all eBPF engines run byte for byte: the packet is its input, and it is
// written the way the kernel's verifier accepts (one bounds check against data_end, index loops the verifier
// can unroll, a branch-free sorting network). ubee runs it on an xdp_md whose data fields point into memory
// below 4 GiB, as its BPF_PROG_TEST_RUN does; the kernel (bpf(2) via libbpf, "-" where refused) runs it through
// BPF_PROG_TEST_RUN with repeat, which reports the average duration per run. Every engine's result is checked
// against the native one before it is timed.
#include <benchmark/benchmark.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <ubee/jit.hpp>
#include <ubee/linux_helpers.hpp>
#include <ubee/maps.hpp>
#include <ubee/ubee.hpp>

namespace {

// ---- The kernels in C -------------------------------------------------------------------------------------
// Each mirrors its eBPF program statement by statement and takes the same (packet, length).

[[gnu::noinline]] std::uint64_t c_checksum(const std::uint8_t* p, std::uint64_t n) {
  std::uint64_t sum = 0, i = 0;
  for (; i + 1 < n; i += 2) sum += static_cast<std::uint64_t>(p[i]) << 8 | p[i + 1];
  if (i < n) sum += static_cast<std::uint64_t>(p[i]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum ^ 0xffff;
}

[[gnu::noinline]] std::uint64_t c_arith(const std::uint8_t* p, std::uint64_t) {
  std::uint32_t n;
  std::memcpy(&n, p, 4);
  const std::uint64_t k = 0xffffffff9e3779b9;  // mov64 sign-extends 0x9e3779b9
  std::uint64_t r0 = 0;
  for (std::uint64_t r1 = n; r1 != 0; --r1) {
    std::uint64_t r3 = (r1 * k) ^ r0;
    r0 += r3 >> 7;
    r0 = (r0 << 1) | 1;
  }
  return r0;
}

[[gnu::noinline]] std::uint64_t c_scan(const std::uint8_t* p, std::uint64_t n) {
  std::uint64_t count = 0;
  const std::uint8_t* s = p;
  for (; s < p + n && *s != 0; ++s) count += *s == ':';
  return static_cast<std::uint64_t>(s - p) << 32 | count;
}

constexpr std::pair<int, int> kNetwork8[] = {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3}, {4, 6},
                                             {5, 7}, {1, 2}, {5, 6}, {0, 4}, {1, 5}, {2, 6}, {3, 7},
                                             {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}};  // Batcher, 19 comparators

// Branch-free compare-exchange of two u32 values: d = b - a, and min(d, 0) moves a down and b up.
inline void cswap(std::int64_t& a, std::int64_t& b) {
  const std::int64_t d = b - a;
  const std::int64_t dm = d & (d >> 63);
  a += dm;
  b -= dm;
}

// The network unrolled on eight locals, as the eBPF program keeps the group in r2-r9.
[[gnu::noinline]] std::uint64_t c_sort(std::uint8_t* p, std::uint64_t n) {
  std::int64_t v0 = 0, v1 = 0, v2 = 0, v3 = 0, v4 = 0, v5 = 0, v6 = 0, v7 = 0;
  const auto load = [](const std::uint8_t* at) {
    std::uint32_t x;
    std::memcpy(&x, at, 4);
    return static_cast<std::int64_t>(x);
  };
  const auto store = [](std::uint8_t* at, std::int64_t v) {
    const auto x = static_cast<std::uint32_t>(v);
    std::memcpy(at, &x, 4);
  };
  for (std::uint8_t* g = p; g < p + n; g += 32) {
    v0 = load(g), v1 = load(g + 4), v2 = load(g + 8), v3 = load(g + 12);
    v4 = load(g + 16), v5 = load(g + 20), v6 = load(g + 24), v7 = load(g + 28);
    // kNetwork8, written out.
    cswap(v0, v1), cswap(v2, v3), cswap(v4, v5), cswap(v6, v7), cswap(v0, v2), cswap(v1, v3), cswap(v4, v6);
    cswap(v5, v7), cswap(v1, v2), cswap(v5, v6), cswap(v0, v4), cswap(v1, v5), cswap(v2, v6), cswap(v3, v7);
    cswap(v2, v4), cswap(v3, v5), cswap(v1, v2), cswap(v3, v4), cswap(v5, v6);
    store(g, v0), store(g + 4, v1), store(g + 8, v2), store(g + 12, v3);
    store(g + 16, v4), store(g + 20, v5), store(g + 24, v6), store(g + 28, v7);
  }
  return static_cast<std::uint64_t>(v0);
}

// ---- The same kernels in eBPF, as XDP programs ------------------------------------------------------------

// r1 = data, with `size` bytes proven there (else return 0), r2 = data_end.
std::string prologue(std::size_t size) {
  return "r2 = *(u32 *)(r1 + 4)\nr1 = *(u32 *)(r1 + 0)\nr3 = r1\nr3 += " + std::to_string(size) +
         "\nif r3 > r2 goto short\n";
}
const char* kShort = "short:\nr0 = 0\nexit\n";

// RFC 1071 over 1,500 bytes; two folds bring any sum of 750 words to 16 bits (the C loop folds at most twice).
std::string checksum_program() {
  return prologue(1500) + R"(
        r0 = 0
        r4 = 0
      loop:
        if r4 >= 1499 goto tail      ; fewer than two bytes left
        r5 = r1
        r5 += r4
        r6 = *(u16 *)(r5 + 0)
        r6 = be16 r6
        r0 += r6
        r4 += 2
        goto loop
      tail:
        if r4 >= 1500 goto fold
        r5 = r1
        r5 += r4
        r6 = *(u8 *)(r5 + 0)
        r6 <<= 8
        r0 += r6
      fold:
        r4 = r0
        r4 >>= 16
        r0 &= 0xffff
        r0 += r4
        r4 = r0
        r4 >>= 16
        r0 &= 0xffff
        r0 += r4
        r0 ^= 0xffff
        exit
)" + kShort;
}

// 10,000 iterations; the count is a constant so that the kernel's verifier sees the loop end.
std::string arith_program() {
  return prologue(14) + R"(
        r1 = 10000
        r0 = 0
        r2 = 0x9e3779b9
      loop:
        r3 = r1
        r3 *= r2
        r3 ^= r0
        r4 = r3
        r4 >>= 7
        r0 += r4
        r0 <<= 1
        r0 |= 1
        r1 -= 1
        if r1 != 0 goto loop
        exit
)" + kShort;
}

std::string scan_program() {
  return prologue(1500) + R"(
        r0 = 0
        r4 = 0
      loop:
        if r4 >= 1500 goto done
        r5 = r1
        r5 += r4
        r3 = *(u8 *)(r5 + 0)
        if r3 == 0 goto done
        if r3 != 58 goto next
        r0 += 1
      next:
        r4 += 1
        goto loop
      done:
        r4 <<= 32
        r0 |= r4
        exit
)" + kShort;
}

// 32 groups of eight u32 in r2-r9; r0 and r1 (the packet pointer, spilled) are the comparators' temporaries,
// the group count lives on the stack.
std::string sort_program() {
  std::string t = prologue(1024) + "r0 = 32\n*(u64 *)(r10 - 8) = r0\nloop:\n";
  for (int i = 0; i < 8; ++i) t += "r" + std::to_string(i + 2) + " = *(u32 *)(r1 + " + std::to_string(4 * i) + ")\n";
  t += "*(u64 *)(r10 - 16) = r1\n";
  for (const auto& [a, b] : kNetwork8) {
    const std::string ra = "r" + std::to_string(a + 2), rb = "r" + std::to_string(b + 2);
    t += "r0 = " + rb + "\nr0 -= " + ra + "\nr1 = r0\nr1 s>>= 63\nr0 &= r1\n" + ra + " += r0\n" + rb + " -= r0\n";
  }
  t += "r1 = *(u64 *)(r10 - 16)\n";
  for (int i = 0; i < 8; ++i) t += "*(u32 *)(r1 + " + std::to_string(4 * i) + ") = r" + std::to_string(i + 2) + "\n";
  t += "r1 += 32\nr0 = *(u64 *)(r10 - 8)\nr0 -= 1\n*(u64 *)(r10 - 8) = r0\nif r0 != 0 goto loop\nr0 = r2\nexit\n";
  return t + kShort;
}

struct Kernel {
  const char* name;
  std::string text;
  std::uint64_t (*native)(std::uint8_t*, std::uint64_t);
  std::vector<std::uint8_t> input;
};

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
  std::vector<std::uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

std::vector<Kernel> make_kernels() {
  std::vector<Kernel> k;
  k.push_back({"checksum_1500", checksum_program(), [](std::uint8_t* p, std::uint64_t n) { return c_checksum(p, n); },
               random_bytes(1500, 1)});
  std::vector<std::uint8_t> count(14, 0);
  count[0] = 0x10, count[1] = 0x27;  // 10,000 iterations
  k.push_back({"arith_loop_10000", arith_program(), [](std::uint8_t* p, std::uint64_t n) { return c_arith(p, n); },
               count});
  std::vector<std::uint8_t> text(1500);
  std::mt19937 rng(3);
  for (auto& c : text) c = static_cast<std::uint8_t>("abcdefghijklmnopqrstuvwxyz:/ "[rng() % 29]);
  text.back() = 0;
  k.push_back({"string_scan_1500", scan_program(), [](std::uint8_t* p, std::uint64_t n) { return c_scan(p, n); },
               text});
  // Sorting rewrites the packet in place and no engine restores it: from the second run on every engine sorts
  // sorted groups, in the same time (no branch depends on the data).
  k.push_back({"sorting_network_8x32", sort_program(), [](std::uint8_t* p, std::uint64_t n) { return c_sort(p, n); },
               random_bytes(1024, 4)});
  return k;
}

const std::vector<Kernel>& kernels() {
  static const std::vector<Kernel> k = make_kernels();
  return k;
}

// The packet in memory below 4 GiB, and the xdp_md pointing at it, as ubee's BPF_PROG_TEST_RUN builds them.
class Packet {
 public:
  explicit Packet(const std::vector<std::uint8_t>& bytes) : size_(bytes.size()) {
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    data_ = p == MAP_FAILED ? nullptr : static_cast<std::uint8_t*>(p);
    if (data_ == nullptr) return;
    std::memcpy(data_, bytes.data(), size_);
    md_.data = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(data_));
    md_.data_end = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(data_ + size_));
  }
  ~Packet() {
    if (data_ != nullptr) munmap(data_, size_);
  }
  Packet(const Packet&) = delete;
  Packet& operator=(const Packet&) = delete;
  [[nodiscard]] std::uint8_t* data() const { return data_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  xdp_md* md() { return &md_; }

 private:
  std::size_t size_;
  std::uint8_t* data_;
  xdp_md md_{};
};

enum class Engine { native, interp, jit, jit_hardened, kernel };
const char* engine_name(Engine e) {
  switch (e) {
    case Engine::native: return "native";
    case Engine::interp: return "interp";
    case Engine::jit: return "jit";
    case Engine::jit_hardened: return "jit_harden";
    default: return "kernel_jit";
  }
}

// What a native run leaves: r0 and the packet.
std::pair<std::uint64_t, std::vector<std::uint8_t>> native_result(const Kernel& k) {
  std::vector<std::uint8_t> memory = k.input;
  const std::uint64_t r0 = k.native(memory.data(), memory.size());
  return {r0, memory};
}

template <class Run>
void time_runs(benchmark::State& state, const Kernel& k, Packet& packet, const Run& run) {
  const auto [expected, expected_memory] = native_result(k);
  const std::uint64_t got = run();
  if (got != expected || !std::equal(expected_memory.begin(), expected_memory.end(), packet.data())) {
    state.SkipWithError("result differs from the native one");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(packet.data());
    benchmark::DoNotOptimize(run());
    benchmark::ClobberMemory();
  }
}

// The program loaded into the kernel as XDP (fd), or -errno. The verifier's log goes to stderr on a refusal.
int load_xdp(const ubee::Program& program) {
  const auto* insns = reinterpret_cast<const bpf_insn*>(program.data());
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "ubee_bench", "GPL", insns, program.size(), nullptr);
  if (fd >= 0) return fd;
  const int error = errno;
  std::vector<char> log(1 << 20);
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 1, .log_size = static_cast<std::uint32_t>(log.size()),
              .log_buf = log.data());
  if (bpf_prog_load(BPF_PROG_TYPE_XDP, "ubee_bench", "GPL", insns, program.size(), &opts) < 0) {
    const std::string text(log.data());
    std::fprintf(stderr, "kernel verifier: ...%s\n", text.substr(text.size() > 2000 ? text.size() - 2000 : 0).c_str());
  }
  return -error;
}

// The kernel's JIT: the program loaded as XDP, timed by BPF_PROG_TEST_RUN with repeat (one iteration, its time
// the kernel's average per run). Skipped, "-" in the table, where bpf(2) is refused.
void bench_kernel_jit(benchmark::State& state, const Kernel& k, const ubee::Program& program) {
  const int fd = load_xdp(program);
  if (fd < 0) {
    for (auto _ : state) {}
    return state.SkipWithError(("bpf_prog_load refused: " + std::string(std::strerror(-fd))).c_str());
  }
  const auto [expected, expected_memory] = native_result(k);
  std::vector<std::uint8_t> out(k.input.size());
  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = k.input.data(), .data_out = out.data(),
              .data_size_in = static_cast<std::uint32_t>(k.input.size()),
              .data_size_out = static_cast<std::uint32_t>(out.size()), .repeat = 1);
  const int rc = bpf_prog_test_run_opts(fd, &run);
  const bool same = rc == 0 && run.retval == static_cast<std::uint32_t>(expected) && out == expected_memory;
  for (auto _ : state) {
    run.repeat = static_cast<int>(std::max<std::int64_t>(1, state.range(0)));
    if (!same || bpf_prog_test_run_opts(fd, &run) != 0) break;
    state.SetIterationTime(static_cast<double>(run.duration) * 1e-9);
  }
  close(fd);
  if (!same) state.SkipWithError(rc != 0 ? "BPF_PROG_TEST_RUN refused" : "result differs from the native one");
}

void bench_kernel(benchmark::State& state, const Kernel& k, Engine engine) {
  const ubee::HelperRegistry helpers;
  auto program = ubee::assemble(k.text);
  if (!program) return state.SkipWithError(program.error().to_string().c_str());
  if (engine == Engine::kernel) return bench_kernel_jit(state, k, *program);
  Packet packet(k.input);
  if (packet.data() == nullptr) return state.SkipWithError("no memory below 4 GiB");
  switch (engine) {
    case Engine::native:
      return time_runs(state, k, packet, [&] { return k.native(packet.data(), packet.size()); });
    case Engine::interp: {
      // Unchecked: the interpreter's fast mode, for the verified programs the JIT is for.
      auto vm = ubee::Interpreter::load(*program, helpers, ubee::LoadOptions{ubee::ExecMode::unchecked, {}});
      if (!vm) return state.SkipWithError(vm.error().to_string().c_str());
      return time_runs(state, k, packet, [&] { return *vm->run(packet.md(), sizeof(xdp_md)); });
    }
    default: {
      ubee::JitOptions options;
      options.harden = engine == Engine::jit_hardened;
      auto jit = ubee::JitProgram::compile(*program, helpers, options);
      if (!jit) return state.SkipWithError(jit.error().to_string().c_str());
      return time_runs(state, k, packet, [&] { return *jit->run(packet.md(), sizeof(xdp_md)); });
    }
  }
}

// 100 map lookups per run (keys 0-7, values summed): the helper call against the JIT's inline array lookup and
// its direct call for hash maps.
void bench_map_lookup(benchmark::State& state, std::uint32_t type, bool inline_lookups) {
  ubee::MapSpec spec;
  spec.name = "values";
  spec.type = type;
  spec.key_size = 4;
  spec.value_size = 8;
  spec.max_entries = 8;
  auto map = ubee::create_map(spec);
  if (!map) return state.SkipWithError(map.error().to_string().c_str());
  for (std::uint32_t i = 0; i < 8; ++i) {
    const std::uint64_t v = i * 3;
    (*map)->user_update(&i, &v, BPF_ANY);
  }
  char address[32];
  std::snprintf(address, sizeof address, "0x%llx", static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(map->get())));
  const std::string text = std::string("r6 = 0\nr7 = 0\nloop:\nr1 = r6\nr1 &= 7\n*(u32 *)(r10 - 4) = r1\nr1 = ") +
                           address + " ll\nr2 = r10\nr2 += -4\ncall 1\nif r0 == 0 goto next\nr1 = *(u64 *)(r0 + 0)\n"
                           "r7 += r1\nnext:\nr6 += 1\nif r6 < 100 goto loop\nr0 = r7\nexit\n";
  ubee::HelperRegistry helpers;
  ubee::add_linux_helpers(helpers);
  auto program = ubee::assemble(text);
  if (!program) return state.SkipWithError(program.error().to_string().c_str());
  ubee::JitOptions options;
  options.inline_map_lookups = inline_lookups;
  auto jit = ubee::JitProgram::compile(*program, helpers, options);
  if (!jit) return state.SkipWithError(jit.error().to_string().c_str());
  if (*jit->run(nullptr, 0) != 3 * (12 * 28 + 0 + 1 + 2 + 3)) return state.SkipWithError("wrong sum");
  for (auto _ : state) benchmark::DoNotOptimize(*jit->run(nullptr, 0));
}

// A 1,000-instruction program of every common kind: ALU on registers and immediates, stack loads and stores,
// forward branches, a lddw now and then.
ubee::Program thousand_insns() {
  std::string t = "r0 = 0\nr1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr5 = 5\n";
  std::mt19937 rng(7);
  int n = 6;
  while (n < 998) {
    const int a = static_cast<int>(rng() % 6), b = static_cast<int>(rng() % 6);
    const std::string ra = "r" + std::to_string(a), rb = "r" + std::to_string(b);
    switch (rng() % 8) {
      case 0: t += ra + " += " + rb + "\n"; break;
      case 1: t += ra + " ^= " + std::to_string(rng() % 100000) + "\n"; break;
      case 2: t += "w" + std::to_string(a) + " *= w" + std::to_string(b) + "\n"; break;
      case 3: t += ra + " <<= " + std::to_string(rng() % 63) + "\n"; break;
      case 4: t += "*(u64 *)(r10 - " + std::to_string(8 * (1 + rng() % 16)) + ") = " + ra + "\n"; break;
      case 5: t += ra + " = *(u64 *)(r10 - " + std::to_string(8 * (1 + rng() % 16)) + ")\n"; break;
      case 6: t += "if " + ra + " > " + std::to_string(rng() % 1000) + " goto +1\n" + rb + " += 1\n"; ++n; break;
      default: t += ra + " = 0x123456789 ll\n"; ++n; break;
    }
    ++n;
  }
  t += "r0 = 0\nexit\n";
  auto p = ubee::assemble(t);
  return p ? *p : ubee::Program{};
}

void bench_compile(benchmark::State& state, int kind) {
  const ubee::HelperRegistry helpers;
  const ubee::Program program = thousand_insns();
  for (auto _ : state) {
    if (kind == 0) {
      auto vm = ubee::Interpreter::load(program, helpers, ubee::LoadOptions{ubee::ExecMode::unchecked, {}});
      benchmark::DoNotOptimize(vm);
    } else {
      ubee::JitOptions options;
      options.harden = kind == 2;
      auto jit = ubee::JitProgram::compile(program, helpers, options);
      if (!jit) return state.SkipWithError(jit.error().to_string().c_str());
      benchmark::DoNotOptimize(jit);
    }
  }
  state.counters["insns"] = static_cast<double>(program.size());
}

// Collects each benchmark's time per iteration (ns) for the table: CPU time, which is what the kernel's
// BPF_PROG_TEST_RUN measures too (its timer stops while the task is rescheduled), so that other load on the
// machine does not count; the kernel's own figure is reported as manual time.
class TableReporter : public benchmark::ConsoleReporter {
 public:
  static double time_of(const Run& r) {
    return r.run_name.function_name.rfind("kernel_jit/", 0) == 0 ? r.GetAdjustedRealTime() : r.GetAdjustedCPUTime();
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (!r.error_occurred && r.run_type == Run::RT_Iteration) times[r.run_name.function_name] = time_of(r);
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> times;
};

void print_table(const TableReporter& reporter) {
  const auto time = [&](const std::string& name) {
    auto it = reporter.times.find(name);
    return it == reporter.times.end() ? -1.0 : it->second;
  };
  std::printf("\n%-22s %10s %18s %18s %18s %18s\n", "kernel (ns per run)", "native", "interp (x native)",
              "jit (x native)", "jit_harden (x nat)", "kernel_jit (x nat)");
  for (const Kernel& k : kernels()) {
    const double native = time(std::string("native/") + k.name);
    std::printf("%-22s %10.1f", k.name, native);
    for (Engine e : {Engine::interp, Engine::jit, Engine::jit_hardened, Engine::kernel}) {
      const double t = time(std::string(engine_name(e)) + "/" + k.name);
      char cell[64];
      if (t < 0 || native <= 0) std::snprintf(cell, sizeof cell, "-");
      else std::snprintf(cell, sizeof cell, "%.1f (%.2fx)", t, t / native);
      std::printf(" %18s", cell);
    }
    std::printf("\n");
  }
  for (const char* map : {"array", "hash"}) {
    const double called = time(std::string(map) + "_lookup_x100/helper_call");
    const double inlined = time(std::string(map) + "_lookup_x100/jit_inline");
    std::printf("\n%s map lookup, 100 per run (ns): helper call %.1f, %s %.1f (%.2fx faster)", map, called,
                map[0] == 'a' ? "inline" : "direct call", inlined, inlined > 0 ? called / inlined : 0.0);
  }
  std::printf("\n");
  std::printf("\ncompile, 1,000 insns (us): interpreter load %.1f, jit %.1f, jit_harden %.1f\n",
              time("compile_1000/interp_load"), time("compile_1000/jit"), time("compile_1000/jit_harden"));
}

void register_all() {
  for (const Kernel& k : kernels()) {
    for (Engine e : {Engine::native, Engine::interp, Engine::jit, Engine::jit_hardened}) {
      benchmark::RegisterBenchmark((std::string(engine_name(e)) + "/" + k.name).c_str(),
                                   [&k, e](benchmark::State& s) { bench_kernel(s, k, e); })
          ->Unit(benchmark::kNanosecond);
    }
    // Each iteration is one BPF_PROG_TEST_RUN of 20,000 runs; its time is the kernel's average per run.
    benchmark::RegisterBenchmark((std::string(engine_name(Engine::kernel)) + "/" + k.name).c_str(),
                                 [&k](benchmark::State& s) { bench_kernel(s, k, Engine::kernel); })
        ->Arg(20000)
        ->Iterations(5)
        ->UseManualTime()
        ->Unit(benchmark::kNanosecond);
  }
  for (const auto& [map, type] : {std::pair<std::string, std::uint32_t>{"array", BPF_MAP_TYPE_ARRAY},
                                  std::pair<std::string, std::uint32_t>{"hash", BPF_MAP_TYPE_HASH}}) {
    for (bool inline_lookups : {false, true}) {
      const std::string name = map + "_lookup_x100/" + (inline_lookups ? "jit_inline" : "helper_call");
      benchmark::RegisterBenchmark(name.c_str(), [type, inline_lookups](benchmark::State& s) {
        bench_map_lookup(s, type, inline_lookups);
      })->Unit(benchmark::kNanosecond);
    }
  }
  const char* names[] = {"compile_1000/interp_load", "compile_1000/jit", "compile_1000/jit_harden"};
  for (int kind = 0; kind < 3; ++kind)
    benchmark::RegisterBenchmark(names[kind], [kind](benchmark::State& s) { bench_compile(s, kind); })
        ->Unit(benchmark::kMicrosecond);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  TableReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_table(reporter);
  benchmark::Shutdown();
  return 0;
}
