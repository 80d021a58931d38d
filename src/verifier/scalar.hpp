// The abstract value of a scalar register, tracked exactly as the Linux kernel's verifier tracks a SCALAR_VALUE
// bpf_reg_state: known bits (a tnum) plus signed and unsigned ranges of the 64-bit value and of its 32-bit
// subregister. Every value the register may hold at run time is a member of all five at once (contains()).
//
// The operations mirror kernel/bpf/verifier.c: reg_bounds_sync() and its helpers, adjust_scalar_min_max_vals()
// and the scalar_min_max_* / scalar32_min_max_* functions for ALU instructions, is_branch_taken() and
// reg_set_min_max() for conditional jumps. Matching the kernel rule for rule is what lets ubee accept the programs
// the kernel accepts; the soundness tests (tests/verifier_scalar_test.cpp) check every rule against the ISA.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "verifier/tnum.hpp"

namespace ubee::verifier {

struct Scalar {
  Tnum var_off = kTnumUnknown;
  std::int64_t smin = std::numeric_limits<std::int64_t>::min();
  std::int64_t smax = std::numeric_limits<std::int64_t>::max();
  std::uint64_t umin = 0;
  std::uint64_t umax = std::numeric_limits<std::uint64_t>::max();
  std::int32_t s32_min = std::numeric_limits<std::int32_t>::min();
  std::int32_t s32_max = std::numeric_limits<std::int32_t>::max();
  std::uint32_t u32_min = 0;
  std::uint32_t u32_max = std::numeric_limits<std::uint32_t>::max();

  [[nodiscard]] static Scalar unknown() { return {}; }  // __mark_reg_unknown
  [[nodiscard]] static Scalar constant(std::uint64_t value);  // __mark_reg_known
  // Any value in [min, max], unsigned (a helper's return range, a loaded byte...).
  [[nodiscard]] static Scalar range(std::uint64_t min, std::uint64_t max);

  [[nodiscard]] bool is_const() const { return tnum_is_const(var_off); }
  [[nodiscard]] bool subreg_is_const() const { return tnum_subreg_is_const(var_off); }
  // Whether the concrete 64-bit `value` is a member of this abstract value.
  [[nodiscard]] bool contains(std::uint64_t value) const;
  // The kernel's reg_bounds_sanity_check(): ranges non-empty and constants agreeing with the ranges.
  [[nodiscard]] bool consistent() const;

  friend bool operator==(const Scalar&, const Scalar&) = default;
};

// Bound maintenance, named after the kernel functions they mirror.
void update_reg_bounds(Scalar& reg);  // __update_reg_bounds: ranges from known bits
void reg_deduce_bounds(Scalar& reg);  // __reg_deduce_bounds: signed <-> unsigned, 32 <-> 64
void reg_bound_offset(Scalar& reg);   // __reg_bound_offset: known bits from ranges
void reg_bounds_sync(Scalar& reg);    // all of the above, in the kernel's order
void mark_reg32_unbounded(Scalar& reg);
void mark_reg64_unbounded(Scalar& reg);
void mark_reg32_known(Scalar& reg, std::uint64_t value);
void zext_32_to_64(Scalar& reg);  // the result of an ALU32 instruction: upper half zero
// reg_bounds_sanity_check()'s recovery: an inconsistent register forgets its ranges (the kernel outside tests).
void sanitize_bounds(Scalar& reg);

// One ALU instruction's operation, as its encoding gives it (BPF_OP, class, off, imm, source bit).
struct AluOp {
  std::uint8_t op = 0;      // BPF_ADD ... BPF_END
  bool alu64 = true;        // BPF_ALU64 rather than BPF_ALU
  std::int16_t off = 0;     // 1: signed div/mod; 8, 16, 32: sign-extending mov
  std::int32_t imm = 0;     // BPF_END: the width 16, 32 or 64
  std::uint8_t source = 0;  // BPF_K or BPF_X (BPF_END: BPF_TO_LE or BPF_TO_BE)
};

// The immediate operand of an ALU or JMP instruction as the kernel models it: a known register holding imm
// sign-extended to 64 bits (JMP32 and ALU32 look at its low half).
[[nodiscard]] Scalar imm_operand(std::int32_t imm);

// `dst = dst op src` on abstract values (adjust_scalar_min_max_vals and check_alu_op's mov/neg/end cases).
// Operations the kernel does not track (div, mod, byte swaps, shifts by a non-constant) give an unknown value.
[[nodiscard]] Scalar scalar_alu(const AluOp& op, Scalar dst, const Scalar& src);

// is_branch_taken(): whether `if dst op src goto` always, never or maybe jumps.
enum class BranchTaken : std::int8_t { never = 0, always = 1, unknown = -1 };
[[nodiscard]] BranchTaken is_branch_taken(const Scalar& dst, const Scalar& src, std::uint8_t op, bool jmp32);

// Both registers as one side of a conditional jump leaves them.
struct ScalarPair {
  Scalar dst;
  Scalar src;
};
// The two successors of `if dst op src goto` (op: BPF_JEQ ... BPF_JSLE, BPF_JSET; jmp32 for the JMP32 class).
// A side the branch can never reach is empty; when both are reachable each is refined by what its condition
// implies (reg_set_min_max), otherwise the reachable side keeps the registers unchanged, as in the kernel.
struct BranchRefinement {
  BranchTaken taken = BranchTaken::unknown;
  std::optional<ScalarPair> jump;
  std::optional<ScalarPair> fall;
};
[[nodiscard]] BranchRefinement refine_branch(const Scalar& dst, const Scalar& src, std::uint8_t op, bool jmp32);

}  // namespace ubee::verifier
