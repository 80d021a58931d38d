// The traced program of bench/trace_bench.sh: calls bench_function() or getppid() N times and prints the
// average time per call in ns. Run untraced, under `ubee trace` and under bpftrace, the differences are what a
// probe costs. usage: trace_bench_target call|syscall N
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

// The probed function: not inlined and long enough (over 5 bytes of ordinary instructions) for an inline patch.
volatile long bench_sink;
extern "C" [[gnu::noipa]] long bench_function(long x) {
  bench_sink = bench_sink + x;
  return x + 1;
}

namespace {

double now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s call|syscall N\n", argv[0]);
    return 2;
  }
  const bool syscall = std::strcmp(argv[1], "syscall") == 0;
  const long n = std::atol(argv[2]);
  long sum = 0;
  const double start = now_ns();
  for (long i = 0; i < n; ++i) sum += syscall ? getppid() : bench_function(i);
  const double elapsed = now_ns() - start;
  std::printf("ns_per_call %.1f (checksum %ld)\n", elapsed / static_cast<double>(n), sum);
  return 0;
}
