// Interpreter throughput on compute-heavy programs, in eBPF instructions per second, for both execution modes.
// Run: ./build/bench/interpreter_bench   (the README records its figures)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <random>
#include <vector>

#include <ubee/ubee.hpp>

namespace {

struct Workload {
  const char* name;
  const char* text;  // nullptr: the bundled checksum example
  std::size_t memory_size;
  bool writes_memory = false;
};

const Workload kWorkloads[] = {
    {"arith_loop",  // integer arithmetic in a 10,000-iteration loop
     R"(r0 = 0
        r1 = 10000
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
        exit)",
     0},
    {"checksum_1500", nullptr, 1500},  // examples/programs/checksum.s over a 1,500-byte packet
    {"stack_memory",  // fills the 512-byte stack frame and sums it back, 20 times
     R"(r0 = 0
        r7 = 20
      round:
        r1 = r10
        r1 += -512
        r2 = 0
      fill:
        *(u64 *)(r1 + 0) = r2
        r1 += 8
        r2 += 3
        if r1 != r10 goto fill
        r1 = r10
        r1 += -512
      sum:
        r3 = *(u64 *)(r1 + 0)
        r0 += r3
        r1 += 8
        if r1 != r10 goto sum
        r7 -= 1
        if r7 != 0 goto round
        exit)",
     0},
    {"insertion_sort_64",  // sorts 64 u32 values of the input in place
     R"(r6 = 1
      outer:
        if r6 >= 64 goto done
        r7 = r6
        r7 <<= 2
        r7 += r1
        r8 = *(u32 *)(r7 + 0)
        r9 = r6
      inner:
        if r9 == 0 goto place
        r7 = r9
        r7 <<= 2
        r7 += r1
        r2 = *(u32 *)(r7 - 4)
        if r2 <= r8 goto place
        *(u32 *)(r7 + 0) = r2
        r9 -= 1
        goto inner
      place:
        r7 = r9
        r7 <<= 2
        r7 += r1
        *(u32 *)(r7 + 0) = r8
        r6 += 1
        goto outer
      done:
        r0 = *(u32 *)(r1 + 0)
        exit)",
     256, true},
    {"local_calls",  // 1,000 bpf-to-bpf calls
     R"(r6 = 1000
        r7 = 0
      loop:
        r1 = r6
        call square
        r7 += r0
        r6 -= 1
        if r6 != 0 goto loop
        r0 = r7
        exit
      square:
        r0 = r1
        r0 *= r1
        exit)",
     0},
};

std::string read_text(const char* path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void run_workload(benchmark::State& state, const Workload& w, ubee::ExecMode mode) {
  const ubee::HelperRegistry helpers;
  auto program = ubee::assemble(w.text != nullptr ? w.text : read_text(UBEE_SOURCE_DIR "/examples/programs/checksum.s"));
  if (!program) {
    state.SkipWithError(program.error().to_string().c_str());
    return;
  }
  auto vm = ubee::Interpreter::load(*program, helpers, ubee::LoadOptions{mode, {}});
  if (!vm) {
    state.SkipWithError(vm.error().to_string().c_str());
    return;
  }
  std::vector<std::uint8_t> input(w.memory_size);
  std::mt19937 rng(42);
  for (auto& b : input) b = static_cast<std::uint8_t>(rng());
  std::vector<std::uint8_t> memory = input;
  // The instruction count of one run, from a checked run of the same program and input.
  std::uint64_t insns = 0;
  auto counting = ubee::Interpreter::load(*program, helpers);
  ubee::RunOptions count_options;
  count_options.insn_count = &insns;
  (void)counting->run(memory.empty() ? nullptr : memory.data(), memory.size(), count_options);
  for (auto _ : state) {
    if (w.writes_memory) memory = input;  // a copy of at most a few hundred bytes: noise beside the run
    auto r0 = vm->run(memory.empty() ? nullptr : memory.data(), memory.size());
    benchmark::DoNotOptimize(r0);
  }
  state.counters["insns/run"] = static_cast<double>(insns);
  state.counters["insns/s"] =
      benchmark::Counter(static_cast<double>(insns) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

int register_all() {
  for (const Workload& w : kWorkloads) {
    benchmark::RegisterBenchmark((std::string("interp_unchecked/") + w.name).c_str(),
                                 [&w](benchmark::State& s) { run_workload(s, w, ubee::ExecMode::unchecked); });
    benchmark::RegisterBenchmark((std::string("interp_checked/") + w.name).c_str(),
                                 [&w](benchmark::State& s) { run_workload(s, w, ubee::ExecMode::checked); });
  }
  return 0;
}
const int kRegistered = register_all();

}  // namespace

BENCHMARK_MAIN();
