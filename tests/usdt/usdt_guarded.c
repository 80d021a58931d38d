// A semaphore-guarded USDT site: sys/sdt.h then records the semaphore's address in the note, and the program
// skips the probe (and computing its arguments) unless a tracer has raised the semaphore.
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include "usdt_probes.h"

// The semaphore sys/sdt.h names PROVIDER_NAME_semaphore, in section .probes.
extern volatile long usdt_sink;

__extension__ unsigned short ubee_test_guarded_semaphore __attribute__((used, section(".probes")));

int usdt_fire_guarded(int value) {
  if (!__builtin_expect(ubee_test_guarded_semaphore, 0)) return 0;
  STAP_PROBE1(ubee_test, guarded, value);
  usdt_sink = value;
  return 1;
}

unsigned short usdt_guarded_semaphore(void) { return ubee_test_guarded_semaphore; }

const volatile unsigned short* usdt_guarded_semaphore_address(void) { return &ubee_test_guarded_semaphore; }
