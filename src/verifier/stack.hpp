// Internal to the verifier: the stack's byte states (check_stack.cpp).
#pragma once

#include "verifier/checker.hpp"

namespace ubee::verifier {

// The frame offsets (in [-512, 0)) an access through a stack pointer may start at, after the bounds and alignment
// checks; the frame's function records how deep its stack goes (update_stack_depth).
struct StackRange {
  std::int32_t min = 0;
  std::int32_t max = 0;
  [[nodiscard]] bool fixed() const { return min == max; }
};
Result<StackRange> stack_range(Env& env, const State& state, const RegState& reg, const Access& access);
// " read from", " write to" or " indirect access to", as the kernel's messages put it.
[[nodiscard]] const char* access_words(const Access& access);
[[nodiscard]] inline std::size_t byte_index(std::int32_t off) {
  return static_cast<std::size_t>(off + static_cast<int>(kStackSize));
}
// The frame a stack pointer points into: its own function's or a caller's.
[[nodiscard]] inline Frame& stack_frame(State& state, const RegState& reg) { return state.frames.at(reg.frameno); }
// Whether a read may see byte `index` of the frame: written on this path, or (privileged) anything; for a helper,
// which reads raw bytes, no part of a spilled pointer unless the program may leak pointers.
[[nodiscard]] bool stack_byte_readable(const Env& env, const Frame& frame, std::size_t index, bool helper);
// check_stack_write_fixed_off(): unprivileged programs may not overwrite part of a spilled pointer (the rest of it
// would become readable data: a leak). `off` and `size` stay within one 8-byte slot.
Result<void> check_spill_overwrite(const Env& env, const Frame& frame, std::int32_t off, std::uint32_t size);
// A read needs every byte written on this path; a write (by a helper or an atomic) makes the bytes data.
Result<void> check_stack_access(Env& env, State& state, const Access& access);
// Accesses at a variable offset (privileged programs): every byte the access may read must be initialised; a
// write may hit any byte of the range, which becomes data (zero stays zero when zero is written).
Result<void> stack_access_var(const Env& env, Frame& frame, const RegState& reg, const StackRange& range,
                              const Access& access);
Result<RegState> stack_read_var(const Env& env, const Frame& frame, const RegState& reg, const StackRange& range,
                                const Access& access);
void stack_write_var(Frame& frame, const StackRange& range, std::uint32_t size, const RegState& value);
// Marks [off, off + size) as `type`, breaking any spill it overlaps.
void stack_mark(Frame& frame, std::int32_t off, std::uint32_t size, SlotType type);
// An 8-byte aligned store of a register keeps the register (save_register_state).
void stack_spill(Frame& frame, std::int32_t off, const RegState& value);
// What a load of `size` bytes at `off` gives: the spilled register, zero, or an unknown scalar.
Result<RegState> stack_fill(const Env& env, const Frame& frame, std::int32_t off, std::uint32_t size);

}  // namespace ubee::verifier
