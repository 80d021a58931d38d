// ALU instructions on abstract scalars: kernel/bpf/verifier.c's adjust_scalar_min_max_vals() with its
// scalar_min_max_* / scalar32_min_max_* rules, and check_alu_op()'s mov, movsx, neg and byte-swap cases.
// The kernel's 32- and 64-bit twins are written once here, as templates over the width views of
// scalar_width.hpp, and one table says which rule each operation uses.
#include <linux/bpf.h>

#include <algorithm>
#include <array>

#include "verifier/scalar.hpp"
#include "verifier/scalar_width.hpp"

namespace ubee::verifier {

using detail::kSMax;
using detail::kSMin;
using detail::kUMax;
using detail::W32;
using detail::W64;

namespace {

// scalar{,32}_min_max_add: each bound adds unless it may overflow, which loses that domain.
template <class W> void bounds_add(Scalar& dst, const Scalar& src) {
  auto &smin = W::smin(dst), &smax = W::smax(dst);
  if (__builtin_add_overflow(smin, W::smin(src), &smin) || __builtin_add_overflow(smax, W::smax(src), &smax))
    smin = kSMin<W>, smax = kSMax<W>;
  auto &umin = W::umin(dst), &umax = W::umax(dst);
  if (__builtin_add_overflow(umin, W::umin(src), &umin) || __builtin_add_overflow(umax, W::umax(src), &umax))
    umin = 0, umax = kUMax<W>;
}

// scalar{,32}_min_max_sub
template <class W> void bounds_sub(Scalar& dst, const Scalar& src) {
  auto &smin = W::smin(dst), &smax = W::smax(dst);
  if (__builtin_sub_overflow(smin, W::smax(src), &smin) || __builtin_sub_overflow(smax, W::smin(src), &smax))
    smin = kSMin<W>, smax = kSMax<W>;
  auto &umin = W::umin(dst), &umax = W::umax(dst);
  if (umin < W::umax(src)) {
    umin = 0, umax = kUMax<W>;  // may wrap below zero
  } else {
    umin -= W::umax(src);
    umax -= W::umin(src);
  }
}

// Signed bounds equal the unsigned ones when those stay on one side of the sign boundary.
template <class W> void signed_from_unsigned(Scalar& dst) {
  using S = typename W::S;
  if (static_cast<S>(W::umin(dst)) <= static_cast<S>(W::umax(dst))) {
    W::smin(dst) = static_cast<S>(W::umin(dst));
    W::smax(dst) = static_cast<S>(W::umax(dst));
  } else {
    W::smin(dst) = kSMin<W>, W::smax(dst) = kSMax<W>;
  }
}

// scalar{,32}_min_max_mul: only non-negative operands small enough (half the width) that nothing overflows.
template <class W> void bounds_mul(Scalar& dst, const Scalar& src) {
  constexpr typename W::U kHalf = kUMax<W> >> (W::kBits / 2);
  if (W::smin(src) < 0 || W::smin(dst) < 0 || W::umax(src) > kHalf || W::umax(dst) > kHalf) {
    W::mark_unbounded(dst);
    return;
  }
  W::umin(dst) *= W::umin(src);
  W::umax(dst) *= W::umax(src);
  if (W::umax(dst) > static_cast<typename W::U>(kSMax<W>)) {
    W::smin(dst) = kSMin<W>, W::smax(dst) = kSMax<W>;
  } else {
    W::smin(dst) = static_cast<typename W::S>(W::umin(dst));
    W::smax(dst) = static_cast<typename W::S>(W::umax(dst));
  }
}

// The shared shape of scalar{,32}_min_max_{and,or,xor}: with both operands known the (already computed) tnum is
// the answer; otherwise unsigned bounds come from `lo`/`hi`, signed ones follow when they can. The 64-bit rules
// re-derive from the tnum at the end (__update_reg_bounds), the 32-bit ones leave that to reg_bounds_sync.
template <class W, class Bounds> void bounds_bitwise(Scalar& dst, const Scalar& src, Bounds bounds) {
  const Tnum bits = W::bits(dst.var_off);
  if (W::known(src.var_off) && W::known(dst.var_off)) {
    W::mark_known(dst, bits.value);
    return;
  }
  bounds(W::umin(dst), W::umax(dst), bits, W::umin(src), W::umax(src));
  signed_from_unsigned<W>(dst);
  if constexpr (W::kBits == 64) update_reg_bounds(dst);
}

template <class W> void bounds_and(Scalar& dst, const Scalar& src) {
  // The minimum is the known ones; the maximum cannot exceed either operand's.
  bounds_bitwise<W>(dst, src, [](auto& umin, auto& umax, Tnum bits, auto, auto src_umax) {
    umin = static_cast<std::remove_reference_t<decltype(umin)>>(bits.value);
    umax = std::min(umax, src_umax);
  });
}

template <class W> void bounds_or(Scalar& dst, const Scalar& src) {
  // The minimum is at least either operand's; the maximum is every possible one bit.
  bounds_bitwise<W>(dst, src, [](auto& umin, auto& umax, Tnum bits, auto src_umin, auto) {
    umin = std::max(umin, src_umin);
    umax = static_cast<std::remove_reference_t<decltype(umax)>>(bits.value | bits.mask);
  });
}

template <class W> void bounds_xor(Scalar& dst, const Scalar& src) {
  bounds_bitwise<W>(dst, src, [](auto& umin, auto& umax, Tnum bits, auto, auto) {
    umin = static_cast<std::remove_reference_t<decltype(umin)>>(bits.value);
    umax = static_cast<std::remove_reference_t<decltype(umax)>>(bits.value | bits.mask);
  });
}

// __scalar{,64,32}_min_max_lsh, unsigned part: exact unless the top bit may be shifted out.
template <class W> void lsh_unsigned(Scalar& dst, std::uint64_t shift_min, std::uint64_t shift_max) {
  auto &umin = W::umin(dst), &umax = W::umax(dst);
  if (shift_max > W::kBits - 1 || umax > (std::uint64_t{1} << (W::kBits - 1 - shift_max))) {
    umin = 0, umax = kUMax<W>;
  } else {
    umin <<= shift_min;
    umax <<= shift_max;
  }
}

// scalar32_min_max_lsh: the sign is lost; the result lives in the subregister only.
void lsh32(Scalar& dst, const Scalar& src) {
  const Tnum subreg = tnum_subreg(dst.var_off);
  dst.s32_min = kSMin<W32>, dst.s32_max = kSMax<W32>;
  lsh_unsigned<W32>(dst, src.u32_min, src.u32_max);
  dst.var_off = tnum_subreg(tnum_lshift(subreg, src.u32_min));
  mark_reg64_unbounded(dst);
  W32::update_bounds(dst);
}

// scalar_min_max_lsh. `x << 32` of a non-negative subregister keeps its sign bounds: compilers sign-extend a
// subregister with `<<= 32; s>>= 32`, and the kernel special-cases it so that such code verifies.
void lsh64(Scalar& dst, const Scalar& src) {
  const bool by32 = src.umin == 32 && src.umax == 32;
  const std::int64_t smax = by32 && dst.s32_max >= 0 ? static_cast<std::int64_t>(dst.s32_max) << 32 : kSMax<W64>;
  const std::int64_t smin = by32 && dst.s32_min >= 0 ? static_cast<std::int64_t>(dst.s32_min) << 32 : kSMin<W64>;
  dst.smin = smin, dst.smax = smax;
  lsh_unsigned<W64>(dst, src.umin, src.umax);
  dst.s32_min = kSMin<W32>, dst.s32_max = kSMax<W32>;
  lsh_unsigned<W32>(dst, src.umin, src.umax);  // the kernel passes the 64-bit shift bounds here
  dst.var_off = tnum_lshift(dst.var_off, static_cast<unsigned>(src.umin));
  update_reg_bounds(dst);
}

// The final step both widths of rsh/arsh share: the other width is rebuilt from the tnum.
template <class W> void finish_shift(Scalar& dst, Tnum result) {
  dst.var_off = result;
  W::mark_other_unbounded(dst);
  W::update_bounds(dst);
}

// scalar{,32}_min_max_rsh: the sign bits are rebuilt from the tnum, the unsigned bounds shift.
template <class W> void bounds_rsh(Scalar& dst, const Scalar& src) {
  const auto shift_min = W::umin(src), shift_max = W::umax(src);
  W::smin(dst) = kSMin<W>, W::smax(dst) = kSMax<W>;
  const Tnum result = tnum_rshift(W::bits(dst.var_off), static_cast<unsigned>(shift_min));
  W::umin(dst) >>= shift_max;
  W::umax(dst) >>= shift_min;
  finish_shift<W>(dst, result);
}

// scalar{,32}_min_max_arsh (the shift is a known constant by then): signed bounds shift, unsigned are rebuilt.
template <class W> void bounds_arsh(Scalar& dst, const Scalar& src) {
  const auto shift = static_cast<unsigned>(W::umin(src));
  W::smin(dst) >>= shift;
  W::smax(dst) >>= shift;
  const Tnum result = tnum_arshift(W::bits(dst.var_off), shift, W::kBits);
  W::umin(dst) = 0, W::umax(dst) = kUMax<W>;
  finish_shift<W>(dst, result);
}

using BoundsFn = void (*)(Scalar& dst, const Scalar& src);
using TnumFn = Tnum (*)(Tnum, Tnum);

// One row per tracked operation. Arithmetic and bitwise rows compute the tnum over all 64 bits first (the
// and/or/xor rules read it; add/sub/mul do not, so the order the kernel uses for them makes no difference) and
// then track both widths whatever the instruction's width; shift rows track only the instruction's width.
struct AluRule {
  std::uint8_t op;
  TnumFn tnum;  // nullptr: the bounds functions set var_off themselves
  BoundsFn bounds32;
  BoundsFn bounds64;
};

constexpr std::array kAluRules{
    AluRule{BPF_ADD, tnum_add, bounds_add<W32>, bounds_add<W64>},
    AluRule{BPF_SUB, tnum_sub, bounds_sub<W32>, bounds_sub<W64>},
    AluRule{BPF_MUL, tnum_mul, bounds_mul<W32>, bounds_mul<W64>},
    AluRule{BPF_AND, tnum_and, bounds_and<W32>, bounds_and<W64>},
    AluRule{BPF_OR, tnum_or, bounds_or<W32>, bounds_or<W64>},
    AluRule{BPF_XOR, tnum_xor, bounds_xor<W32>, bounds_xor<W64>},
    AluRule{BPF_LSH, nullptr, lsh32, lsh64},
    AluRule{BPF_RSH, nullptr, bounds_rsh<W32>, bounds_rsh<W64>},
    AluRule{BPF_ARSH, nullptr, bounds_arsh<W32>, bounds_arsh<W64>},
};

const AluRule* find_rule(std::uint8_t op) {
  const auto* it = std::find_if(kAluRules.begin(), kAluRules.end(), [op](const AluRule& r) { return r.op == op; });
  return it == kAluRules.end() ? nullptr : it;
}

// is_safe_to_compute_dst_reg_range: shifts are tracked only by a known amount below the width (larger amounts
// are masked at run time, which the rules above do not model).
bool shift_amount_known(const AluOp& op, const Scalar& src) {
  const bool known = op.alu64 ? src.is_const() && src.smin == src.smax && src.umin == src.umax
                              : src.subreg_is_const() && src.s32_min == src.s32_max && src.u32_min == src.u32_max;
  return known && src.umax < (op.alu64 ? 64U : 32U);  // the kernel compares the 64-bit umax for both widths
}

// adjust_scalar_min_max_vals for a tracked operation.
Scalar apply_rule(const AluRule& rule, const AluOp& op, Scalar dst, const Scalar& src) {
  if (rule.tnum == nullptr && !shift_amount_known(op, src)) return Scalar::unknown();
  if (rule.tnum != nullptr) {
    dst.var_off = rule.tnum(dst.var_off, src.var_off);
    rule.bounds32(dst, src);
    rule.bounds64(dst, src);
  } else {
    (op.alu64 ? rule.bounds64 : rule.bounds32)(dst, src);
  }
  if (!op.alu64) zext_32_to_64(dst);
  reg_bounds_sync(dst);
  return dst;
}

// coerce_reg_to_size_sx: `r = (sN)r` for N = 8, 16, 32 bits. A range whose bits above N do not change maps to
// a range when its sign-extended ends have the same sign; anything else is the full N-bit signed range.
template <class W> void sign_extend(Scalar& reg, unsigned size) {
  using S = typename W::S;
  using U = typename W::U;
  const unsigned bits = size * 8;
  auto sext = [bits](U v) { return static_cast<S>(static_cast<S>(v << (W::kBits - bits)) >> (W::kBits - bits)); };
  auto& smin = W::smin(reg);
  auto& smax = W::smax(reg);
  const bool same_top = (static_cast<U>(smax) >> bits) == (static_cast<U>(smin) >> bits);
  const S hi = std::max(sext(static_cast<U>(smax)), sext(static_cast<U>(smin)));
  const S lo = std::min(sext(static_cast<U>(smax)), sext(static_cast<U>(smin)));
  if (same_top && (hi >= 0) == (lo >= 0)) {
    reg.s32_min = static_cast<std::int32_t>(lo), reg.s32_max = static_cast<std::int32_t>(hi);
    reg.u32_min = static_cast<std::uint32_t>(lo), reg.u32_max = static_cast<std::uint32_t>(hi);
    smin = lo, smax = hi;
    W::umin(reg) = static_cast<U>(lo), W::umax(reg) = static_cast<U>(hi);
    reg.var_off = W::bits(tnum_range(static_cast<std::uint64_t>(static_cast<std::int64_t>(lo)),
                                     static_cast<std::uint64_t>(static_cast<std::int64_t>(hi))));
    return;
  }
  const S half = static_cast<S>(std::int64_t{1} << (bits - 1));
  reg.s32_min = static_cast<std::int32_t>(-half), reg.s32_max = static_cast<std::int32_t>(half - 1);
  smin = static_cast<S>(-half), smax = static_cast<S>(half - 1);
  reg.u32_min = 0, reg.u32_max = kUMax<W32>;
  W::umin(reg) = 0, W::umax(reg) = kUMax<W>;
  reg.var_off = W::bits(kTnumUnknown);
}

// The constant case of coerce_reg_to_size_sx / coerce_subreg_to_size_sx (the kernel checks the whole register).
void sign_extend_const(Scalar& reg, unsigned size, bool alu64) {
  const unsigned shift = 64 - size * 8;
  const auto v = static_cast<std::uint64_t>(static_cast<std::int64_t>(reg.var_off.value << shift) >> shift);
  if (alu64) {
    reg = Scalar::constant(v);
  } else {
    reg.var_off = tnum_const(v);
    reg.s32_min = reg.s32_max = static_cast<std::int32_t>(v);
    reg.u32_min = reg.u32_max = static_cast<std::uint32_t>(v);
  }
}

// check_alu_op's BPF_MOV: a copy, sign-extending for off 8/16/32, zero-extended for ALU32.
Scalar move(const AluOp& op, Scalar reg) {
  if (op.off != 0) {
    const auto size = static_cast<unsigned>(op.off) / 8;
    if (reg.is_const())
      sign_extend_const(reg, size, op.alu64);
    else if (op.alu64)
      sign_extend<W64>(reg, size);
    else
      sign_extend<W32>(reg, size);
  }
  if (op.alu64) return reg;
  zext_32_to_64(reg);
  reg_bounds_sync(reg);
  return reg;
}

}  // namespace

Scalar imm_operand(std::int32_t imm) { return Scalar::constant(static_cast<std::uint64_t>(std::int64_t{imm})); }

Scalar scalar_alu(const AluOp& op, Scalar dst, const Scalar& src) {
  Scalar result;
  if (op.op == BPF_MOV) {
    result = move(op, src);
  } else if (op.op == BPF_NEG) {
    // Tracked as 0 - dst, as newer kernels do (adjust_scalar_min_max_vals' BPF_NEG case).
    result = apply_rule(*find_rule(BPF_SUB), op, Scalar::constant(0), dst);
  } else if (const AluRule* rule = find_rule(op.op)) {
    result = apply_rule(*rule, op, dst, src);
  } else {
    // BPF_DIV, BPF_MOD (signed or not) and BPF_END: the kernel marks the result unknown.
    result = Scalar::unknown();
  }
  sanitize_bounds(result);  // check_alu_op ends with reg_bounds_sanity_check
  return result;
}

}  // namespace ubee::verifier
