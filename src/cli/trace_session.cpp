// The traced command and its agents: a listening socket in the abstract namespace, the command started with the
// agent preloaded, and one connection per program image that loads the agent (the command, and every program it
// execs). Each agent gets the setup of src/agent/protocol.hpp; its messages become ubee's output. --pid is in
// trace_inject.cpp.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "../agent/protocol.hpp"
#include "cli.hpp"
#include "trace.hpp"
#include "trace_session.hpp"

namespace ubee::cli {

using agent::Message;
using agent::MessageType;

namespace {

// The preload list: the agent (after the sanitizer runtimes in a sanitizer build, which must come first in
// an uninstrumented program), then whatever the caller preloads already.
std::string preload_value(const std::string& library) {
  std::string value = library;
#ifdef UBEE_SANITIZE
  value = std::string(UBEE_SANITIZER_PRELOAD) + ":" + value;
#endif
  if (const char* old = std::getenv("LD_PRELOAD"); old != nullptr && old[0] != '\0') value += std::string(":") + old;
  return value;
}

std::string status_text(int status) {
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

}  // namespace

std::string agent_library() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const auto path = self.parent_path() / "libubee-agent.so";
  if (ec || !std::filesystem::exists(path)) fail("libubee-agent.so is not next to the ubee binary (" + path.string() + ")");
  return path.string();
}

int object_memfd(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) fail(bytes.error());
  const int fd = memfd_create("ubee-object", MFD_CLOEXEC);
  if (fd < 0 || write(fd, bytes->data(), bytes->size()) != static_cast<ssize_t>(bytes->size()))
    fail(std::string("cannot pass the object to the agent: ") + std::strerror(errno));
  return fd;
}

int bind_listener(const std::string& name) {
  const int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un address;
  const socklen_t length = agent::abstract_address(name, address);
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(s, 64) != 0)
    fail("cannot listen for the agent on @" + name + ": " + std::strerror(errno));
  return s;
}

void TraceSession::Impl::spawn() {
  const std::string preload = preload_value(agent_library());
  int exec_error[2];
  if (pipe2(exec_error, O_CLOEXEC) != 0) fail("pipe2 failed");
  std::vector<char*> argv;
  for (const std::string& a : args.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  child = fork();
  if (child < 0) fail(std::string("fork failed: ") + std::strerror(errno));
  if (child == 0) {
    setenv("LD_PRELOAD", preload.c_str(), 1);
    setenv(agent::kSocketEnv, socket_name.c_str(), 1);
#ifdef UBEE_SANITIZE
    setenv("ASAN_OPTIONS", "detect_leaks=0", 0);  // the target's own leaks must not change its exit status
#endif
    execvp(argv[0], argv.data());
    const int e = errno;
    (void)!write(exec_error[1], &e, sizeof e);
    _exit(127);
  }
  close(exec_error[1]);
  int e = 0;
  const bool exec_failed = read(exec_error[0], &e, sizeof e) == sizeof e;
  close(exec_error[0]);
  if (exec_failed) {
    reap(true);
    fail("cannot run '" + args.command[0] + "': " + std::strerror(e));
  }
  // Ctrl-C reaches the command (same process group); ubee stays to drain the buffers and dump the maps.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
}

void TraceSession::Impl::event(int pid, const std::string& kind, const std::string& text) {
  const nlohmann::json j{{"type", kind}, {"pid", pid}, {"text", text}};
  out.event(kind == "printk" ? fmt::format("[{}] {}", pid, text) : fmt::format("ubee: pid {}: {}{}", pid,
                                                                              kind == "warning" ? "warning: " : "", text),
            j.dump());
}

void TraceSession::Impl::send_setup(Agent& a) {
  // An injected agent never kills the process it was loaded into.
  nlohmann::json setup{{"object", args.object}, {"allow_unverified", args.unverified}, {"exit_on_error", args.pid == 0}};
  std::vector<int> fds{object_fd};
  nlohmann::json maps = nlohmann::json::array();
  for (const auto& m : object.maps()) {
    maps.push_back(m->spec().name);
    fds.push_back(m->shared_fd());
  }
  setup["maps"] = maps;
  nlohmann::json list = nlohmann::json::array();
  for (const TraceProgram& p : programs)
    list.push_back({{"name", p.name}, {"target", p.target}, {"selected", p.selected}, {"verified", p.verified}});
  setup["programs"] = list;
  if (fds.size() > agent::kMaxFds) fail("the object has too many maps to hand to the agent");
  if (agent::send_message(a.fd, MessageType::setup, setup.dump(), fds) != 0) event(a.pid, "warning", "cannot send the setup");
}

void TraceSession::Impl::handle(Agent& a, const Message& m) {
  for (int fd : m.fds) close(fd);
  const int pid = static_cast<int>(m.pid);
  switch (m.type) {
    case MessageType::hello:
      a.pid = pid;
      send_setup(a);
      return;
    case MessageType::ready: {
      const auto j = nlohmann::json::parse(m.body, nullptr, false);
      if (!j.is_discarded()) {
        for (const auto& s : j.value("attached", nlohmann::json::array())) event(pid, "attached", s.get<std::string>());
        for (const auto& s : j.value("pending", nlohmann::json::array()))
          event(pid, "pending", s.get<std::string>() + " (waits until a program or library loads it)");
      }
      ready = true;
      return;
    }
    case MessageType::error:
      if (!ready && !error) error = fmt::format("the agent in pid {} failed: {}", pid, m.body);
      else event(pid, "warning", m.body);
      return;
    case MessageType::printk: event(pid, "printk", m.body); return;
    case MessageType::attached: event(pid, "attached", m.body); return;
    case MessageType::warning: event(pid, "warning", m.body); return;
    default: event(pid, "warning", "unknown message from the agent"); return;
  }
}

// One message; false when the connection is over.
bool TraceSession::Impl::read_agent(Agent& a) {
  auto m = agent::receive_message(a.fd);
  if (m) handle(a, *m);
  return m.has_value() || errno == EAGAIN;
}

void TraceSession::Impl::accept_agents() {
  for (;;) {
    const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    ucred cred{};
    socklen_t length = sizeof cred;
    // Only the command's user may ask for the programs and maps (anyone can connect to an abstract name).
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0 || cred.uid != agent_uid ||
        (args.pid != 0 && cred.pid != args.pid)) {
      close(fd);
      continue;
    }
    agents.push_back({fd, cred.pid});
  }
}

// Waits up to timeout_ms for messages and handles them; true when something was read.
bool TraceSession::Impl::poll_once(int timeout_ms) {
  std::vector<pollfd> fds{{listener, POLLIN, 0}};
  for (const Agent& a : agents) fds.push_back({a.fd, POLLIN, 0});
  if (poll(fds.data(), fds.size(), timeout_ms) <= 0) return false;
  bool any = false;
  std::vector<Agent> open;
  for (std::size_t i = 1; i < fds.size(); ++i) {
    Agent& a = agents[i - 1];
    bool keep = true;
    if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
      any = true;
      // Several messages may wait; read them all before the next poll.
      keep = read_agent(a);
      while (keep) {
        pollfd one{a.fd, POLLIN, 0};
        if (poll(&one, 1, 0) <= 0 || !(one.revents & POLLIN)) break;
        keep = read_agent(a);
      }
    }
    if (keep) open.push_back(a);
    else close(a.fd);
  }
  agents = std::move(open);
  // New agents join after the others were handled; their hello is read on the next poll.
  if (fds[0].revents & POLLIN) accept_agents();
  return any || (fds[0].revents & POLLIN);
}

void TraceSession::Impl::reap(bool wait) {
  if (pidfd >= 0 && !exited) exited = injected_process_gone();
  if (exited || child <= 0) return;
  if (waitpid(child, &status, wait ? 0 : WNOHANG) == child) exited = true;
}

void TraceSession::Impl::kill_child() {
  if (!exited && child > 0) kill(child, SIGKILL);
  reap(true);
}

TraceSession::TraceSession(const Object& object, std::vector<TraceProgram> programs, const TraceArgs& args,
                           TraceOutput& out)
    : impl_(std::make_unique<Impl>(object, std::move(programs), args, out)) {}

TraceSession::~TraceSession() {
  impl_->kill_child();
  for (const Agent& a : impl_->agents) close(a.fd);
  if (impl_->listener >= 0) close(impl_->listener);
  if (impl_->object_fd >= 0) close(impl_->object_fd);
  if (impl_->pidfd >= 0) close(impl_->pidfd);
}

// Serves agents until the first one attached everything, failed, or cannot come any more (`gone`).
void TraceSession::Impl::wait_ready(const std::function<bool()>& gone) {
  const auto deadline = std::chrono::steady_clock::now() + kAttachTimeout;
  while (!ready && !error) {
    poll_once(50);
    if (!ready && !error && gone()) {
      poll_once(0);  // a last message (its error) may be queued
      if (ready || error) break;
      fail(args.pid != 0 ? fmt::format("the agent did not connect from process {}", args.pid)
                         : "'" + args.command[0] + "' " + status_text(status) +
                               " before an agent attached the programs (LD_PRELOAD has no effect on static and "
                               "set-user-ID programs)");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill_child();
      fail(args.pid != 0 ? "the injected agent did not attach the programs within 20 s"
                         : "no agent attached the programs within 20 s (is '" + args.command[0] +
                               "' a static or set-user-ID program?)");
    }
  }
  if (error) {
    kill_child();
    fail(*error);
  }
}


void TraceSession::start() {
  Impl& s = *impl_;
  if (s.args.pid != 0) return s.start_injected();
  std::random_device random;
  s.socket_name = fmt::format("ubee-trace-{}-{}-{:08x}", getuid(), getpid(), random());
  s.listener = bind_listener(s.socket_name);
  s.object_fd = object_memfd(s.args.object);
  s.spawn();
  s.wait_ready([&s] {
    s.reap(false);
    return s.exited;
  });
}

bool TraceSession::step(int timeout_ms) {
  impl_->poll_once(timeout_ms);
  impl_->reap(false);
  return !impl_->exited;
}

void TraceSession::drain() {
  while (impl_->poll_once(0)) {
  }
}

int TraceSession::exit_code() const {
  if (impl_->args.pid != 0) return 0;
  const int status = impl_->status;
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

void TraceOutput::event(const std::string& text, const std::string& json_line) {
  std::fprintf(out_, "%s\n", json_ ? json_line.c_str() : text.c_str());
}

}  // namespace ubee::cli
