// The arithmetic, comparison and byte-order semantics of RFC 9669, for both operand widths (T = uint32_t for
// ALU/JMP32, uint64_t for ALU64/JMP). Every corner the ISA defines is here: division by zero gives 0, modulo by
// zero keeps the dividend, INT_MIN / -1 wraps, shift counts are masked to the width.
#pragma once

#include <cstdint>
#include <type_traits>

namespace ubee::vm {

template <class T> using S = std::make_signed_t<T>;
template <class T> constexpr T kShiftMask = sizeof(T) * 8 - 1;

template <class T> constexpr T op_add(T a, T b) { return a + b; }
template <class T> constexpr T op_sub(T a, T b) { return a - b; }
template <class T> constexpr T op_mul(T a, T b) { return a * b; }
template <class T> constexpr T op_or(T a, T b) { return a | b; }
template <class T> constexpr T op_and(T a, T b) { return a & b; }
template <class T> constexpr T op_xor(T a, T b) { return a ^ b; }
template <class T> constexpr T op_mov(T, T b) { return b; }
template <class T> constexpr T op_lsh(T a, T b) { return a << (b & kShiftMask<T>); }
template <class T> constexpr T op_rsh(T a, T b) { return a >> (b & kShiftMask<T>); }
template <class T> constexpr T op_arsh(T a, T b) { return static_cast<T>(static_cast<S<T>>(a) >> (b & kShiftMask<T>)); }
template <class T> constexpr T op_div(T a, T b) { return b == 0 ? 0 : a / b; }
template <class T> constexpr T op_mod(T a, T b) { return b == 0 ? a : a % b; }
// -1 is special-cased because INT_MIN / -1 overflows in C++; the ISA defines it to wrap to INT_MIN.
template <class T> constexpr T op_sdiv(T a, T b) {
  if (b == 0) return 0;
  if (static_cast<S<T>>(b) == -1) return T{0} - a;
  return static_cast<T>(static_cast<S<T>>(a) / static_cast<S<T>>(b));
}
template <class T> constexpr T op_smod(T a, T b) {
  if (b == 0) return a;
  if (static_cast<S<T>>(b) == -1) return 0;
  return static_cast<T>(static_cast<S<T>>(a) % static_cast<S<T>>(b));
}

template <class T> constexpr bool cmp_eq(T a, T b) { return a == b; }
template <class T> constexpr bool cmp_ne(T a, T b) { return a != b; }
template <class T> constexpr bool cmp_gt(T a, T b) { return a > b; }
template <class T> constexpr bool cmp_ge(T a, T b) { return a >= b; }
template <class T> constexpr bool cmp_lt(T a, T b) { return a < b; }
template <class T> constexpr bool cmp_le(T a, T b) { return a <= b; }
template <class T> constexpr bool cmp_sgt(T a, T b) { return static_cast<S<T>>(a) > static_cast<S<T>>(b); }
template <class T> constexpr bool cmp_sge(T a, T b) { return static_cast<S<T>>(a) >= static_cast<S<T>>(b); }
template <class T> constexpr bool cmp_slt(T a, T b) { return static_cast<S<T>>(a) < static_cast<S<T>>(b); }
template <class T> constexpr bool cmp_sle(T a, T b) { return static_cast<S<T>>(a) <= static_cast<S<T>>(b); }
template <class T> constexpr bool cmp_set(T a, T b) { return (a & b) != 0; }

// Sign-extends the low bits of `v` (as movsx and sign-extending loads do).
template <class From> constexpr std::uint64_t sext64(std::uint64_t v) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<From>(v)));
}
template <class From> constexpr std::uint64_t sext32(std::uint64_t v) {
  return static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<From>(v)));
}

}  // namespace ubee::vm
