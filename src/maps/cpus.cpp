// CPU slots for per-CPU maps.
//
// A user-space "CPU" is the CPU the calling thread runs on right now (sched_getcpu()). In the kernel a program
// is not migrated while it runs, so its per-CPU slot is private for the whole run; in user space the thread may
// migrate, or be preempted by another thread that then runs on the same CPU, so two threads can briefly use the
// same slot. Programs that need exact per-CPU counts across threads must use atomic instructions on the value.
#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "ubee/maps.hpp"

namespace ubee {
namespace {

// Counts the CPUs of a cpulist such as "0-3,8,10-11", as libbpf_num_possible_cpus() does; 0 when malformed.
std::uint32_t count_cpulist(const std::string& list) {
  std::uint32_t count = 0;
  std::stringstream ranges(list);
  std::string range;
  while (std::getline(ranges, range, ',')) {
    unsigned first = 0;
    unsigned last = 0;
    char dash = 0;
    std::stringstream in(range);
    if (!(in >> first)) return 0;
    last = first;
    if (in >> dash && (dash != '-' || !(in >> last) || last < first)) return 0;
    count += last - first + 1;
  }
  return count;
}

std::uint32_t read_possible_cpus() {
  std::ifstream file("/sys/devices/system/cpu/possible");
  std::string line;
  if (file && std::getline(file, line)) {
    if (std::uint32_t n = count_cpulist(line); n > 0) return n;
  }
  return std::max(1U, std::thread::hardware_concurrency());
}

}  // namespace

std::uint32_t possible_cpus() {
  static const std::uint32_t n = read_possible_cpus();
  return n;
}

std::uint32_t current_cpu() {
  const int cpu = sched_getcpu();
  if (cpu < 0) return 0;
  return std::min(static_cast<std::uint32_t>(cpu), possible_cpus() - 1);
}

}  // namespace ubee
