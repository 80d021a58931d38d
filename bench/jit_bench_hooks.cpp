// The cost of an embedding hook point: fire() with nothing attached against a plain indirect call (what an
// application's own "if (callback) callback(ctx)" costs), and fire() with one JIT'ed program attached against
// running that program directly.
// Run: ./build/bench/jit_bench_hooks
#include <benchmark/benchmark.h>

#include <cstdint>

#include <ubee/hook.hpp>
#include <ubee/jit.hpp>
#include <ubee/ubee.hpp>

namespace {

struct Ctx {
  std::uint64_t a = 1;
  std::uint64_t b = 2;
};

[[gnu::noinline]] std::uint64_t native_handler(Ctx* ctx) { return ctx->a + ctx->b; }

// The same work as the native handler.
ubee::JitProgram compile_sum() {
  static const ubee::HelperRegistry helpers;
  auto program = ubee::assemble("r0 = *(u64 *)(r1 + 0)\nr2 = *(u64 *)(r1 + 8)\nr0 += r2\nexit");
  auto jit = ubee::JitProgram::compile(*program, helpers);
  return std::move(*jit);
}

void indirect_call(benchmark::State& state) {
  Ctx ctx;
  std::uint64_t (*handler)(Ctx*) = native_handler;
  for (auto _ : state) {
    benchmark::DoNotOptimize(handler);  // opaque: a real indirect call each time
    benchmark::DoNotOptimize(handler(&ctx));
  }
}

void fire_nothing_attached(benchmark::State& state) {
  ubee::HookPoint<Ctx> hook{"bench"};
  Ctx ctx;
  for (auto _ : state) {
    benchmark::DoNotOptimize(&hook);
    benchmark::DoNotOptimize(hook.fire(&ctx).ran);
  }
}

void fire_one_jit_program(benchmark::State& state) {
  const ubee::JitProgram jit = compile_sum();
  ubee::HookPoint<Ctx> hook{"bench"};
  hook.attach(jit);
  Ctx ctx;
  for (auto _ : state) benchmark::DoNotOptimize(hook.fire(&ctx).last);
}

void run_jit_program_directly(benchmark::State& state) {
  const ubee::JitProgram jit = compile_sum();
  Ctx ctx;
  for (auto _ : state) benchmark::DoNotOptimize(*jit.run(&ctx, sizeof ctx));
}

BENCHMARK(indirect_call);
BENCHMARK(fire_nothing_attached);
BENCHMARK(fire_one_jit_program);
BENCHMARK(run_jit_program_directly);

}  // namespace

BENCHMARK_MAIN();
