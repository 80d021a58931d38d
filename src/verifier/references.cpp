// Acquired references (acquire_reference_state, release_reference, check_reference_leak in
// kernel/bpf/verifier.c): a ringbuf record from bpf_ringbuf_reserve must be submitted or discarded on every path
// that got one, once; every copy of its pointer is dead afterwards.
#include <algorithm>

#include "verifier/helper_checks.hpp"

namespace ubee::verifier {

void acquire_reference(const Env& env, State& state, RegState& r0) {
  r0.ref_obj_id = r0.id;
  state.refs.push_back(Reference{r0.id, env.insn});
}

void drop_reference(State& state, std::uint32_t ref_obj_id) {
  std::erase_if(state.refs, [&](const Reference& ref) { return ref.id == ref_obj_id; });
}

Result<void> release_reference(const Env& env, State& state, int regno) {
  const std::uint32_t id = state.reg(regno).ref_obj_id;
  if (id == 0) return env.fail(reg_name(regno) + " must be referenced when passed to release function");
  const bool held = std::any_of(state.refs.begin(), state.refs.end(), [&](const Reference& r) { return r.id == id; });
  if (!held) return env.fail("release kernel resource with id " + std::to_string(id) + " which is not acquired");
  drop_reference(state, id);
  // mark_reg_invalid(): privileged programs keep a number, unprivileged ones nothing they could leak.
  for_each_reg(state, [&](RegState& reg) {
    if (reg.ref_obj_id == id) reg = env.options.privileged ? RegState::unknown() : RegState{};
  });
  return {};
}

}  // namespace ubee::verifier
