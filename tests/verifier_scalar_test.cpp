// Hand-worked cases for the scalar domain, following the kernel's selftests (tools/testing/selftests/bpf:
// verifier_bounds, verifier_subreg, verifier_movsx, verifier_and): the bounds the kernel reports after each step.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstdint>

#include "verifier/scalar.hpp"

namespace ubee::test {
namespace {

using verifier::AluOp;
using verifier::BranchTaken;
using verifier::Scalar;
using verifier::Tnum;

Scalar alu(std::uint8_t op, Scalar dst, const Scalar& src, bool alu64 = true, std::int16_t off = 0) {
  return verifier::scalar_alu(AluOp{op, alu64, off, 0, BPF_X}, dst, src);
}
Scalar alu_k(std::uint8_t op, Scalar dst, std::int32_t imm, bool alu64 = true) {
  return verifier::scalar_alu(AluOp{op, alu64, 0, imm, BPF_K}, dst, verifier::imm_operand(imm));
}
void expect_u64(const Scalar& s, std::uint64_t umin, std::uint64_t umax) {
  EXPECT_EQ(s.umin, umin);
  EXPECT_EQ(s.umax, umax);
}

TEST(VerifierScalar, AndWithByteMaskBoundsToAByte) {
  const Scalar r1 = alu_k(BPF_AND, Scalar::unknown(), 0xff);  // r1 &= 0xff
  expect_u64(r1, 0, 0xff);
  EXPECT_EQ(r1.smin, 0);
  EXPECT_EQ(r1.smax, 0xff);
  EXPECT_EQ(r1.u32_max, 0xffu);
  EXPECT_EQ(r1.var_off, (Tnum{0, 0xff}));
  const Scalar shifted = alu_k(BPF_LSH, r1, 2);  // r1 <<= 2
  expect_u64(shifted, 0, 0x3fc);
  EXPECT_EQ(shifted.var_off, (Tnum{0, 0x3fc}));
  const Scalar back = alu_k(BPF_RSH, shifted, 2);
  expect_u64(back, 0, 0xff);
}

TEST(VerifierScalar, ConstantsFoldExactly) {
  const Scalar r1 = alu_k(BPF_ADD, Scalar::constant(5), 3);
  EXPECT_TRUE(r1.is_const());
  EXPECT_EQ(r1, Scalar::constant(8));
  EXPECT_EQ(alu_k(BPF_MOV, Scalar::unknown(), -1, false), Scalar::constant(0xffffffff));  // w1 = -1
  EXPECT_EQ(alu_k(BPF_MOV, Scalar::unknown(), -1), Scalar::constant(~0ULL));            // r1 = -1
  EXPECT_EQ(alu(BPF_NEG, Scalar::constant(1), Scalar::unknown()), Scalar::constant(~0ULL));
  EXPECT_EQ(alu(BPF_NEG, Scalar::constant(1), Scalar::unknown(), false), Scalar::constant(0xffffffff));
  EXPECT_EQ(alu_k(BPF_MUL, Scalar::constant(6), 7), Scalar::constant(42));
}

TEST(VerifierScalar, UntrackedOperationsGiveUnknown) {
  EXPECT_EQ(alu_k(BPF_DIV, Scalar::constant(10), 2), Scalar::unknown());
  EXPECT_EQ(alu_k(BPF_MOD, Scalar::range(0, 10), 3, false), Scalar::unknown());
  EXPECT_EQ(alu(BPF_LSH, Scalar::constant(1), Scalar::range(0, 3)), Scalar::unknown());  // variable shift
  EXPECT_EQ(verifier::scalar_alu(AluOp{BPF_END, false, 0, 16, BPF_TO_BE}, Scalar::constant(1), {}),
            Scalar::unknown());
}

TEST(VerifierScalar, JgtRefinesBothSides) {
  // if r1 > 10 goto: the jump side has umin 11, the fall-through side is [0, 10] everywhere.
  const auto r = verifier::refine_branch(Scalar::unknown(), verifier::imm_operand(10), BPF_JGT, false);
  EXPECT_EQ(r.taken, BranchTaken::unknown);
  ASSERT_TRUE(r.jump && r.fall);
  expect_u64(r.jump->dst, 11, ~0ULL);
  expect_u64(r.fall->dst, 0, 10);
  EXPECT_EQ(r.fall->dst.smin, 0);
  EXPECT_EQ(r.fall->dst.smax, 10);
  EXPECT_EQ(r.fall->dst.u32_max, 10u);
  EXPECT_EQ(r.fall->dst.var_off, (Tnum{0, 0xf}));
}

TEST(VerifierScalar, SignedComparisonBoundsBothEnds) {
  // if r1 s> 100 goto exit; if r1 s< -100 goto exit: r1 in [-100, 100].
  auto r = verifier::refine_branch(Scalar::unknown(), verifier::imm_operand(100), BPF_JSGT, false);
  r = verifier::refine_branch(r.fall->dst, verifier::imm_operand(-100), BPF_JSLT, false);
  EXPECT_EQ(r.fall->dst.smin, -100);
  EXPECT_EQ(r.fall->dst.smax, 100);
  EXPECT_EQ(r.fall->dst.s32_min, -100);
  EXPECT_EQ(r.fall->dst.s32_max, 100);
}

TEST(VerifierScalar, DecidedBranches) {
  const Scalar byte = Scalar::range(0, 10);
  EXPECT_EQ(verifier::is_branch_taken(byte, verifier::imm_operand(10), BPF_JGT, false), BranchTaken::never);
  EXPECT_EQ(verifier::is_branch_taken(byte, verifier::imm_operand(10), BPF_JLE, false), BranchTaken::always);
  EXPECT_EQ(verifier::is_branch_taken(byte, verifier::imm_operand(11), BPF_JEQ, false), BranchTaken::never);
  EXPECT_EQ(verifier::is_branch_taken(byte, verifier::imm_operand(0x10), BPF_JSET, false), BranchTaken::never);
  EXPECT_EQ(verifier::is_branch_taken(Scalar::constant(3), verifier::imm_operand(2), BPF_JSET, true),
            BranchTaken::always);
  EXPECT_EQ(verifier::is_branch_taken(byte, verifier::imm_operand(5), BPF_JGT, false), BranchTaken::unknown);
  const auto r = verifier::refine_branch(byte, verifier::imm_operand(10), BPF_JGT, false);
  EXPECT_FALSE(r.jump.has_value());
  ASSERT_TRUE(r.fall.has_value());
  EXPECT_EQ(r.fall->dst, byte);
}

TEST(VerifierScalar, JneAtTheEdgeMovesIt) {
  const auto r = verifier::refine_branch(Scalar::range(0, 10), verifier::imm_operand(0), BPF_JNE, false);
  expect_u64(r.jump->dst, 1, 10);
  EXPECT_EQ(r.fall->dst, Scalar::constant(0));
}

TEST(VerifierScalar, JeqBetweenRegistersIntersects) {
  const auto r = verifier::refine_branch(Scalar::range(0, 100), Scalar::range(50, 200), BPF_JEQ, false);
  expect_u64(r.jump->dst, 50, 100);
  expect_u64(r.jump->src, 50, 100);
}

TEST(VerifierScalar, JsetFalseSideClearsBits) {
  const auto r = verifier::refine_branch(Scalar::range(0, 0xff), verifier::imm_operand(0x80), BPF_JSET, false);
  EXPECT_EQ(r.fall->dst.umax, 0x7fu);
  EXPECT_EQ(r.jump->dst.umin, 0x80u);  // a single-bit mask: that bit is set
}

TEST(VerifierScalar, Jmp32RefinesTheSubregister) {
  // if w1 < 5 goto: the subregister is [0, 4]; the upper half is still unknown, so the 64-bit maximum only
  // gets the low half's maximum (__reg_deduce_mixed_bounds).
  const auto r = verifier::refine_branch(Scalar::unknown(), verifier::imm_operand(5), BPF_JLT, true);
  EXPECT_EQ(r.jump->dst.u32_max, 4u);
  EXPECT_EQ(r.jump->dst.umax, 0xffffffff00000004ULL);
  EXPECT_EQ(r.jump->dst.var_off, (Tnum{0, 0xffffffff00000007ULL}));
}

TEST(VerifierScalar, SubregisterAddZeroExtends) {
  // w1 += 1 on [0, 10]: [1, 11] in both widths.
  const Scalar r1 = alu_k(BPF_ADD, Scalar::range(0, 10), 1, false);
  expect_u64(r1, 1, 11);
  EXPECT_EQ(r1.u32_min, 1u);
  EXPECT_EQ(r1.u32_max, 11u);
  // w1 += 1 on a full subregister may wrap: [0, U32_MAX], still zero-extended.
  const Scalar wrapped = alu_k(BPF_ADD, Scalar::unknown(), 1, false);
  expect_u64(wrapped, 0, 0xffffffff);
  EXPECT_EQ(wrapped.var_off, (Tnum{0, 0xffffffff}));
  EXPECT_EQ(wrapped.smin, 0);
}

TEST(VerifierScalar, SignExtendingMoves) {
  EXPECT_EQ(alu(BPF_MOV, {}, Scalar::range(0x80, 0xff), true, 8).smin, -128);    // r1 = (s8)r2
  EXPECT_EQ(alu(BPF_MOV, {}, Scalar::range(0x80, 0xff), true, 8).smax, -1);
  EXPECT_EQ(alu(BPF_MOV, {}, Scalar::range(0, 0x7f), true, 8).umax, 0x7fu);
  const Scalar crossing = alu(BPF_MOV, {}, Scalar::range(0x70, 0x90), true, 8);  // crosses 0x80: full s8 range
  EXPECT_EQ(crossing.smin, -128);
  EXPECT_EQ(crossing.smax, 127);
  EXPECT_EQ(alu(BPF_MOV, {}, Scalar::constant(0xffff), true, 16), Scalar::constant(~0ULL));
  EXPECT_EQ(alu(BPF_MOV, {}, Scalar::constant(0xffff), false, 16), Scalar::constant(0xffffffff));  // w1 = (s16)w2
  // The compiler's subregister sign extension: r1 <<= 32; r1 s>>= 32 gives the s32 range.
  const Scalar r1 = alu_k(BPF_ARSH, alu_k(BPF_LSH, Scalar::unknown(), 32), 32);
  EXPECT_EQ(r1.smin, INT32_MIN);
  EXPECT_EQ(r1.smax, INT32_MAX);
}

TEST(VerifierScalar, MixedBoundsFromSubregister) {
  // The kernel's own example (__reg_deduce_mixed_bounds): [0x1'00000000, 0x3'80000000] with s32 in [1, S32_MAX].
  Scalar r1 = Scalar::range(0x100000000ULL, 0x380000000ULL);
  const auto r = verifier::refine_branch(r1, verifier::imm_operand(0), BPF_JSGT, true);
  expect_u64(r.jump->dst, 0x100000001ULL, 0x37fffffffULL);
}

TEST(VerifierScalar, MembershipAndConsistency) {
  const Scalar s = Scalar::range(10, 20);
  EXPECT_TRUE(s.contains(10));
  EXPECT_TRUE(s.contains(20));
  EXPECT_FALSE(s.contains(21));
  EXPECT_TRUE(s.consistent());
  Scalar broken = s;
  broken.umin = 30;
  EXPECT_FALSE(broken.consistent());
  verifier::sanitize_bounds(broken);
  EXPECT_TRUE(broken.consistent());
}

}  // namespace
}  // namespace ubee::test
