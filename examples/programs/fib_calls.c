// A small workload for `ubee trace`: computes Fibonacci numbers with a deliberately slow recursive function,
// for n from 1 to 27, and prints their sum. examples/bpf/func_latency.bpf.c times every top-level call.
#include <stdio.h>
#include <stdlib.h>

// noipa: every call stays a real call to this symbol, which the probe patches.
__attribute__((noipa)) static long fib(long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
// A function of its own rather than a tail jump into fib (which -O2 would make of `return fib(n)`), so that
// its first instructions leave room for the probe's 5-byte jump at every optimisation level.
__attribute__((noipa)) long compute(long n) {
  const long result = fib(n);
  if (result < 0) abort();  // never taken: keeps the call from being a tail call
  return result;
}

int main(int argc, char** argv) {
  const long last = argc > 1 ? atol(argv[1]) : 27;
  long sum = 0;
  for (long n = 1; n <= last; ++n) sum += compute(n);
  printf("sum of fib(1..%ld) = %ld\n", last, sum);
  return 0;
}
