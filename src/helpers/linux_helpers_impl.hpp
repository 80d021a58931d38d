// The families of Linux helpers, each registered by its own file.
#pragma once

#include <string>
#include <string_view>

#include "ubee/helpers.hpp"

namespace ubee::helpers {

void add_map_helpers(HelperRegistry& registry);
void add_task_helpers(HelperRegistry& registry);    // time, randomness, CPU, pid/uid/comm
void add_memory_helpers(HelperRegistry& registry);  // probe_read family, strtol/strtoul
void add_print_helpers(HelperRegistry& registry);   // trace_printk, trace_vprintk, snprintf
void add_output_helpers(HelperRegistry& registry);  // ring buffers, perf event arrays, stacks
void add_packet_helpers(HelperRegistry& registry);  // skb/xdp load and store bytes

// The kernel's bprintf formatting of `fmt` with u64 arguments.
Result<std::string> format_bpf(std::string_view fmt, const std::uint64_t* args, std::size_t nargs);

}  // namespace ubee::helpers
