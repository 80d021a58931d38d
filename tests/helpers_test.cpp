// Linux helpers with the kernel's semantics: called through the registry, and through programs.
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "../src/helpers/linux_helpers_impl.hpp"
#include "test_util.hpp"
#include "ubee/linux_helpers.hpp"

namespace ubee::test {
namespace {

// A context for calling helpers directly: everything accessible, no callbacks.
class DirectContext final : public RunContext {
 public:
  DirectContext() : RunContext(nullptr, nullptr) {}
  Result<std::uint64_t> call_function(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                      std::uint64_t) override {
    return make_error(Errc::unsupported, "no callbacks here");
  }
};

class LinuxHelpers : public ::testing::Test {
 protected:
  LinuxHelpers() { add_linux_helpers(registry); }
  std::uint64_t call(std::uint32_t id, std::uint64_t a = 0, std::uint64_t b = 0, std::uint64_t c = 0,
                     std::uint64_t d = 0, std::uint64_t e = 0) {
    const HelperProto* proto = registry.find(id);
    EXPECT_NE(proto, nullptr) << "helper " << id;
    return proto ? proto->fn(a, b, c, d, e, context) : 0;
  }
  template <class T>
  static std::uint64_t addr(T* p) {
    return reinterpret_cast<std::uint64_t>(p);
  }
  HelperRegistry registry;
  DirectContext context;
};

std::int64_t as_signed(std::uint64_t v) { return static_cast<std::int64_t>(v); }

TEST_F(LinuxHelpers, PidTgidUidGid) {
  EXPECT_EQ(call(BPF_FUNC_get_current_pid_tgid), (static_cast<std::uint64_t>(getpid()) << 32) | gettid());
  EXPECT_EQ(call(BPF_FUNC_get_current_uid_gid), (static_cast<std::uint64_t>(getgid()) << 32) | getuid());
}

TEST_F(LinuxHelpers, KtimeIsMonotonicNanoseconds) {
  timespec before{}, after{};
  clock_gettime(CLOCK_MONOTONIC, &before);
  const std::uint64_t t = call(BPF_FUNC_ktime_get_ns);
  clock_gettime(CLOCK_MONOTONIC, &after);
  EXPECT_GE(t, static_cast<std::uint64_t>(before.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(before.tv_nsec));
  EXPECT_LE(t, static_cast<std::uint64_t>(after.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(after.tv_nsec));
  EXPECT_GE(call(BPF_FUNC_ktime_get_boot_ns), t);
}

TEST_F(LinuxHelpers, CurrentCommIsZeroPadded) {
  char saved[17] = {};
  prctl(PR_GET_NAME, saved);
  prctl(PR_SET_NAME, "ubee-comm");
  char buf[16];
  std::memset(buf, 'x', sizeof buf);
  EXPECT_EQ(call(BPF_FUNC_get_current_comm, addr(buf), sizeof buf), 0u);
  EXPECT_STREQ(buf, "ubee-comm");
  EXPECT_EQ(buf[15], '\0');
  char small[5];
  EXPECT_EQ(call(BPF_FUNC_get_current_comm, addr(small), sizeof small), 0u);
  EXPECT_STREQ(small, "ubee");
  prctl(PR_SET_NAME, saved);
}

TEST_F(LinuxHelpers, ProbeReadCopiesOrFaultsWithoutCrashing) {
  const std::uint64_t source = 0x1122334455667788ULL;
  std::uint64_t out = 0;
  EXPECT_EQ(call(BPF_FUNC_probe_read_user, addr(&out), sizeof out, addr(&source)), 0u);
  EXPECT_EQ(out, source);
  out = 7;
  EXPECT_EQ(as_signed(call(BPF_FUNC_probe_read_user, addr(&out), sizeof out, 16)), -EFAULT);
  EXPECT_EQ(out, 0u) << "the destination is cleared on a fault";
  out = 7;
  EXPECT_EQ(as_signed(call(BPF_FUNC_probe_read_kernel, addr(&out), sizeof out, 16)), -ERANGE) << "x86-64's answer";
  EXPECT_EQ(out, 0u);
  // An unmapped address above the null page: a fault for every variant.
  void* hole = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT_EQ(as_signed(call(BPF_FUNC_probe_read_kernel, addr(&out), sizeof out, addr(hole))), -EFAULT);
  munmap(hole, 4096);
}

TEST_F(LinuxHelpers, ProbeReadStrLengthTruncationAndFault) {
  const char* text = "hello";
  char buf[16];
  std::memset(buf, '.', sizeof buf);
  EXPECT_EQ(call(BPF_FUNC_probe_read_user_str, addr(buf), sizeof buf, addr(text)), 6u);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(buf[6], '.') << "bytes after the NUL are left alone";
  char tiny[4];
  EXPECT_EQ(call(BPF_FUNC_probe_read_str, addr(tiny), sizeof tiny, addr(text)), 4u);
  EXPECT_STREQ(tiny, "hel");
  EXPECT_EQ(as_signed(call(BPF_FUNC_probe_read_user_str, addr(buf), sizeof buf, 8)), -EFAULT);
  EXPECT_EQ(buf[0], '\0');
}

TEST_F(LinuxHelpers, StrtolAndStrtoul) {
  long res = 0;
  const char a[] = "  -123abc";
  EXPECT_EQ(call(BPF_FUNC_strtol, addr(a), sizeof a - 1, 10, addr(&res)), 6u);
  EXPECT_EQ(res, -123);
  const char b[] = "0x1fz";
  EXPECT_EQ(call(BPF_FUNC_strtol, addr(b), 5, 0, addr(&res)), 4u);
  EXPECT_EQ(res, 31);
  const char c[] = "017";
  EXPECT_EQ(call(BPF_FUNC_strtol, addr(c), 3, 0, addr(&res)), 3u);
  EXPECT_EQ(res, 15);
  const char d[] = "12345";
  EXPECT_EQ(call(BPF_FUNC_strtol, addr(d), 2, 10, addr(&res)), 2u) << "stops at buf_len";
  EXPECT_EQ(res, 12);
  EXPECT_EQ(as_signed(call(BPF_FUNC_strtol, addr("zz"), 2, 10, addr(&res))), -EINVAL);
  EXPECT_EQ(res, 0) << "the kernel stores 0 on failure";
  EXPECT_EQ(as_signed(call(BPF_FUNC_strtol, addr(d), 5, 7, addr(&res))), -EINVAL) << "base 7";
  const char big[] = "9223372036854775808";
  EXPECT_EQ(as_signed(call(BPF_FUNC_strtol, addr(big), sizeof big - 1, 10, addr(&res))), -ERANGE);
  const char min[] = "-9223372036854775808";
  EXPECT_EQ(call(BPF_FUNC_strtol, addr(min), sizeof min - 1, 10, addr(&res)), sizeof min - 1);
  EXPECT_EQ(res, LONG_MIN);
  unsigned long ures = 0;
  EXPECT_EQ(call(BPF_FUNC_strtoul, addr(big), sizeof big - 1, 10, addr(&ures)), sizeof big - 1);
  EXPECT_EQ(ures, 9223372036854775808UL);
  EXPECT_EQ(as_signed(call(BPF_FUNC_strtoul, addr(a), sizeof a - 1, 10, addr(&ures))), -EINVAL) << "no sign";
}

TEST(Format, KernelConversions) {
  const std::uint64_t ip = 0x04030201;  // 1.2.3.4 in memory order
  const char* s = "str";
  const std::uint64_t args[] = {static_cast<std::uint64_t>(-5), 0xffffffffULL, 255, reinterpret_cast<std::uint64_t>(s),
                                reinterpret_cast<std::uint64_t>(&ip), 'Z', static_cast<std::uint64_t>(-1)};
  auto r = helpers::format_bpf("%d %u %x %s %pI4 %c %lld %%", args, 7);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, "-5 4294967295 ff str 1.2.3.4 Z -1 %");
  const std::uint64_t numbers[] = {255, 255, 0x1234};
  auto widths = helpers::format_bpf("[%5d|%-4x|%08llx]", numbers, 3);
  ASSERT_TRUE(widths.ok());
  EXPECT_EQ(*widths, "[  255|ff  |00001234]");
}

TEST(Format, RejectsBadFormats) {
  const std::uint64_t args[] = {1};
  EXPECT_FALSE(helpers::format_bpf("%d %d", args, 1).ok()) << "too few arguments";
  EXPECT_FALSE(helpers::format_bpf("%n", args, 1).ok());
  EXPECT_FALSE(helpers::format_bpf("%", args, 1).ok());
  auto bad_string = helpers::format_bpf("%s", args, 1);
  ASSERT_TRUE(bad_string.ok());
  EXPECT_EQ(*bad_string, "(efault)");
}

TEST(TracePrintk, ProgramOutputReachesTheSink) {
  std::vector<std::string> lines;
  set_trace_sink([&](std::string_view line) { lines.emplace_back(line); });
  HelperRegistry registry;
  add_linux_helpers(registry);
  // "n=%d\n" on the stack, then bpf_trace_printk(fmt, 6, 42).
  const char* text =
      "r1 = 0x000a64253d6e ll\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 6\nr3 = 42\ncall 6\nexit";
  const auto r = run_asm(text, {}, ExecMode::checked, registry);
  set_trace_sink(nullptr);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 5u);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "n=42");
}

TEST(Loop, CallsBackUntilDoneOrStopped) {
  HelperRegistry registry;
  add_linux_helpers(registry);
  // Sums i for i < 10, stopping when i == 6 (the callback returns 1): 0+1+...+6 = 21, 7 iterations.
  const char* text =
      "*(u64 *)(r10 - 8) = 0\nr1 = 10\nr2 = func(cb) ll\nr3 = r10\nr3 += -8\nr4 = 0\ncall 181\nr0 <<= 32\n"
      "r1 = *(u64 *)(r10 - 8)\nr0 |= r1\nexit\n"
      "cb:\nr3 = *(u64 *)(r2 + 0)\nr3 += r1\n*(u64 *)(r2 + 0) = r3\nr0 = 0\nif r1 != 6 goto +1\nr0 = 1\nexit";
  for (ExecMode mode : {ExecMode::checked, ExecMode::unchecked}) {
    const auto r = run_asm(text, {}, mode, registry);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, (7ULL << 32) | 21);
  }
}

TEST(CheckedHelpers, PointerOutsideTheProgramsMemoryStopsTheRun) {
  HelperRegistry registry;
  add_linux_helpers(registry);
  // probe_read into a destination the program does not own.
  const auto r = run_asm("r1 = 4096\nr2 = 8\nr3 = r10\ncall 112\nexit", {}, ExecMode::checked, registry);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().insn, 3u);
  EXPECT_NE(r.error().message.find("outside the program's memory"), std::string::npos) << r.error().to_string();
}

}  // namespace
}  // namespace ubee::test
