// Helpers that call back into the program (check_helper_call's callback cases, set_loop_callback_state,
// set_map_elem_callback_state): the function argument must be a lddw BPF_PSEUDO_FUNC, the context argument a
// stack pointer or NULL, and the callback's frame gets the arguments the helper passes.
#include "verifier/helper_checks.hpp"

namespace ubee::verifier {
namespace {

// ARG_PTR_TO_STACK_OR_NULL: the callback's context lives on the stack.
Result<void> check_callback_ctx(const Env& env, const RegState& reg, int regno) {
  if (reg.type == RegType::ptr_to_stack || reg.is_const_zero()) return {};
  return env.fail(reg_name(regno) + " type=" + reg_type_str(reg.type) + " expected=fp");
}

// ARG_PTR_TO_FUNC.
Result<std::size_t> check_func_arg(const Env& env, const RegState& reg, int regno) {
  if (reg.type != RegType::ptr_to_func)
    return env.fail(reg_name(regno) + " type=" + reg_type_str(reg.type) + " expected=func");
  return std::size_t{reg.subprog};
}

RegState map_pointer(RegType type, const MapSpec* map) {
  RegState reg = RegState::pointer(type);
  reg.map = map;
  return reg;
}

}  // namespace

bool calls_callback(std::int32_t id) { return id == BPF_FUNC_loop || id == BPF_FUNC_for_each_map_elem; }

Result<CallbackCall> check_callback_args(const Env& env, const State& state, std::uint32_t helper,
                                         const MapSpec* map) {
  const auto& regs = state.cur().regs;
  auto subprog = check_func_arg(env, regs[2], 2);
  if (!subprog.ok()) return subprog.error();
  UBEE_TRY(check_callback_ctx(env, regs[3], 3));
  CallbackCall call{*subprog, {}};
  if (helper == BPF_FUNC_loop) {
    // long callback(u32 index, void *ctx)
    call.args[0] = RegState::scalar(Scalar::range(0, 0xffffffff));
    call.args[1] = regs[3];
    return call;
  }
  // long callback(struct bpf_map *map, const void *key, void *value, void *ctx)
  call.args[0] = map_pointer(RegType::const_ptr_to_map, map);
  call.args[1] = map_pointer(RegType::ptr_to_map_key, map);
  call.args[2] = map_pointer(RegType::ptr_to_map_value, map);
  call.args[3] = regs[3];
  return call;
}

}  // namespace ubee::verifier
