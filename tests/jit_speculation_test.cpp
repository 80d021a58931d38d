// Spectre v1 masking in the JIT: with a speculation limit on `ptr += reg` / `ptr -= reg`, the pointer moves
// by the register's value v only when 0 <= v < limit and by 0 otherwise; the register itself keeps v.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "test_util.hpp"
#include "ubee/jit.hpp"

namespace ubee::test {
namespace {

constexpr std::size_t kFlagged = 2;  // the pointer ALU instruction of both programs
constexpr std::uint32_t kLimit = 16;

// r0 = how far the pointer moved; the program's r2 (v) is stored at offset 8.
Program pointer_program(bool add) {
  return asm_or_die(std::string("r2 = *(u64 *)(r1 + 0)\nr3 = r1\n") + (add ? "r3 += r2\nr0 = r3\nr0 -= r1\n"
                                                                            : "r3 -= r2\nr0 = r1\nr0 -= r3\n") +
                    "*(u64 *)(r1 + 8) = r2\nexit");
}

std::vector<std::uint32_t> limits_for(const Program& program, std::uint32_t limit) {
  std::vector<std::uint32_t> limits(program.size(), 0);
  limits[kFlagged] = limit;
  return limits;
}

struct Moved {
  std::uint64_t moved;
  std::uint64_t stored;
};

Moved run(const JitProgram& jit, std::uint64_t v) {
  std::uint8_t memory[16] = {};
  std::memcpy(memory, &v, 8);
  auto r0 = jit.run(memory, sizeof memory);
  EXPECT_TRUE(r0.ok()) << r0.error().to_string();
  Moved out{r0.ok() ? *r0 : ~0ULL, 0};
  std::memcpy(&out.stored, memory + 8, 8);
  return out;
}

constexpr std::uint64_t kInRange[] = {0, 1, 5, kLimit - 1};
constexpr std::uint64_t kOutOfRange[] = {kLimit, kLimit + 1, 1000, std::numeric_limits<std::uint64_t>::max(),
                                         1ULL << 63, (1ULL << 63) - 1, 0xffffffffULL};

TEST(JitSpeculation, InRangeOffsetsAreKeptAndOthersBecomeZero) {
  const HelperRegistry helpers;
  for (bool add : {true, false}) {
    for (bool harden : {false, true}) {
      const Program program = pointer_program(add);
      const auto limits = limits_for(program, kLimit);
      JitOptions masked;
      masked.harden = harden;
      masked.speculation_limits = limits;
      JitOptions plain;
      plain.harden = harden;
      auto with = JitProgram::compile(program, helpers, masked);
      auto without = JitProgram::compile(program, helpers, plain);
      ASSERT_TRUE(with.ok() && without.ok());
      for (std::uint64_t v : kInRange) {
        const Moved m = run(*with, v), p = run(*without, v);
        EXPECT_EQ(m.moved, v) << "v = " << v;
        EXPECT_EQ(m.moved, p.moved) << "v = " << v;
        EXPECT_EQ(m.stored, v);
      }
      for (std::uint64_t v : kOutOfRange) {
        EXPECT_EQ(run(*with, v).moved, 0U) << "v = " << v << (add ? " (add)" : " (sub)");
        EXPECT_EQ(run(*with, v).stored, v) << "the program's register must keep its value";
        EXPECT_EQ(run(*without, v).moved, v) << "unmasked code moves by v";
      }
    }
  }
}

std::span<const std::uint8_t> insn_code(const JitProgram& jit, std::size_t pc) {
  const auto offsets = jit.insn_offsets();
  return jit.code().subspan(offsets[pc], offsets[pc + 1] - offsets[pc]);
}

bool contains(std::span<const std::uint8_t> code, std::initializer_list<std::uint8_t> pattern) {
  return std::search(code.begin(), code.end(), pattern.begin(), pattern.end()) != code.end();
}

// The masking is in the flagged instruction's code: `sar r11, 63` (49 C1 FB 3F) and `not r11` (49 F7 D3).
TEST(JitSpeculation, MaskingIsEmittedOnlyWhereFlagged) {
  const HelperRegistry helpers;
  const Program program = pointer_program(true);
  const auto limits = limits_for(program, kLimit);
  JitOptions masked;
  masked.harden = false;
  masked.speculation_limits = limits;
  JitOptions plain;
  plain.harden = false;
  auto with = JitProgram::compile(program, helpers, masked);
  auto without = JitProgram::compile(program, helpers, plain);
  ASSERT_TRUE(with.ok() && without.ok());
  EXPECT_TRUE(contains(insn_code(*with, kFlagged), {0x49, 0xC1, 0xFB, 0x3F}));
  EXPECT_TRUE(contains(insn_code(*with, kFlagged), {0x49, 0xF7, 0xD3}));
  EXPECT_FALSE(contains(insn_code(*without, kFlagged), {0x49, 0xC1, 0xFB, 0x3F}));
  EXPECT_GT(insn_code(*with, kFlagged).size(), insn_code(*without, kFlagged).size());
  for (std::size_t pc = 0; pc + 1 < program.size(); ++pc) {
    if (pc == kFlagged) continue;
    EXPECT_EQ(insn_code(*with, pc).size(), insn_code(*without, pc).size()) << "insn " << pc;
  }
}

// Limits on instructions that are not a 64-bit `reg += reg` / `reg -= reg` change nothing.
TEST(JitSpeculation, LimitsOnOtherInstructionsAreIgnored) {
  const HelperRegistry helpers;
  const Program program = asm_or_die("r0 = 100\nr1 = 200\nw0 += w1\nr0 += 1000\nr0 *= r1\nexit");
  std::vector<std::uint32_t> limits(program.size(), 4);
  JitOptions masked;
  masked.harden = false;
  masked.speculation_limits = limits;
  JitOptions plain;
  plain.harden = false;
  auto with = JitProgram::compile(program, helpers, masked);
  auto without = JitProgram::compile(program, helpers, plain);
  ASSERT_TRUE(with.ok() && without.ok());
  EXPECT_EQ(with->code().size(), without->code().size());
  EXPECT_EQ(*with->run(nullptr, 0), 260000U);
}

TEST(JitSpeculation, LimitsMustCoverTheProgram) {
  const HelperRegistry helpers;
  const Program program = pointer_program(true);
  const std::vector<std::uint32_t> limits(program.size() - 1, kLimit);
  JitOptions options;
  options.speculation_limits = limits;
  auto jit = JitProgram::compile(program, helpers, options);
  ASSERT_FALSE(jit.ok());
  EXPECT_EQ(jit.error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace ubee::test
