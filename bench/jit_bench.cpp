// The JIT against the interpreter and against the same kernels written in C and compiled natively with the
// project's flags (-O2 in the default RelWithDebInfo build), in ns per run, with each engine's ratio to native
// printed in one table at the end; plus the compile time of a 1,000-instruction program.
// Run: ./build/bench/jit_bench   (--benchmark_min_time=0.2 for a quicker pass)
// Every engine's result is checked against the native one before it is timed.
// Not here yet: the kernel's JIT through BPF_PROG_TEST_RUN with repeat (bpftool prog run), where available.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <ubee/jit.hpp>
#include <ubee/ubee.hpp>

namespace {

// ---- The kernels in C -------------------------------------------------------------------------------------
// Each mirrors its eBPF program statement by statement and takes the same (memory, length).

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

// The network unrolled on eight locals, as the eBPF program keeps the group in r2-r9.
[[gnu::noinline]] std::uint64_t c_sort(std::uint8_t* p, std::uint64_t n) {
  std::uint64_t v0 = 0, v1 = 0, v2 = 0, v3 = 0, v4 = 0, v5 = 0, v6 = 0, v7 = 0;
  const auto load = [](const std::uint8_t* at) {
    std::uint32_t x;
    std::memcpy(&x, at, 4);
    return static_cast<std::uint64_t>(x);
  };
  const auto store = [](std::uint8_t* at, std::uint64_t v) {
    const auto x = static_cast<std::uint32_t>(v);
    std::memcpy(at, &x, 4);
  };
#define UBEE_CSWAP(a, b)       \
  if (a > b) {                 \
    const std::uint64_t t = a; \
    a = b;                     \
    b = t;                     \
  }
  for (std::uint8_t* g = p; g < p + n; g += 32) {
    v0 = load(g), v1 = load(g + 4), v2 = load(g + 8), v3 = load(g + 12);
    v4 = load(g + 16), v5 = load(g + 20), v6 = load(g + 24), v7 = load(g + 28);
    UBEE_CSWAP(v0, v1) UBEE_CSWAP(v2, v3) UBEE_CSWAP(v4, v5) UBEE_CSWAP(v6, v7) UBEE_CSWAP(v0, v2)
    UBEE_CSWAP(v1, v3) UBEE_CSWAP(v4, v6) UBEE_CSWAP(v5, v7) UBEE_CSWAP(v1, v2) UBEE_CSWAP(v5, v6)
    UBEE_CSWAP(v0, v4) UBEE_CSWAP(v1, v5) UBEE_CSWAP(v2, v6) UBEE_CSWAP(v3, v7) UBEE_CSWAP(v2, v4)
    UBEE_CSWAP(v3, v5) UBEE_CSWAP(v1, v2) UBEE_CSWAP(v3, v4) UBEE_CSWAP(v5, v6)
    store(g, v0), store(g + 4, v1), store(g + 8, v2), store(g + 12, v3);
    store(g + 16, v4), store(g + 20, v5), store(g + 24, v6), store(g + 28, v7);
  }
#undef UBEE_CSWAP
  return v0;
}

// ---- The same kernels in eBPF -----------------------------------------------------------------------------

std::string read_text(const char* path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const char* kArith = R"(
        r1 = *(u32 *)(r1 + 0)
        r0 = 0
        r2 = 0x9e3779b9
        if r1 == 0 goto done
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
      done:
        exit)";

const char* kScan = R"(
        r0 = 0
        r3 = r1
        r4 = r1
        r4 += r2
      loop:
        if r3 >= r4 goto done
        r5 = *(u8 *)(r3 + 0)
        if r5 == 0 goto done
        if r5 != 58 goto next
        r0 += 1
      next:
        r3 += 1
        goto loop
      done:
        r3 -= r1
        r3 <<= 32
        r0 |= r3
        exit)";

// Groups of eight u32 in r2-r9, the end pointer on the stack; r0 is the swap temporary.
std::string sort_program() {
  std::string t = "r0 = r1\nr0 += r2\n*(u64 *)(r10 - 8) = r0\nif r1 >= r0 goto done\nloop:\n";
  for (int i = 0; i < 8; ++i) t += "r" + std::to_string(i + 2) + " = *(u32 *)(r1 + " + std::to_string(4 * i) + ")\n";
  for (const auto& [a, b] : kNetwork8) {
    const std::string ra = "r" + std::to_string(a + 2), rb = "r" + std::to_string(b + 2);
    t += "if " + ra + " <= " + rb + " goto +3\nr0 = " + ra + "\n" + ra + " = " + rb + "\n" + rb + " = r0\n";
  }
  for (int i = 0; i < 8; ++i) t += "*(u32 *)(r1 + " + std::to_string(4 * i) + ") = r" + std::to_string(i + 2) + "\n";
  t += "r1 += 32\nr0 = *(u64 *)(r10 - 8)\nif r1 < r0 goto loop\ndone:\nr0 = r2\nexit\n";
  return t;
}

struct Kernel {
  const char* name;
  std::string text;
  std::uint64_t (*native)(std::uint8_t*, std::uint64_t);
  std::vector<std::uint8_t> input;
  bool writes_memory;
};

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
  std::vector<std::uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

std::vector<Kernel> make_kernels() {
  std::vector<Kernel> k;
  k.push_back({"checksum_1500", read_text(UBEE_SOURCE_DIR "/examples/programs/checksum.s"),
               [](std::uint8_t* p, std::uint64_t n) { return c_checksum(p, n); }, random_bytes(1500, 1), false});
  k.push_back({"arith_loop_10000", kArith, [](std::uint8_t* p, std::uint64_t n) { return c_arith(p, n); },
               {0x10, 0x27, 0, 0}, false});  // 10,000 iterations
  std::vector<std::uint8_t> text(1500);
  std::mt19937 rng(3);
  for (auto& c : text) c = static_cast<std::uint8_t>("abcdefghijklmnopqrstuvwxyz:/ "[rng() % 29]);
  text.back() = 0;
  k.push_back({"string_scan_1500", kScan, [](std::uint8_t* p, std::uint64_t n) { return c_scan(p, n); }, text,
               false});
  k.push_back({"sorting_network_8x32", sort_program(),
               [](std::uint8_t* p, std::uint64_t n) { return c_sort(p, n); }, random_bytes(1024, 4), true});
  return k;
}

const std::vector<Kernel>& kernels() {
  static const std::vector<Kernel> k = make_kernels();
  return k;
}

enum class Engine { native, interp, jit, jit_hardened };
const char* engine_name(Engine e) {
  switch (e) {
    case Engine::native: return "native";
    case Engine::interp: return "interp";
    case Engine::jit: return "jit";
    default: return "jit_harden";
  }
}

template <class Run>
void time_runs(benchmark::State& state, const Kernel& k, const Run& run) {
  std::vector<std::uint8_t> memory = k.input;
  std::vector<std::uint8_t> expected_memory = k.input;
  const std::uint64_t expected = k.native(expected_memory.data(), expected_memory.size());
  const std::uint64_t got = run(memory);
  if (got != expected || memory != expected_memory) {
    state.SkipWithError("result differs from the native one");
    return;
  }
  // The memory is restored before every run of a kernel that writes it, on every engine alike.
  for (auto _ : state) {
    if (k.writes_memory) std::memcpy(memory.data(), k.input.data(), memory.size());
    benchmark::DoNotOptimize(memory.data());
    benchmark::DoNotOptimize(run(memory));
    benchmark::ClobberMemory();
  }
}

void bench_kernel(benchmark::State& state, const Kernel& k, Engine engine) {
  const ubee::HelperRegistry helpers;
  auto program = ubee::assemble(k.text);
  if (!program) return state.SkipWithError(program.error().to_string().c_str());
  switch (engine) {
    case Engine::native:
      return time_runs(state, k, [&](std::vector<std::uint8_t>& m) { return k.native(m.data(), m.size()); });
    case Engine::interp: {
      // Unchecked: the interpreter's fast mode, for the verified programs the JIT is for.
      auto vm = ubee::Interpreter::load(*program, helpers, ubee::LoadOptions{ubee::ExecMode::unchecked, {}});
      if (!vm) return state.SkipWithError(vm.error().to_string().c_str());
      return time_runs(state, k, [&](std::vector<std::uint8_t>& m) { return *vm->run(m.data(), m.size()); });
    }
    default: {
      ubee::JitOptions options;
      options.harden = engine == Engine::jit_hardened;
      auto jit = ubee::JitProgram::compile(*program, helpers, options);
      if (!jit) return state.SkipWithError(jit.error().to_string().c_str());
      return time_runs(state, k, [&](std::vector<std::uint8_t>& m) { return *jit->run(m.data(), m.size()); });
    }
  }
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

// Collects each benchmark's time per iteration (ns) for the table.
class TableReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (!r.error_occurred && r.run_type == Run::RT_Iteration) times[r.benchmark_name()] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> times;
};

void print_table(const TableReporter& reporter) {
  const auto time = [&](const std::string& name) {
    auto it = reporter.times.find(name);
    return it == reporter.times.end() ? -1.0 : it->second;
  };
  std::printf("\n%-22s %12s %20s %20s %20s\n", "kernel (ns per run)", "native", "interp (x native)", "jit (x native)",
              "jit_harden (x native)");
  for (const Kernel& k : kernels()) {
    const double native = time(std::string("native/") + k.name);
    std::printf("%-22s %12.1f", k.name, native);
    for (Engine e : {Engine::interp, Engine::jit, Engine::jit_hardened}) {
      const double t = time(std::string(engine_name(e)) + "/" + k.name);
      char cell[64];
      if (t < 0 || native <= 0) std::snprintf(cell, sizeof cell, "n/a");
      else std::snprintf(cell, sizeof cell, "%.1f (%.2fx)", t, t / native);
      std::printf(" %20s", cell);
    }
    std::printf("\n");
  }
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
