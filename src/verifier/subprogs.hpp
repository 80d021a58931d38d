// Internal to the verifier: the program's functions (subprogs.cpp).
#pragma once

#include "verifier/checker.hpp"

namespace ubee::verifier {

inline constexpr int kMaxCallFrames = 8;  // MAX_CALL_FRAMES

// The functions: the entry, every bpf-to-bpf call target and every callback (lddw BPF_PSEUDO_FUNC), in order;
// refuses jumps from one function into another, functions that fall off their end (check_subprogs) and
// instructions no path can reach (check_cfg).
Result<std::vector<Subprog>> find_subprogs(std::span<const Insn> prog);

// After exploration: the deepest chain of calls fits one 512-byte stack, counting each function's stack
// rounded up to 32 bytes, and no chain is deeper than 8 calls (check_max_stack_depth).
Result<void> check_max_stack_depth(const Env& env);

}  // namespace ubee::verifier
