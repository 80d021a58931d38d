// `ubee trace --pid PID`: the agent injected into a running process (inject.hpp). The agent's constructor
// runs inside the dlopen() the injection makes the process call, and waits there for its setup: the injection
// runs on its own thread while this one serves the socket. The trace ends when the process exits or on Ctrl-C.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "cli.hpp"
#include "inject.hpp"
#include "trace_session.hpp"

namespace ubee::cli {
namespace {

// The real uid of a running process: the agent injected there names its socket with it.
unsigned process_uid(int pid) {
  std::FILE* f = std::fopen(fmt::format("/proc/{}/status", pid).c_str(), "r");
  if (f == nullptr) fail(fmt::format("no process {}", pid));
  char line[256];
  unsigned uid = 0;
  bool found = false;
  while (!found && std::fgets(line, sizeof line, f) != nullptr) found = std::sscanf(line, "Uid: %u", &uid) == 1;
  std::fclose(f);
  if (!found) fail(fmt::format("cannot read the owner of process {}", pid));
  return uid;
}

volatile sig_atomic_t interrupted = 0;

}  // namespace

void TraceSession::Impl::start_injected() {
  agent_uid = process_uid(args.pid);
  socket_name = agent::agent_socket_name(agent_uid, args.pid);
  listener = bind_listener(socket_name);
  object_fd = object_memfd(args.object);
  pidfd = static_cast<int>(syscall(SYS_pidfd_open, args.pid, 0));
  if (pidfd < 0) fail(fmt::format("cannot watch process {}: {}", args.pid, std::strerror(errno)));
  const std::string library = agent_library();
  std::optional<Result<void>> injected;
  std::mutex mutex;
  std::thread injector([&] {
    auto r = inject_agent(args.pid, library);
    std::lock_guard lock(mutex);
    injected = std::move(r);
  });
  const auto failed = [&] {
    std::lock_guard lock(mutex);
    return injected.has_value() && !injected->ok();
  };
  try {
    wait_ready([&] { return failed(); });
  } catch (...) {
    injector.join();
    if (failed()) fail(injected->error());
    throw;
  }
  injector.join();
  if (!injected->ok()) fail(injected->error());
  // Ctrl-C ends the trace (the process goes on, its probes stay: the agent has no way back yet).
  struct sigaction action{};
  action.sa_handler = [](int) { interrupted = 1; };
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool TraceSession::Impl::injected_process_gone() {
  pollfd p{pidfd, POLLIN, 0};
  return poll(&p, 1, 0) > 0 || interrupted;
}

}  // namespace ubee::cli
