// Which helpers each program type may call (the kernel's get_func_proto callbacks: bpf_base_func_proto,
// tc_cls_act_func_proto, xdp_func_proto, sk_filter_func_proto, bpf_tracing_func_proto, syscall_prog_func_proto).
// Helpers every type has (maps, time, random numbers, printk, ring buffers, loops, tail calls) are not listed:
// only those tied to one kind of context or to tracing are.
#include <algorithm>
#include <initializer_list>
#include <iterator>

#include "verifier/checker.hpp"

namespace ubee::verifier {
namespace {

enum Kind : unsigned { kSkb = 1, kTc = 2, kXdp = 4, kTracing = 8, kSyscall = 16 };

unsigned kind_of(bpf_prog_type type) {
  switch (type) {
    case BPF_PROG_TYPE_SCHED_CLS:
    case BPF_PROG_TYPE_SCHED_ACT: return kSkb | kTc;
    case BPF_PROG_TYPE_SOCKET_FILTER:
    case BPF_PROG_TYPE_CGROUP_SKB: return kSkb;
    case BPF_PROG_TYPE_XDP: return kXdp;
    case BPF_PROG_TYPE_KPROBE:
    case BPF_PROG_TYPE_TRACEPOINT:
    case BPF_PROG_TYPE_RAW_TRACEPOINT:
    case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE:
    case BPF_PROG_TYPE_PERF_EVENT:
    case BPF_PROG_TYPE_TRACING: return kTracing;
    case BPF_PROG_TYPE_SYSCALL: return kSyscall;
    default: return 0;  // types ubee does not describe: no restriction
  }
}

struct Restriction {
  std::initializer_list<std::uint32_t> helpers;
  unsigned kinds;  // the program kinds that may call them
  // bpf_base_func_proto() gives them to every type when the loader has CAP_PERFMON.
  bool privileged_anywhere = false;
};

const Restriction kRestrictions[] = {
    {{BPF_FUNC_skb_load_bytes}, kSkb},
    {{BPF_FUNC_skb_store_bytes}, kTc},
    {{BPF_FUNC_xdp_load_bytes, BPF_FUNC_xdp_store_bytes}, kXdp},
    {{BPF_FUNC_probe_read, BPF_FUNC_probe_read_str, BPF_FUNC_get_stackid, BPF_FUNC_get_stack,
      BPF_FUNC_get_attach_cookie},
     kTracing | kSyscall},
    {{BPF_FUNC_probe_read_user, BPF_FUNC_probe_read_user_str, BPF_FUNC_probe_read_kernel,
      BPF_FUNC_probe_read_kernel_str, BPF_FUNC_get_current_task},
     kTracing | kSyscall, true},
    {{BPF_FUNC_perf_event_output}, kTracing | kSkb | kXdp},
};

}  // namespace

std::optional<std::string> linux_helper_name(std::uint32_t helper) {
  // The uapi header's list of every helper, in id order (func_id_name()), comma-separated.
#define UBEE_HELPER_NAME(name, ...) #name
  static constexpr const char* kNames[] = {__BPF_FUNC_MAPPER(UBEE_HELPER_NAME)};
#undef UBEE_HELPER_NAME
  if (helper == 0 || helper >= std::size(kNames)) return std::nullopt;
  return std::string("bpf_") + kNames[helper];
}

Result<void> check_helper_allowed(const Env& env, std::uint32_t helper, const std::string& name) {
  const unsigned kind = kind_of(env.options.type);
  if (kind == 0) return {};
  for (const Restriction& r : kRestrictions)
    if (std::find(r.helpers.begin(), r.helpers.end(), helper) != r.helpers.end() && (r.kinds & kind) == 0 &&
        !(r.privileged_anywhere && env.options.privileged))
      return env.fail("program of this type cannot use helper bpf_" + name + "#" + std::to_string(helper));
  return {};
}

}  // namespace ubee::verifier
