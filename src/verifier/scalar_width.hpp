// Internal to the scalar domain: one view per operand width over a Scalar's fields, so that rules the kernel
// writes twice (scalar_min_max_add and scalar32_min_max_add, the JMP and JMP32 refinements, ...) are written
// once as templates over the width.
#pragma once

#include <cstdint>
#include <limits>

#include "verifier/scalar.hpp"

namespace ubee::verifier::detail {

// The 64-bit view: the full register.
struct W64 {
  using S = std::int64_t;
  using U = std::uint64_t;
  static constexpr unsigned kBits = 64;
  static S& smin(Scalar& r) { return r.smin; }
  static S& smax(Scalar& r) { return r.smax; }
  static U& umin(Scalar& r) { return r.umin; }
  static U& umax(Scalar& r) { return r.umax; }
  static S smin(const Scalar& r) { return r.smin; }
  static S smax(const Scalar& r) { return r.smax; }
  static U umin(const Scalar& r) { return r.umin; }
  static U umax(const Scalar& r) { return r.umax; }
  static Tnum bits(Tnum t) { return t; }
  static bool known(Tnum t) { return tnum_is_const(t); }
  // __mark_reg_known: a known 64-bit result fixes every field.
  static void mark_known(Scalar& r, std::uint64_t v) { r = Scalar::constant(v); }
  static void mark_unbounded(Scalar& r) { mark_reg64_unbounded(r); }
  static void mark_other_unbounded(Scalar& r) { mark_reg32_unbounded(r); }
  static void update_bounds(Scalar& r) { update_reg_bounds(r); }
  static Tnum with_bits(Tnum, Tnum t) { return t; }
};

// The 32-bit view: the subregister.
struct W32 {
  using S = std::int32_t;
  using U = std::uint32_t;
  static constexpr unsigned kBits = 32;
  static S& smin(Scalar& r) { return r.s32_min; }
  static S& smax(Scalar& r) { return r.s32_max; }
  static U& umin(Scalar& r) { return r.u32_min; }
  static U& umax(Scalar& r) { return r.u32_max; }
  static S smin(const Scalar& r) { return r.s32_min; }
  static S smax(const Scalar& r) { return r.s32_max; }
  static U umin(const Scalar& r) { return r.u32_min; }
  static U umax(const Scalar& r) { return r.u32_max; }
  static Tnum bits(Tnum t) { return tnum_subreg(t); }
  static bool known(Tnum t) { return tnum_subreg_is_const(t); }
  static void mark_known(Scalar& r, std::uint64_t v) { mark_reg32_known(r, v); }
  static void mark_unbounded(Scalar& r) { mark_reg32_unbounded(r); }
  static void mark_other_unbounded(Scalar& r) { mark_reg64_unbounded(r); }
  static void update_bounds(Scalar& r);  // __update_reg32_bounds (the subregister only)
  // Replaces the subregister's bits, keeping the upper half (tnum_with_subreg).
  static Tnum with_bits(Tnum whole, Tnum t) { return tnum_with_subreg(whole, t); }
};

template <class W> constexpr typename W::S kSMin = std::numeric_limits<typename W::S>::min();
template <class W> constexpr typename W::S kSMax = std::numeric_limits<typename W::S>::max();
template <class W> constexpr typename W::U kUMax = std::numeric_limits<typename W::U>::max();

// Wrapping +/- 1 on a signed bound without C++ overflow (the kernel's u32/s32 arithmetic wraps).
template <class S> S wrap_add(S a, int delta) {
  using U = std::make_unsigned_t<S>;
  return static_cast<S>(static_cast<U>(a) + static_cast<U>(delta));
}

}  // namespace ubee::verifier::detail
