// Internal to the verifier: calls, callbacks and exits (calls.cpp) and the return values of each program type
// (return_code.cpp).
#pragma once

#include "verifier/checker.hpp"

namespace ubee::verifier {

// A range of return values (struct bpf_retval_range).
struct RetRange {
  std::int64_t min = 0;
  std::int64_t max = 0;
  [[nodiscard]] bool contains(const Scalar& value) const { return value.smin >= min && value.smax <= max; }
};

// setup_func_entry(): a new frame for `subprog` with r1-r5 = args and its own stack; the call stack may hold
// 8 frames. `callback`: called by the helper at env.insn, to which its exit returns.
Result<void> push_frame(const Env& env, State& state, std::size_t subprog, const std::array<RegState, 5>& args,
                        bool callback);

// A bpf-to-bpf call (BPF_PSEUDO_CALL): the callee's first instruction.
Result<std::size_t> check_subprog_call(Env& env, State& state, const Insn& insn);

// BPF_EXIT: where the path continues (a caller, or the helper that called a callback), or nothing at the
// program's end, after the checks on what may not outlive it (locks, references, the return value).
Result<std::optional<std::size_t>> check_exit(Env& env, State& state);

// verbose_invalid_scalar(): "At callback return the register R0 has smin=0 smax=7 should have been in [0, 1]".
[[nodiscard]] std::string invalid_scalar(const char* context, const Scalar& value, const RetRange& range);

// check_return_code(): what the program type lets the program return.
Result<void> check_return_code(const Env& env, const RegState& r0);

}  // namespace ubee::verifier
