// libubee-agent.so's entry: a constructor that runs before the traced program's main() (LD_PRELOAD) or when
// the library is dlopen()ed into a running process, fetches the programs from `ubee trace` over the socket of
// protocol.hpp, and attaches them. It starts no thread: after the setup, the connection carries only the
// agent's messages (bpf_printk lines, late attachments), so fork()ed children keep working on their own.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "agent.hpp"
#include "hooks.hpp"
#include "protocol.hpp"
#include "ubee/linux_helpers.hpp"

namespace ubee::agent {
namespace {

// Lives until the process ends: probes may fire until the last instruction, exit handlers included.
struct State {
  int socket = -1;
  std::unique_ptr<Programs> programs;
  Hooks hooks;
};
State* state = nullptr;

// Out of the range programs usually see, so that the target's own descriptors are numbered as untraced.
constexpr int kAgentFdFloor = 900;

int connect_to(const std::string& name) {
  const int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  sockaddr_un address;
  const socklen_t length = abstract_address(name, address);
  if (connect(s, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    close(s);
    return -1;
  }
  const int high = fcntl(s, F_DUPFD_CLOEXEC, kAgentFdFloor);
  if (high < 0) return s;
  close(s);
  return high;
}

// The CLI must be this user (or root): anyone may bind an abstract name, and the setup decides what runs here.
bool trusted_peer(int s) {
  ucred cred{};
  socklen_t length = sizeof cred;
  return getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 && (cred.uid == 0 || cred.uid == getuid());
}

Result<std::vector<std::uint8_t>> read_fd(int fd) {
  struct stat st{};
  if (fstat(fd, &st) != 0) return make_error(Errc::io, "cannot stat the object's memfd");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n <= 0) return make_error(Errc::io, "cannot read the object's memfd");
    done += static_cast<std::size_t>(n);
  }
  return bytes;
}

void report_fault(const std::string& message) { send_message(state->socket, MessageType::warning, message); }

void report_late(bool attached, const std::string& text) {
  send_message(state->socket, attached ? MessageType::attached : MessageType::warning, text);
}

// Attaches every selected program; the reply lists what is attached and what waits for a dlopen().
Result<nlohmann::json> attach_all(State& s) {
  nlohmann::json reply{{"attached", nlohmann::json::array()}, {"pending", nlohmann::json::array()}};
  for (AgentProgram* p : s.programs->selected()) {
    auto attached = s.hooks.attach(*p);
    if (!attached) return make_error(attached.error().code, "program '" + p->name() + "' (" + p->target() + "): " +
                                                                attached.error().to_string());
    reply[*attached ? "attached" : "pending"].push_back(p->name() + ": " + p->target() + " (" + p->engine_name() + ")");
  }
  if (auto r = s.hooks.start_syscalls(); !r) return make_error(r.error().code, "syscall tracepoints: " + r.error().to_string());
  return reply;
}

Result<nlohmann::json> set_up(State& s, const Message& setup) {
  const auto j = nlohmann::json::parse(setup.body, nullptr, false);
  if (j.is_discarded() || !j.contains("maps") || !j.contains("programs")) return make_error(Errc::invalid_argument, "bad setup message");
  const auto& names = j["maps"];
  if (setup.fds.size() != names.size() + 1) return make_error(Errc::invalid_argument, "setup: wrong number of descriptors");
  std::map<std::string, int, std::less<>> map_fds;
  for (std::size_t i = 0; i < names.size(); ++i) map_fds[names[i].get<std::string>()] = setup.fds[i + 1];
  std::vector<ProgramRequest> requests;
  for (const auto& p : j["programs"])
    requests.push_back({p.value("name", ""), p.value("target", ""), p.value("selected", false), p.value("verified", false)});
  auto bytes = read_fd(setup.fds[0]);
  if (!bytes) return bytes.error();
  auto programs = Programs::load(*bytes, j.value("object", "object"), map_fds, requests, j.value("allow_unverified", false));
  if (!programs) return programs.error();
  s.programs = std::move(*programs);
  AgentProgram::report_fault = report_fault;
  return attach_all(s);
}

void start() {
  const char* env = std::getenv(kSocketEnv);
  const bool injected = env == nullptr || env[0] == '\0';
  const std::string name = injected ? agent_socket_name(getuid(), getpid()) : env;
  const int s = connect_to(name);
  if (s < 0) return;  // no `ubee trace` (any more): the program runs untraced
  if (!trusted_peer(s)) {
    close(s);
    return;
  }
  const nlohmann::json hello{{"pid", getpid()}, {"injected", injected}};
  std::optional<Message> setup;
  if (send_message(s, MessageType::hello, hello.dump()) == 0) setup = receive_message(s);
  if (!setup || setup->type != MessageType::setup) {
    close(s);
    return;
  }
  state = new State{};
  state->socket = s;
  // bpf_printk lines go to the CLI, which prints them; a fork()ed child shares the connection.
  set_trace_sink([s](std::string_view line) { send_message(s, MessageType::printk, line); });
  auto reply = set_up(*state, *setup);
  const bool exit_on_error = nlohmann::json::parse(setup->body, nullptr, false).value("exit_on_error", !injected);
  for (int fd : setup->fds) close(fd);
  if (reply) {
    send_message(s, MessageType::ready, reply->dump());
    return;
  }
  send_message(s, MessageType::error, reply.error().to_string());
  if (exit_on_error) _exit(127);
}

}  // namespace

void after_dlopen() {
  if (state != nullptr && state->programs) state->hooks.retry_pending(report_late);
}

}  // namespace ubee::agent

__attribute__((constructor)) static void ubee_agent_constructor() { ubee::agent::start(); }
