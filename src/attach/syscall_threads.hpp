// Reaching every thread of the process: Syscall User Dispatch is switched per thread (and, on this kernel, not
// inherited by clone or fork), so start and stop ask each thread to switch itself.
#pragma once

#include <cstddef>

namespace ubee::attach::detail {

// The signal that asks a thread to switch itself. Not SIGSYS: a standard signal does not queue, so a request
// pending when the thread's next call is dispatched would swallow that dispatch (and the call with it).
// SIGRTMAX - 1: real-time signals queue; the application may not take this one over (syscall_emulate.hpp).
int request_signal();

// Sends request_signal() with tgkill to every other thread (rescanning /proc/self/task until no new thread
// appears) and waits, a bounded time, until each has called request_served() from its handler. Returns how
// many did not (they had the signal blocked, or exited first).
std::size_t signal_other_threads();

// Called by the request handler once it has served a request.
void request_served();

}  // namespace ubee::attach::detail
