// Scalar construction, membership and the kernel's bound synchronisation (kernel/bpf/verifier.c:
// __update_reg_bounds, __reg32_deduce_bounds, __reg64_deduce_bounds, __reg_deduce_mixed_bounds,
// __reg_bound_offset, reg_bounds_sync, reg_bounds_sanity_check). Each of the five descriptions of a register
// (tnum, u64, s64, u32, s32 ranges) is an over-approximation; these functions tighten each from the others.
#include "verifier/scalar.hpp"

#include "verifier/scalar_width.hpp"

#include <algorithm>

namespace ubee::verifier {

namespace {
using u32 = std::uint32_t;
using s32 = std::int32_t;
using u64 = std::uint64_t;
using s64 = std::int64_t;
constexpr u64 kLow32 = 0xffffffffULL;
constexpr s32 kS32Min = std::numeric_limits<s32>::min();
constexpr s32 kS32Max = std::numeric_limits<s32>::max();
constexpr s64 kS64Min = std::numeric_limits<s64>::min();
}  // namespace

Scalar Scalar::constant(u64 value) {
  Scalar reg;
  reg.var_off = tnum_const(value);
  reg.smin = reg.smax = static_cast<s64>(value);
  reg.umin = reg.umax = value;
  reg.s32_min = reg.s32_max = static_cast<s32>(value);
  reg.u32_min = reg.u32_max = static_cast<u32>(value);
  return reg;
}

Scalar Scalar::range(u64 min, u64 max) {
  Scalar reg;
  reg.umin = min;
  reg.umax = max;
  reg_bounds_sync(reg);
  return reg;
}

bool Scalar::contains(u64 value) const {
  const auto v32 = static_cast<u32>(value);
  return tnum_contains(var_off, value) && umin <= value && value <= umax && smin <= static_cast<s64>(value) &&
         static_cast<s64>(value) <= smax && u32_min <= v32 && v32 <= u32_max && s32_min <= static_cast<s32>(v32) &&
         static_cast<s32>(v32) <= s32_max;
}

bool Scalar::consistent() const {
  if (umin > umax || smin > smax || u32_min > u32_max || s32_min > s32_max) return false;
  if (is_const()) {
    const u64 v = var_off.value;
    if (umin != v || umax != v || smin != static_cast<s64>(v) || smax != static_cast<s64>(v)) return false;
  }
  if (subreg_is_const()) {
    const auto v = static_cast<u32>(var_off.value);
    if (u32_min != v || u32_max != v || s32_min != static_cast<s32>(v) || s32_max != static_cast<s32>(v))
      return false;
  }
  return true;
}

void mark_reg32_unbounded(Scalar& reg) {
  const Scalar unbounded;
  reg.s32_min = unbounded.s32_min, reg.s32_max = unbounded.s32_max;
  reg.u32_min = unbounded.u32_min, reg.u32_max = unbounded.u32_max;
}

void mark_reg64_unbounded(Scalar& reg) {
  const Scalar unbounded;
  reg.smin = unbounded.smin, reg.smax = unbounded.smax;
  reg.umin = unbounded.umin, reg.umax = unbounded.umax;
}

void mark_reg32_known(Scalar& reg, u64 value) {
  reg.var_off = tnum_const_subreg(reg.var_off, static_cast<u32>(value));
  reg.s32_min = reg.s32_max = static_cast<s32>(value);
  reg.u32_min = reg.u32_max = static_cast<u32>(value);
}

void sanitize_bounds(Scalar& reg) {
  if (reg.consistent()) return;
  mark_reg32_unbounded(reg);
  mark_reg64_unbounded(reg);
}

// __reg_assign_32_into_64 after tnum_subreg: a zero-extended subregister.
void zext_32_to_64(Scalar& reg) {
  reg.var_off = tnum_subreg(reg.var_off);
  reg.umin = reg.u32_min;
  reg.umax = reg.u32_max;
  // Signed 32-bit bounds carry over only when both are non-negative; otherwise [0, U32_MAX] until the tnum
  // refines it.
  if (reg.s32_min >= 0 && reg.s32_max >= 0) {
    reg.smin = reg.s32_min;
    reg.smax = reg.s32_max;
  } else {
    reg.smin = 0;
    reg.smax = static_cast<s64>(kLow32);
  }
}

namespace {

// __update_reg32_bounds: the smallest/largest members of the subregister tnum, signed and unsigned.
void update_reg32_bounds(Scalar& reg) {
  const Tnum t = tnum_subreg(reg.var_off);
  const auto value = static_cast<u32>(t.value), mask = static_cast<u32>(t.mask);
  reg.s32_min = std::max(reg.s32_min, static_cast<s32>(value | (mask & 0x80000000U)));
  reg.s32_max = std::min(reg.s32_max, static_cast<s32>(value | (mask & 0x7fffffffU)));
  reg.u32_min = std::max(reg.u32_min, value);
  reg.u32_max = std::min(reg.u32_max, value | mask);
}

// __update_reg64_bounds
void update_reg64_bounds(Scalar& reg) {
  const Tnum t = reg.var_off;
  reg.smin = std::max(reg.smin, static_cast<s64>(t.value | (t.mask & static_cast<u64>(kS64Min))));
  reg.smax = std::min(reg.smax, static_cast<s64>(t.value | (t.mask & ~static_cast<u64>(kS64Min))));
  reg.umin = std::max(reg.umin, t.value);
  reg.umax = std::min(reg.umax, t.value | t.mask);
}

void tighten_s32(Scalar& reg, s32 lo, s32 hi) {
  reg.s32_min = std::max(reg.s32_min, lo);
  reg.s32_max = std::min(reg.s32_max, hi);
}
void tighten_u32(Scalar& reg, u32 lo, u32 hi) {
  reg.u32_min = std::max(reg.u32_min, lo);
  reg.u32_max = std::min(reg.u32_max, hi);
}
void tighten_u64(Scalar& reg, u64 lo, u64 hi) {
  reg.umin = std::max(reg.umin, lo);
  reg.umax = std::min(reg.umax, hi);
}
void tighten_s64(Scalar& reg, s64 lo, s64 hi) {
  reg.smin = std::max(reg.smin, lo);
  reg.smax = std::min(reg.smax, hi);
}

// __reg32_deduce_bounds, first half: a 64-bit range whose upper 32 bits do not change (or step by one across
// the subregister's sign boundary) says its low halves form a range too.
void deduce_32_from_64(Scalar& reg) {
  if ((reg.umin >> 32) == (reg.umax >> 32)) {
    tighten_u32(reg, static_cast<u32>(reg.umin), static_cast<u32>(reg.umax));
    if (static_cast<s32>(reg.umin) <= static_cast<s32>(reg.umax))
      tighten_s32(reg, static_cast<s32>(reg.umin), static_cast<s32>(reg.umax));
  }
  if ((reg.smin >> 32) == (reg.smax >> 32)) {
    if (static_cast<u32>(reg.smin) <= static_cast<u32>(reg.smax))
      tighten_u32(reg, static_cast<u32>(reg.smin), static_cast<u32>(reg.smax));
    if (static_cast<s32>(reg.smin) <= static_cast<s32>(reg.smax))
      tighten_s32(reg, static_cast<s32>(reg.smin), static_cast<s32>(reg.smax));
  }
  auto steps_across_zero = [](u64 lo, u64 hi) {
    return static_cast<u32>(lo >> 32) + 1 == static_cast<u32>(hi >> 32) && static_cast<s32>(lo) < 0 &&
           static_cast<s32>(hi) >= 0;
  };
  if (steps_across_zero(reg.umin, reg.umax)) tighten_s32(reg, static_cast<s32>(reg.umin), static_cast<s32>(reg.umax));
  if (steps_across_zero(static_cast<u64>(reg.smin), static_cast<u64>(reg.smax)))
    tighten_s32(reg, static_cast<s32>(reg.smin), static_cast<s32>(reg.smax));
}

// __reg32_deduce_bounds, second half: signed and unsigned subregister ranges agree when they cannot cross the
// sign boundary.
void reg32_deduce_bounds(Scalar& reg) {
  deduce_32_from_64(reg);
  if (static_cast<s32>(reg.u32_min) <= static_cast<s32>(reg.u32_max))
    tighten_s32(reg, static_cast<s32>(reg.u32_min), static_cast<s32>(reg.u32_max));
  if (static_cast<u32>(reg.s32_min) <= static_cast<u32>(reg.s32_max))
    tighten_u32(reg, static_cast<u32>(reg.s32_min), static_cast<u32>(reg.s32_max));
}

// __reg64_deduce_bounds: the same for the 64-bit ranges.
void reg64_deduce_bounds(Scalar& reg) {
  if (static_cast<s64>(reg.umin) <= static_cast<s64>(reg.umax))
    tighten_s64(reg, static_cast<s64>(reg.umin), static_cast<s64>(reg.umax));
  if (static_cast<u64>(reg.smin) <= static_cast<u64>(reg.smax))
    tighten_u64(reg, static_cast<u64>(reg.smin), static_cast<u64>(reg.smax));
}

u64 with_low32(u64 high_from, u32 low) { return (high_from & ~kLow32) | low; }

// __reg_deduce_mixed_bounds: the subregister ranges replace the low halves of the 64-bit bounds.
void reg_deduce_mixed_bounds(Scalar& reg) {
  tighten_u64(reg, with_low32(reg.umin, reg.u32_min), with_low32(reg.umax, reg.u32_max));
  tighten_s64(reg, static_cast<s64>(with_low32(static_cast<u64>(reg.smin), reg.u32_min)),
              static_cast<s64>(with_low32(static_cast<u64>(reg.smax), reg.u32_max)));
  if (static_cast<u32>(reg.s32_min) <= static_cast<u32>(reg.s32_max)) {
    const auto lo = static_cast<u32>(reg.s32_min), hi = static_cast<u32>(reg.s32_max);
    tighten_u64(reg, with_low32(reg.umin, lo), with_low32(reg.umax, hi));
    tighten_s64(reg, static_cast<s64>(with_low32(static_cast<u64>(reg.smin), lo)),
                static_cast<s64>(with_low32(static_cast<u64>(reg.smax), hi)));
  }
  // After a sign-extending load the value lies in [(s64)S32_MIN, S32_MAX]; a non-negative subregister then
  // rules out the all-ones upper half, so the 64-bit value is the subregister itself.
  if (reg.s32_min >= 0 && reg.smin >= kS32Min && reg.smax <= kS32Max) {
    reg.smin = reg.umin = static_cast<u64>(reg.s32_min);
    reg.smax = reg.s32_max;
    reg.umax = static_cast<u64>(reg.s32_max);
    reg.var_off = tnum_intersect(reg.var_off, tnum_range(static_cast<u64>(reg.smin), static_cast<u64>(reg.smax)));
  }
}

}  // namespace

void detail::W32::update_bounds(Scalar& r) { update_reg32_bounds(r); }

void update_reg_bounds(Scalar& reg) {
  update_reg32_bounds(reg);
  update_reg64_bounds(reg);
}

void reg_deduce_bounds(Scalar& reg) {
  reg32_deduce_bounds(reg);
  reg64_deduce_bounds(reg);
  reg_deduce_mixed_bounds(reg);
}

void reg_bound_offset(Scalar& reg) {
  const Tnum var64 = tnum_intersect(reg.var_off, tnum_range(reg.umin, reg.umax));
  const Tnum var32 = tnum_intersect(tnum_subreg(var64), tnum_range(reg.u32_min, reg.u32_max));
  reg.var_off = tnum_or(tnum_clear_subreg(var64), var32);
}

// reg_bounds_sync: bits -> ranges, ranges -> each other (twice, as the kernel, since one pass can enable
// another), ranges -> bits, and bits -> ranges once more.
void reg_bounds_sync(Scalar& reg) {
  update_reg_bounds(reg);
  reg_deduce_bounds(reg);
  reg_deduce_bounds(reg);
  reg_bound_offset(reg);
  update_reg_bounds(reg);
}

}  // namespace ubee::verifier
