// Conditional jumps between scalars: kernel/bpf/verifier.c's is_scalar_branch_taken() (is the outcome decided
// by what is known?) and reg_set_min_max() / regs_refine_cond_op() (what does each outcome teach about both
// registers?). JMP32 compares and refines the subregisters; the 64-bit ranges then follow via reg_bounds_sync.
#include <linux/bpf.h>

#include <algorithm>
#include <bit>
#include <utility>

#include "verifier/scalar.hpp"
#include "verifier/scalar_width.hpp"

namespace ubee::verifier {

using detail::W32;
using detail::W64;
using detail::wrap_add;

namespace {

// BPF_JSET has no negation in the ISA; the kernel marks its fall-through side as JSET | BPF_X (rev_opcode).
constexpr std::uint8_t kJsetFalse = BPF_JSET | BPF_X;

bool is_const(const Scalar& reg, bool jmp32) { return jmp32 ? reg.subreg_is_const() : reg.is_const(); }
std::uint64_t const_value(const Scalar& reg, bool jmp32) {
  return jmp32 ? tnum_subreg(reg.var_off).value : reg.var_off.value;
}

// "a op b" as "b op' a" (flip_opcode).
std::uint8_t flip(std::uint8_t op) {
  switch (op) {
    case BPF_JGE: return BPF_JLE;
    case BPF_JGT: return BPF_JLT;
    case BPF_JLE: return BPF_JGE;
    case BPF_JLT: return BPF_JGT;
    case BPF_JSGE: return BPF_JSLE;
    case BPF_JSGT: return BPF_JSLT;
    case BPF_JSLE: return BPF_JSGE;
    case BPF_JSLT: return BPF_JSGT;
    default: return op;  // JEQ, JNE, JSET are symmetric
  }
}

// The condition of the fall-through side (rev_opcode).
std::uint8_t negate(std::uint8_t op) {
  switch (op) {
    case BPF_JEQ: return BPF_JNE;
    case BPF_JNE: return BPF_JEQ;
    case BPF_JSET: return kJsetFalse;
    case kJsetFalse: return BPF_JSET;
    case BPF_JGE: return BPF_JLT;
    case BPF_JGT: return BPF_JLE;
    case BPF_JLE: return BPF_JGT;
    case BPF_JLT: return BPF_JGE;
    case BPF_JSGE: return BPF_JSLT;
    case BPF_JSGT: return BPF_JSLE;
    case BPF_JSLE: return BPF_JSGT;
    case BPF_JSLT: return BPF_JSGE;
    default: return 0;
  }
}

// One width's ranges of both operands, widened to 64 bits as is_scalar_branch_taken() does.
struct Ranges {
  std::uint64_t umin1, umax1, umin2, umax2;
  std::int64_t smin1, smax1, smin2, smax2;
};
template <class W> Ranges ranges_of(const Scalar& a, const Scalar& b) {
  return {W::umin(a), W::umax(a), W::umin(b), W::umax(b), W::smin(a), W::smax(a), W::smin(b), W::smax(b)};
}

BranchTaken decided(bool taken) { return taken ? BranchTaken::always : BranchTaken::never; }

// Two values are surely different when their ranges do not overlap in some domain.
bool disjoint(const Ranges& r) {
  return r.umin1 > r.umax2 || r.umax1 < r.umin2 || r.smin1 > r.smax2 || r.smax1 < r.smin2;
}

// JEQ / JNE: known when both are constants or when some range (including, for 64-bit jumps, the subregister
// ranges) rules equality out.
BranchTaken equality_taken(const Scalar& a, const Scalar& b, bool jmp32, bool eq) {
  const Tnum t1 = jmp32 ? tnum_subreg(a.var_off) : a.var_off;
  const Tnum t2 = jmp32 ? tnum_subreg(b.var_off) : b.var_off;
  if (tnum_is_const(t1) && tnum_is_const(t2)) return decided((t1.value == t2.value) == eq);
  const bool differ = jmp32 ? disjoint(ranges_of<W32>(a, b))
                            : disjoint(ranges_of<W64>(a, b)) || disjoint(ranges_of<W32>(a, b));
  return differ ? decided(!eq) : BranchTaken::unknown;
}

// JSET against a constant: some bit both surely set, or none possibly set.
BranchTaken jset_taken(const Scalar& a, const Scalar& b, bool jmp32) {
  const bool b_const = is_const(b, jmp32);
  if (!b_const && !is_const(a, jmp32)) return BranchTaken::unknown;
  const Scalar& var = b_const ? a : b;
  const std::uint64_t bits = const_value(b_const ? b : a, jmp32);
  const Tnum t = jmp32 ? tnum_subreg(var.var_off) : var.var_off;
  if (t.value & bits) return BranchTaken::always;
  if (((t.mask | t.value) & bits) == 0) return BranchTaken::never;
  return BranchTaken::unknown;
}

// Orderings: decided when the ranges do not overlap in the compared domain.
BranchTaken order_taken(const Ranges& r, std::uint8_t op) {
  auto when = [](bool yes, bool no) { return yes ? BranchTaken::always : no ? BranchTaken::never : BranchTaken::unknown; };
  switch (op) {
    case BPF_JGT: return when(r.umin1 > r.umax2, r.umax1 <= r.umin2);
    case BPF_JSGT: return when(r.smin1 > r.smax2, r.smax1 <= r.smin2);
    case BPF_JLT: return when(r.umax1 < r.umin2, r.umin1 >= r.umax2);
    case BPF_JSLT: return when(r.smax1 < r.smin2, r.smin1 >= r.smax2);
    case BPF_JGE: return when(r.umin1 >= r.umax2, r.umax1 < r.umin2);
    case BPF_JSGE: return when(r.smin1 >= r.smax2, r.smax1 < r.smin2);
    case BPF_JLE: return when(r.umax1 <= r.umin2, r.umin1 > r.umax2);
    case BPF_JSLE: return when(r.smax1 <= r.smin2, r.smin1 > r.smax2);
    default: return BranchTaken::unknown;
  }
}

// regs_refine_cond_op for JEQ: both take the intersection of what each may be.
template <class W> void refine_eq(Scalar& a, Scalar& b) {
  W::umin(a) = std::max(W::umin(a), W::umin(b));
  W::umax(a) = std::min(W::umax(a), W::umax(b));
  W::smin(a) = std::max(W::smin(a), W::smin(b));
  W::smax(a) = std::min(W::smax(a), W::smax(b));
  W::umin(b) = W::umin(a), W::umax(b) = W::umax(a);
  W::smin(b) = W::smin(a), W::smax(b) = W::smax(a);
  const Tnum t = tnum_intersect(W::bits(a.var_off), W::bits(b.var_off));
  a.var_off = W::with_bits(a.var_off, t);
  b.var_off = W::with_bits(b.var_off, t);
}

// JNE against a constant at the edge of a range moves that edge by one.
template <class W> void refine_ne(Scalar& reg, std::uint64_t value) {
  using S = typename W::S;
  using U = typename W::U;
  if (W::umin(reg) == static_cast<U>(value)) ++W::umin(reg);
  if (W::umax(reg) == static_cast<U>(value)) --W::umax(reg);
  if (W::smin(reg) == static_cast<S>(value)) W::smin(reg) = wrap_add(W::smin(reg), 1);
  if (W::smax(reg) == static_cast<S>(value)) W::smax(reg) = wrap_add(W::smax(reg), -1);
}

// a <= b (unsigned; `strict` for <): a's maximum and b's minimum.
template <class W> void refine_le(Scalar& a, Scalar& b, bool strict) {
  const int d = strict ? 1 : 0;
  W::umax(a) = std::min(W::umax(a), static_cast<typename W::U>(W::umax(b) - d));
  W::umin(b) = std::max(static_cast<typename W::U>(W::umin(a) + d), W::umin(b));
}
template <class W> void refine_sle(Scalar& a, Scalar& b, bool strict) {
  const int d = strict ? 1 : 0;
  W::smax(a) = std::min(W::smax(a), wrap_add(W::smax(b), -d));
  W::smin(b) = std::max(wrap_add(W::smin(a), d), W::smin(b));
}

// JSET true side: learns a bit only for a single-bit mask. False side: every masked bit is zero.
void refine_jset(Scalar& reg, std::uint64_t value, bool taken, bool jmp32) {
  if (taken && !std::has_single_bit(value)) return;
  const Tnum whole = reg.var_off;
  const Tnum t = jmp32 ? tnum_subreg(whole) : whole;
  const Tnum refined = taken ? tnum_or(t, tnum_const(value)) : tnum_and(t, tnum_const(~value));
  reg.var_off = jmp32 ? tnum_with_subreg(whole, refined) : refined;
}

template <class W> void refine_width(Scalar& a, Scalar& b, std::uint8_t op) {
  switch (op) {
    case BPF_JEQ: refine_eq<W>(a, b); break;
    case BPF_JLE: refine_le<W>(a, b, false); break;
    case BPF_JLT: refine_le<W>(a, b, true); break;
    case BPF_JSLE: refine_sle<W>(a, b, false); break;
    case BPF_JSLT: refine_sle<W>(a, b, true); break;
    default: break;
  }
}

// regs_refine_cond_op: what `a op b` being true says about a and b.
void refine_cond(Scalar& a, Scalar& b, std::uint8_t op, bool jmp32) {
  Scalar* r1 = &a;
  Scalar* r2 = &b;
  if (op == BPF_JGE || op == BPF_JGT || op == BPF_JSGE || op == BPF_JSGT) {
    op = flip(op);  // reuse the LE/LT rules with the operands swapped
    std::swap(r1, r2);
  }
  if (op == BPF_JNE || op == BPF_JSET || op == kJsetFalse) {
    if (!is_const(*r2, jmp32)) std::swap(r1, r2);
    if (!is_const(*r2, jmp32)) return;  // nothing learnt from two variables
    const std::uint64_t value = const_value(*r2, jmp32);
    if (op == BPF_JNE)
      jmp32 ? refine_ne<W32>(*r1, value) : refine_ne<W64>(*r1, value);
    else
      refine_jset(*r1, value, op == BPF_JSET, jmp32);
    return;
  }
  jmp32 ? refine_width<W32>(*r1, *r2, op) : refine_width<W64>(*r1, *r2, op);
}

// One side of reg_set_min_max: refine, re-synchronise, and recover from contradictions as the kernel does.
ScalarPair refined_side(ScalarPair regs, std::uint8_t op, bool jmp32) {
  refine_cond(regs.dst, regs.src, op, jmp32);
  for (Scalar* reg : {&regs.dst, &regs.src}) {
    reg_bounds_sync(*reg);
    sanitize_bounds(*reg);
  }
  return regs;
}

}  // namespace

BranchTaken is_branch_taken(const Scalar& dst, const Scalar& src, std::uint8_t op, bool jmp32) {
  switch (op) {
    case BPF_JEQ: return equality_taken(dst, src, jmp32, true);
    case BPF_JNE: return equality_taken(dst, src, jmp32, false);
    case BPF_JSET: return jset_taken(dst, src, jmp32);
    default: return order_taken(jmp32 ? ranges_of<W32>(dst, src) : ranges_of<W64>(dst, src), op);
  }
}

// check_cond_jmp_op: a decided branch follows one side with the registers as they are; otherwise both sides are
// explored, each with what its condition implies.
BranchRefinement refine_branch(const Scalar& dst, const Scalar& src, std::uint8_t op, bool jmp32) {
  BranchRefinement out;
  out.taken = is_branch_taken(dst, src, op, jmp32);
  if (out.taken != BranchTaken::unknown) {
    (out.taken == BranchTaken::always ? out.jump : out.fall) = ScalarPair{dst, src};
    return out;
  }
  out.fall = refined_side({dst, src}, negate(op), jmp32);
  out.jump = refined_side({dst, src}, op, jmp32);
  return out;
}

}  // namespace ubee::verifier
