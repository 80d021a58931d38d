// The tnum operations against the kernel's definitions (kernel/bpf/tnum.c) and against concrete arithmetic.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "verifier/tnum.hpp"

namespace ubee::test {
namespace {

using verifier::Tnum;
using namespace verifier;  // NOLINT: the tnum_* names are the API under test

TEST(VerifierTnum, RangeKeepsTheCommonPrefix) {
  EXPECT_EQ(tnum_range(0, 0xff), (Tnum{0, 0xff}));
  EXPECT_EQ(tnum_range(4, 7), (Tnum{4, 3}));
  EXPECT_EQ(tnum_range(5, 5), tnum_const(5));
  EXPECT_EQ(tnum_range(0x10, 0x1f), (Tnum{0x10, 0xf}));
  EXPECT_TRUE(tnum_is_unknown(tnum_range(0, ~0ULL)));
  EXPECT_TRUE(tnum_is_unknown(tnum_range(1, 1ULL << 63)));
}

TEST(VerifierTnum, ArithmeticOfConstantsIsConstant) {
  EXPECT_EQ(tnum_add(tnum_const(3), tnum_const(4)), tnum_const(7));
  EXPECT_EQ(tnum_sub(tnum_const(3), tnum_const(4)), tnum_const(~0ULL));
  EXPECT_EQ(tnum_mul(tnum_const(6), tnum_const(7)), tnum_const(42));
  EXPECT_EQ(tnum_neg(tnum_const(1)), tnum_const(~0ULL));
  EXPECT_EQ(tnum_arshift(tnum_const(0x80000000), 4, 32), tnum_const(0xf8000000));
  EXPECT_EQ(tnum_arshift(tnum_const(1ULL << 63), 63, 64), tnum_const(~0ULL));
}

TEST(VerifierTnum, BitwiseOperations) {
  const Tnum low_byte{0, 0xff};
  EXPECT_EQ(tnum_and(kTnumUnknown, tnum_const(0xff)), low_byte);
  EXPECT_EQ(tnum_or(low_byte, tnum_const(0x100)), (Tnum{0x100, 0xff}));
  EXPECT_EQ(tnum_xor(tnum_const(0xf0), tnum_const(0xff)), tnum_const(0x0f));
  EXPECT_EQ(tnum_lshift(low_byte, 2), (Tnum{0, 0x3fc}));
  EXPECT_EQ(tnum_rshift(low_byte, 4), (Tnum{0, 0xf}));
  EXPECT_EQ(tnum_add(low_byte, tnum_const(1)), (Tnum{0, 0x1ff}));  // a carry may reach bit 8
}

TEST(VerifierTnum, SubregisterHelpers) {
  const Tnum t{0x1234'0000'0000'0001ULL, 0xf0};
  EXPECT_EQ(tnum_subreg(t), (Tnum{1, 0xf0}));
  EXPECT_EQ(tnum_clear_subreg(t), (Tnum{0x1234'0000'0000'0000ULL, 0}));
  EXPECT_EQ(tnum_const_subreg(t, 7), tnum_const(0x1234'0000'0000'0007ULL));
  EXPECT_EQ(tnum_with_subreg(kTnumUnknown, tnum_const(0)), (Tnum{0, 0xffff'ffff'0000'0000ULL}));
  EXPECT_FALSE(tnum_subreg_is_const(t));
  EXPECT_TRUE(tnum_subreg_is_const(tnum_clear_subreg(kTnumUnknown)));
  EXPECT_EQ(tnum_cast(tnum_const(0x1ff), 1), tnum_const(0xff));
}

TEST(VerifierTnum, MembershipAndAlignment) {
  EXPECT_TRUE(tnum_in(Tnum{0, 0xff}, tnum_const(0x42)));
  EXPECT_TRUE(tnum_in(Tnum{0, 0xff}, Tnum{0x40, 0xf}));
  EXPECT_FALSE(tnum_in(Tnum{0, 0xff}, tnum_const(0x100)));
  EXPECT_FALSE(tnum_in(tnum_const(1), Tnum{0, 1}));
  EXPECT_TRUE(tnum_is_aligned(Tnum{8, 0xf0}, 8));
  EXPECT_FALSE(tnum_is_aligned(Tnum{8, 0xf4}, 8));
  EXPECT_TRUE(tnum_is_aligned(Tnum{1, 0}, 0));
  EXPECT_EQ(tnum_intersect(Tnum{0, 0xff}, Tnum{0x10, 0x0f}), (Tnum{0x10, 0x0f}));
}

// Every binary tnum operation over-approximates the concrete one: members in, members out.
TEST(VerifierTnum, OperationsAreSound) {
  std::mt19937_64 rng(7);
  auto random_tnum = [&] {
    const std::uint64_t mask = rng() & rng() & (rng() >> (rng() % 64));
    return Tnum{rng() & ~mask, mask};
  };
  auto member = [&](Tnum t) { return t.value | (rng() & t.mask); };
  int checks = 0;
  for (int i = 0; i < 20000; ++i) {
    const Tnum a = random_tnum(), b = random_tnum();
    const unsigned shift = static_cast<unsigned>(rng() % 64);
    for (int j = 0; j < 4; ++j, ++checks) {
      const std::uint64_t x = member(a), y = member(b);
      ASSERT_TRUE(tnum_contains(tnum_add(a, b), x + y));
      ASSERT_TRUE(tnum_contains(tnum_sub(a, b), x - y));
      ASSERT_TRUE(tnum_contains(tnum_mul(a, b), x * y));
      ASSERT_TRUE(tnum_contains(tnum_and(a, b), x & y));
      ASSERT_TRUE(tnum_contains(tnum_or(a, b), x | y));
      ASSERT_TRUE(tnum_contains(tnum_xor(a, b), x ^ y));
      ASSERT_TRUE(tnum_contains(tnum_neg(a), 0 - x));
      ASSERT_TRUE(tnum_contains(tnum_lshift(a, shift), x << shift));
      ASSERT_TRUE(tnum_contains(tnum_rshift(a, shift), x >> shift));
      ASSERT_TRUE(tnum_contains(tnum_arshift(a, shift, 64), static_cast<std::uint64_t>(static_cast<std::int64_t>(x) >> shift)));
      const auto x32 = static_cast<std::uint32_t>(x);
      ASSERT_TRUE(tnum_contains(tnum_arshift(tnum_subreg(a), shift % 32, 32),
                                static_cast<std::uint32_t>(static_cast<std::int32_t>(x32) >> (shift % 32))));
      ASSERT_TRUE(tnum_contains(tnum_range(std::min(x, y), std::max(x, y)), x));
      ASSERT_TRUE(tnum_contains(tnum_intersect(a, tnum_range(x, x + (y & 0xff))), x));
    }
  }
  EXPECT_EQ(checks, 80000);
}

}  // namespace
}  // namespace ubee::test
