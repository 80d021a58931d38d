// SEC() names to program types, attach types and targets, as libbpf's section_defs table maps them.
#include <gtest/gtest.h>

#include <string>

#include "ubee/elf.hpp"

namespace ubee::test {
namespace {

struct Case {
  const char* section;
  bpf_prog_type type;
  unsigned attach;
  const char* target;
  bool sleepable = false;
  bool frags = false;
};

const Case kCases[] = {
    {"socket", BPF_PROG_TYPE_SOCKET_FILTER, 0, ""},
    {"sk_reuseport", BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT, ""},
    {"sk_reuseport/migrate", BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, ""},
    {"kprobe/do_unlinkat", BPF_PROG_TYPE_KPROBE, 0, "do_unlinkat"},
    {"kprobe", BPF_PROG_TYPE_KPROBE, 0, ""},
    {"kretprobe/do_unlinkat", BPF_PROG_TYPE_KPROBE, 0, "do_unlinkat"},
    {"uprobe/./app:main", BPF_PROG_TYPE_KPROBE, 0, "./app:main"},
    {"uretprobe//usr/lib/libc.so.6:malloc", BPF_PROG_TYPE_KPROBE, 0, "/usr/lib/libc.so.6:malloc"},
    {"uprobe.s/./app:main", BPF_PROG_TYPE_KPROBE, 0, "./app:main", true},
    {"uretprobe.s/./app:main", BPF_PROG_TYPE_KPROBE, 0, "./app:main", true},
    {"kprobe.multi/tcp_*", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, "tcp_*"},
    {"usdt/./app:provider:probe", BPF_PROG_TYPE_KPROBE, 0, "./app:provider:probe"},
    {"usdt.s/./app:p:n", BPF_PROG_TYPE_KPROBE, 0, "./app:p:n", true},
    {"ksyscall/openat", BPF_PROG_TYPE_KPROBE, 0, "openat"},
    {"tracepoint/syscalls/sys_enter_write", BPF_PROG_TYPE_TRACEPOINT, 0, "syscalls/sys_enter_write"},
    {"tp/sched/sched_switch", BPF_PROG_TYPE_TRACEPOINT, 0, "sched/sched_switch"},
    {"raw_tracepoint/sys_enter", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, "sys_enter"},
    {"raw_tp/sys_exit", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, "sys_exit"},
    {"raw_tp.w/bpf_test_finish", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, "bpf_test_finish"},
    {"tp_btf/sched_wakeup", BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, "sched_wakeup"},
    {"fentry/do_unlinkat", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "do_unlinkat"},
    {"fexit/do_unlinkat", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, "do_unlinkat"},
    {"fentry.s/do_unlinkat", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "do_unlinkat", true},
    {"fmod_ret/security_file_open", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, "security_file_open"},
    {"freplace/handler", BPF_PROG_TYPE_EXT, 0, "handler"},
    {"lsm/file_open", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "file_open"},
    {"lsm.s/bprm_check_security", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bprm_check_security", true},
    {"lsm_cgroup/socket_bind", BPF_PROG_TYPE_LSM, BPF_LSM_CGROUP, "socket_bind"},
    {"iter/task", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, "task"},
    {"iter.s/task_vma", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, "task_vma", true},
    {"syscall", BPF_PROG_TYPE_SYSCALL, 0, "", true},
    {"xdp", BPF_PROG_TYPE_XDP, BPF_XDP, ""},
    {"xdp.frags", BPF_PROG_TYPE_XDP, BPF_XDP, "", false, true},
    {"xdp/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, ""},
    {"xdp.frags/cpumap", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, "", false, true},
    {"perf_event", BPF_PROG_TYPE_PERF_EVENT, 0, ""},
    {"tc", BPF_PROG_TYPE_SCHED_CLS, 0, ""},
    {"tc/ingress", BPF_PROG_TYPE_SCHED_CLS, 46 /* BPF_TCX_INGRESS */, ""},
    {"tc/egress", BPF_PROG_TYPE_SCHED_CLS, 47 /* BPF_TCX_EGRESS */, ""},
    {"tcx/ingress", BPF_PROG_TYPE_SCHED_CLS, 46, ""},
    {"netkit/primary", BPF_PROG_TYPE_SCHED_CLS, 54 /* BPF_NETKIT_PRIMARY */, ""},
    {"classifier", BPF_PROG_TYPE_SCHED_CLS, 0, ""},
    {"action", BPF_PROG_TYPE_SCHED_ACT, 0, ""},
    {"cgroup_skb/ingress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, ""},
    {"cgroup_skb/egress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, ""},
    {"cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, 0, ""},
    {"cgroup/sock_create", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, ""},
    {"cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, ""},
    {"cgroup/post_bind6", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET6_POST_BIND, ""},
    {"cgroup/connect4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, ""},
    {"cgroup/connect_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 49 /* BPF_CGROUP_UNIX_CONNECT */, ""},
    {"cgroup/recvmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG, ""},
    {"cgroup/getsockname4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETSOCKNAME, ""},
    {"cgroup/sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, ""},
    {"cgroup/getsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, ""},
    {"cgroup/dev", BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE, ""},
    {"sockops", BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, ""},
    {"sk_skb", BPF_PROG_TYPE_SK_SKB, 0, ""},
    {"sk_skb/stream_parser", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_PARSER, ""},
    {"sk_skb/stream_verdict", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_VERDICT, ""},
    {"sk_msg", BPF_PROG_TYPE_SK_MSG, BPF_SK_MSG_VERDICT, ""},
    {"lwt_in", BPF_PROG_TYPE_LWT_IN, 0, ""},
    {"lwt_out", BPF_PROG_TYPE_LWT_OUT, 0, ""},
    {"lwt_xmit", BPF_PROG_TYPE_LWT_XMIT, 0, ""},
    {"lwt_seg6local", BPF_PROG_TYPE_LWT_SEG6LOCAL, 0, ""},
    {"flow_dissector", BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, ""},
    {"sk_lookup", BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, ""},
    {"struct_ops/tcp_init", BPF_PROG_TYPE_STRUCT_OPS, 0, "tcp_init"},
    {"struct_ops.s/init", BPF_PROG_TYPE_STRUCT_OPS, 0, "init", true},
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.section; }

class SectionTypes : public ::testing::TestWithParam<Case> {};

TEST_P(SectionTypes, MapsAsLibbpfDoes) {
  const Case& c = GetParam();
  auto r = program_type_for_section(c.section);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->type, c.type);
  EXPECT_EQ(static_cast<unsigned>(r->expected_attach_type), c.attach);
  EXPECT_EQ(r->attach_target, c.target);
  EXPECT_EQ(r->sleepable, c.sleepable);
  EXPECT_EQ(r->xdp_frags, c.frags);
}

INSTANTIATE_TEST_SUITE_P(Elf, SectionTypes, ::testing::ValuesIn(kCases), [](const auto& info) {
  std::string name;
  for (const char* p = info.param.section; *p != '\0'; ++p) name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  return name + "_" + std::to_string(info.index);
});

// Exact names only match exactly, "name+" needs a '/' before extras, and nothing unknown is guessed.
TEST(SectionTypes, UnknownNamesAreErrorsNamingThem) {
  for (const char* bad : {"socket/1", "kprobex", "kprobe_foo", "xdp/", "xdp_foo", "tc/foo", "bogus", "", ".text", "sk_msg/x"}) {
    auto r = program_type_for_section(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::unsupported);
    EXPECT_EQ(r.error().message, std::string("unknown program section '") + bad + "'");
  }
}

}  // namespace
}  // namespace ubee::test
