// Tracked numbers ("tnums"): what the verifier knows about each bit of a 64-bit value. A bit is known 0, known 1,
// or unknown (its `mask` bit set; then its `value` bit is 0). Every operation over-approximates: the result tnum
// contains every value the concrete operation can produce from members of its operands. This mirrors the Linux
// kernel's kernel/bpf/tnum.c function for function, so that ubee accepts and rejects what the kernel does.
#pragma once

#include <cstdint>

namespace ubee::verifier {

struct Tnum {
  std::uint64_t value = 0;
  std::uint64_t mask = 0;
  friend constexpr bool operator==(const Tnum&, const Tnum&) = default;
};

inline constexpr Tnum kTnumUnknown{0, ~std::uint64_t{0}};

[[nodiscard]] constexpr Tnum tnum_const(std::uint64_t value) { return {value, 0}; }
// The smallest tnum holding every value of [min, max] (tnum_range): the common prefix is known.
[[nodiscard]] Tnum tnum_range(std::uint64_t min, std::uint64_t max);

[[nodiscard]] Tnum tnum_lshift(Tnum a, unsigned shift);
[[nodiscard]] Tnum tnum_rshift(Tnum a, unsigned shift);
// Arithmetic shift in a 32- or 64-bit register (the kernel's tnum_arshift with insn_bitness).
[[nodiscard]] Tnum tnum_arshift(Tnum a, unsigned shift, unsigned bits);
[[nodiscard]] Tnum tnum_add(Tnum a, Tnum b);
[[nodiscard]] Tnum tnum_sub(Tnum a, Tnum b);
[[nodiscard]] Tnum tnum_neg(Tnum a);
[[nodiscard]] Tnum tnum_and(Tnum a, Tnum b);
[[nodiscard]] Tnum tnum_or(Tnum a, Tnum b);
[[nodiscard]] Tnum tnum_xor(Tnum a, Tnum b);
[[nodiscard]] Tnum tnum_mul(Tnum a, Tnum b);
// Values that are members of both (when they disagree on a known bit the result is meaningless, as in the kernel:
// the caller only intersects descriptions of the same value).
[[nodiscard]] Tnum tnum_intersect(Tnum a, Tnum b);
// Keeps the low `size` bytes (tnum_cast).
[[nodiscard]] Tnum tnum_cast(Tnum a, unsigned size);

[[nodiscard]] constexpr bool tnum_is_const(Tnum a) { return a.mask == 0; }
[[nodiscard]] constexpr bool tnum_equals_const(Tnum a, std::uint64_t b) { return a.mask == 0 && a.value == b; }
[[nodiscard]] constexpr bool tnum_is_unknown(Tnum a) { return ~a.mask == 0; }
// Whether every member of `b` is a member of `a` (tnum_in).
[[nodiscard]] bool tnum_in(Tnum a, Tnum b);
[[nodiscard]] constexpr bool tnum_contains(Tnum a, std::uint64_t v) { return (v & ~a.mask) == a.value; }
// Whether every member is a multiple of `size` (tnum_is_aligned; size 0 means no constraint).
[[nodiscard]] bool tnum_is_aligned(Tnum a, std::uint64_t size);

// The 32-bit subregister (low half) and the rest, as the kernel's tnum_subreg family.
[[nodiscard]] Tnum tnum_subreg(Tnum a);
[[nodiscard]] Tnum tnum_clear_subreg(Tnum a);
[[nodiscard]] Tnum tnum_with_subreg(Tnum reg, Tnum subreg);
[[nodiscard]] Tnum tnum_const_subreg(Tnum a, std::uint32_t value);
[[nodiscard]] bool tnum_subreg_is_const(Tnum a);

}  // namespace ubee::verifier
