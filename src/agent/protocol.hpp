// The protocol between `ubee trace` (the CLI) and libubee-agent.so (the agent, inside the traced process).
//
// Transport: a SOCK_SEQPACKET unix socket in the abstract namespace (no file to create or clean up; message
// boundaries kept, so several processes may write to one connection). The CLI listens; every agent connects:
//   - started by the CLI (LD_PRELOAD): the environment variable UBEE_AGENT_SOCKET holds the name (without the
//     leading NUL). Exec'd children inherit LD_PRELOAD and the variable, so each new program image connects
//     again and gets its own setup; fork()ed children keep the parent's connection and its probes.
//   - injected (dlopen'd into a running process, no environment): the agent connects to
//     agent_socket_name(getuid(), getpid()), "ubee-agent-<uid>-<pid>", which the CLI binds before injecting.
//     When nothing listens there the agent does nothing. The agent's constructor runs inside that dlopen() and
//     waits for its setup, so `ubee trace --pid` injects from a second thread while the first serves the socket
//     (src/cli/trace_session.cpp), using the target's real uid from /proc/PID/status.
// Both sides check the other with SO_PEERCRED: the CLI accepts agents of the target's uid only (the injected
// case: the target's pid too); the agent accepts a CLI of its own uid or root.
//
// Every message is one datagram: a MessageHeader then `length` bytes of body.
//   agent -> CLI  hello     JSON {"pid": 123, "exe": "/usr/bin/ls", "injected": false}
//   CLI -> agent  setup     JSON (below); SCM_RIGHTS carries fds: [0] a memfd holding the object file's bytes,
//                           [1 + i] the shared region (Map::shared_fd()) of map "maps"[i]
//   agent -> CLI  ready     JSON {"attached": ["prog: target (engine)", ...], "pending": [...]}
//                           (pending: a uprobe in a library not loaded yet, attached when dlopen() loads it)
//   agent -> CLI  error     text: why the setup failed (the CLI prints it, kills the target, exits non-zero)
//   agent -> CLI  printk    text: one bpf_printk line, without its newline
//   agent -> CLI  attached  text "prog: target": a pending uprobe attached after a dlopen()
//   agent -> CLI  warning   text: a later problem that does not stop the trace (a dlopen'd attachment failed)
// The setup JSON:
//   {"object": "path shown in messages",
//    "maps": ["counts", "events", ...],                      // map names, in the order of fds [1...]
//    "programs": [{"name": "count_calls",                    // every program of the object, by function name
//                  "target": "uprobe//abs/path/app:work",    // its SEC() name, relative uprobe paths made
//                                                            // absolute (/proc/self/exe kept: the target itself)
//                  "selected": true,                         // attach it (others: tail call targets)
//                  "verified": true}],                       // the CLI's verify() accepted it: the agent
//                                                            // verifies it again and JITs it
//    "allow_unverified": false,                              // --unverified: run unverified programs (checked)
//    "exit_on_error": true}                                  // after an error: _exit(127) (preload) or carry on
//                                                               untraced (injected: never kill the target)
// The agent reads nothing after the setup (it starts no thread): the connection then only carries its
// messages, which it sends with MSG_NOSIGNAL and drops when the CLI has gone.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ubee::agent {

inline constexpr const char* kSocketEnv = "UBEE_AGENT_SOCKET";
inline constexpr std::uint32_t kMagic = 0x45454255;  // "UBEE" in memory order
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::size_t kMaxMessage = 4 << 20;
inline constexpr std::size_t kMaxFds = 250;  // below the kernel's SCM_MAX_FD (253)

enum class MessageType : std::uint16_t { hello = 1, setup, ready, error, printk, attached, warning };

struct MessageHeader {
  std::uint32_t magic = kMagic;
  std::uint16_t version = kVersion;
  MessageType type = MessageType::hello;
  std::uint32_t length = 0;  // body bytes after the header
  std::uint32_t pid = 0;     // the sending process (fork()ed children share their parent's connection)
};

struct Message {
  MessageType type = MessageType::hello;
  std::uint32_t pid = 0;
  std::string body;
  std::vector<int> fds;  // received descriptors, owned by the receiver
};

inline std::string agent_socket_name(unsigned uid, int pid) {
  return "ubee-agent-" + std::to_string(uid) + "-" + std::to_string(pid);
}

// The sockaddr of an abstract name and its length (the name is not NUL-terminated in the abstract namespace).
inline socklen_t abstract_address(std::string_view name, sockaddr_un& address) {
  std::memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  const std::size_t n = std::min(name.size(), sizeof address.sun_path - 1);
  std::memcpy(address.sun_path + 1, name.data(), n);
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
}

// Sends one message, with `fds` as SCM_RIGHTS. 0 or -errno.
inline int send_message(int socket, MessageType type, std::string_view body, std::span<const int> fds = {}) {
  MessageHeader header;
  header.type = type;
  header.length = static_cast<std::uint32_t>(body.size());
  header.pid = static_cast<std::uint32_t>(getpid());
  iovec parts[2] = {{&header, sizeof header}, {const_cast<char*>(body.data()), body.size()}};
  msghdr msg{};
  msg.msg_iov = parts;
  msg.msg_iovlen = 2;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  while (sendmsg(socket, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR) return -errno;
  return 0;
}

// Receives one message (blocking unless the socket is non-blocking). nullopt with errno set on failure
// (0 for the peer's end of connection, EBADMSG for a message that is not this protocol's).
inline std::optional<Message> receive_message(int socket) {
  // The datagram's size first, so that a printk line does not cost a buffer of kMaxMessage bytes.
  ssize_t size;
  while ((size = recv(socket, nullptr, 0, MSG_PEEK | MSG_TRUNC)) < 0)
    if (errno != EINTR) return std::nullopt;
  if (static_cast<std::size_t>(size) > sizeof(MessageHeader) + kMaxMessage) {
    errno = EMSGSIZE;
    return std::nullopt;
  }
  std::vector<char> buffer(std::max<std::size_t>(static_cast<std::size_t>(size), 1));
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxFds));
  iovec part{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &part;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n;
  while ((n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC)) < 0)
    if (errno != EINTR) return std::nullopt;
  Message out;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    out.fds.resize(count);
    std::memcpy(out.fds.data(), CMSG_DATA(c), count * sizeof(int));
  }
  MessageHeader header;
  if (n == 0) {
    errno = 0;
    return std::nullopt;
  }
  if (static_cast<std::size_t>(n) < sizeof header) {
    errno = EBADMSG;
    return std::nullopt;
  }
  std::memcpy(&header, buffer.data(), sizeof header);
  if (header.magic != kMagic || header.version != kVersion || header.length != n - sizeof header) {
    for (int fd : out.fds) close(fd);
    errno = EBADMSG;
    return std::nullopt;
  }
  out.type = header.type;
  out.pid = header.pid;
  out.body.assign(buffer.data() + sizeof header, header.length);
  return out;
}

}  // namespace ubee::agent
