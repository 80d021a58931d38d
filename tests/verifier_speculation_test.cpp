// VerifierStats::speculation_limits: for each `ptr += scalar` / `ptr -= scalar` with a scalar the verifier could
// not pin down, the bound v < limit that keeps the pointer inside its object, which engines enforce by clamping
// v to 0 outside [0, limit) (Spectre v1). Instructions without pointer arithmetic on unknown scalars get 0.
#include <algorithm>

#include "verifier_cases.hpp"

namespace ubee::test {
namespace {

std::vector<std::uint32_t> limits_of(const char* text) {
  const auto result = verify_text(text);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  if (!result.ok()) return {};
  return result->speculation_limits;
}

// Only instruction `pc` has a limit, and it is `limit`.
void expect_only(const std::vector<std::uint32_t>& limits, std::size_t pc, std::uint32_t limit) {
  ASSERT_GT(limits.size(), pc);
  EXPECT_EQ(limits[pc], limit);
  EXPECT_EQ(std::count_if(limits.begin(), limits.end(), [](std::uint32_t l) { return l != 0; }), limit != 0 ? 1 : 0);
}

TEST(VerifierSpeculation, MapValuePlusBoundedIndex) {
  // insn 10: r0 += r1 with r1 in [0, 31] on a 48-byte value: any v < 48 stays inside.
  expect_only(limits_of(LOOKUP1 "if r0 == 0 goto +5\n r1 = *(u32 *)(r0 + 0)\n r1 &= 31\n r0 += r1\n"
                                " r0 = *(u8 *)(r0 + 0)\n r0 = 0\n exit"),
              9, 48);
}

TEST(VerifierSpeculation, MapValueOffsetShrinksTheLimit) {
  expect_only(limits_of(LOOKUP1 "if r0 == 0 goto +6\n r1 = *(u32 *)(r0 + 0)\n r1 &= 15\n r0 += 8\n r0 += r1\n"
                                " r0 = *(u8 *)(r0 + 0)\n r0 = 0\n exit"),
              10, 40);
}

TEST(VerifierSpeculation, StackPointer) {
  // fp-16 plus v in {0, 8}: v < 16 keeps it below the frame pointer.
  expect_only(limits_of("r2 = *(u32 *)(r1 + 12)\n r2 &= 8\n r3 = r10\n r3 += -16\n r3 += r2\n"
                        " *(u64 *)(r3 + 0) = 0\n r0 = 0\n exit"),
              4, 16);
}

TEST(VerifierSpeculation, SubtractionCountsFromTheStart) {
  // value + 40 minus v in [0, 31]: v < 41 keeps it at or after the value's start. (As in the kernel, such a
  // pointer cannot be dereferenced: its unsigned bounds are lost.)
  expect_only(limits_of(LOOKUP1 "if r0 == 0 goto +5\n r1 = *(u32 *)(r0 + 0)\n r1 &= 31\n r0 += 40\n r0 -= r1\n"
                                " r0 = 0\n exit"),
              10, 41);
}

TEST(VerifierSpeculation, ConstantsAndMaybeNegativeScalarsAreNotMasked) {
  expect_only(limits_of("r3 = r10\n r2 = 8\n r3 += -16\n r3 += r2\n *(u64 *)(r3 + 0) = 0\n r0 = 0\n exit"), 3, 0);
  // A scalar that may be negative would be clamped on a correct path: left unmasked.
  expect_only(limits_of(LOOKUP1 "if r0 == 0 goto +6\n r1 = *(u8 *)(r0 + 0)\n r1 = (s8)r1\n r1 s>>= 3\n"
                                " r0 += 24\n r0 += r1\n r0 = 0\n exit"),
              11, 0);
}

}  // namespace
}  // namespace ubee::test
