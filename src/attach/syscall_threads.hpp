// Reaching every thread of the process: Syscall User Dispatch is switched per thread (and, on this kernel, not
// inherited by clone or fork), so start and stop ask each thread to switch itself.
#pragma once

#include <cstddef>

namespace ubee::attach::detail {

// Sends SIGSYS with tgkill to every other thread (rescanning /proc/self/task until no new thread appears) and
// waits, a bounded time, until each has called request_served() from its handler. Returns how many did not
// (they had SIGSYS blocked, or exited first).
std::size_t signal_other_threads();

// Called by the SIGSYS handler once it has served a tgkill request.
void request_served();

}  // namespace ubee::attach::detail
