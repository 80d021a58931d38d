// SEC() names to program and attach types, as libbpf's section_defs table maps them (libbpf 1.5). The
// table's matching rules are libbpf's: "name" matches only itself; "name+" matches "name" or "name/anything";
// "name/" needs something after the slash. The first matching entry wins, so specific names come first.
#include <linux/bpf.h>

#include <optional>
#include <string>
#include <string_view>

#include "ubee/elf.hpp"

namespace ubee {
namespace {

// Debian 12's UAPI header (Linux 6.1) predates these attach types; the values are the kernel's (they fit the
// range of its enum bpf_attach_type). Its enum bpf_prog_type ends at BPF_PROG_TYPE_SYSCALL, so "netfilter"
// (BPF_PROG_TYPE_NETFILTER, 32) cannot be represented and is left out.
enum : unsigned {
  kStructOps = 44,
  kTcxIngress = 46,
  kTcxEgress = 47,
  kTraceUprobeMulti = 48,
  kUnixConnect = 49,
  kUnixSendmsg = 50,
  kUnixRecvmsg = 51,
  kUnixGetpeername = 52,
  kUnixGetsockname = 53,
  kNetkitPrimary = 54,
  kNetkitPeer = 55,
};

enum Flags : unsigned { kNone = 0, kSleepable = 1, kFrags = 2 };

struct SecDef {
  std::string_view pattern;
  bpf_prog_type type;
  unsigned attach;
  unsigned flags;
};

// clang-format off
constexpr SecDef kSecDefs[] = {
    {"socket", BPF_PROG_TYPE_SOCKET_FILTER, 0, kNone},
    {"sk_reuseport/migrate", BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, kNone},
    {"sk_reuseport", BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT, kNone},
    {"kprobe+", BPF_PROG_TYPE_KPROBE, 0, kNone},
    {"uprobe+", BPF_PROG_TYPE_KPROBE, 0, kNone},
    {"uprobe.s+", BPF_PROG_TYPE_KPROBE, 0, kSleepable},
    {"kretprobe+", BPF_PROG_TYPE_KPROBE, 0, kNone},
    {"uretprobe+", BPF_PROG_TYPE_KPROBE, 0, kNone},
    {"uretprobe.s+", BPF_PROG_TYPE_KPROBE, 0, kSleepable},
    {"kprobe.multi+", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, kNone},
    {"kretprobe.multi+", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, kNone},
    {"uprobe.multi+", BPF_PROG_TYPE_KPROBE, kTraceUprobeMulti, kNone},
    {"uretprobe.multi+", BPF_PROG_TYPE_KPROBE, kTraceUprobeMulti, kNone},
    {"uprobe.multi.s+", BPF_PROG_TYPE_KPROBE, kTraceUprobeMulti, kSleepable},
    {"uretprobe.multi.s+", BPF_PROG_TYPE_KPROBE, kTraceUprobeMulti, kSleepable},
    {"ksyscall+", BPF_PROG_TYPE_KPROBE, 0, kNone},
    {"kretsyscall+", BPF_PROG_TYPE_KPROBE, 0, kNone},
    {"usdt+", BPF_PROG_TYPE_KPROBE, 0, kNone},
    {"usdt.s+", BPF_PROG_TYPE_KPROBE, 0, kSleepable},
    {"tc/ingress", BPF_PROG_TYPE_SCHED_CLS, kTcxIngress, kNone},
    {"tc/egress", BPF_PROG_TYPE_SCHED_CLS, kTcxEgress, kNone},
    {"tcx/ingress", BPF_PROG_TYPE_SCHED_CLS, kTcxIngress, kNone},
    {"tcx/egress", BPF_PROG_TYPE_SCHED_CLS, kTcxEgress, kNone},
    {"tc", BPF_PROG_TYPE_SCHED_CLS, 0, kNone},
    {"classifier", BPF_PROG_TYPE_SCHED_CLS, 0, kNone},
    {"action", BPF_PROG_TYPE_SCHED_ACT, 0, kNone},
    {"netkit/primary", BPF_PROG_TYPE_SCHED_CLS, kNetkitPrimary, kNone},
    {"netkit/peer", BPF_PROG_TYPE_SCHED_CLS, kNetkitPeer, kNone},
    {"tracepoint+", BPF_PROG_TYPE_TRACEPOINT, 0, kNone},
    {"tp+", BPF_PROG_TYPE_TRACEPOINT, 0, kNone},
    {"raw_tracepoint+", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, kNone},
    {"raw_tp+", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, kNone},
    {"raw_tracepoint.w+", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, kNone},
    {"raw_tp.w+", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, kNone},
    {"tp_btf+", BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, kNone},
    {"fentry+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, kNone},
    {"fmod_ret+", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, kNone},
    {"fexit+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, kNone},
    {"fentry.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, kSleepable},
    {"fmod_ret.s+", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, kSleepable},
    {"fexit.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, kSleepable},
    {"freplace+", BPF_PROG_TYPE_EXT, 0, kNone},
    {"lsm+", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, kNone},
    {"lsm.s+", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, kSleepable},
    {"lsm_cgroup+", BPF_PROG_TYPE_LSM, BPF_LSM_CGROUP, kNone},
    {"iter+", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, kNone},
    {"iter.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, kSleepable},
    {"syscall", BPF_PROG_TYPE_SYSCALL, 0, kSleepable},
    {"xdp.frags/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, kFrags},
    {"xdp/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, kNone},
    {"xdp.frags/cpumap", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, kFrags},
    {"xdp/cpumap", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, kNone},
    {"xdp.frags", BPF_PROG_TYPE_XDP, BPF_XDP, kFrags},
    {"xdp", BPF_PROG_TYPE_XDP, BPF_XDP, kNone},
    {"perf_event", BPF_PROG_TYPE_PERF_EVENT, 0, kNone},
    {"lwt_in", BPF_PROG_TYPE_LWT_IN, 0, kNone},
    {"lwt_out", BPF_PROG_TYPE_LWT_OUT, 0, kNone},
    {"lwt_xmit", BPF_PROG_TYPE_LWT_XMIT, 0, kNone},
    {"lwt_seg6local", BPF_PROG_TYPE_LWT_SEG6LOCAL, 0, kNone},
    {"sockops", BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, kNone},
    {"sk_skb/stream_parser", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_PARSER, kNone},
    {"sk_skb/stream_verdict", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_VERDICT, kNone},
    {"sk_skb", BPF_PROG_TYPE_SK_SKB, 0, kNone},
    {"sk_msg", BPF_PROG_TYPE_SK_MSG, BPF_SK_MSG_VERDICT, kNone},
    {"lirc_mode2", BPF_PROG_TYPE_LIRC_MODE2, BPF_LIRC_MODE2, kNone},
    {"flow_dissector", BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, kNone},
    {"cgroup_skb/ingress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, kNone},
    {"cgroup_skb/egress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, kNone},
    {"cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, 0, kNone},
    {"cgroup/sock_create", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, kNone},
    {"cgroup/sock_release", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_RELEASE, kNone},
    {"cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, kNone},
    {"cgroup/post_bind4", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET4_POST_BIND, kNone},
    {"cgroup/post_bind6", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET6_POST_BIND, kNone},
    {"cgroup/bind4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND, kNone},
    {"cgroup/bind6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_BIND, kNone},
    {"cgroup/connect4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, kNone},
    {"cgroup/connect6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT, kNone},
    {"cgroup/connect_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, kUnixConnect, kNone},
    {"cgroup/sendmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG, kNone},
    {"cgroup/sendmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG, kNone},
    {"cgroup/sendmsg_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, kUnixSendmsg, kNone},
    {"cgroup/recvmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_RECVMSG, kNone},
    {"cgroup/recvmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG, kNone},
    {"cgroup/recvmsg_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, kUnixRecvmsg, kNone},
    {"cgroup/getpeername4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETPEERNAME, kNone},
    {"cgroup/getpeername6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETPEERNAME, kNone},
    {"cgroup/getpeername_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, kUnixGetpeername, kNone},
    {"cgroup/getsockname4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETSOCKNAME, kNone},
    {"cgroup/getsockname6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETSOCKNAME, kNone},
    {"cgroup/getsockname_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, kUnixGetsockname, kNone},
    {"cgroup/sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, kNone},
    {"cgroup/getsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, kNone},
    {"cgroup/setsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_SETSOCKOPT, kNone},
    {"cgroup/dev", BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE, kNone},
    {"struct_ops+", BPF_PROG_TYPE_STRUCT_OPS, 0, kNone},
    {"struct_ops.s+", BPF_PROG_TYPE_STRUCT_OPS, 0, kSleepable},
    {"sk_lookup", BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, kNone},
};
// clang-format on

// The attach target of `section` when `def` matches it: what follows the prefix (and its '/'), or nothing.
std::optional<std::string> match(const SecDef& def, std::string_view section) {
  std::string_view pattern = def.pattern;
  if (pattern.back() == '/') {
    if (section.size() <= pattern.size() || section.substr(0, pattern.size()) != pattern) return std::nullopt;
    return std::string(section.substr(pattern.size()));
  }
  if (pattern.back() == '+') {
    pattern.remove_suffix(1);
    if (section.substr(0, pattern.size()) != pattern) return std::nullopt;
    if (section.size() == pattern.size()) return std::string{};
    if (section[pattern.size()] != '/') return std::nullopt;
    return std::string(section.substr(pattern.size() + 1));
  }
  if (section != pattern) return std::nullopt;
  return std::string{};
}

}  // namespace

Result<SectionType> program_type_for_section(const std::string& section) {
  for (const SecDef& def : kSecDefs) {
    auto target = match(def, section);
    if (!target) continue;
    return SectionType{def.type, static_cast<bpf_attach_type>(def.attach), std::move(*target),
                       (def.flags & kSleepable) != 0, (def.flags & kFrags) != 0};
  }
  return make_error(Errc::unsupported, "unknown program section '" + section + "'");
}

}  // namespace ubee
