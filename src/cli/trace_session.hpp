// TraceSession's insides, shared by trace_session.cpp (the command started with the agent preloaded, the
// agents' messages) and trace_inject.cpp (--pid: the agent injected into a running process).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "../agent/protocol.hpp"
#include "trace.hpp"

namespace ubee::cli {

inline constexpr auto kAttachTimeout = std::chrono::seconds(20);

// One agent's connection.
struct Agent {
  int fd = -1;
  int pid = 0;
};

// libubee-agent.so next to the ubee binary.
std::string agent_library();
// A non-blocking listening socket bound to an abstract name.
int bind_listener(const std::string& name);
// A memfd holding the object file's bytes, for the setup.
int object_memfd(const std::string& path);

struct TraceSession::Impl {
  const Object& object;
  std::vector<TraceProgram> programs;
  const TraceArgs& args;
  TraceOutput& out;
  int listener = -1;
  std::string socket_name;
  unsigned agent_uid = getuid();  // the uid agents must run as
  int pidfd = -1;                 // --pid: readable when the process exits
  int object_fd = -1;
  pid_t child = -1;
  bool exited = false;
  int status = 0;
  bool ready = false;               // the first agent attached everything
  std::optional<std::string> error;  // the first agent's setup failed
  std::vector<Agent> agents;

  Impl(const Object& o, std::vector<TraceProgram> p, const TraceArgs& a, TraceOutput& w)
      : object(o), programs(std::move(p)), args(a), out(w) {}

  void spawn();
  void start_injected();  // trace_inject.cpp
  bool injected_process_gone();  // trace_inject.cpp
  void wait_ready(const std::function<bool()>& gone);
  void accept_agents();
  bool read_agent(Agent& a);
  void handle(Agent& a, const agent::Message& m);
  void send_setup(Agent& a);
  void event(int pid, const std::string& kind, const std::string& text);
  bool poll_once(int timeout_ms);
  void reap(bool wait);
  void kill_child();
};

}  // namespace ubee::cli
