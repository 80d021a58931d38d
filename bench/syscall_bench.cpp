// The cost of system call interception and of safe user-memory reads, in ns per operation.
//   getppid: untraced; intercepted (entry + exit handlers that count) through SIGSYS, with libc's generic
//   syscall() whose site (`mov rax, rdi; ...; syscall`) is never rewritten; and intercepted through libc's
//   getppid wrapper (`mov eax, 110; syscall`), which the first calls get rewritten to jump to its stub.
//   reads: safe_copy beside process_vm_readv on this process (what the probe_read helpers used before).
// Run: ./build/bench/syscall_bench
#include <benchmark/benchmark.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

#include <ubee/attach.hpp>

#include "helpers/safe_copy.hpp"

namespace {

std::atomic<long> g_calls{0};

void count(pt_regs*, void*) { g_calls.fetch_add(1, std::memory_order_relaxed); }

void getppid_untraced(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(getppid());
}
BENCHMARK(getppid_untraced);

long getppid_wrapper() { return getppid(); }
long getppid_generic() { return syscall(SYS_getppid); }

template <long (*Call)()>
void intercepted(benchmark::State& state) {
  if (!ubee::attach::start_syscall_interception({count, count, nullptr})) {
    state.SkipWithError("interception unavailable");
    return;
  }
  for (int i = 0; i < 1000; ++i) Call();  // warm up: stubs made, hot sites rewritten
  usleep(10000);                          // the rewriter patches asynchronously
  for (auto _ : state) benchmark::DoNotOptimize(Call());
  ubee::attach::stop_syscall_interception();
}

void getppid_intercepted_sigsys(benchmark::State& state) { intercepted<getppid_generic>(state); }
BENCHMARK(getppid_intercepted_sigsys);

void getppid_intercepted_rewritten(benchmark::State& state) { intercepted<getppid_wrapper>(state); }
BENCHMARK(getppid_intercepted_rewritten);

void safe_copy_read(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  char src[256], dst[256];
  std::memset(src, 7, sizeof src);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ubee::safe_copy(dst, src, n));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(safe_copy_read)->Arg(8)->Arg(64)->Arg(256);

void process_vm_readv_read(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  char src[256], dst[256];
  std::memset(src, 7, sizeof src);
  const pid_t self = getpid();
  for (auto _ : state) {
    iovec local{dst, n}, remote{src, n};
    benchmark::DoNotOptimize(process_vm_readv(self, &local, 1, &remote, 1, 0));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(process_vm_readv_read)->Arg(8)->Arg(64)->Arg(256);

}  // namespace

BENCHMARK_MAIN();
