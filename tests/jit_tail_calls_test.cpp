// Tail calls in the JIT against the interpreter's: the same programs, registered under the same (map, index)
// keys in a table of interpreters and a table of JIT'ed programs, run on both engines (the JIT with and without
// constant blinding) and compared: r0 or the error, and the memory.
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "test_util.hpp"
#include "ubee/jit.hpp"

namespace ubee::test {
namespace {

using Key = std::pair<std::uint64_t, std::uint32_t>;

class InterpreterTable final : public TailCallTargets {
 public:
  const Interpreter* target(std::uint64_t map, std::uint32_t index) const override {
    auto it = entries.find({map, index});
    return it == entries.end() ? nullptr : it->second;
  }
  std::map<Key, const Interpreter*> entries;
};

class JitTable final : public JitTailCallTargets {
 public:
  const JitProgram* target(std::uint64_t map, std::uint32_t index) const override {
    ++lookups;
    auto it = entries.find({map, index});
    return it == entries.end() ? nullptr : it->second;
  }
  std::map<Key, const JitProgram*> entries;
  mutable int lookups = 0;
};


struct Outcome {
  std::optional<std::uint64_t> r0;
  std::optional<Error> error;
  std::vector<std::uint8_t> memory;
};

// One program set on three engines: the interpreter (unchecked), the JIT, and the JIT with constant blinding.
class Engines {
 public:
  Engines() {
    EXPECT_TRUE(helpers_.add(1, HelperProto{"echo", echo_helper, RetType::integer, {}}).ok());
    EXPECT_TRUE(helpers_.add(3, HelperProto{"abort", abort_helper, RetType::integer, {}}).ok());
    EXPECT_TRUE(helpers_.add(1000, HelperProto{"test_loop", loop_helper, RetType::integer, {}}).ok());
  }

  // Loads `text` on every engine; registers it under `key` when given. Returns its position.
  std::size_t add(const std::string& text, std::optional<Key> key = std::nullopt) {
    const Program program = asm_or_die(text);
    auto vm = Interpreter::load(program, helpers_, LoadOptions{ExecMode::unchecked, {}, &interp_table_});
    EXPECT_TRUE(vm.ok()) << vm.error().to_string();
    interps_.push_back(std::move(*vm));
    for (int h = 0; h < 2; ++h) {
      JitOptions options;
      options.tail_calls = &jit_tables_[h];
      options.harden = h == 1;
      auto jit = JitProgram::compile(program, helpers_, options);
      EXPECT_TRUE(jit.ok()) << jit.error().to_string();
      jits_[h].push_back(std::move(*jit));
    }
    if (key) {
      interp_table_.entries[*key] = &interps_.back();
      for (int h = 0; h < 2; ++h) jit_tables_[h].entries[*key] = &jits_[h].back();
    }
    return interps_.size() - 1;
  }

  // Runs program `at` on every engine with `memory` as input; expects the same outcome, returns it.
  Outcome run(std::size_t at, const std::vector<std::uint8_t>& memory = {}) {
    const Outcome interp = run_one(interps_[at], memory);
    for (int h = 0; h < 2; ++h) {
      const Outcome jit = run_one(jits_[h][at], memory);
      const std::string what = h == 1 ? "harden on" : "harden off";
      EXPECT_EQ(interp.r0, jit.r0) << what;
      EXPECT_EQ(interp.error.has_value(), jit.error.has_value()) << what;
      if (interp.error && jit.error) {
        EXPECT_EQ(interp.error->code, jit.error->code) << what;
        EXPECT_EQ(interp.error->insn, jit.error->insn) << what;
        EXPECT_EQ(interp.error->message, jit.error->message) << what;
      }
      EXPECT_EQ(interp.memory, jit.memory) << what;
    }
    return interp;
  }

  [[nodiscard]] int jit_lookups() const { return jit_tables_[0].lookups; }

 private:
  template <class Engine>
  static Outcome run_one(const Engine& engine, const std::vector<std::uint8_t>& input) {
    std::vector<std::uint8_t> buffer = input;
    auto r = engine.run(buffer.empty() ? nullptr : buffer.data(), buffer.size());
    Outcome out;
    if (r) out.r0 = *r;
    else out.error = r.error();
    out.memory = buffer;
    return out;
  }

  HelperRegistry helpers_;
  InterpreterTable interp_table_;
  JitTable jit_tables_[2];
  std::deque<Interpreter> interps_;  // deques: registered addresses stay put
  std::deque<JitProgram> jits_[2];
};

std::vector<std::uint8_t> u32(std::uint32_t v) { return {std::uint8_t(v), std::uint8_t(v >> 8), std::uint8_t(v >> 16), std::uint8_t(v >> 24)}; }

TEST(JitTailCalls, JumpsToTheTargetAndFallsThroughOnAMissingIndex) {
  Engines e;
  e.add("r0 = 42\nexit", Key{77, 1});
  const auto caller = e.add("r2 = 77\nr3 = *(u32 *)(r1 + 0)\ncall 12\nr0 = 99\nexit");
  EXPECT_EQ(e.run(caller, u32(1)).r0, std::optional<std::uint64_t>(42));
  EXPECT_EQ(e.run(caller, u32(2)).r0, std::optional<std::uint64_t>(99));
  // The index is the low 32 bits of r3; the map is all of r2.
  const auto wide = e.add("r2 = 77\nr3 = 0x100000001 ll\ncall 12\nr0 = 99\nexit");
  EXPECT_EQ(e.run(wide).r0, std::optional<std::uint64_t>(42));
  const auto other_map = e.add("r2 = 0x10000004d ll\nr3 = 1\ncall 12\nr0 = 99\nexit");
  EXPECT_EQ(e.run(other_map).r0, std::optional<std::uint64_t>(99));
}

TEST(JitTailCalls, FallThroughKeepsEveryRegister) {
  Engines e;
  const auto p = e.add(
      "r6 = r1\nr0 = 1000\nr2 = 5\nr3 = 6\nr4 = 7\nr5 = 8\nr7 = 9\ncall 12\n"
      "r0 += r2\nr0 += r3\nr0 += r4\nr0 += r5\nr0 += r7\nr1 -= r6\nr0 += r1\nexit");
  EXPECT_EQ(e.run(p, u32(0)).r0, std::optional<std::uint64_t>(1000 + 5 + 6 + 7 + 8 + 9));
}

TEST(JitTailCalls, TargetSeesTheCallersRegistersAndStack) {
  Engines e;
  e.add("r0 = *(u64 *)(r10 - 8)\nr0 += r6\nr0 += r9\nr0 += r4\nr1 = *(u32 *)(r1 + 0)\nr0 += r1\nexit", Key{1, 0});
  const auto caller =
      e.add("*(u64 *)(r10 - 8) = 1234\nr6 = 10\nr9 = 20\nr4 = 30\nr2 = 1\nr3 = 0\ncall 12\nr0 = 0\nexit");
  EXPECT_EQ(e.run(caller, u32(5)).r0, std::optional<std::uint64_t>(1234 + 10 + 20 + 30 + 5));
}

TEST(JitTailCalls, ChainThroughSeveralPrograms) {
  Engines e;
  // Each link appends its number to a 64-bit accumulator in the input and tail-calls the next index.
  for (std::uint32_t i = 0; i < 4; ++i) {
    e.add("r2 = *(u64 *)(r1 + 0)\nr2 *= 10\nr2 += " + std::to_string(i + 1) +
              "\n*(u64 *)(r1 + 0) = r2\nr2 = 3\nr3 = " + std::to_string(i + 1) +
              "\ncall 12\nr0 = *(u64 *)(r1 + 0)\nexit",
          Key{3, i});
  }
  const auto start = e.add("r2 = 3\nr3 = 0\ncall 12\nr0 = 7\nexit");
  const Outcome out = e.run(start, std::vector<std::uint8_t>(8, 0));
  EXPECT_EQ(out.r0, std::optional<std::uint64_t>(1234));  // index 4 is missing: the last link falls through
}

TEST(JitTailCalls, ChainStopsAfter33) {
  Engines e;
  const auto self = e.add(
      "r2 = *(u64 *)(r1 + 0)\nr2 += 1\n*(u64 *)(r1 + 0) = r2\nr2 = 5\nr3 = 0\ncall 12\nr0 = *(u64 *)(r1 + 0)\nexit",
      Key{5, 0});
  const Outcome out = e.run(self, std::vector<std::uint8_t>(8, 0));
  EXPECT_EQ(out.r0, std::optional<std::uint64_t>(1 + kMaxTailCalls));
  // The 34th tail call is not even looked up, as in the interpreter (three engines... the plain JIT's table).
  EXPECT_EQ(e.jit_lookups(), static_cast<int>(kMaxTailCalls));
  // The counter belongs to the run: a second run gets 33 again.
  EXPECT_EQ(e.run(self, std::vector<std::uint8_t>(8, 0)).r0, std::optional<std::uint64_t>(1 + kMaxTailCalls));
}

TEST(JitTailCalls, LimitCountsAcrossAlternatingPrograms) {
  Engines e;
  const std::string body = "r2 = *(u64 *)(r1 + 0)\nr2 += 1\n*(u64 *)(r1 + 0) = r2\nr2 = 6\nr3 = ";
  const auto a = e.add(body + "1\ncall 12\nr0 = 100\nexit", Key{6, 0});
  e.add(body + "0\ncall 12\nr0 = 200\nexit", Key{6, 1});
  const Outcome out = e.run(a, std::vector<std::uint8_t>(8, 0));
  EXPECT_EQ(out.memory, std::vector<std::uint8_t>({34, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(out.r0, std::optional<std::uint64_t>(200));  // the 34th run is program b (index 1)
}

TEST(JitTailCalls, FromSubprogramReturnsToItsCaller) {
  Engines e;
  e.add("r0 = 5\nexit", Key{9, 3});
  const auto caller =
      e.add("r6 = 100\ncall sub\nr0 += r6\nexit\nsub:\nr6 = 1\nr2 = 9\nr3 = 3\ncall 12\nr0 = 0\nexit");
  EXPECT_EQ(e.run(caller).r0, std::optional<std::uint64_t>(105));
}

TEST(JitTailCalls, AfterASubprogramTailCalledTheCallerIsTheCurrentProgramAgain) {
  Engines e;
  e.add("r0 = 5\nexit", Key{9, 3});
  e.add("r0 = 6\nexit", Key{10, 0});
  // Back from the subprogram whose tail call went elsewhere: callbacks are the caller's functions, further tail
  // calls go through the caller's table, helper errors name the caller's instructions.
  const auto callbacks = e.add(
      "call sub\nr6 = r0\nr1 = 2\nr2 = func(cb) ll\nr3 = 0\ncall 1000\nr0 += r6\nr2 = 10\nr3 = 0\ncall 12\nexit\n"
      "sub:\nr2 = 9\nr3 = 3\ncall 12\nexit\n"
      "cb:\nr0 = 100\nexit");
  EXPECT_EQ(e.run(callbacks).r0, std::optional<std::uint64_t>(6));
  const auto no_second = e.add(
      "call sub\nr6 = r0\nr1 = 2\nr2 = func(cb) ll\nr3 = 0\ncall 1000\nr0 += r6\nexit\n"
      "sub:\nr2 = 9\nr3 = 3\ncall 12\nexit\n"
      "cb:\nr0 = 100\nexit");
  EXPECT_EQ(e.run(no_second).r0, std::optional<std::uint64_t>(205));
  const auto aborts = e.add("call sub\nr1 = 1\nr0 = 0\nr0 += 1\nr0 += 2\ncall 3\nexit\n"
                            "sub:\nr2 = 9\nr3 = 3\ncall 12\nexit");
  const Outcome out = e.run(aborts);
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->insn, 5u);
}

TEST(JitTailCalls, TargetWithItsOwnSubprogramsFromADeepFrame) {
  Engines e;
  // The target runs at the depth of the frame that called it: its own local calls nest below it.
  e.add("r1 = 3\ncall f\nr0 += 1000\nexit\nf:\nr0 = 1\nif r1 == 0 goto +4\nr6 = r1\nr1 -= 1\ncall f\nr0 += r6\nexit",
        Key{2, 2});
  const auto caller = e.add(
      "r6 = 7\ncall a\nr0 += r6\nexit\n"
      "a:\ncall b\nr0 += 10000\nexit\n"
      "b:\n*(u64 *)(r10 - 8) = 1\nr2 = 2\nr3 = 2\ncall 12\nr0 = 0\nexit");
  EXPECT_EQ(e.run(caller).r0, std::optional<std::uint64_t>(1 + 1 + 2 + 3 + 1000 + 10000 + 7));
}

TEST(JitTailCalls, ErrorsNameTheTargetsInstruction) {
  Engines e;
  e.add("r0 = 1\nr1 = 1\ncall 3\nexit", Key{4, 0});      // helper abort at the target's insn 2
  e.add("r0 = 1\ncall f\nexit\nf:\ncall f\nexit", Key{4, 1});  // call depth inside the target
  const auto abort_caller = e.add("r2 = 4\nr3 = 0\nr0 = 0\ncall 12\nexit");
  const Outcome aborted = e.run(abort_caller);
  ASSERT_TRUE(aborted.error.has_value());
  EXPECT_EQ(aborted.error->insn, 2u) << aborted.error->to_string();
  const auto depth_caller = e.add("r2 = 4\nr3 = 1\ncall 12\nexit");
  const Outcome depth = e.run(depth_caller);
  ASSERT_TRUE(depth.error.has_value());
  EXPECT_EQ(depth.error->code, Errc::call_depth);
}

TEST(JitTailCalls, CallbacksRunInTheTargetAndTailCallsInCallbacks) {
  Engines e;
  // The target passes one of its own functions to the loop helper.
  e.add("r1 = 4\nr2 = func(cb) ll\nr3 = 100\ncall 1000\nexit\ncb:\nr0 = r1\nr0 += r2\nexit", Key{8, 0});
  // A callback that tail-calls: the target replaces the callback, and its exit returns to the helper.
  e.add("r0 = 1\nexit", Key{8, 1});
  const auto first = e.add("r2 = 8\nr3 = 0\ncall 12\nr0 = 0\nexit");
  EXPECT_EQ(e.run(first).r0, std::optional<std::uint64_t>(400 + 0 + 1 + 2 + 3));
  const auto second = e.add(
      "r6 = 50\nr1 = 3\nr2 = func(cb) ll\nr3 = 0\ncall 1000\nr0 += r6\nexit\n"
      "cb:\nr2 = 8\nr3 = 1\ncall 12\nr0 = 1000\nexit");
  EXPECT_EQ(e.run(second).r0, std::optional<std::uint64_t>(3 + 50));
}

TEST(JitTailCalls, WithoutTargetsHelper12IsAnOrdinaryHelper) {
  HelperRegistry helpers;
  ASSERT_TRUE(helpers.add(12, HelperProto{"echo", echo_helper, RetType::integer, {}}).ok());
  const Program p = asm_or_die("r1 = 31\ncall 12\nexit");
  auto jit = JitProgram::compile(p, helpers);
  ASSERT_TRUE(jit.ok()) << jit.error().to_string();
  EXPECT_EQ(jit->run(nullptr, 0).value(), 31u);
}

}  // namespace
}  // namespace ubee::test
