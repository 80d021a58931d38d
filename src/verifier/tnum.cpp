// The tnum operations of kernel/bpf/tnum.c. The algorithms are the kernel's (the add/sub carry tricks and the
// shift-and-add multiply are proven sound in "Sound, Precise, and Fast Abstract Interpretation with Tristate
// Numbers", Vishwanathan et al.); matching them keeps ubee's precision identical to the kernel's.
#include "verifier/tnum.hpp"

#include <bit>

namespace ubee::verifier {

Tnum tnum_range(std::uint64_t min, std::uint64_t max) {
  const int bits = std::bit_width(min ^ max);  // the kernel's fls64(chi)
  if (bits > 63) return kTnumUnknown;         // 1 << 64 is undefined
  const std::uint64_t delta = (std::uint64_t{1} << bits) - 1;
  return {min & ~delta, delta};
}

Tnum tnum_lshift(Tnum a, unsigned shift) { return {a.value << shift, a.mask << shift}; }
Tnum tnum_rshift(Tnum a, unsigned shift) { return {a.value >> shift, a.mask >> shift}; }

// Shifting value and mask arithmetically keeps a known sign bit known and spreads an unknown one (tnum_arshift).
Tnum tnum_arshift(Tnum a, unsigned shift, unsigned bits) {
  if (bits == 32) {
    return {static_cast<std::uint32_t>(static_cast<std::int32_t>(a.value) >> shift),
            static_cast<std::uint32_t>(static_cast<std::int32_t>(a.mask) >> shift)};
  }
  return {static_cast<std::uint64_t>(static_cast<std::int64_t>(a.value) >> shift),
          static_cast<std::uint64_t>(static_cast<std::int64_t>(a.mask) >> shift)};
}

// A result bit is unknown when an operand bit is, or when the carry into it differs between the smallest and
// the largest sums (tnum_add).
Tnum tnum_add(Tnum a, Tnum b) {
  const std::uint64_t sm = a.mask + b.mask;
  const std::uint64_t sv = a.value + b.value;
  const std::uint64_t chi = (sm + sv) ^ sv;
  const std::uint64_t mu = chi | a.mask | b.mask;
  return {sv & ~mu, mu};
}

// Same idea with borrows (tnum_sub).
Tnum tnum_sub(Tnum a, Tnum b) {
  const std::uint64_t dv = a.value - b.value;
  const std::uint64_t chi = (dv + a.mask) ^ (dv - b.mask);
  const std::uint64_t mu = chi | a.mask | b.mask;
  return {dv & ~mu, mu};
}

Tnum tnum_neg(Tnum a) { return tnum_sub(tnum_const(0), a); }

Tnum tnum_and(Tnum a, Tnum b) {
  const std::uint64_t alpha = a.value | a.mask;
  const std::uint64_t beta = b.value | b.mask;
  const std::uint64_t v = a.value & b.value;
  return {v, alpha & beta & ~v};
}

Tnum tnum_or(Tnum a, Tnum b) {
  const std::uint64_t v = a.value | b.value;
  const std::uint64_t mu = a.mask | b.mask;
  return {v, mu & ~v};
}

Tnum tnum_xor(Tnum a, Tnum b) {
  const std::uint64_t v = a.value ^ b.value;
  const std::uint64_t mu = a.mask | b.mask;
  return {v & ~mu, mu};
}

namespace {
// The kernel's hma(): acc += (unknown * mask * value), one partial product per set bit of `mask`.
Tnum half_multiply_add(Tnum acc, std::uint64_t value, std::uint64_t mask) {
  for (; mask != 0; mask >>= 1, value <<= 1)
    if (mask & 1) acc = tnum_add(acc, Tnum{0, value});
  return acc;
}
}  // namespace

// Known product of the known parts, plus every partial product an unknown bit may contribute (tnum_mul).
Tnum tnum_mul(Tnum a, Tnum b) {
  const Tnum acc = half_multiply_add(tnum_const(a.value * b.value), a.mask, b.mask | b.value);
  return half_multiply_add(acc, b.mask, a.value);
}

Tnum tnum_intersect(Tnum a, Tnum b) {
  const std::uint64_t v = a.value | b.value;
  const std::uint64_t mu = a.mask & b.mask;
  return {v & ~mu, mu};
}

Tnum tnum_cast(Tnum a, unsigned size) {
  if (size >= 8) return a;  // the kernel is only called with size < 8; 1 << 64 would be undefined here
  const std::uint64_t keep = (std::uint64_t{1} << (size * 8)) - 1;
  return {a.value & keep, a.mask & keep};
}

bool tnum_in(Tnum a, Tnum b) {
  if (b.mask & ~a.mask) return false;
  return a.value == (b.value & ~a.mask);
}

bool tnum_is_aligned(Tnum a, std::uint64_t size) {
  if (size == 0) return true;
  return ((a.value | a.mask) & (size - 1)) == 0;
}

Tnum tnum_subreg(Tnum a) { return tnum_cast(a, 4); }
Tnum tnum_clear_subreg(Tnum a) { return tnum_lshift(tnum_rshift(a, 32), 32); }
Tnum tnum_with_subreg(Tnum reg, Tnum subreg) { return tnum_or(tnum_clear_subreg(reg), tnum_subreg(subreg)); }
Tnum tnum_const_subreg(Tnum a, std::uint32_t value) { return tnum_with_subreg(a, tnum_const(value)); }
bool tnum_subreg_is_const(Tnum a) { return tnum_is_const(tnum_subreg(a)); }

}  // namespace ubee::verifier
