// x86-64 system call numbers by name, as the kernel's syscalls tracepoints name them (sys_enter_<name>).
#pragma once

#include <optional>
#include <string_view>

namespace ubee::agent {

std::optional<int> syscall_number(std::string_view name);

}  // namespace ubee::agent
