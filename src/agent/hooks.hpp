// Attaching the agent's programs to the process: uprobes through attach_probe(), syscall tracepoints through
// one syscall interception that dispatches by number, and uprobes on libraries not loaded yet kept pending
// until a dlopen() loads them.
#pragma once

#include <array>
#include <mutex>
#include <string>
#include <vector>

#include "attach_point.hpp"
#include "programs.hpp"
#include "ubee/attach.hpp"

namespace ubee::agent {

// Programs per system call, and the raw tracepoints: fixed before interception starts, read-only after.
struct SyscallTable {
  static constexpr std::size_t kMaxSyscall = 512;
  using Programs = std::array<std::vector<const AgentProgram*>, kMaxSyscall>;
  Programs enter, exit;
  std::vector<const AgentProgram*> raw_enter, raw_exit;
  [[nodiscard]] bool empty() const;
};

// What a uprobe's handler gets: the program and its bpf_get_attach_cookie() value.
struct ProbeCookie {
  const AgentProgram* program;
  std::uint64_t cookie;
};

class Hooks {
 public:
  using Report = void (*)(bool attached, const std::string& text);

  // Attaches one program; false (no error) when it is a uprobe on a file this process has not loaded yet.
  Result<bool> attach(const AgentProgram& program);
  // Starts the syscall interception when a syscall program was attached.
  Result<void> start_syscalls();
  // After a dlopen(): attaches pending uprobes whose file is now loaded, reporting each success or failure.
  void retry_pending(Report report);

 private:
  struct Pending {
    const AgentProgram* program;
    AttachPoint point;
  };
  Result<bool> attach_uprobe(const AgentProgram& program, const AttachPoint& point);

  SyscallTable syscalls_;
  std::mutex mutex_;  // pending_ and probes_ (dlopen may run on any thread)
  std::vector<Pending> pending_;
  std::vector<std::unique_ptr<ProbeCookie>> probes_;  // handed to attach_probe() as cookies: never freed while attached
};

// Implemented by the USDT attacher (src/agent/usdt_attach.cpp); a weak default refuses usdt/ sections.
// `target` is what follows "usdt/" in the section. It runs the program with bpf_get_attach_cookie() giving
// the USDT spec id, as libbpf's usdt.bpf.h expects.
Result<void> attach_usdt(const AgentProgram& program, const std::string& target);

// Whether the process has loaded `path` (an absolute path, or a library's file name) as its main executable
// or a shared object.
bool file_loaded(const std::string& path);

}  // namespace ubee::agent
