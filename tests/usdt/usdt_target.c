// A program with USDT sites (in libubee_usdt_probes.so) for `ubee trace` tests and the benchmark: fires each
// probe argv[1] times (default 1) with fixed values, then exits 0.
#include <stdlib.h>

#include "usdt_probes.h"

int main(int argc, char** argv) {
  const long count = argc > 1 ? atol(argv[1]) : 1;
  for (long i = 0; i < count; ++i) {
    usdt_fire_constants();
    usdt_fire_registers(-42, 1L << 40, 65000);
    usdt_fire_memory(-123456, -5000000000LL);
    usdt_fire_guarded(77);
  }
  return 0;
}
