// The cost of a probe hit: a noinline call without a probe, with an entry probe (empty handler, counting
// handler), with a return probe, and with both. The difference to the unprobed call is the probe's cost.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "ubee/attach.hpp"

extern "C" [[gnu::noipa]] long probe_bench_target(long a, long b) { return a + b; }

namespace {

using ubee::attach::ProbeKind;

void empty_handler(pt_regs*, void*) {}

void counting_handler(pt_regs*, void* cookie) {
  static_cast<std::atomic<std::uint64_t>*>(cookie)->fetch_add(1, std::memory_order_relaxed);
}

void call_loop(benchmark::State& state) {
  long i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(probe_bench_target(i++, 1));
}

// Runs the loop with the given probes attached to the target, then detaches them.
void with_probes(benchmark::State& state, std::initializer_list<std::pair<ProbeKind, ubee::attach::Handler>> probes,
                 void* cookie) {
  std::vector<ubee::attach::ProbeId> ids;
  for (const auto& [kind, handler] : probes) {
    auto id = ubee::attach::attach_probe(reinterpret_cast<std::uintptr_t>(probe_bench_target), kind, handler, cookie);
    if (!id) {
      state.SkipWithError(id.error().message.c_str());
      return;
    }
    ids.push_back(*id);
  }
  call_loop(state);
  for (const auto& id : ids) (void)ubee::attach::detach_probe(id);
}

void BM_CallWithoutProbe(benchmark::State& state) { call_loop(state); }

void BM_CallEntryProbeEmptyHandler(benchmark::State& state) {
  with_probes(state, {{ProbeKind::entry, empty_handler}}, nullptr);
}

void BM_CallEntryProbeCountingHandler(benchmark::State& state) {
  std::atomic<std::uint64_t> hits{0};
  with_probes(state, {{ProbeKind::entry, counting_handler}}, &hits);
  state.counters["hits"] = static_cast<double>(hits.load());
}

void BM_CallReturnProbeEmptyHandler(benchmark::State& state) {
  with_probes(state, {{ProbeKind::ret, empty_handler}}, nullptr);
}

void BM_CallEntryAndReturnProbes(benchmark::State& state) {
  with_probes(state, {{ProbeKind::entry, empty_handler}, {ProbeKind::ret, empty_handler}}, nullptr);
}

BENCHMARK(BM_CallWithoutProbe);
BENCHMARK(BM_CallEntryProbeEmptyHandler);
BENCHMARK(BM_CallEntryProbeCountingHandler);
BENCHMARK(BM_CallReturnProbeEmptyHandler);
BENCHMARK(BM_CallEntryAndReturnProbes);

}  // namespace

BENCHMARK_MAIN();
