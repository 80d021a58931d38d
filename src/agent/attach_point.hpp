// What a program's SEC() name asks to attach to, in libbpf's spelling: uprobe/PATH:FUNC[+OFF],
// uretprobe/PATH:FUNC (and the sleepable .s forms), tracepoint/syscalls/sys_enter_NAME and sys_exit_NAME (tp/
// too), raw_tracepoint/sys_enter and sys_exit (raw_tp/ too), usdt/... (handed to the USDT attacher).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ubee/error.hpp"

namespace ubee::agent {

enum class HookKind { uprobe, uretprobe, syscall_enter, syscall_exit, raw_syscall_enter, raw_syscall_exit, usdt };

struct AttachPoint {
  HookKind kind = HookKind::uprobe;
  std::string path;        // uprobes: the binary or library
  std::string function;    // uprobes: the symbol
  std::uint64_t offset = 0;
  int syscall = -1;        // syscall tracepoints: the number
  std::string usdt;        // usdt: what follows "usdt/"
};

Result<AttachPoint> parse_attach_point(std::string_view section);

}  // namespace ubee::agent
