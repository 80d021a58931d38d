// bpf_get_attach_cookie (BPF_FUNC_get_attach_cookie): the 64-bit value given when a program was attached
// (libbpf's bpf_uprobe_opts.bpf_cookie; USDT attachments use it for their spec id). The agent sets it for the
// thread around each run; the CLI registers the same prototype so that verify() knows the helper.
#pragma once

#include <linux/bpf.h>

#include <cstdint>

#include "ubee/helpers.hpp"

namespace ubee::agent {

// The cookie of the attachment whose program this thread is running (0 outside a run).
[[gnu::tls_model("initial-exec")]] inline constinit thread_local std::uint64_t current_attach_cookie = 0;

inline void add_attach_cookie_helper(HelperRegistry& registry) {
  const auto get_attach_cookie = [](std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                    RunContext&) -> std::uint64_t { return current_attach_cookie; };
  registry.replace(BPF_FUNC_get_attach_cookie,
                   HelperProto{"get_attach_cookie", get_attach_cookie, RetType::integer, {ArgType::ptr_to_ctx}});
}

}  // namespace ubee::agent
