// Conditional jumps: both successors, each refined by what its condition implies (check_cond_jmp_op):
// scalar bounds (refine_branch), null checks of or_null pointers (mark_ptr_or_null_regs) and packet ranges
// proven by comparisons with pkt_end (try_match_pkt_pointers, find_good_pkt_pointers).
#include <algorithm>

#include "verifier/helper_checks.hpp"

namespace ubee::verifier {
namespace {

constexpr std::uint64_t kMaxPacketOff = 0xffff;  // MAX_PACKET_OFF

// sync_linked_regs(): registers sharing a scalar's id hold its very value, so they learn the same bounds.
void refine_linked(State& state, const RegState& reg, const Scalar& learnt) {
  if (reg.id == 0) return;
  for_each_reg(state, [&](RegState& other) {
    if (other.is_scalar() && other.id == reg.id) other.var = learnt;
  });
}

Successors scalar_branch(const State& state, const Insn& insn, const RegState& dst, const RegState& src) {
  const BranchRefinement refined = refine_branch(dst.var, src.var, insn.op(), insn.cls() == BPF_JMP32);
  const auto side = [&](const std::optional<ScalarPair>& pair) -> std::optional<State> {
    if (!pair) return std::nullopt;
    State next = state;
    next.reg(insn.dst).var = pair->dst;
    refine_linked(next, dst, pair->dst);
    if (insn.source() == BPF_X) {
      next.reg(insn.src).var = pair->src;
      refine_linked(next, src, pair->src);
    }
    return next;
  };
  return {side(refined.jump), side(refined.fall)};
}

// mark_ptr_or_null_regs(): every copy of the checked pointer (same id) becomes NULL (a scalar 0) on one side
// and the pointer proper on the other.
// The id stays on map values holding a spin lock: it tells which element's lock is held.
void mark_ptr_or_null(const Env& env, State& state, const RegState& checked, bool is_null) {
  for_each_reg(state, [&](RegState& reg) {
    if (!is_or_null(reg.type) || reg.id != checked.id) return;
    if (is_null) {
      reg = RegState::scalar(Scalar::constant(0));
      return;
    }
    reg.type = without_null(reg.type);
    const bool locked = reg.type == RegType::ptr_to_map_value && spin_lock_offset(env.options, *reg.map);
    if (!locked) reg.id = 0;
  });
  if (is_null && checked.ref_obj_id != 0) drop_reference(state, checked.ref_obj_id);
}

Successors null_branch(const Env& env, const State& state, const RegState& ptr, std::uint8_t op) {
  Successors out{state, state};
  mark_ptr_or_null(env, *(op == BPF_JEQ ? out.jump : out.fall), ptr, true);
  mark_ptr_or_null(env, *(op == BPF_JEQ ? out.fall : out.jump), ptr, false);
  return out;
}

// find_good_pkt_pointers(): on the side where `ptr` <= pkt_end, the bytes before it exist for every register
// sharing its id.
void find_good_pkt_pointers(State& state, const RegState& ptr) {
  if (ptr.off <= 0 || ptr.var.umax > kMaxPacketOff || ptr.var.umax + ptr.off > kMaxPacketOff) return;
  for_each_reg(state, [&](RegState& reg) {
    if (reg.type == ptr.type && reg.id == ptr.id) reg.range = std::max(reg.range, ptr.off);
  });
}

bool is_range_pair(const RegState& ptr, const RegState& end) {
  return (ptr.type == RegType::ptr_to_packet && end.type == RegType::ptr_to_packet_end) ||
         (ptr.type == RegType::ptr_to_packet_meta && end.type == RegType::ptr_to_packet);
}

// try_match_pkt_pointers(): `if ptr > end` proves ptr <= end when it falls through, `if end > ptr` when it jumps.
void refine_packet(Successors& out, const Insn& insn, const RegState& dst, const RegState& src) {
  const std::uint8_t op = insn.op();
  const bool greater = op == BPF_JGT || op == BPF_JGE;
  if (!greater && op != BPF_JLT && op != BPF_JLE) return;
  if (is_range_pair(dst, src)) find_good_pkt_pointers(*(greater ? out.fall : out.jump), dst);
  else if (is_range_pair(src, dst)) find_good_pkt_pointers(*(greater ? out.jump : out.fall), src);
}

// A pointer that cannot be NULL compared with 0 (is_branch_taken's reg_not_null case).
std::optional<Successors> non_null_branch(const State& state, const RegState& dst, const RegState& src,
                                          std::uint8_t op) {
  if (is_or_null(dst.type) || !src.is_const_zero() || (op != BPF_JEQ && op != BPF_JNE)) return std::nullopt;
  if (op == BPF_JEQ) return Successors{std::nullopt, state};
  return Successors{state, std::nullopt};
}

}  // namespace

Result<Successors> check_cond_jmp(Env& env, State state, const Insn& insn) {
  UBEE_TRY(check_reg_read(env, state, insn.dst));
  if (insn.source() == BPF_X) UBEE_TRY(check_reg_read(env, state, insn.src));
  const RegState dst = state.reg(insn.dst);
  const RegState src = insn.source() == BPF_X ? state.reg(insn.src) : RegState::scalar(imm_operand(insn.imm));
  const std::uint8_t op = insn.op();
  if (dst.is_scalar() && src.is_scalar()) return scalar_branch(state, insn, dst, src);
  if (insn.source() == BPF_X && env.leaks(src)) return env.fail(reg_name(insn.src) + " pointer comparison prohibited");
  const bool jmp64 = insn.cls() == BPF_JMP;
  if (jmp64 && is_or_null(dst.type) && src.is_const_zero() && (op == BPF_JEQ || op == BPF_JNE))
    return null_branch(env, state, dst, op);
  if (jmp64 && is_pointer(dst.type))
    if (auto known = non_null_branch(state, dst, src, op)) return *known;
  if (env.leaks(dst)) return env.fail(reg_name(insn.dst) + " pointer comparison prohibited");
  Successors out{state, state};
  if (jmp64) refine_packet(out, insn, dst, src);
  return out;
}

}  // namespace ubee::verifier
