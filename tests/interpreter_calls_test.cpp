// Tail calls and callbacks: the two ways control leaves a program other than helpers and local calls.
#include <map>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace ubee::test {
namespace {

// A program table keyed by (map value, index), standing in for a prog array map.
class Table final : public TailCallTargets {
 public:
  const Interpreter* target(std::uint64_t map, std::uint32_t index) const override {
    auto it = entries.find({map, index});
    return it == entries.end() ? nullptr : it->second;
  }
  std::map<std::pair<std::uint64_t, std::uint32_t>, const Interpreter*> entries;
};

struct Loaded {
  Table table;
  HelperRegistry helpers;
  std::vector<Interpreter> programs;
};

Interpreter load_or_die(const std::string& text, const Loaded& loaded, ExecMode mode) {
  auto vm = Interpreter::load(asm_or_die(text), loaded.helpers, LoadOptions{mode, {}, &loaded.table});
  EXPECT_TRUE(vm.ok()) << vm.error().to_string();
  return std::move(*vm);
}

class TailCalls : public ::testing::TestWithParam<ExecMode> {};

TEST_P(TailCalls, JumpToTargetAndFallThroughWhenMissing) {
  Loaded l;
  l.programs.reserve(2);
  l.programs.push_back(load_or_die("r0 = 42\nexit", l, GetParam()));
  l.table.entries[{77, 1}] = &l.programs[0];
  const Interpreter caller = load_or_die("r2 = 77\nr3 = *(u32 *)(r1 + 0)\ncall 12\nr0 = 99\nexit", l, GetParam());
  std::uint32_t index = 1;
  auto r = caller.run(&index, sizeof index);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 42u);
  index = 2;
  r = caller.run(&index, sizeof index);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 99u);
}

TEST_P(TailCalls, ChainStopsAfter33) {
  Loaded l;
  l.programs.reserve(1);
  // Counts its runs in the input, then tail-calls itself; the 34th run's tail call falls through.
  l.programs.push_back(load_or_die("r2 = *(u64 *)(r1 + 0)\nr2 += 1\n*(u64 *)(r1 + 0) = r2\nr2 = 5\nr3 = 0\n"
                                   "call 12\nr0 = *(u64 *)(r1 + 0)\nexit",
                                   l, GetParam()));
  l.table.entries[{5, 0}] = &l.programs[0];
  std::uint64_t count = 0;
  auto r = l.programs[0].run(&count, sizeof count);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(count, 1u + kMaxTailCalls);
  EXPECT_EQ(*r, 1u + kMaxTailCalls);
}

TEST_P(TailCalls, FromSubprogramReturnsToItsCaller) {
  Loaded l;
  l.programs.reserve(1);
  l.programs.push_back(load_or_die("r0 = 5\nexit", l, GetParam()));
  l.table.entries[{9, 3}] = &l.programs[0];
  const Interpreter caller =
      load_or_die("r6 = 100\ncall sub\nr0 += r6\nexit\nsub:\nr6 = 1\nr2 = 9\nr3 = 3\ncall 12\nr0 = 0\nexit", l,
                  GetParam());
  auto r = caller.run(nullptr, 0);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 105u);  // r6 is restored for the caller: the tail-called program exits the subprogram's frame
}

TEST_P(TailCalls, TargetKeepsTheStackFrame) {
  Loaded l;
  l.programs.reserve(1);
  l.programs.push_back(load_or_die("r0 = *(u64 *)(r10 - 8)\nexit", l, GetParam()));
  l.table.entries[{1, 0}] = &l.programs[0];
  const Interpreter caller =
      load_or_die("*(u64 *)(r10 - 8) = 1234\nr2 = 1\nr3 = 0\ncall 12\nr0 = 0\nexit", l, GetParam());
  auto r = caller.run(nullptr, 0);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 1234u);
}

INSTANTIATE_TEST_SUITE_P(Vm, TailCalls, ::testing::Values(ExecMode::checked, ExecMode::unchecked));


HelperRegistry loop_helpers() {
  HelperRegistry helpers;
  EXPECT_TRUE(helpers.add(1000, HelperProto{"test_loop", loop_helper, RetType::integer, {}}).ok());
  return helpers;
}

class Callbacks : public ::testing::TestWithParam<ExecMode> {};

TEST_P(Callbacks, HelperCallsBackIntoTheProgram) {
  const HelperRegistry helpers = loop_helpers();
  const char* text =
      "r6 = 7\n*(u64 *)(r10 - 8) = 1000\nr1 = 5\nr2 = func(cb) ll\nr3 = 10\ncall 1000\nr0 += r6\n"
      "r1 = *(u64 *)(r10 - 8)\nr0 += r1\nexit\n"
      "cb:\n*(u64 *)(r10 - 8) = 1\nr6 = 0\nr0 = r1\nr0 += r2\nexit";
  const auto r = run_asm(text, {}, GetParam(), helpers);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 10u + 11 + 12 + 13 + 14 + 7 + 1000);  // the callback's own frame and r6-r9 do not leak
}

TEST_P(Callbacks, NonFunctionIsRefused) {
  const HelperRegistry helpers = loop_helpers();
  const auto r = run_asm("r1 = 1\nr2 = 12345\nr3 = 0\ncall 1000\nexit", {}, GetParam(), helpers);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().insn, 3u);
  EXPECT_NE(r.error().message.find("which is not a function"), std::string::npos) << r.error().to_string();
}

TEST_P(Callbacks, FaultInCallbackNamesTheCallbackInstruction) {
  const HelperRegistry helpers = loop_helpers();
  const auto r = run_asm("r1 = 1\nr2 = func(cb) ll\nr3 = 0\ncall 1000\nexit\ncb:\nr0 = *(u64 *)(r2 + 0)\nexit", {},
                         ExecMode::checked, helpers);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().insn, 6u) << r.error().to_string();
  EXPECT_NE(r.error().message.find("out-of-bounds read"), std::string::npos);
}

TEST_P(Callbacks, DepthIsBounded) {
  const HelperRegistry helpers = loop_helpers();
  // The callback calls the helper again with itself: eight frames in all is the limit.
  const auto r = run_asm("r1 = 1\nr2 = func(cb) ll\nr3 = 0\ncall 1000\nexit\n"
                         "cb:\nr1 = 1\nr2 = func(cb) ll\nr3 = 0\ncall 1000\nexit",
                         {}, GetParam(), helpers);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::call_depth) << r.error().to_string();
}

INSTANTIATE_TEST_SUITE_P(Vm, Callbacks, ::testing::Values(ExecMode::checked, ExecMode::unchecked));

}  // namespace
}  // namespace ubee::test
