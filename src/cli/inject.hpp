// `ubee trace --pid PID`: loading the agent into a process that is already running, as a debugger would: stop one
// of its threads with ptrace, make it call its libc's dlopen(agent, RTLD_NOW), and put everything back.
#pragma once

#include <sys/types.h>

#include <string>

#include "ubee/error.hpp"

namespace ubee::cli {

// Loads the shared library `library_path` into process `pid` with dlopen(RTLD_NOW), running its constructors
// (the agent's constructor connects to the CLI: see src/agent/protocol.hpp). The thread is stopped with
// PTRACE_SEIZE + PTRACE_INTERRUPT (and, when it was running user code, single-stepped to a function's entry, so
// that probes the library patches in cannot split the instruction it resumes at); its registers and the stack
// bytes used are restored before detaching, and a system call it was blocked in restarts. Errors: Errc::permission_denied when ptrace is refused (Yama's
// kernel.yama.ptrace_scope, another user, no CAP_SYS_PTRACE), Errc::not_found when the process is gone or its
// libc exports no dlopen (glibc < 2.34 keeps it in libdl), Errc::invalid_argument with dlerror()'s text when
// dlopen fails. Must not be called from a thread that is itself traced by `pid`.
Result<void> inject_agent(pid_t pid, const std::string& library_path);

}  // namespace ubee::cli
