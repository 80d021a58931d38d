// Internal to the verifier: the stack's byte states (check_stack.cpp).
#pragma once

#include "verifier/checker.hpp"

namespace ubee::verifier {

// The frame offset (in [-512, 0)) of an access through a stack pointer, after the bounds and alignment checks.
Result<std::int32_t> stack_offset(const Env& env, const RegState& reg, const Access& access);
// A read needs every byte written on this path; a write (by a helper or an atomic) makes the bytes data.
Result<void> check_stack_access(const Env& env, State& state, const Access& access);
// Marks [off, off + size) as `type`, breaking any spill it overlaps.
void stack_mark(Frame& frame, std::int32_t off, std::uint32_t size, SlotType type);
// An 8-byte aligned store of a register keeps the register (save_register_state).
void stack_spill(Frame& frame, std::int32_t off, const RegState& value);
// What a load of `size` bytes at `off` gives: the spilled register, zero, or an unknown scalar.
Result<RegState> stack_fill(const Env& env, const Frame& frame, std::int32_t off, std::uint32_t size);

}  // namespace ubee::verifier
