// Internal to the verifier: the kernel-style log (log.cpp), one line per instruction executed with the
// registers it leaves, as `bpftool prog load` prints the kernel's log.
#pragma once

#include "verifier/checker.hpp"

namespace ubee::verifier {

// "12: (bf) r6 = r1 ; R1=ctx() R6=ctx() R10=fp0"
[[nodiscard]] std::string log_line(std::span<const Insn> prog, std::size_t pc, const State& after);
// print_verifier_state(): the current frame's initialised registers and spilled stack slots.
[[nodiscard]] std::string state_text(const State& state);

}  // namespace ubee::verifier
