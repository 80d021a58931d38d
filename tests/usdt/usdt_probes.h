// The USDT test sites (usdt_probes.c), callable from C and C++.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

void usdt_fire_constants(void);
void usdt_fire_registers(int a, long b, unsigned short c);
void usdt_fire_memory(int a, long long b);
int usdt_fire_guarded(int value);
unsigned short usdt_guarded_semaphore(void);
const volatile unsigned short* usdt_guarded_semaphore_address(void);

#ifdef __cplusplus
}
#endif
