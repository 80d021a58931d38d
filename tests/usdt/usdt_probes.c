// USDT sites for ubee's tests, in a shared library (built -O2 so that arguments land in registers, memory and
// immediates as in real programs). Each function fires one probe with the values it is given.
// The semaphore-guarded probe is in usdt_guarded.c: sys/sdt.h gives every probe of a file a semaphore or none.
#include <sys/sdt.h>

#include "usdt_probes.h"

// Written after each probe: in-process probes patch a jump over the site, which needs instructions after it
// inside the function (a bare "nop; ret" is too short to patch).
volatile long usdt_sink;

// Constants: the compiler records them as immediates ("-4@$5").
void usdt_fire_constants(void) {
  STAP_PROBE3(ubee_test, constants, 5, -7L, (unsigned char)200);
  usdt_sink = 1;
}

// Arguments still in their registers ("-4@%edi").
void usdt_fire_registers(int a, long b, unsigned short c) {
  STAP_PROBE3(ubee_test, registers, a, b, c);
  usdt_sink = a + b + c;
}

// volatile locals live in the stack frame, so the operands are memory ("-4@12(%rsp)").
void usdt_fire_memory(int a, long long b) {
  volatile int local_a = a;
  volatile long long local_b = b;
  STAP_PROBE2(ubee_test, memory, local_a, local_b);
  usdt_sink = local_a;
}
