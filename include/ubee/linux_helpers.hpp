// Linux's helper functions (BPF_FUNC_* in <linux/bpf.h>) with the kernel's semantics, for programs built
// against libbpf's headers. Map arguments are Map pointers (the loader resolves map references to them).
// User space has no kernel memory: the probe_read_kernel family reads this process's memory, as the _user
// family does, and a bad address is an error code, never a crash.
#pragma once

#include <functional>
#include <string_view>

#include "ubee/helpers.hpp"

namespace ubee {

// Registers every Linux helper ubee implements under its Linux ID.
void add_linux_helpers(HelperRegistry& registry);

// Where bpf_trace_printk / bpf_printk lines go (the kernel's trace_pipe), one call per line without its
// newline. The default writes "bpf_trace_printk: <line>" to standard error. Process-wide.
using TraceSink = std::function<void(std::string_view line)>;
void set_trace_sink(TraceSink sink);

}  // namespace ubee
