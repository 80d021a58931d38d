// Disassembler and assembler: golden text for every instruction form, the round trip both ways, label
// resolution, randomized round trips over raw encodings, and parse errors with their line and column.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "test_util.hpp"
#include "ubee/asm.hpp"
#include "ubee/isa.hpp"

namespace ubee {

// Found by argument-dependent lookup, so gtest prints instructions instead of raw bytes. Static: other test
// files linked into the same binary may want their own.
static void PrintTo(const Insn& in, std::ostream* os) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "{op=0x%02x dst=%d src=%d off=%d imm=%d}", in.opcode, in.dst, in.src, in.off, in.imm);
  *os << buf;
}

namespace {

using test::make_insn;
constexpr auto make = make_insn;

struct Golden {
  Program insns;
  std::string_view text;
};

// One slot.
Golden I(std::uint8_t opcode, int dst, int src, int off, std::int32_t imm, std::string_view text) {
  return {{make(opcode, dst, src, off, imm)}, text};
}
// A lddw: both slots' immediates given as the encoding holds them.
Golden L(int dst, int src, std::int32_t lo, std::int32_t hi, std::string_view text) {
  return {{make(0x18, dst, src, 0, lo), make(0, 0, 0, 0, hi)}, text};
}

// Opcodes are spelled in hex, as RFC 9669's tables list them, so that the table checks the encoding
// independently of the implementation's use of <linux/bpf.h>.
const std::vector<Golden>& golden() {
  static const std::vector<Golden> table = {
      // ALU64, K then X, for every operator.
      I(0x07, 0, 0, 0, 5, "r0 += 5"), I(0x0f, 0, 1, 0, 0, "r0 += r1"),
      I(0x17, 1, 0, 0, -1, "r1 -= -1"), I(0x1f, 1, 2, 0, 0, "r1 -= r2"),
      I(0x27, 2, 0, 0, 3, "r2 *= 3"), I(0x2f, 2, 3, 0, 0, "r2 *= r3"),
      I(0x37, 3, 0, 0, 7, "r3 /= 7"), I(0x3f, 3, 4, 0, 0, "r3 /= r4"),
      I(0x37, 3, 0, 1, -7, "r3 s/= -7"), I(0x3f, 3, 4, 1, 0, "r3 s/= r4"),
      I(0x47, 4, 0, 0, 64, "r4 |= 64"), I(0x4f, 4, 5, 0, 0, "r4 |= r5"),
      I(0x57, 5, 0, 0, 255, "r5 &= 255"), I(0x5f, 5, 6, 0, 0, "r5 &= r6"),
      I(0x67, 6, 0, 0, 63, "r6 <<= 63"), I(0x6f, 6, 7, 0, 0, "r6 <<= r7"),
      I(0x77, 7, 0, 0, 1, "r7 >>= 1"), I(0x7f, 7, 8, 0, 0, "r7 >>= r8"),
      I(0x87, 8, 0, 0, 0, "r8 = -r8"),
      I(0x97, 8, 0, 0, 10, "r8 %= 10"), I(0x9f, 8, 9, 0, 0, "r8 %= r9"),
      I(0x97, 8, 0, 1, 10, "r8 s%= 10"), I(0x9f, 8, 9, 1, 0, "r8 s%= r9"),
      I(0xa7, 9, 0, 0, INT32_MIN, "r9 ^= -2147483648"), I(0xaf, 9, 0, 0, 0, "r9 ^= r0"),
      I(0xb7, 0, 0, 0, INT32_MAX, "r0 = 2147483647"), I(0xbf, 0, 10, 0, 0, "r0 = r10"),
      I(0xbf, 1, 2, 8, 0, "r1 = (s8)r2"), I(0xbf, 1, 2, 16, 0, "r1 = (s16)r2"), I(0xbf, 1, 2, 32, 0, "r1 = (s32)r2"),
      I(0xc7, 10, 0, 0, 4, "r10 s>>= 4"), I(0xcf, 1, 10, 0, 0, "r1 s>>= r10"),
      // ALU (32-bit), the same operators on w registers.
      I(0x04, 0, 0, 0, 5, "w0 += 5"), I(0x0c, 0, 1, 0, 0, "w0 += w1"),
      I(0x14, 1, 0, 0, -1, "w1 -= -1"), I(0x1c, 1, 2, 0, 0, "w1 -= w2"),
      I(0x24, 2, 0, 0, 3, "w2 *= 3"), I(0x2c, 2, 3, 0, 0, "w2 *= w3"),
      I(0x34, 3, 0, 0, 7, "w3 /= 7"), I(0x3c, 3, 4, 0, 0, "w3 /= w4"),
      I(0x34, 3, 0, 1, -7, "w3 s/= -7"), I(0x3c, 3, 4, 1, 0, "w3 s/= w4"),
      I(0x44, 4, 0, 0, 64, "w4 |= 64"), I(0x4c, 4, 5, 0, 0, "w4 |= w5"),
      I(0x54, 5, 0, 0, 255, "w5 &= 255"), I(0x5c, 5, 6, 0, 0, "w5 &= w6"),
      I(0x64, 6, 0, 0, 31, "w6 <<= 31"), I(0x6c, 6, 7, 0, 0, "w6 <<= w7"),
      I(0x74, 7, 0, 0, 1, "w7 >>= 1"), I(0x7c, 7, 8, 0, 0, "w7 >>= w8"),
      I(0x84, 3, 0, 0, 0, "w3 = -w3"),
      I(0x94, 8, 0, 0, 10, "w8 %= 10"), I(0x9c, 8, 9, 0, 0, "w8 %= w9"),
      I(0x94, 8, 0, 1, 10, "w8 s%= 10"), I(0x9c, 8, 9, 1, 0, "w8 s%= w9"),
      I(0xa4, 9, 0, 0, 1, "w9 ^= 1"), I(0xac, 9, 0, 0, 0, "w9 ^= w0"),
      I(0xb4, 0, 0, 0, -1, "w0 = -1"), I(0xbc, 0, 1, 0, 0, "w0 = w1"),
      I(0xbc, 1, 2, 8, 0, "w1 = (s8)w2"), I(0xbc, 1, 2, 16, 0, "w1 = (s16)w2"),
      I(0xc4, 1, 0, 0, 4, "w1 s>>= 4"), I(0xcc, 1, 2, 0, 0, "w1 s>>= w2"),
      // Byte swaps.
      I(0xd4, 1, 0, 0, 16, "r1 = le16 r1"), I(0xd4, 1, 0, 0, 32, "r1 = le32 r1"), I(0xd4, 1, 0, 0, 64, "r1 = le64 r1"),
      I(0xdc, 2, 0, 0, 16, "r2 = be16 r2"), I(0xdc, 2, 0, 0, 32, "r2 = be32 r2"), I(0xdc, 2, 0, 0, 64, "r2 = be64 r2"),
      I(0xd7, 3, 0, 0, 16, "r3 = bswap16 r3"), I(0xd7, 3, 0, 0, 32, "r3 = bswap32 r3"),
      I(0xd7, 3, 0, 0, 64, "r3 = bswap64 r3"),
      // Loads, sign-extending loads, stores of an immediate and of a register.
      I(0x71, 0, 1, 4, 0, "r0 = *(u8 *)(r1 + 4)"), I(0x69, 2, 10, -2, 0, "r2 = *(u16 *)(r10 - 2)"),
      I(0x61, 3, 1, 0, 0, "r3 = *(u32 *)(r1 + 0)"), I(0x79, 4, 10, -32768, 0, "r4 = *(u64 *)(r10 - 32768)"),
      I(0x79, 4, 1, 32767, 0, "r4 = *(u64 *)(r1 + 32767)"),
      I(0x91, 0, 1, 4, 0, "r0 = *(s8 *)(r1 + 4)"), I(0x89, 0, 1, -6, 0, "r0 = *(s16 *)(r1 - 6)"),
      I(0x81, 5, 6, 0, 0, "r5 = *(s32 *)(r6 + 0)"),
      I(0x72, 1, 0, 4, -1, "*(u8 *)(r1 + 4) = -1"), I(0x6a, 1, 0, 2, 65535, "*(u16 *)(r1 + 2) = 65535"),
      I(0x62, 10, 0, -4, 7, "*(u32 *)(r10 - 4) = 7"), I(0x7a, 10, 0, -8, 5, "*(u64 *)(r10 - 8) = 5"),
      I(0x73, 1, 2, 0, 0, "*(u8 *)(r1 + 0) = r2"), I(0x6b, 1, 2, 2, 0, "*(u16 *)(r1 + 2) = r2"),
      I(0x63, 1, 2, 4, 0, "*(u32 *)(r1 + 4) = r2"), I(0x7b, 10, 1, -16, 0, "*(u64 *)(r10 - 16) = r1"),
      // Atomics: plain, fetching, exchanges; 64-bit (0xdb) and 32-bit (0xc3).
      I(0xdb, 1, 2, 0, 0x00, "lock *(u64 *)(r1 + 0) += r2"), I(0xc3, 1, 2, 0, 0x00, "lock *(u32 *)(r1 + 0) += w2"),
      I(0xdb, 1, 2, 8, 0x40, "lock *(u64 *)(r1 + 8) |= r2"), I(0xc3, 1, 2, -4, 0x40, "lock *(u32 *)(r1 - 4) |= w2"),
      I(0xdb, 3, 4, 0, 0x50, "lock *(u64 *)(r3 + 0) &= r4"), I(0xc3, 3, 4, 0, 0x50, "lock *(u32 *)(r3 + 0) &= w4"),
      I(0xdb, 3, 4, 0, 0xa0, "lock *(u64 *)(r3 + 0) ^= r4"), I(0xc3, 3, 4, 0, 0xa0, "lock *(u32 *)(r3 + 0) ^= w4"),
      I(0xdb, 1, 2, 0, 0x01, "r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)"),
      I(0xc3, 1, 2, 0, 0x01, "w2 = atomic_fetch_add((u32 *)(r1 + 0), w2)"),
      I(0xdb, 1, 2, 8, 0x41, "r2 = atomic_fetch_or((u64 *)(r1 + 8), r2)"),
      I(0xc3, 1, 2, 0, 0x41, "w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)"),
      I(0xdb, 1, 2, 0, 0x51, "r2 = atomic_fetch_and((u64 *)(r1 + 0), r2)"),
      I(0xc3, 1, 2, -8, 0x51, "w2 = atomic_fetch_and((u32 *)(r1 - 8), w2)"),
      I(0xdb, 1, 2, 0, 0xa1, "r2 = atomic_fetch_xor((u64 *)(r1 + 0), r2)"),
      I(0xc3, 1, 2, 0, 0xa1, "w2 = atomic_fetch_xor((u32 *)(r1 + 0), w2)"),
      I(0xdb, 1, 2, 0, 0xe1, "r2 = xchg_64(r1 + 0, r2)"), I(0xc3, 1, 2, 4, 0xe1, "w2 = xchg32_32(r1 + 4, w2)"),
      I(0xdb, 1, 2, 0, 0xf1, "r0 = cmpxchg_64(r1 + 0, r0, r2)"),
      I(0xc3, 1, 2, -8, 0xf1, "w0 = cmpxchg32_32(r1 - 8, w0, w2)"),
      // Unconditional jumps.
      I(0x05, 0, 0, 3, 0, "goto +3"), I(0x05, 0, 0, -2, 0, "goto -2"), I(0x05, 0, 0, 0, 0, "goto +0"),
      I(0x06, 0, 0, 0, 70000, "gotol +70000"), I(0x06, 0, 0, 0, -1, "gotol -1"),
      // Conditional jumps: every operator, JMP and JMP32, K and X.
      I(0x15, 1, 0, 3, 5, "if r1 == 5 goto +3"), I(0x1d, 1, 2, 3, 0, "if r1 == r2 goto +3"),
      I(0x25, 1, 0, 3, 5, "if r1 > 5 goto +3"), I(0x2d, 1, 2, -3, 0, "if r1 > r2 goto -3"),
      I(0x35, 1, 0, 0, -5, "if r1 >= -5 goto +0"), I(0x3d, 1, 2, 1, 0, "if r1 >= r2 goto +1"),
      I(0x45, 1, 0, 1, 4, "if r1 & 4 goto +1"), I(0x4d, 1, 2, 1, 0, "if r1 & r2 goto +1"),
      I(0x55, 1, 0, 1, 0, "if r1 != 0 goto +1"), I(0x5d, 1, 2, 1, 0, "if r1 != r2 goto +1"),
      I(0x65, 1, 0, 1, -1, "if r1 s> -1 goto +1"), I(0x6d, 1, 2, 1, 0, "if r1 s> r2 goto +1"),
      I(0x75, 1, 0, 1, 1, "if r1 s>= 1 goto +1"), I(0x7d, 1, 2, 1, 0, "if r1 s>= r2 goto +1"),
      I(0xa5, 1, 0, 1, 9, "if r1 < 9 goto +1"), I(0xad, 1, 2, 1, 0, "if r1 < r2 goto +1"),
      I(0xb5, 1, 0, 1, 9, "if r1 <= 9 goto +1"), I(0xbd, 1, 2, 1, 0, "if r1 <= r2 goto +1"),
      I(0xc5, 1, 0, 1, 9, "if r1 s< 9 goto +1"), I(0xcd, 1, 2, 1, 0, "if r1 s< r2 goto +1"),
      I(0xd5, 1, 0, 1, 9, "if r1 s<= 9 goto +1"), I(0xdd, 1, 2, 32767, 0, "if r1 s<= r2 goto +32767"),
      I(0x16, 1, 0, 3, 5, "if w1 == 5 goto +3"), I(0x1e, 1, 2, 3, 0, "if w1 == w2 goto +3"),
      I(0x26, 1, 0, 3, 5, "if w1 > 5 goto +3"), I(0x2e, 1, 2, -3, 0, "if w1 > w2 goto -3"),
      I(0x36, 1, 0, 0, -5, "if w1 >= -5 goto +0"), I(0x3e, 1, 2, 1, 0, "if w1 >= w2 goto +1"),
      I(0x46, 1, 0, 1, 4, "if w1 & 4 goto +1"), I(0x4e, 1, 2, 1, 0, "if w1 & w2 goto +1"),
      I(0x56, 1, 0, 1, 0, "if w1 != 0 goto +1"), I(0x5e, 1, 2, 1, 0, "if w1 != w2 goto +1"),
      I(0x66, 1, 0, 1, -1, "if w1 s> -1 goto +1"), I(0x6e, 1, 2, 1, 0, "if w1 s> w2 goto +1"),
      I(0x76, 1, 0, 1, 1, "if w1 s>= 1 goto +1"), I(0x7e, 1, 2, 1, 0, "if w1 s>= w2 goto +1"),
      I(0xa6, 1, 0, 1, 9, "if w1 < 9 goto +1"), I(0xae, 1, 2, 1, 0, "if w1 < w2 goto +1"),
      I(0xb6, 1, 0, 1, 9, "if w1 <= 9 goto +1"), I(0xbe, 1, 2, 1, 0, "if w1 <= w2 goto +1"),
      I(0xc6, 1, 0, 1, 9, "if w1 s< 9 goto +1"), I(0xce, 1, 2, -1, 0, "if w1 s< w2 goto -1"),
      I(0xd6, 1, 0, 1, 9, "if w1 s<= 9 goto +1"), I(0xde, 1, 2, -32768, 0, "if w1 s<= w2 goto -32768"),
      // Calls and exit.
      I(0x85, 0, 0, 0, 1, "call 1"), I(0x85, 0, 1, 0, 3, "call pc+3"), I(0x85, 0, 1, 0, -7, "call pc-7"),
      I(0x85, 0, 1, 0, 0, "call pc+0"), I(0x85, 0, 2, 0, 5, "call kfunc(5)"), I(0x85, 0, 2, 2, 5, "call kfunc(5, 2)"),
      I(0x8d, 2, 0, 0, 0, "callx r2"), I(0x95, 0, 0, 0, 0, "exit"),
      // Legacy packet loads, absolute and indirect.
      I(0x30, 0, 0, 0, 14, "r0 = *(u8 *)skb[14]"), I(0x28, 0, 0, 0, 12, "r0 = *(u16 *)skb[12]"),
      I(0x20, 0, 0, 0, -4, "r0 = *(u32 *)skb[-4]"), I(0x50, 0, 3, 0, 0, "r0 = *(u8 *)skb[r3 + 0]"),
      I(0x48, 0, 3, 0, -2, "r0 = *(u16 *)skb[r3 - 2]"), I(0x40, 0, 3, 0, 4, "r0 = *(u32 *)skb[r3 + 4]"),
      // lddw: plain immediates (decimal below 2^31, hex above) and every pseudo source.
      L(0, 0, 1234, 0, "r0 = 1234 ll"), L(0, 0, 0, 0, "r0 = 0 ll"), L(1, 0, INT32_MAX, 0, "r1 = 2147483647 ll"),
      L(1, 0, INT32_MIN, 0, "r1 = 0x80000000 ll"), L(2, 0, 0, 1, "r2 = 0x100000000 ll"),
      L(3, 0, -1, -1, "r3 = 0xffffffffffffffff ll"), L(10, 0, 0x5678, 0x1234, "r10 = 0x123400005678 ll"),
      L(1, 1, 3, 0, "r1 = map_fd(3) ll"), L(1, 1, 3, 9, "r1 = map_fd(3, 9) ll"),
      L(1, 2, 3, 16, "r1 = map_value(3, 16) ll"), L(1, 2, 3, 0, "r1 = map_value(3, 0) ll"),
      L(1, 3, 5, 0, "r1 = btf_id(5) ll"), L(1, 3, 5, 7, "r1 = btf_id(5, 7) ll"),
      L(1, 4, 5, 0, "r1 = func(+5) ll"), L(1, 4, -3, 0, "r1 = func(-3) ll"),
      L(1, 5, 0, 0, "r1 = map_idx(0) ll"), L(2, 6, 1, 16, "r2 = map_idx_value(1, 16) ll"),
  };
  return table;
}

// Failing parameterized cases then name their text rather than dumping bytes.
void PrintTo(const Golden& g, std::ostream* os) { *os << '"' << g.text << '"'; }

std::string show(const Program& p) {
  std::string out;
  for (const Insn& in : p) out += ::testing::PrintToString(in) + " ";
  return out;
}

class GoldenTest : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenTest, Disassembles) {
  EXPECT_EQ(disassemble_insn(GetParam().insns, 0), GetParam().text) << show(GetParam().insns);
  EXPECT_EQ(disassemble(GetParam().insns), std::string(GetParam().text) + "\n");
}

TEST_P(GoldenTest, Assembles) {
  const auto program = assemble(GetParam().text);
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  EXPECT_EQ(*program, GetParam().insns) << GetParam().text << " -> " << show(*program);
}

// Extra blanks between every token and around the line change nothing.
TEST_P(GoldenTest, AssemblesWithExtraSpaces) {
  std::string spaced = "\t ";
  for (char c : GetParam().text) spaced += c == ' ' ? std::string("  \t") : std::string(1, c);
  const auto program = assemble(spaced + "  \r");
  ASSERT_TRUE(program.ok()) << spaced << ": " << program.error().to_string();
  EXPECT_EQ(*program, GetParam().insns);
}

INSTANTIATE_TEST_SUITE_P(EveryForm, GoldenTest, ::testing::ValuesIn(golden()));

Program golden_program() {
  Program all;
  for (const Golden& g : golden()) all.insert(all.end(), g.insns.begin(), g.insns.end());
  return all;
}

TEST(Disassemble, NumberedLinesCountSlots) {
  const Program p = {make(0xb7, 0, 0, 0, 1), make(0x18, 1, 0, 0, 7), make(0, 0, 0, 0, 0), make(0x95, 0, 0, 0, 0)};
  EXPECT_EQ(disassemble(p, {.numbered = true}), "   0: r0 = 1\n   1: r1 = 7 ll\n   3: exit\n");
}

TEST(Disassemble, WholeProgramRoundTrips) {
  const Program all = golden_program();
  for (bool numbered : {false, true}) {
    const auto back = assemble(disassemble(all, {.numbered = numbered}));
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, all);
  }
}

TEST(Disassemble, GarbageIsMarkedNotRendered) {
  const Insn lddw = make(0x18, 1, 0, 0, 7);
  EXPECT_EQ(disassemble_insn(Program{lddw}, 0), "<invalid: opcode 0x18>");  // no second slot
  EXPECT_EQ(disassemble(Program{lddw, make(0x07, 1, 0, 0, 1)}), "<invalid: opcode 0x18>\nr1 += 1\n");
  EXPECT_EQ(disassemble_insn(Program{make(0x07, 11, 0, 0, 1)}, 0), "<invalid: opcode 0x07>");  // r11
  EXPECT_EQ(disassemble_insn(Program{make(0x0f, 1, 2, 0, 5)}, 0), "<invalid: opcode 0x0f>");   // imm in an X form
  EXPECT_EQ(disassemble_insn(Program{make(0xff, 0, 0, 0, 0)}, 0), "<invalid: opcode 0xff>");
  EXPECT_EQ(disassemble_insn(Program{make(0x95, 0, 0, 0, 0)}, 5), "<invalid: no instruction 5>");
}

TEST(Assemble, AlternativeSpellings) {
  const struct {
    std::string_view text;
    Program insns;
  } cases[] = {
      {"r0 = 0xffffffff", {make(0xb7, 0, 0, 0, -1)}},
      {"r0 += 0X10", {make(0x07, 0, 0, 0, 16)}},
      {"w0 = 4294967295", {make(0xb4, 0, 0, 0, -1)}},
      {"r0 = -2147483648", {make(0xb7, 0, 0, 0, INT32_MIN)}},
      {"goto +0x10", {make(0x05, 0, 0, 16, 0)}},
      {"r0 = *(u8 *)(r1 - 0x8000)", {make(0x71, 0, 1, -32768, 0)}},
      {"r1 = -1 ll", {make(0x18, 1, 0, 0, -1), make(0, 0, 0, 0, -1)}},
      {"r1 = -9223372036854775808 ll", {make(0x18, 1, 0, 0, 0), make(0, 0, 0, 0, INT32_MIN)}},
      {"r1 = 18446744073709551615 ll", {make(0x18, 1, 0, 0, -1), make(0, 0, 0, 0, -1)}},
      {"r1 = 5 ll", {make(0x18, 1, 0, 0, 5), make(0, 0, 0, 0, 0)}},
      {"r1 = map_fd(0x10) ll", {make(0x18, 1, 1, 0, 16), make(0, 0, 0, 0, 0)}},
      {"r0 = *(u32 *)skb[r3]", {make(0x40, 0, 3, 0, 0)}},
      {"call -1", {make(0x85, 0, 0, 0, -1)}},
      {"r0=r1", {make(0xbf, 0, 1, 0, 0)}},
      {"if r1>r2 goto-1", {make(0x2d, 1, 2, -1, 0)}},
      {"12: r0 = 1", {make(0xb7, 0, 0, 0, 1)}},
      {"  7:\texit ; done", {make(0x95, 0, 0, 0, 0)}},
      {"exit # done", {make(0x95, 0, 0, 0, 0)}},
      {"exit // done", {make(0x95, 0, 0, 0, 0)}},
      {"a: b: exit", {make(0x95, 0, 0, 0, 0)}},
      {"\n  ; only comments\n# and blanks\n\n", {}},
      {"", {}},
  };
  for (const auto& c : cases) {
    const auto program = assemble(c.text);
    ASSERT_TRUE(program.ok()) << c.text << ": " << program.error().to_string();
    EXPECT_EQ(*program, c.insns) << c.text;
  }
}

TEST(Assemble, LabelsResolveToRelativeOffsets) {
  const auto program = assemble(R"(
; sum 10..1
entry:
  r0 = 0
  r1 = 10
loop: r0 += r1          // slot 2
  r1 -= 1
  if r1 != 0 goto loop  # back to slot 2
  r2 = func(helper) ll
  call helper
  gotol out
  goto out
out:
  exit
helper:
  r0 = 1
  exit
)");
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  const Program expected = {
      make(0xb7, 0, 0, 0, 0),  make(0xb7, 1, 0, 0, 10), make(0x0f, 0, 1, 0, 0),  make(0x17, 1, 0, 0, 1),
      make(0x55, 1, 0, -3, 0), make(0x18, 2, 4, 0, 5),  make(0, 0, 0, 0, 0),     make(0x85, 0, 1, 0, 3),
      make(0x06, 0, 0, 0, 1),  make(0x05, 0, 0, 0, 0),  make(0x95, 0, 0, 0, 0),  make(0xb7, 0, 0, 0, 1),
      make(0x95, 0, 0, 0, 0),
  };
  EXPECT_EQ(*program, expected) << show(*program);
  EXPECT_TRUE(validate(*program).ok());
}

// ---------------------------------------------------------------------------------------------- randomized

// Raw encodings biased towards the values that make forms valid: zero fields, small registers, the offsets
// that select sdiv/movsx, the immediates that select swaps and atomics.
class RandomInsns {
 public:
  explicit RandomInsns(unsigned seed) : rng_(seed) {}

  Program next() {
    Insn in = make(static_cast<std::uint8_t>(pick(256)), field(11, 16), field(11, 16), offset(), immediate());
    if (in.is_lddw() && pick(10) != 0) return {in, make(0, 0, 0, 0, immediate())};
    return {in};
  }

 private:
  std::mt19937 rng_;
  std::uint32_t pick(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng_); }
  int field(int likely, int all) { return pick(2) == 0 ? 0 : static_cast<int>(pick(pick(8) == 0 ? all : likely)); }
  int offset() {
    static constexpr int kSpecial[] = {1, 8, 16, 32, -1, 32767, -32768};
    if (pick(2) == 0) return 0;
    if (pick(2) == 0) return kSpecial[pick(std::size(kSpecial))];
    return static_cast<std::int16_t>(pick(65536));
  }
  std::int32_t immediate() {
    static constexpr std::int32_t kSpecial[] = {16,   32,   64,   0x01, 0x40, 0x41,      0x50,
                                                0x51, 0xa0, 0xa1, 0xe1, 0xf1, INT32_MIN, INT32_MAX};
    if (pick(2) == 0) return 0;
    if (pick(2) == 0) return kSpecial[pick(std::size(kSpecial))];
    return static_cast<std::int32_t>(pick(0xffffffffu) + pick(2));
  }
};

bool is_invalid_text(const std::string& text) { return text.starts_with("<invalid"); }

// Every encoding the disassembler renders reassembles to itself; everything else is marked invalid.
TEST(RoundTrip, RandomEncodings) {
  RandomInsns gen(12345);
  std::set<std::uint8_t> rendered;
  int valid = 0;
  for (int i = 0; i < 60000; ++i) {
    const Program p = gen.next();
    const std::string text = disassemble_insn(p, 0);
    if (is_invalid_text(text)) continue;
    ++valid;
    rendered.insert(p[0].opcode);
    const auto back = assemble(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.error().to_string();
    ASSERT_EQ(*back, p) << text;
  }
  EXPECT_GT(valid, 5000);
  for (const Golden& g : golden()) EXPECT_TRUE(rendered.count(g.insns[0].opcode)) << g.text;
}

// The disassembler renders exactly what validate() accepts, apart from checks that need the whole program
// (jump targets) or semantics (writes to r10), which text can still express.
TEST(RoundTrip, RendersExactlyWhatValidateAccepts) {
  RandomInsns gen(777);
  for (int i = 0; i < 60000; ++i) {
    Program p = gen.next();
    const bool rendered = !is_invalid_text(disassemble_insn(p, 0));
    p.push_back(make(0x95, 0, 0, 0, 0));
    const auto valid = validate(p);
    if (valid.ok()) {
      ASSERT_TRUE(rendered) << show(p);
      continue;
    }
    const std::string& why = valid.error().message;
    const bool whole_program = why.find("jump") != std::string::npos || why.find("frame pointer") != std::string::npos;
    if (!whole_program) {
      ASSERT_FALSE(rendered) << show(p) << " is rejected: " << why;
    }
  }
}

TEST(RoundTrip, RandomProgramsThroughNumberedText) {
  RandomInsns gen(4242);
  Program program;
  while (program.size() < 4000) {
    const Program p = gen.next();
    if (!is_invalid_text(disassemble_insn(p, 0))) program.insert(program.end(), p.begin(), p.end());
  }
  for (bool numbered : {false, true}) {
    const auto back = assemble(disassemble(program, {.numbered = numbered}));
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, program);
  }
}

// ---------------------------------------------------------------------------------------------- errors

struct BadInput {
  std::string text;
  std::size_t line;
  std::size_t column;
  std::string message;
};

void PrintTo(const BadInput& b, std::ostream* os) { *os << '"' << b.text.substr(0, 60) << '"'; }

class ErrorTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(ErrorTest, NamesLineColumnAndCause) {
  const auto result = assemble(GetParam().text);
  ASSERT_FALSE(result.ok()) << GetParam().text;
  const Error& e = result.error();
  EXPECT_EQ(e.code, Errc::parse_error);
  EXPECT_EQ(e.message, GetParam().message);
  EXPECT_EQ(e.line, GetParam().line) << e.to_string();
  EXPECT_EQ(e.column, GetParam().column) << e.to_string();
}

std::string far_jump() {
  std::string text = "goto far\n";
  for (int i = 0; i < 40000; ++i) text += "r0 = 0\n";
  return text + "far: exit\n";
}

INSTANTIATE_TEST_SUITE_P(
    BadText, ErrorTest,
    ::testing::Values(
        BadInput{"foo r0", 1, 1, "unknown mnemonic 'foo'"},
        BadInput{"exit\n  mov r0, 1", 2, 3, "unknown mnemonic 'mov'"},
        BadInput{"r0 = r11", 1, 6, "expected register, got 'r11'"},
        BadInput{"r11 = 1", 1, 1, "expected register, got 'r11'"},
        BadInput{"r0 = *(u8 *)(r01 + 0)", 1, 14, "expected register, got 'r01'"},
        BadInput{"w0 += r1", 1, 7, "expected register w0..w10, got 'r1'"},
        BadInput{"w1 = 5 ll", 1, 1, "expected register r0..r10, got 'w1'"},
        BadInput{"r0 += 4294967296", 1, 7, "immediate 4294967296 does not fit in 32 bits"},
        BadInput{"r0 += -2147483649", 1, 7, "immediate -2147483649 does not fit in 32 bits"},
        BadInput{"r0 = 0x100000000", 1, 6, "immediate 0x100000000 does not fit in 32 bits"},
        BadInput{"r1 = 18446744073709551616 ll", 1, 6, "immediate 18446744073709551616 does not fit in 64 bits"},
        BadInput{"r1 = -9223372036854775809 ll", 1, 6, "immediate -9223372036854775809 does not fit in 64 bits"},
        BadInput{"r0 = *(u8 *)(r1 + 32768)", 1, 17, "offset +32768 does not fit in 16 bits"},
        BadInput{"goto +32768", 1, 6, "jump offset +32768 does not fit in 16 bits"},
        BadInput{"goto 3", 1, 6, "expected '+' or '-', got '3'"},
        BadInput{"goto out", 1, 6, "undefined label 'out'"},
        BadInput{"x:\nexit\n  x: exit", 3, 3, "duplicate label 'x'"},
        BadInput{"exit\ngoto end\nend:", 2, 6, "label 'end' points past the end of the program"},
        BadInput{far_jump(), 1, 6, "jump offset out of range"},
        BadInput{"r0 = *(u32 *)(r1 +", 1, 19, "expected number, got end of line"},
        BadInput{"if r1 > 5   ", 1, 10, "expected 'goto', got end of line"},
        BadInput{"r0 =", 1, 5, "expected number, got end of line"},
        BadInput{"exit r0", 1, 6, "expected end of line, got 'r0'"},
        BadInput{"r0 = 1\n\x01\xff", 2, 1, "unexpected character byte 0x01"},
        BadInput{"r0 @ 1", 1, 4, "unexpected character '@'"},
        BadInput{"r0 = 12ab", 1, 6, "malformed number '12ab'"},
        BadInput{"r0 = -r1", 1, 7, "expected 'r0', got 'r1'"},
        BadInput{"r2 = xchg_64(r1 + 0, r3)", 1, 22, "expected 'r2', got 'r3'"},
        BadInput{"r1 = cmpxchg_64(r1 + 0, r1, r2)", 1, 1, "expected 'r0', got 'r1'"},
        BadInput{"r0 = *(s64 *)(r1 + 0)", 1, 8, "expected s8, s16 or s32, got 's64'"},
        BadInput{"*(s8 *)(r1 + 0) = 1", 1, 3, "expected u8, u16, u32 or u64, got 's8'"},
        BadInput{"lock *(u8 *)(r1 + 0) += r2", 1, 8, "expected u32 or u64, got 'u8'"},
        BadInput{"w0 = (s32)w1", 1, 7, "expected s8 or s16, got 's32'"},
        BadInput{"r0 = be24 r0", 1, 6, "expected a width of 16, 32 or 64, got 'be24'"},
        BadInput{"r3 = *(u32 *)skb[4]", 1, 1, "expected 'r0', got 'r3'"},
        BadInput{"r0 = atomic_fetch_nand((u64 *)(r1 + 0), r0)", 1, 6,
                 "unknown atomic operation 'atomic_fetch_nand'"},
        BadInput{"r0 = map_fd(1, 2, 3) ll", 1, 17, "expected ')', got ','"}));

}  // namespace
}  // namespace ubee
