// Constant blinding: with JitOptions::harden no program immediate appears in the emitted bytes, without it
// each does (so the search would find it); results are those of the interpreter either way (the differential
// tests in jit_semantics_test.cpp and jit_tail_calls_test.cpp run both).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "ubee/jit.hpp"

namespace ubee::test {
namespace {

bool contains(std::span<const std::uint8_t> code, std::uint32_t value) {
  std::uint8_t pattern[4];
  std::memcpy(pattern, &value, sizeof pattern);
  return std::search(code.begin(), code.end(), std::begin(pattern), std::end(pattern)) != code.end();
}

struct BlindCase {
  const char* name;
  const char* text;
  std::vector<std::uint32_t> immediates;  // each must appear unblinded and vanish blinded
};

// Every instruction form whose immediate reaches the code as an x86 immediate.
const BlindCase kBlindCases[] = {
    {"mov64", "r0 = 0x5eed1234", {0x5eed1234}},
    {"mov32", "w0 = 0x5eed1234", {0x5eed1234}},
    {"add64", "r0 = 1\nr0 += 0x5eed1234", {0x5eed1234}},
    {"add32", "w0 = 1\nw0 += 0x5eed1234", {0x5eed1234}},
    {"sub_or_and_xor", "r0 = 1\nr0 -= 0x5eed1234\nr0 |= 0x5eed1235\nw0 &= 0x5eed1236\nr0 ^= 0x5eed1237",
     {0x5eed1234, 0x5eed1235, 0x5eed1236, 0x5eed1237}},
    {"mul", "r0 = 3\nr0 *= 0x5eed1234\nw0 *= 0x5eed1235", {0x5eed1234, 0x5eed1235}},
    {"div_mod", "r0 = -1\nr0 /= 0x5eed1234\nw0 %= 0x5eed1235\nr0 s/= 0x5eed1236\nw0 s%= 0x5eed1237",
     {0x5eed1234, 0x5eed1235, 0x5eed1236, 0x5eed1237}},
    {"jmp", "r0 = 0\nr1 = 5\nif r1 == 0x5eed1234 goto +1\nr0 = 1", {0x5eed1234}},
    {"jmp32", "r0 = 0\nr1 = 5\nif w1 s> 0x5eed1234 goto +1\nr0 = 1", {0x5eed1234}},
    {"jset", "r0 = 0\nr1 = 5\nif r1 & 0x5eed1234 goto +1\nr0 = 1", {0x5eed1234}},
    {"store_imm", "*(u32 *)(r10 - 4) = 0x5eed1234\n*(u64 *)(r10 - 16) = 0x5eed1235\nr0 = *(u32 *)(r10 - 4)",
     {0x5eed1234, 0x5eed1235}},
    {"lddw", "r0 = 0x5eed12340badf00d ll", {0x5eed1234, 0x0badf00d}},
    {"ld_abs", "r6 = r1\nr0 = *(u8 *)skb[0x5eed1234]", {0x5eed1234}},
    {"ld_ind", "r6 = r1\nr3 = 0\nr0 = *(u8 *)skb[r3 + 0x5eed1234]", {0x5eed1234}},
};

void PrintTo(const BlindCase& c, std::ostream* os) { *os << c.name; }

class JitBlinding : public ::testing::TestWithParam<BlindCase> {};

TEST_P(JitBlinding, NoImmediateInTheCodeWhenHardened) {
  const BlindCase& c = GetParam();
  const Program program = asm_or_die(std::string(c.text) + "\nexit\n");
  auto vm = Interpreter::load(program, {}, LoadOptions{ExecMode::unchecked, {}});
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  std::vector<std::uint8_t> packet(16, 0x11);
  const auto expected = vm->run(packet.data(), packet.size());
  ASSERT_TRUE(expected.ok());
  for (const bool harden : {false, true}) {
    // Several compilations: the random values differ each time, and none may ever expose an immediate.
    for (int round = 0; round < (harden ? 16 : 1); ++round) {
      JitOptions options;
      options.harden = harden;
      auto jit = JitProgram::compile(program, {}, options);
      ASSERT_TRUE(jit.ok()) << jit.error().to_string();
      for (const std::uint32_t imm : c.immediates) {
        EXPECT_EQ(contains(jit->code(), imm), !harden)
            << std::hex << "0x" << imm << (harden ? " is in the blinded code" : " is not in the plain code");
      }
      const auto r = jit->run(packet.data(), packet.size());
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      EXPECT_EQ(*r, *expected) << (harden ? "harden on" : "harden off");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Immediates, JitBlinding, ::testing::ValuesIn(kBlindCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(JitBlinding, BlindingChangesTheCodeFromOneCompilationToTheNext) {
  const Program program = asm_or_die("r0 = 0x5eed1234\nr0 += 7\nexit");
  JitOptions options;
  auto a = JitProgram::compile(program, {}, options);
  auto b = JitProgram::compile(program, {}, options);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto ca = a->code(), cb = b->code();
  EXPECT_FALSE(ca.size() == cb.size() && std::equal(ca.begin(), ca.end(), cb.begin()));
  EXPECT_EQ(a->run(nullptr, 0).value(), 0x5eed1234u + 7);
}

TEST(JitBlinding, InsnOffsetsCoverEveryInstruction) {
  const Program program = asm_or_die("r0 = 1\nr1 = 2 ll\nr0 += r1\nexit");
  auto jit = JitProgram::compile(program, {});
  ASSERT_TRUE(jit.ok());
  ASSERT_EQ(jit->insn_offsets().size(), program.size());
  EXPECT_LT(jit->trampoline_offset(), jit->insn_offsets()[0]);
  const auto offsets = jit->insn_offsets();
  EXPECT_LT(offsets[0], offsets[1]);
  EXPECT_LT(offsets[1], offsets[3]);
  EXPECT_LT(offsets[3], offsets[4]);
  EXPECT_GT(offsets[2], offsets[4]);  // the second slot of the lddw: after the last instruction
  EXPECT_LE(offsets[2], jit->code().size());
  EXPECT_GT(jit->tail_offset(), offsets[4]);
  EXPECT_LE(jit->tail_offset(), offsets[2]);
}

}  // namespace
}  // namespace ubee::test
