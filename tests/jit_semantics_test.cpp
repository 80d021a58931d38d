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

struct Case {
  const char* name;
  const char* text;
  std::uint64_t r0;
  std::vector<std::uint8_t> memory = {};
};

// The interpreter's semantics table (tests/interpreter_semantics_test.cpp) and the x86 register corners.
const Case kCases[] = {
    {"add64_imm", "r0 = 5\nr0 += -7", 0xfffffffffffffffe},
    {"sub64", "r0 = 5\nr1 = 7\nr0 -= r1", 0xfffffffffffffffe},
    {"mul64", "r0 = -3\nr0 *= 7", static_cast<std::uint64_t>(-21)},
    {"mul32_reg", "r0 = -3\nr1 = 0x100000007 ll\nw0 *= w1", 0xffffffeb},
    {"div64", "r0 = 100\nr1 = 7\nr0 /= r1", 14},
    {"div64_unsigned", "r0 = -1\nr0 /= 2", 0x7fffffffffffffff},
    {"div64_by_zero_reg", "r0 = 100\nr1 = 0\nr0 /= r1", 0},
    {"div64_by_zero_imm", "r0 = 100\nr0 /= 0", 0},
    {"mod64", "r0 = 100\nr0 %= 7", 2},
    {"mod64_by_zero_keeps_dst", "r0 = -5\nr1 = 0\nr0 %= r1", static_cast<std::uint64_t>(-5)},
    {"sdiv64", "r0 = -100\nr0 s/= 7", static_cast<std::uint64_t>(-14)},
    {"sdiv64_by_zero", "r0 = -100\nr1 = 0\nr0 s/= r1", 0},
    {"sdiv64_intmin_by_minus1", "r0 = -9223372036854775808 ll\nr1 = -1\nr0 s/= r1", 0x8000000000000000},
    {"sdiv64_intmin_by_minus1_imm", "r0 = -9223372036854775808 ll\nr0 s/= -1", 0x8000000000000000},
    {"smod64_sign_of_dividend", "r0 = -100\nr0 s%= 7", static_cast<std::uint64_t>(-2)},
    {"smod64_intmin_by_minus1", "r0 = -9223372036854775808 ll\nr0 s%= -1", 0},
    {"smod64_intmin_by_minus1_reg", "r0 = -9223372036854775808 ll\nr2 = -1\nr0 s%= r2", 0},
    {"smod64_by_zero_keeps_dst", "r0 = -100\nr0 s%= 0", static_cast<std::uint64_t>(-100)},
    {"div32_uses_low_bits", "r0 = 0x10000000c ll\nw0 /= 4", 3},
    {"div32_by_zero", "w0 = 7\nw1 = 0\nw0 /= w1", 0},
    {"mod32_by_zero_truncates_dst", "r0 = -5\nw1 = 0\nw0 %= w1", 0xfffffffb},
    {"mod32_by_zero_imm_truncates", "r0 = -5\nw0 %= 0", 0xfffffffb},
    {"sdiv32", "w0 = -100\nw0 s/= 7", 0xfffffff2},
    {"sdiv32_intmin_by_minus1", "w0 = -2147483648\nw1 = -1\nw0 s/= w1", 0x80000000},
    {"smod32_intmin_by_minus1", "w0 = -2147483648\nw0 s%= -1", 0},
    {"smod32_by_zero", "r0 = -5\nw0 s%= 0", 0xfffffffb},
    {"div_dst_r3_keeps_r0", "r0 = 9\nr3 = 100\nr1 = 7\nr3 /= r1\nr0 += r3", 23},
    {"mod_dst_r3_src_r0", "r0 = 7\nr3 = 100\nr3 %= r0\nr0 += r3", 9},
    {"div_src_r3_keeps_r3", "r0 = 100\nr3 = 7\nr0 /= r3\nr0 += r3", 21},
    {"div_dst_is_src", "r5 = 9\nr5 /= r5\nr0 = r5", 1},
    {"sdiv32_r3_by_minus1", "r3 = -2147483648\nr0 = 1\nw3 s/= -1\nr0 = r3", 0x80000000},
    {"div_keeps_r4", "r4 = 11\nr0 = 100\nr0 /= 3\nr0 += r4", 44},
    {"lsh64_count_masked", "r0 = 1\nr1 = 65\nr0 <<= r1", 2},
    {"rsh64_logical", "r0 = -1\nr0 >>= 60", 0xf},
    {"arsh64", "r0 = -256\nr0 s>>= 4", static_cast<std::uint64_t>(-16)},
    {"arsh64_count_masked", "r0 = -256\nr1 = 68\nr0 s>>= r1", static_cast<std::uint64_t>(-16)},
    {"lsh32_count_masked", "w0 = 0x11\nw0 <<= 60", 0x10000000},
    {"lsh32_by_zero_zero_extends", "r0 = -1\nw0 <<= 0", 0xffffffff},
    {"lsh32_by_zero_reg_zero_extends", "r0 = -1\nr1 = 32\nw0 <<= w1", 0xffffffff},
    {"arsh32_count_masked_reg", "w0 = -256\nw1 = 36\nw0 s>>= w1", 0xfffffff0},
    {"shift_dst_r4", "r4 = 3\nr1 = 2\nr4 <<= r1\nr0 = r4", 12},
    {"shift_src_r4", "r4 = 2\nr0 = 3\nr0 <<= r4\nr0 += r4", 14},
    {"shift_r4_by_r4", "r4 = 3\nr4 <<= r4\nr0 = r4", 24},
    {"shift_keeps_r4", "r4 = 5\nr1 = 1\nr2 = 1\nr1 <<= r2\nr0 = r1\nr0 += r4", 7},
    {"shift32_dst_r4", "r4 = -1\nr1 = 4\nw4 >>= w1\nr0 = r4", 0x0fffffff},
    {"neg32", "w0 = 5\nw0 = -w0", 0xfffffffb},
    {"mov32_imm_zero_extends", "w0 = -1", 0xffffffff},
    {"mov32_reg_truncates", "r1 = -1\nw0 = w1", 0xffffffff},
    {"mov32_self_zero_extends", "r0 = -1\nw0 = w0", 0xffffffff},
    {"add32_clears_high", "r0 = -1\nw0 += 0", 0xffffffff},
    {"movsx8_64", "r1 = 0x80\nr0 = (s8)r1", 0xffffffffffffff80},
    {"movsx8_64_from_sil", "r2 = 0xff\nr0 = (s8)r2", 0xffffffffffffffff},
    {"movsx16_64", "r1 = 0x8000\nr0 = (s16)r1", 0xffffffffffff8000},
    {"movsx32_64", "r1 = 0x80000000 ll\nr0 = (s32)r1", 0xffffffff80000000},
    {"movsx8_32", "r1 = 0x80\nw0 = (s8)w1", 0xffffff80},
    {"movsx16_32", "r1 = 0x7fff\nw0 = (s16)w1", 0x7fff},
    {"le16_truncates", "r0 = 0x1122334455667788 ll\nr0 = le16 r0", 0x7788},
    {"le32_truncates", "r0 = 0x1122334455667788 ll\nr0 = le32 r0", 0x55667788},
    {"le64_keeps", "r0 = 0x1122334455667788 ll\nr0 = le64 r0", 0x1122334455667788},
    {"be16", "r0 = 0x1122334455667788 ll\nr0 = be16 r0", 0x8877},
    {"be32", "r0 = 0x1122334455667788 ll\nr0 = be32 r0", 0x88776655},
    {"be64", "r0 = 0x1122334455667788 ll\nr0 = be64 r0", 0x8877665544332211},
    {"bswap16_rbp_free_reg", "r9 = 0x1122334455667788 ll\nr9 = bswap16 r9\nr0 = r9", 0x8877},
    {"bswap32", "r0 = 0x1122334455667788 ll\nr0 = bswap32 r0", 0x88776655},
    {"lddw_negative", "r0 = -2 ll", 0xfffffffffffffffe},
    {"jgt_unsigned", "r0 = 0\nr1 = -1\nif r1 > 5 goto +1\nexit\nr0 = 1", 1},
    {"jsgt_signed", "r0 = 1\nr1 = -1\nif r1 s> 5 goto +1\nexit\nr0 = 0", 1},
    {"jset", "r0 = 0\nr1 = 6\nif r1 & 2 goto +1\nexit\nr0 = 1", 1},
    {"jset64_imm_sign_extended", "r0 = 0\nr1 = 0x100000000 ll\nif r1 & -1 goto +1\nexit\nr0 = 1", 1},
    {"jmp_imm_sign_extended", "r0 = 0\nr1 = -1\nif r1 == -1 goto +1\nexit\nr0 = 1", 1},
    {"jmp32_ignores_high_bits", "r0 = 0\nr1 = 0x100000005 ll\nif w1 == 5 goto +1\nexit\nr0 = 1", 1},
    {"jmp32_signed", "r0 = 0\nr1 = 0xffffffff\nif w1 s< 0 goto +1\nexit\nr0 = 1", 1},
    {"jmp32_unsigned_reg", "r0 = 0\nr1 = 0x1ffffffff ll\nr2 = 2\nif w1 > w2 goto +1\nexit\nr0 = 1", 1},
    {"ja_backwards_loop", "r0 = 0\nr1 = 10\nloop:\nr0 += r1\nr1 -= 1\nif r1 != 0 goto loop", 55},
    {"gotol", "r0 = 1\ngotol +1\nr0 = 2", 1},
    {"stack_imm_stores", "*(u8 *)(r10 - 1) = 0xab\n*(u16 *)(r10 - 4) = 0x1234\n*(u32 *)(r10 - 8) = -1\n"
                         "*(u64 *)(r10 - 16) = -2\nr0 = *(u8 *)(r10 - 1)\nr1 = *(u16 *)(r10 - 4)\nr0 += r1\n"
                         "r1 = *(u32 *)(r10 - 8)\nr0 += r1\nr1 = *(u64 *)(r10 - 16)\nr0 += r1",
     0xab + 0x1234 + 0xffffffffULL - 2},
    {"ldxsb", "r0 = *(s8 *)(r1 + 0)", 0xffffffffffffff80, {0x80}},
    {"ldxsh", "r0 = *(s16 *)(r1 + 0)", 0xffffffffffff8001, {0x01, 0x80}},
    {"ldxsw", "r0 = *(s32 *)(r1 + 0)", 0xffffffff80000001, {0x01, 0, 0, 0x80}},
    {"ldx_zero_extends", "r0 = *(u16 *)(r1 + 1)", 0x8001, {0, 0x01, 0x80}},
    {"mem_length_in_r2", "r0 = r2", 3, {1, 2, 3}},
    {"stx_widths_from_sil", "r2 = -1\n*(u8 *)(r1 + 0) = r2\n*(u16 *)(r1 + 2) = r2\nr0 = *(u32 *)(r1 + 0)",
     0xffff00ff, {0, 0, 0, 0}},
    {"atomic_add64", "*(u64 *)(r10 - 8) = 10\nr1 = 5\nlock *(u64 *)(r10 - 8) += r1\nr0 = *(u64 *)(r10 - 8)", 15},
    {"atomic_or32", "*(u32 *)(r10 - 8) = 0x10\nw1 = 3\nlock *(u32 *)(r10 - 8) |= w1\nr0 = *(u32 *)(r10 - 8)", 0x13},
    {"atomic_fetch_add64_returns_old",
     "*(u64 *)(r10 - 8) = 10\nr1 = 5\nr1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\nr0 = *(u64 *)(r10 - 8)\n"
     "r0 <<= 8\nr0 |= r1",
     (15 << 8) | 10},
    {"atomic_fetch_or32", "*(u32 *)(r10 - 8) = 1\nw1 = 2\nw1 = atomic_fetch_or((u32 *)(r10 - 8), w1)\nr0 = r1", 1},
    {"atomic_fetch_and64", "*(u64 *)(r10 - 8) = 3\nr1 = 1\nr1 = atomic_fetch_and((u64 *)(r10 - 8), r1)\n"
                           "r0 = *(u64 *)(r10 - 8)\nr0 += r1",
     1 + 3},
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
    {"xchg32", "*(u32 *)(r10 - 8) = 7\nw1 = 9\nw1 = xchg32_32(r10 - 8, w1)\nr0 = r1", 7},
    {"cmpxchg64_success",
     "*(u64 *)(r10 - 8) = 7\nr0 = 7\nr1 = 9\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr1 = *(u64 *)(r10 - 8)\nr0 <<= 8\n"
     "r0 |= r1",
     (7 << 8) | 9},
    {"cmpxchg64_failure",
     "*(u64 *)(r10 - 8) = 7\nr0 = 8\nr1 = 9\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr1 = *(u64 *)(r10 - 8)\nr0 <<= 8\n"
     "r0 |= r1",
     (7 << 8) | 7},
    {"cmpxchg32_success_zero_extends_r0",
     "*(u32 *)(r10 - 8) = 7\nr0 = 0x100000007 ll\nw1 = 9\nw0 = cmpxchg32_32(r10 - 8, w0, w1)\n"
     "r1 = *(u32 *)(r10 - 8)\nr0 <<= 8\nr0 |= r1",
     (7 << 8) | 9},
    {"local_call", "r1 = 2\nr2 = 3\nr6 = 100\ncall add\nr0 += r6\nexit\nadd:\nr0 = r1\nr0 += r2\nr6 = 0", 105},
    {"local_call_own_frame",
     "*(u64 *)(r10 - 8) = 1\ncall f\nr0 = *(u64 *)(r10 - 8)\nexit\nf:\n*(u64 *)(r10 - 8) = 2\nr0 = 0", 1},
    {"local_call_reads_caller_stack",
     "*(u64 *)(r10 - 8) = 42\nr1 = r10\nr1 += -8\ncall f\nexit\nf:\nr0 = *(u64 *)(r1 + 0)", 42},
    {"local_call_r1_r5_flow_back", "r1 = 1\ncall f\nr0 = r1\nr0 += r5\nexit\nf:\nr1 = 40\nr5 = 2\nr0 = 0", 42},
    {"recursion_to_depth_8",
     "r1 = 6\ncall f\nexit\nf:\nr0 = 1\nif r1 == 0 goto +4\nr6 = r1\nr1 -= 1\ncall f\nr0 += r6", 1 + 6 * 7 / 2},
    {"ld_abs_h", "r6 = r1\nr0 = *(u16 *)skb[1]", 0x0203, {1, 2, 3, 4}},
    {"ld_abs_w", "r6 = r1\nr0 = *(u32 *)skb[0]", 0x01020304, {1, 2, 3, 4}},
    {"ld_ind_b", "r6 = r1\nr3 = 2\nr0 = *(u8 *)skb[r3 + 1]", 4, {1, 2, 3, 4}},
    {"ld_ind_negative_returns_0", "r6 = r1\nr3 = 2\nr0 = *(u8 *)skb[r3 - 3]\nr0 = 9", 0, {1, 2, 3, 4}},
    {"ld_abs_out_of_packet_returns_0", "r6 = r1\nr0 = *(u32 *)skb[2]\nr0 = 99", 0, {1, 2, 3, 4}},
    {"ld_abs_in_subprogram_returns_0", "r6 = r1\ncall f\nr0 = 5\nexit\nf:\nr0 = *(u32 *)skb[3]\nr0 = 7", 0,
     {1, 2, 3, 4}},
    {"ld_abs_keeps_r1_r5", "r6 = r1\nr2 = 2\nr5 = 5\nr0 = *(u8 *)skb[0]\nr0 += r2\nr0 += r5", 8, {1}},
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class JitSemantics : public ::testing::TestWithParam<Case> {};

TEST_P(JitSemantics, MatchesInterpreterAndExpectedR0) {
  const Case& c = GetParam();
  const Outcome out = differential(c.text, c.memory);
  ASSERT_TRUE(out.r0.has_value()) << (out.error ? out.error->to_string() : "no result");
  EXPECT_EQ(*out.r0, c.r0) << std::hex << "got 0x" << *out.r0 << " expected 0x" << c.r0;
}

INSTANTIATE_TEST_SUITE_P(Isa, JitSemantics, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- Calls, callbacks and errors ----------------------------------------------------------------------------

std::uint64_t echo_helper(std::uint64_t r1, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, RunContext&) {
  return r1;
}
std::uint64_t sum_helper(std::uint64_t r1, std::uint64_t r2, std::uint64_t r3, std::uint64_t r4, std::uint64_t r5,
                         RunContext& context) {
  return r1 + r2 + r3 + r4 + r5 + reinterpret_cast<std::uint64_t>(context.user_data());
}
std::uint64_t abort_helper(std::uint64_t r1, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                           RunContext& context) {
  if (r1 != 0) context.abort(make_error(Errc::invalid_argument, "told to abort"));
  return 1;
}
// bpf_loop-like: calls the callback r1 times with (i, r3) and sums what it returns.
std::uint64_t loop_helper(std::uint64_t n, std::uint64_t callback, std::uint64_t ctx, std::uint64_t, std::uint64_t,
                          RunContext& context) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    auto r = context.call_function(callback, i, ctx, 0, 0, 0);
    if (!r) {
      context.abort(r.error());
      return 0;
    }
    sum += *r;
  }
  return sum;
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

int iterations(int fallback) {
  const char* env = std::getenv("UBEE_FUZZ_ITERATIONS");
  return env != nullptr ? std::max(1, std::atoi(env)) : fallback;
}

const std::uint8_t kOpcodes[] = {
    0x04, 0x0c, 0x07, 0x0f, 0x14, 0x1c, 0x17, 0x1f, 0x24, 0x2c, 0x27, 0x2f, 0x34, 0x3c, 0x37, 0x3f, 0x44, 0x4c,
    0x47, 0x4f, 0x54, 0x5c, 0x57, 0x5f, 0x64, 0x6c, 0x67, 0x6f, 0x74, 0x7c, 0x77, 0x7f, 0x84, 0x87, 0x94, 0x9c,
    0x97, 0x9f, 0xa4, 0xac, 0xa7, 0xaf, 0xb4, 0xbc, 0xb7, 0xbf, 0xc4, 0xcc, 0xc7, 0xcf, 0xd4, 0xdc, 0xd7, 0x05,
    0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd,
    0xc5, 0xcd, 0xd5, 0xdd, 0x06, 0x16, 0x1e, 0x26, 0x2e, 0x36, 0x3e, 0x46, 0x4e, 0x56, 0x5e, 0x66, 0x6e, 0x76,
    0x7e, 0xa6, 0xae, 0xb6, 0xbe, 0xc6, 0xce, 0xd6, 0xde, 0x85, 0x8d, 0x95, 0x18, 0x61, 0x69, 0x71, 0x79, 0x81,
    0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50};
const std::int32_t kAtomicImms[] = {0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1};

template <class T, std::size_t N>
T pick(std::mt19937_64& rng, const T (&options)[N]) {
  return options[rng() % N];
}

std::int32_t random_imm(std::mt19937_64& rng) {
  return rng() % 2 ? static_cast<std::int32_t>(rng() % 64) - 8 : static_cast<std::int32_t>(rng());
}

std::uint8_t aim_memory(Insn& in, std::uint8_t base, std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: in.off = static_cast<std::int16_t>(-1 - static_cast<int>(rng() % 512)); return 10;
    case 1: in.off = static_cast<std::int16_t>(rng() % 64); return 1;
    default: in.off = static_cast<std::int16_t>(static_cast<int>(rng() % 64) - 32); return base;
  }
}

void shape_alu(Insn& in, std::mt19937_64& rng) {
  const bool x = in.source() == BPF_X;
  x ? void(in.imm = 0) : void(in.src = 0);
  in.off = 0;
  if (in.op() == BPF_DIV || in.op() == BPF_MOD) in.off = static_cast<std::int16_t>(rng() % 2);
  if (in.op() == BPF_MOV && x) in.off = pick(rng, {0, 8, 16, in.cls() == BPF_ALU64 ? 32 : 0});
  if (in.op() == BPF_NEG) in.src = 0, in.imm = 0;
  if (in.op() == BPF_END) in.src = 0, in.imm = pick(rng, {16, 32, 64});
}

void shape_jmp(Insn& in, std::mt19937_64& rng, std::size_t pc, std::size_t size) {
  const auto target = static_cast<std::int32_t>(rng() % size) - static_cast<std::int32_t>(pc) - 1;
  in.source() == BPF_X ? void(in.imm = 0) : void(in.src = 0);
  in.off = static_cast<std::int16_t>(target);
  if (in.op() == BPF_JA) {
    in.dst = in.src = 0;
    in.imm = in.cls() == BPF_JMP32 ? target : 0;
    if (in.cls() == BPF_JMP32) in.off = 0;
  }
  if (in.op() == BPF_CALL) {
    in.off = 0;
    in.src = in.source() == BPF_X ? 0 : static_cast<std::uint8_t>(rng() % 2);
    in.imm = in.source() == BPF_X ? 0 : in.src ? target : static_cast<std::int32_t>(1 + rng() % 8);
  }
}

void shape_memory(Insn& in, std::mt19937_64& rng) {
  switch (in.cls()) {
    case BPF_LDX: in.imm = 0; in.src = aim_memory(in, in.src, rng) & 0xf; break;
    case BPF_ST: in.src = 0; in.dst = aim_memory(in, in.dst, rng) & 0xf; break;
    case BPF_STX:
      if (in.mode() == BPF_ATOMIC) in.imm = pick(rng, kAtomicImms);
      else in.imm = 0;
      in.dst = aim_memory(in, in.dst, rng) & 0xf;
      break;
    default:
      in.dst = 0, in.off = 0;
      if (in.mode() == BPF_ABS) in.src = 0;
  }
}

bool is_helper_call(const Insn& in) {
  return in.cls() == BPF_JMP && in.op() == BPF_CALL && (in.source() == BPF_X || in.src != BPF_PSEUDO_CALL);
}

void append_random_insn(Program& program, std::mt19937_64& rng, std::size_t size) {
  Insn in{};
  in.opcode = pick(rng, kOpcodes);
  in.dst = static_cast<std::uint8_t>(rng() % 10);
  in.src = static_cast<std::uint8_t>(rng() % 11);
  in.imm = random_imm(rng);
  if (in.is_lddw()) {
    const auto pair = make_lddw(in.dst, rng());
    program.insert(program.end(), pair.begin(), pair.end());
    return;
  }
  if (in.cls() == BPF_ALU || in.cls() == BPF_ALU64) shape_alu(in, rng);
  else if (in.cls() == BPF_JMP || in.cls() == BPF_JMP32) shape_jmp(in, rng, program.size(), size);
  else shape_memory(in, rng);
  if (in.opcode == (BPF_JMP | BPF_EXIT)) in.dst = in.src = 0, in.off = 0, in.imm = 0;
  // r10's value is a stack address, which differs between the engines: it may serve as a base, not as data.
  if (in.src == kFramePointer && in.cls() != BPF_LDX) in.src = static_cast<std::uint8_t>(rng() % 10);
  program.push_back(in);
  if (is_helper_call(in))
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
    while (program.size() + 1 < size) append_random_insn(program, rng, size);
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
