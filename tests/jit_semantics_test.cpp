// The JIT against the interpreter: every ISA corner case from a table, the register-mapping corners of the x86
// back end (r0/r3 in division, r4 in shifts, r0 in atomics), calls, callbacks and errors, and thousands of
// random valid programs, each run on both engines with the same input and compared (r0 or the error, and the
// memory). Plus the W^X property of the code pages.
#include <alloca.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "program_generator.hpp"
#include "semantics_cases.hpp"
#include "test_util.hpp"
#include "ubee/jit.hpp"

namespace ubee::test {
namespace {

// What one run produced: r0 or an error, and the input memory afterwards.
struct Outcome {
  std::optional<std::uint64_t> r0;
  std::optional<Error> error;
  std::vector<std::uint8_t> memory;
};

template <class Engine>
Outcome run_engine(const Engine& engine, std::vector<std::uint8_t>& buffer, const std::vector<std::uint8_t>& input,
                   const RunOptions& options = {}) {
  std::copy(input.begin(), input.end(), buffer.begin());
  auto r = engine.run(buffer.empty() ? nullptr : buffer.data(), buffer.size(), options);
  Outcome out;
  if (r) out.r0 = *r;
  else out.error = r.error();
  out.memory = buffer;
  return out;
}

std::string describe(const Outcome& o) {
  std::ostringstream s;
  if (o.r0) s << "r0 = 0x" << std::hex << *o.r0;
  else s << "error: " << o.error->to_string();
  return s.str();
}

void expect_same(const Outcome& interp, const Outcome& jit, const std::string& what) {
  EXPECT_EQ(interp.r0.has_value(), jit.r0.has_value())
      << what << "\ninterpreter " << describe(interp) << "\njit " << describe(jit);
  if (interp.r0 && jit.r0) {
    EXPECT_EQ(*interp.r0, *jit.r0) << what << std::hex << "\n0x" << *interp.r0 << " vs 0x" << *jit.r0;
  }
  if (interp.error && jit.error) {
    EXPECT_EQ(interp.error->code, jit.error->code) << what;
    EXPECT_EQ(interp.error->insn, jit.error->insn) << what;
    EXPECT_EQ(interp.error->message, jit.error->message) << what;
  }
  EXPECT_EQ(interp.memory, jit.memory) << what;
}

JitProgram jit_or_die(const Program& program, const HelperRegistry& helpers) {
  auto jit = JitProgram::compile(program, helpers);
  EXPECT_TRUE(jit.ok()) << jit.error().to_string();
  return std::move(*jit);
}

JitOptions hardened(bool harden) {
  JitOptions options;
  options.harden = harden;
  return options;
}

// Runs `text` (with `exit` appended) on both engines, the JIT with and without constant blinding; returns the
// blinded JIT's outcome.
Outcome differential(const std::string& text, const std::vector<std::uint8_t>& memory = {},
                     const HelperRegistry& helpers = {}) {
  const Program program = asm_or_die(text + "\nexit\n");
  auto vm = Interpreter::load(program, helpers, LoadOptions{ExecMode::unchecked, {}});
  EXPECT_TRUE(vm.ok()) << vm.error().to_string();
  auto plain = JitProgram::compile(program, helpers, hardened(false));
  EXPECT_TRUE(plain.ok()) << plain.error().to_string();
  auto jit = JitProgram::compile(program, helpers, hardened(true));
  EXPECT_TRUE(jit.ok()) << jit.error().to_string();
  if (!vm || !jit || !plain) return {};
  std::vector<std::uint8_t> buffer(memory.size());
  const Outcome interp = run_engine(*vm, buffer, memory);
  expect_same(interp, run_engine(*plain, buffer, memory), "harden off\n" + text);
  const Outcome native = run_engine(*jit, buffer, memory);
  expect_same(interp, native, "harden on\n" + text);
  return native;
}

using Case = SemanticsCase;

// x86 register corners of the JIT (rax/rdx in division, rcx in shifts, rax in atomics, zero extension),
// beside the shared semantics table (semantics_cases.hpp).
const Case kJitCorners[] = {
    {"mul32_reg", "r0 = -3\nr1 = 0x100000007 ll\nw0 *= w1", 0xffffffeb},
    {"sdiv64_intmin_by_minus1_imm", "r0 = -9223372036854775808 ll\nr0 s/= -1", 0x8000000000000000},
    {"smod64_intmin_by_minus1_reg", "r0 = -9223372036854775808 ll\nr2 = -1\nr0 s%= r2", 0},
    {"mod32_by_zero_imm_truncates", "r0 = -5\nw0 %= 0", 0xfffffffb},
    {"div_dst_r3_keeps_r0", "r0 = 9\nr3 = 100\nr1 = 7\nr3 /= r1\nr0 += r3", 23},
    {"mod_dst_r3_src_r0", "r0 = 7\nr3 = 100\nr3 %= r0\nr0 += r3", 9},
    {"div_src_r3_keeps_r3", "r0 = 100\nr3 = 7\nr0 /= r3\nr0 += r3", 21},
    {"div_dst_is_src", "r5 = 9\nr5 /= r5\nr0 = r5", 1},
    {"sdiv32_r3_by_minus1", "r3 = -2147483648\nr0 = 1\nw3 s/= -1\nr0 = r3", 0x80000000},
    {"div_keeps_r4", "r4 = 11\nr0 = 100\nr0 /= 3\nr0 += r4", 44},
    {"lsh32_by_zero_zero_extends", "r0 = -1\nw0 <<= 0", 0xffffffff},
    {"lsh32_by_zero_reg_zero_extends", "r0 = -1\nr1 = 32\nw0 <<= w1", 0xffffffff},
    {"shift_dst_r4", "r4 = 3\nr1 = 2\nr4 <<= r1\nr0 = r4", 12},
    {"shift_src_r4", "r4 = 2\nr0 = 3\nr0 <<= r4\nr0 += r4", 14},
    {"shift_r4_by_r4", "r4 = 3\nr4 <<= r4\nr0 = r4", 24},
    {"shift_keeps_r4", "r4 = 5\nr1 = 1\nr2 = 1\nr1 <<= r2\nr0 = r1\nr0 += r4", 7},
    {"shift32_dst_r4", "r4 = -1\nr1 = 4\nw4 >>= w1\nr0 = r4", 0x0fffffff},
    {"mov32_self_zero_extends", "r0 = -1\nw0 = w0", 0xffffffff},
    {"movsx8_64_from_sil", "r2 = 0xff\nr0 = (s8)r2", 0xffffffffffffffff},
    {"bswap16_rbp_free_reg", "r9 = 0x1122334455667788 ll\nr9 = bswap16 r9\nr0 = r9", 0x8877},
    {"jset64_imm_sign_extended", "r0 = 0\nr1 = 0x100000000 ll\nif r1 & -1 goto +1\nexit\nr0 = 1", 1},
    {"stx_widths_from_sil", "r2 = -1\n*(u8 *)(r1 + 0) = r2\n*(u16 *)(r1 + 2) = r2\nr0 = *(u32 *)(r1 + 0)",
     0xffff00ff, {0, 0, 0, 0}},
    {"atomic_fetch_xor32_zero_extends", "*(u32 *)(r10 - 8) = -1\nr1 = -1\nw1 = atomic_fetch_xor((u32 *)(r10 - 8), w1)\n"
                                        "r0 = r1",
     0xffffffff},
    {"atomic_fetch_or_src_r0", "*(u64 *)(r10 - 8) = 0x10\nr0 = 3\nr0 = atomic_fetch_or((u64 *)(r10 - 8), r0)\n"
                               "r1 = *(u64 *)(r10 - 8)\nr0 <<= 8\nr0 |= r1",
     (0x10 << 8) | 0x13},
    {"atomic_fetch_and_keeps_r0",
     "*(u64 *)(r10 - 8) = 7\nr0 = 42\nr1 = 3\nr1 = atomic_fetch_and((u64 *)(r10 - 8), r1)\nr0 += r1",
     49},
    {"atomic_fetch_xor_base_r0",
     "r0 = r10\nr0 += -8\n*(u64 *)(r10 - 8) = 6\nr1 = 3\n"
     "r1 = atomic_fetch_xor((u64 *)(r0 + 0), r1)\nr0 = *(u64 *)(r10 - 8)\nr0 <<= 8\nr0 |= r1",
     (5 << 8) | 6},
    {"cmpxchg32_success_zero_extends_r0",
     "*(u32 *)(r10 - 8) = 7\nr0 = 0x100000007 ll\nw1 = 9\nw0 = cmpxchg32_32(r10 - 8, w0, w1)\n"
     "r1 = *(u32 *)(r10 - 8)\nr0 <<= 8\nr0 |= r1",
     (7 << 8) | 9},
    {"local_call_r1_r5_flow_back", "r1 = 1\ncall f\nr0 = r1\nr0 += r5\nexit\nf:\nr1 = 40\nr5 = 2\nr0 = 0", 42},
    {"ld_ind_negative_returns_0", "r6 = r1\nr3 = 2\nr0 = *(u8 *)skb[r3 - 3]\nr0 = 9", 0, {1, 2, 3, 4}},
    {"ld_abs_in_subprogram_returns_0", "r6 = r1\ncall f\nr0 = 5\nexit\nf:\nr0 = *(u32 *)skb[3]\nr0 = 7", 0,
     {1, 2, 3, 4}},
    {"ld_abs_keeps_r1_r5", "r6 = r1\nr2 = 2\nr5 = 5\nr0 = *(u8 *)skb[0]\nr0 += r2\nr0 += r5", 8, {1}},
};


class JitSemantics : public ::testing::TestWithParam<Case> {};

TEST_P(JitSemantics, MatchesInterpreterAndExpectedR0) {
  const Case& c = GetParam();
  const Outcome out = differential(c.text, c.memory);
  ASSERT_TRUE(out.r0.has_value()) << (out.error ? out.error->to_string() : "no result");
  EXPECT_EQ(*out.r0, c.r0) << std::hex << "got 0x" << *out.r0 << " expected 0x" << c.r0;
}

INSTANTIATE_TEST_SUITE_P(Isa, JitSemantics, ::testing::ValuesIn(kSemanticsCases),
                         [](const auto& info) { return std::string(info.param.name); });
INSTANTIATE_TEST_SUITE_P(X86, JitSemantics, ::testing::ValuesIn(kJitCorners),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- Calls, callbacks and errors ----------------------------------------------------------------------------

std::uint64_t sum_helper(std::uint64_t r1, std::uint64_t r2, std::uint64_t r3, std::uint64_t r4, std::uint64_t r5,
                         RunContext& context) {
  return r1 + r2 + r3 + r4 + r5 + reinterpret_cast<std::uint64_t>(context.user_data());
}

HelperRegistry call_helpers() {
  HelperRegistry h;
  EXPECT_TRUE(h.add(1, HelperProto{"echo", echo_helper, RetType::integer, {}}).ok());
  EXPECT_TRUE(h.add(2, HelperProto{"sum", sum_helper, RetType::integer, {}}).ok());
  EXPECT_TRUE(h.add(3, HelperProto{"abort", abort_helper, RetType::integer, {}}).ok());
  EXPECT_TRUE(h.add(1000, HelperProto{"test_loop", loop_helper, RetType::integer, {}}).ok());
  return h;
}

TEST(JitCalls, HelperGetsFiveArgumentsAndContext) {
  const HelperRegistry h = call_helpers();
  const JitProgram jit =
      jit_or_die(asm_or_die("r1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr5 = 5\nr6 = 100\ncall 2\nr0 += r6\nexit"), h);
  RunOptions options;
  options.user_data = reinterpret_cast<void*>(1000);
  auto r = jit.run(nullptr, 0, options);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 1115u);
}

TEST(JitCalls, HelperAbortEndsTheRunLikeTheInterpreter) {
  const HelperRegistry h = call_helpers();
  const Outcome out = differential("r1 = 0\ncall 3\nr6 = r0\nr1 = 1\ncall f\nr0 = 5\nexit\nf:\nr1 = 1\ncall 3", {}, h);
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->insn, 8u) << out.error->to_string();
}

TEST(JitCalls, CallDepthErrorMatches) {
  const Outcome out = differential("call f\nexit\nf:\ncall f");
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->code, Errc::call_depth);
}

TEST(JitCalls, CallxResolvesAtRunTime) {
  const HelperRegistry h = call_helpers();
  const Outcome ok = differential("r1 = 41\nr6 = 1\ncallx r6\nr0 += 1", {}, h);
  EXPECT_EQ(ok.r0, std::optional<std::uint64_t>(42));
  const Outcome bad = differential("r6 = 77\ncallx r6", {}, h);
  ASSERT_TRUE(bad.error.has_value());
  EXPECT_EQ(bad.error->code, Errc::unknown_helper);
}

TEST(JitCalls, CallbacksGetTheirOwnFrameAndRegisters) {
  const HelperRegistry h = call_helpers();
  const Outcome out = differential(
      "r6 = 7\n*(u64 *)(r10 - 8) = 1000\nr1 = 5\nr2 = func(cb) ll\nr3 = 10\ncall 1000\nr0 += r6\n"
      "r1 = *(u64 *)(r10 - 8)\nr0 += r1\nexit\n"
      "cb:\n*(u64 *)(r10 - 8) = 1\nr6 = 0\nr0 = r1\nr0 += r2",
      {}, h);
  EXPECT_EQ(out.r0, std::optional<std::uint64_t>(10u + 11 + 12 + 13 + 14 + 7 + 1000));
}

TEST(JitCalls, FunctionValueIsTheInterpretersTaggedIndex) {
  const Outcome out = differential("r0 = func(cb) ll\nexit\ncb:\nr0 = 0");
  EXPECT_TRUE(out.r0.has_value());
}

TEST(JitCalls, CallbackErrorsMatch) {
  const HelperRegistry h = call_helpers();
  const Outcome depth = differential("r1 = 1\nr2 = func(cb) ll\nr3 = 0\ncall 1000\nexit\n"
                                     "cb:\nr1 = 1\nr2 = func(cb) ll\nr3 = 0\ncall 1000",
                                     {}, h);
  ASSERT_TRUE(depth.error.has_value());
  EXPECT_EQ(depth.error->code, Errc::call_depth);
  const Outcome not_function = differential("r1 = 1\nr2 = 12345\nr3 = 0\ncall 1000", {}, h);
  ASSERT_TRUE(not_function.error.has_value());
  const Outcome local_depth = differential("r1 = 1\nr2 = func(cb) ll\nr3 = 0\ncall 1000\nexit\ncb:\ncall cb", {}, h);
  ASSERT_TRUE(local_depth.error.has_value());
  EXPECT_EQ(local_depth.error->code, Errc::call_depth);
}

TEST(JitCalls, RefusesWhatItDoesNotSupport) {
  const Program p = asm_or_die("r0 = 0\nexit");
  JitOptions checked;
  checked.mode = ExecMode::checked;
  EXPECT_EQ(JitProgram::compile(p, {}, checked).error().code, Errc::unsupported);
  const Program unknown = asm_or_die("call 99\nexit");
  EXPECT_EQ(JitProgram::compile(unknown, {}).error().code, Errc::unknown_helper);
}

// ---- W^X ----------------------------------------------------------------------------------------------------

TEST(JitMemory, CodePagesAreReadOnlyExecutableAndNothingIsWritableAndExecutable) {
  const JitProgram jit = jit_or_die(asm_or_die("r0 = 42\nexit"), {});
  ASSERT_EQ(*jit.run(nullptr, 0), 42u);
  const auto code = reinterpret_cast<std::uintptr_t>(jit.code().data());
  std::ifstream maps("/proc/self/maps");
  std::string line;
  bool found = false;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms;
    fields >> range >> perms;
    EXPECT_NE(perms.substr(0, 3), "rwx") << line;
    const auto dash = range.find('-');
    const auto begin = std::stoull(range.substr(0, dash), nullptr, 16);
    const auto end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (code >= begin && code < end) {
      found = true;
      EXPECT_EQ(perms.substr(0, 3), "r-x") << line;
    }
  }
  EXPECT_TRUE(found);
}

// ---- Random programs ----------------------------------------------------------------------------------------
// The generator of tests/fuzz_test.cpp, with two changes. After a helper call (or callx) r1-r5 are reset: the
// JIT, as the kernel's, leaves r1-r5 clobbered by a helper call (the ISA says so and the verifier rejects reads
// of them); the interpreter happens to keep them. And r10 is never read as a value (its address differs).

bool is_helper_call(const Insn& in) {
  return in.cls() == BPF_JMP && in.op() == BPF_CALL && (in.source() == BPF_X || in.src != BPF_PSEUDO_CALL);
}

// A random instruction both engines run alike: r10's value is a stack address, which differs between the
// engines (it may serve as a base, not as data), and r1-r5 are undefined after a helper call (the JIT clobbers
// them, the interpreter keeps them), so the program resets them.
void append_comparable_insn(Program& program, std::mt19937_64& rng, std::size_t size) {
  auto in = random_insn(program, rng, size);
  if (!in) return;
  if (in->src == kFramePointer && in->cls() != BPF_LDX) in->src = static_cast<std::uint8_t>(rng() % 10);
  program.push_back(*in);
  if (is_helper_call(*in))
    for (int r = 1; r <= 5; ++r) program.push_back(make_insn(BPF_ALU64 | BPF_MOV | BPF_K, r, 0, 0, 0));
}

HelperRegistry fuzz_helpers() {
  HelperRegistry helpers;
  for (std::uint32_t id = 1; id <= 8; ++id)
    (void)helpers.add(id, HelperProto{"echo", echo_helper, RetType::integer, {}});
  return helpers;
}

// Fills the stack below the caller with `value`, so that a program reading stack it never wrote sees it.
[[gnu::noinline]] void poison_stack(std::uint8_t value) {
  std::uint8_t pad[64 * 1024];
  std::memset(pad, value, sizeof pad);
  asm volatile("" : : "r"(pad) : "memory");
}

// Runs `f` with the stack moved down by `shift` bytes and poisoned: a result that changes with either depends
// on the stack's address or on memory the program never wrote, and is no test of the JIT.
template <class F>
[[gnu::noinline]] Outcome shifted(std::size_t shift, std::uint8_t poison, const F& f) {
  auto* pad = static_cast<volatile char*>(alloca(shift + 16));
  pad[0] = 0;
  poison_stack(poison);
  return f();
}

bool same(const Outcome& a, const Outcome& b) {
  if (a.r0 != b.r0 || a.memory != b.memory || a.error.has_value() != b.error.has_value()) return false;
  return !a.error || (a.error->code == b.error->code && a.error->insn == b.error->insn);
}

TEST(JitDifferential, RandomValidProgramsMatchTheInterpreter) {
  std::mt19937_64 rng(5);
  const HelperRegistry helpers = fuzz_helpers();
  const int n = iterations(500) * 80;
  int compared = 0;
  for (int i = 0; i < n; ++i) {
    const std::size_t size = 2 + rng() % 40;
    Program program;
    while (program.size() + 1 < size) append_comparable_insn(program, rng, size);
    program.push_back(Insn{BPF_JMP | BPF_EXIT, 0, 0, 0, 0});
    std::vector<std::uint8_t> input(rng() % 128);
    for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    if (!validate(program)) continue;
    auto checked = Interpreter::load(program, helpers);
    if (!checked) continue;
    std::vector<std::uint8_t> buffer(input.size());
    RunOptions budget;
    budget.insn_limit = 20000;
    // Valid: runs without faults or runaway loops in checked mode, with a result that depends neither on the
    // stack's address nor on stack bytes it never wrote (two runs, moved and poisoned differently).
    const Outcome a = shifted(0, 0x00, [&] { return run_engine(*checked, buffer, input, budget); });
    if (a.error && a.error->code != Errc::call_depth) continue;
    const Outcome b = shifted(4096 + 48, 0xa5, [&] { return run_engine(*checked, buffer, input, budget); });
    if (!same(a, b)) continue;
    const Outcome c = shifted(16, 0x5a, [&] { return run_engine(*checked, buffer, input, budget); });
    if (!same(a, c)) continue;
    auto vm = Interpreter::load(program, helpers, LoadOptions{ExecMode::unchecked, {}});
    ASSERT_TRUE(vm.ok());
    const Outcome interp = shifted(0, 0x00, [&] { return run_engine(*vm, buffer, input); });
    expect_same(a, interp, "checked vs unchecked interpreter\n" + disassemble(program));
    // Each program is compiled with constant blinding and without.
    for (const bool harden : {false, true}) {
      auto jit = JitProgram::compile(program, helpers, hardened(harden));
      ASSERT_TRUE(jit.ok()) << jit.error().to_string() << "\n" << disassemble(program);
      // UBEE_JIT_TRACE=1 prints each program before the JIT runs it: the last one printed is the one that crashed.
      if (std::getenv("UBEE_JIT_TRACE") != nullptr) std::fprintf(stderr, "----\n%s", disassemble(program).c_str());
      const Outcome native = shifted(0, 0x00, [&] { return run_engine(*jit, buffer, input); });
      expect_same(interp, native, (harden ? "harden on\n" : "harden off\n") + disassemble(program));
    }
    if (::testing::Test::HasFailure()) return;
    ++compared;
  }
  RecordProperty("compared", compared);
  std::printf("compared %d random programs on both engines\n", compared);
  EXPECT_GT(compared, n / 40);
}

}  // namespace
}  // namespace ubee::test
