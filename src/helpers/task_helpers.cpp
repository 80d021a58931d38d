// Helpers about time and the current task (kernel/bpf/helpers.c). In user space the "current task" is the
// calling thread of this process.
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <random>

#include "helper_util.hpp"
#include "linux_helpers_impl.hpp"

namespace ubee::helpers {
namespace {

std::uint64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

template <clockid_t Clock>
std::uint64_t ktime(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, RunContext&) {
  return clock_ns(Clock);
}

// jiffies have no user-space source: count 4 ms ticks of the monotonic clock (HZ=250, Debian's kernels).
std::uint64_t jiffies64(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, RunContext&) {
  constexpr std::uint64_t kNsPerJiffy = 1'000'000'000ULL / 250;
  return clock_ns(CLOCK_MONOTONIC_COARSE) / kNsPerJiffy;
}

std::uint64_t get_prandom_u32(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                              RunContext&) {
  thread_local std::minstd_rand engine{std::random_device{}()};
  thread_local std::uniform_int_distribution<std::uint32_t> dist;
  return dist(engine);
}

std::uint64_t get_smp_processor_id(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                   RunContext&) {
  return current_cpu();
}

// The kernel's pid is the thread id and its tgid the process id.
std::uint64_t get_current_pid_tgid(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                   RunContext&) {
  return (static_cast<std::uint64_t>(getpid()) << 32) | static_cast<std::uint32_t>(gettid());
}

std::uint64_t get_current_uid_gid(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                  RunContext&) {
  return (static_cast<std::uint64_t>(getgid()) << 32) | getuid();
}

// Copies the thread's name (TASK_COMM_LEN = 16), NUL-terminated and zero-padded as strscpy_pad does.
std::uint64_t get_current_comm(std::uint64_t buf, std::uint64_t size, std::uint64_t, std::uint64_t, std::uint64_t,
                               RunContext& c) {
  if (size == 0) return err(EINVAL);
  if (!mem_arg(buf, size, true, c)) return err(EFAULT);
  char comm[17] = {};
  prctl(PR_GET_NAME, comm);
  auto* out = ptr<char>(buf);
  std::memset(out, 0, size);
  std::strncpy(out, comm, size - 1);
  return 0;
}

using A = ArgType;

}  // namespace

void add_task_helpers(HelperRegistry& r) {
  const Entry entries[] = {
      {BPF_FUNC_ktime_get_ns, {"ktime_get_ns", ktime<CLOCK_MONOTONIC>, RetType::integer, {}}},
      {BPF_FUNC_ktime_get_boot_ns, {"ktime_get_boot_ns", ktime<CLOCK_BOOTTIME>, RetType::integer, {}}},
      {BPF_FUNC_ktime_get_coarse_ns, {"ktime_get_coarse_ns", ktime<CLOCK_MONOTONIC_COARSE>, RetType::integer, {}}},
      {BPF_FUNC_jiffies64, {"jiffies64", jiffies64, RetType::integer, {}}},
      {BPF_FUNC_get_prandom_u32, {"get_prandom_u32", get_prandom_u32, RetType::integer, {}}},
      {BPF_FUNC_get_smp_processor_id, {"get_smp_processor_id", get_smp_processor_id, RetType::integer, {}}},
      {BPF_FUNC_get_current_pid_tgid, {"get_current_pid_tgid", get_current_pid_tgid, RetType::integer, {}}},
      {BPF_FUNC_get_current_uid_gid, {"get_current_uid_gid", get_current_uid_gid, RetType::integer, {}}},
      {BPF_FUNC_get_current_comm,
       {"get_current_comm", get_current_comm, RetType::integer, {A::ptr_to_uninit_mem, A::const_size}}},
  };
  for (const Entry& e : entries) r.replace(e.id, e.proto);
}

}  // namespace ubee::helpers
