// Each round lists /proc/self/task, signals the threads not signalled yet and waits for their answers; threads
// created meanwhile by a thread that was not yet intercepted appear in the next round.
#include "attach/syscall_threads.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <set>
#include <vector>

namespace ubee::attach::detail {
namespace {

std::atomic<std::size_t> g_served{0};
constexpr int kWaitMillis = 2000;

std::vector<pid_t> list_threads() {
  std::vector<pid_t> tids;
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return tids;
  while (const dirent* e = readdir(dir))
    if (e->d_name[0] != '.') tids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
  closedir(dir);
  return tids;
}

// Waits until `target` requests in all have been served; false on timeout.
bool wait_served(std::size_t target) {
  for (int ms = 0; ms < kWaitMillis; ++ms) {
    if (g_served.load(std::memory_order_acquire) >= target) return true;
    const timespec pause{0, 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  return false;
}

}  // namespace

int request_signal() { return SIGRTMAX - 1; }

void request_served() { g_served.fetch_add(1, std::memory_order_release); }

std::size_t signal_other_threads() {
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  const std::size_t base = g_served.load(std::memory_order_acquire);
  std::set<pid_t> signalled{self};
  std::size_t sent = 0;
  for (bool found_new = true; found_new;) {
    found_new = false;
    for (const pid_t tid : list_threads()) {
      if (!signalled.insert(tid).second) continue;
      found_new = true;
      if (syscall(SYS_tgkill, getpid(), tid, request_signal()) == 0) ++sent;  // ESRCH: it exited meanwhile
    }
    if (!wait_served(base + sent)) break;
  }
  const std::size_t served = g_served.load(std::memory_order_acquire) - base;
  return served >= sent ? 0 : sent - served;
}

}  // namespace ubee::attach::detail
