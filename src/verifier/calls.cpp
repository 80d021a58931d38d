// bpf-to-bpf calls, callbacks and exits (check_func_call, setup_func_entry, prepare_func_exit and the BPF_EXIT
// case of do_check in kernel/bpf/verifier.c). Each call gets a frame of its own: r1-r5 are its arguments, r10
// its own 512-byte stack, and pointers into its callers' stacks stay usable through their frame number.
#include "verifier/calls.hpp"

#include "verifier/subprogs.hpp"

namespace ubee::verifier {
namespace {

// A callback returns to the helper that calls it: 0 to go on, 1 to stop (callback_ret_range).
Result<std::size_t> exit_callback(const Env& env, const RegState& r0, const Frame& callee) {
  if (!r0.is_scalar()) return env.fail("R0 not a scalar value");
  constexpr RetRange kCallbackRange{0, 1};
  if (!kCallbackRange.contains(r0.var)) return env.fail(invalid_scalar("At callback return", r0.var, kCallbackRange));
  return callee.callsite;  // the helper call runs again: the callback may be called any number of times
}

// check_reference_leak() and the lock, then check_return_code().
Result<void> exit_program(const Env& env, const State& state) {
  if (state.lock) return env.fail("BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region");
  if (!state.refs.empty())
    return env.fail("Unreleased reference id=" + std::to_string(state.refs.front().id) +
                    " alloc_insn=" + std::to_string(state.refs.front().insn));
  return check_return_code(env, state.cur().regs[0]);
}

}  // namespace

Result<void> push_frame(const Env& env, State& state, std::size_t subprog, const std::array<RegState, 5>& args,
                        bool callback) {
  if (state.frames.size() >= static_cast<std::size_t>(kMaxCallFrames))
    return env.fail("the call stack of " + std::to_string(state.frames.size() + 1) + " frames is too deep");
  Frame frame;
  frame.callsite = env.insn;
  frame.subprog = subprog;
  frame.callback = callback;
  for (int regno = 1; regno <= 5; ++regno) frame.regs[static_cast<std::size_t>(regno)] = args[regno - 1];
  frame.regs[kFramePointer] = RegState::pointer(RegType::ptr_to_stack);
  frame.regs[kFramePointer].frameno = static_cast<std::uint8_t>(state.frames.size());
  state.frames.push_back(std::move(frame));
  return {};
}

Result<std::size_t> check_subprog_call(Env& env, State& state, const Insn& insn) {
  const std::size_t target = env.insn + 1 + static_cast<std::size_t>(static_cast<std::int64_t>(insn.imm));
  const auto subprog = env.subprog_starting(target);
  if (!subprog) return env.fail("call to invalid destination");
  std::array<RegState, 5> args;
  for (int regno = 1; regno <= 5; ++regno) args[regno - 1] = state.reg(regno);
  UBEE_TRY(push_frame(env, state, *subprog, args, false));
  // clear_caller_saved_regs(): after the call returns, r1-r5 hold nothing the caller may read.
  Frame& caller = state.frames[state.frames.size() - 2];
  for (int regno = 0; regno <= 5; ++regno) caller.regs[static_cast<std::size_t>(regno)] = RegState{};
  return target;
}

Result<std::optional<std::size_t>> check_exit(Env& env, State& state) {
  UBEE_TRY(check_reg_read(env, state, 0));
  if (state.frames.size() == 1) {
    UBEE_TRY(exit_program(env, state));
    return std::optional<std::size_t>{};
  }
  const RegState r0 = state.reg(0);
  const Frame callee = std::move(state.frames.back());
  state.frames.pop_back();
  if (callee.callback) {
    auto resume = exit_callback(env, r0, callee);
    if (!resume.ok()) return resume.error();
    return std::optional<std::size_t>{*resume};
  }
  if (r0.type == RegType::ptr_to_stack) return env.fail("cannot return stack pointer to the caller frame");
  state.reg(0) = r0;
  return std::optional<std::size_t>{callee.callsite + 1};
}

}  // namespace ubee::verifier
