// bpf_tail_call (helper 12): ubee's engines implement it themselves, so it has no entry in the helper registry;
// its prototype is the kernel's: r1 the context, r2 a program array, r3 the index. The chain of callers below a
// tail call is bounded by check_max_stack_depth (subprogs.cpp).
#include "verifier/helper_checks.hpp"

namespace ubee::verifier {
namespace {

Result<void> expect(const Env& env, const RegState& reg, int regno, bool ok, const char* expected) {
  if (ok) return {};
  return env.fail(reg_name(regno) + " type=" + reg_type_str(reg.type) + " expected=" + expected);
}

}  // namespace

Result<void> check_tail_call(const Env& env, State& state) {
  for (int regno = 1; regno <= 3; ++regno) UBEE_TRY(check_reg_read(env, state, regno));
  const RegState& ctx = state.reg(1);
  const RegState& map = state.reg(2);
  UBEE_TRY(expect(env, ctx, 1, ctx.type == RegType::ptr_to_ctx, "ctx"));
  if (ctx.off != 0 || !ctx.var.is_const() || ctx.var.umin != 0)
    return env.fail("dereference of modified ctx ptr R1 off=" + std::to_string(ctx.off) + " disallowed");
  UBEE_TRY(expect(env, map, 2, map.type == RegType::const_ptr_to_map, "map_ptr"));
  if (map.map->type != BPF_MAP_TYPE_PROG_ARRAY) return env.fail("expected prog array map for tail call");
  UBEE_TRY(expect(env, state.reg(3), 3, state.reg(3).is_scalar(), "scalar"));
  // The target program never returns here: whatever this one holds would never be released.
  if (!state.refs.empty()) return env.fail("tail_call would lead to reference leak");
  for (int regno = 1; regno <= 5; ++regno) state.reg(regno) = RegState{};
  state.reg(0) = RegState::unknown();  // the call fell through: no such program, or the limit of 33 reached
  return {};
}

}  // namespace ubee::verifier
