// The pieces of `ubee trace` that need no process: SEC() names to attach points, and --format on records.
#include <gtest/gtest.h>

#include <asm/unistd_64.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "agent/attach_point.hpp"
#include "agent/syscall_names.hpp"
#include "cli/trace_format.hpp"
#include "ubee/object.hpp"

namespace ubee {
namespace {

using agent::HookKind;
using agent::parse_attach_point;

TEST(TraceAttachPoint, UprobeWithPathFunctionAndOffset) {
  auto p = parse_attach_point("uprobe//usr/bin/app:handle_request+0x1f");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->kind, HookKind::uprobe);
  EXPECT_EQ(p->path, "/usr/bin/app");
  EXPECT_EQ(p->function, "handle_request");
  EXPECT_EQ(p->offset, 0x1fU);
  auto decimal = parse_attach_point("uprobe/libc.so.6:malloc+12");
  ASSERT_TRUE(decimal);
  EXPECT_EQ(decimal->path, "libc.so.6");
  EXPECT_EQ(decimal->offset, 12U);
}

TEST(TraceAttachPoint, UretprobeAndSleepableForms) {
  auto r = parse_attach_point("uretprobe.s//proc/self/exe:work");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, HookKind::uretprobe);
  EXPECT_EQ(r->path, "/proc/self/exe");
  EXPECT_EQ(r->function, "work");
  EXPECT_FALSE(parse_attach_point("uretprobe//bin/x:f+4"));  // a return probe has no offset
  EXPECT_FALSE(parse_attach_point("uprobe//bin/x"));         // no function
  EXPECT_FALSE(parse_attach_point("uprobe//bin/x:f+zz"));    // bad offset
}

TEST(TraceAttachPoint, SyscallTracepointsByNumber) {
  auto enter = parse_attach_point("tracepoint/syscalls/sys_enter_openat");
  ASSERT_TRUE(enter);
  EXPECT_EQ(enter->kind, HookKind::syscall_enter);
  EXPECT_EQ(enter->syscall, __NR_openat);
  auto exit = parse_attach_point("tp/syscalls/sys_exit_write");
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->kind, HookKind::syscall_exit);
  EXPECT_EQ(exit->syscall, __NR_write);
  EXPECT_EQ(agent::syscall_number("read").value_or(-1), __NR_read);
  EXPECT_FALSE(parse_attach_point("tracepoint/syscalls/sys_enter_no_such_call"));
  EXPECT_FALSE(parse_attach_point("tracepoint/sched/sched_switch"));
}

TEST(TraceAttachPoint, RawTracepointsUsdtAndOthers) {
  EXPECT_EQ(parse_attach_point("raw_tracepoint/sys_enter")->kind, HookKind::raw_syscall_enter);
  EXPECT_EQ(parse_attach_point("raw_tp/sys_exit")->kind, HookKind::raw_syscall_exit);
  auto usdt = parse_attach_point("usdt//usr/bin/app:prov:name");
  ASSERT_TRUE(usdt);
  EXPECT_EQ(usdt->usdt, "/usr/bin/app:prov:name");
  auto xdp = parse_attach_point("xdp");
  ASSERT_FALSE(xdp);
  EXPECT_NE(xdp.error().message.find("not a hook ubee trace attaches"), std::string::npos);
}

// struct { u32 kind; s64 value; char name[8]; u16 port; } as clang lays it out, then a trailing C string.
std::vector<std::uint8_t> sample_record() {
  std::vector<std::uint8_t> r(32, 0);
  const std::uint32_t kind = 7;
  const std::int64_t value = -42;
  const std::uint16_t port = 8080;
  std::memcpy(r.data(), &kind, 4);
  std::memcpy(r.data() + 8, &value, 8);
  std::memcpy(r.data() + 16, "abc", 3);
  std::memcpy(r.data() + 24, &port, 2);
  std::memcpy(r.data() + 26, "tail", 5);
  return r;
}

TEST(TraceFormat, FieldsInStructOrder) {
  EXPECT_EQ(cli::format_record("kind=%u value=%ld name=%8s port=%hu rest=%s", sample_record()),
            "kind=7 value=-42 name=abc port=8080 rest=tail");
  EXPECT_EQ(cli::format_record("%x %lx %%", sample_record()), "7 ffffffffffffffd6 %");
  // 32-bit words: "abc\0" is 0x00636261; port 8080 (0x1f90) then "ta" is 0x61741f90; "il\0\0" is 0x6c69.
  EXPECT_EQ(cli::format_record("%d %d %d %d %d %d %d %d %d", sample_record()),
            "7 0 -42 -1 6513249 0 1635000208 27753 ?");
}

TEST(TraceFormat, UnknownConversionsAreRefused) {
  EXPECT_TRUE(cli::check_record_format("%d %s %16s %lld %hhu %c %p %%"));
  EXPECT_FALSE(cli::check_record_format("%q"));
  EXPECT_FALSE(cli::check_record_format("100%"));
}

// The agent opens the object on the CLI's maps: one memory, seen from both objects.
TEST(TraceObject, SharedMapFdsOpenTheSameMaps) {
  if (access(UBEE_TRACE_BPF_DIR "/counts.o", R_OK) != 0) GTEST_SKIP() << "the eBPF test programs were not built";
  auto cli = Object::open(UBEE_TRACE_BPF_DIR "/counts.o");
  ASSERT_TRUE(cli) << cli.error().to_string();
  ObjectOptions options;
  for (const auto& m : (*cli)->maps()) options.shared_map_fds[m->spec().name] = m->shared_fd();
  auto agent = Object::open(UBEE_TRACE_BPF_DIR "/counts.o", options);
  ASSERT_TRUE(agent) << agent.error().to_string();
  const std::uint32_t key = 2;
  const std::uint64_t value = 0x1122334455667788;
  ASSERT_EQ((*agent)->find_map("calls")->user_update(&key, &value, BPF_ANY), 0);
  std::uint64_t seen = 0;
  ASSERT_EQ((*cli)->find_map("calls")->user_lookup(&key, &seen), 0);
  EXPECT_EQ(seen, value);
  EXPECT_NE((*cli)->find_map("calls").get(), (*agent)->find_map("calls").get());
}

}  // namespace
}  // namespace ubee
