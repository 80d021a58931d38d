// Register liveness: which registers an instruction's continuation may read before writing them. The kernel
// learns this while exploring (REG_LIVE_READ marks, propagated to parent states) and clean_live_states() then
// forgets dead registers so that states differing only in them prune each other; ubee computes the same facts
// up front with a backward dataflow over the control-flow graph, which is simpler and never less precise for
// programs without calls.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ubee/isa.hpp"
#include "verifier/reg_state.hpp"

namespace ubee::verifier {

using RegMask = std::uint16_t;  // bit r: register r

// The registers live on entry to each instruction (r10 always).
[[nodiscard]] std::vector<RegMask> live_registers(std::span<const Insn> prog);

// Marks every register not in `live` as uninitialised: nothing reads it before writing it.
void clean_dead_registers(State& state, RegMask live);

}  // namespace ubee::verifier
