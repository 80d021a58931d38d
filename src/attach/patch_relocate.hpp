// The instructions a 5-byte `jmp rel32` at an address displaces, whether that is safe, and the same instructions
// re-encoded to run somewhere else (a trampoline) with the same effect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attach/symbols.hpp"
#include "ubee/error.hpp"

namespace ubee::attach {

inline constexpr std::size_t kJumpSize = 5;  // jmp rel32

struct Displacement {
  std::uintptr_t address = 0;
  std::vector<std::uint8_t> original;  // the whole instructions covering the first kJumpSize bytes
};

// Refuses (Errc::unsupported, with the reason) when the displaced instructions would run past the end of the
// enclosing function (its symbol's size, when `function` is known), when any jump or call of that function
// lands inside them after their first byte, or when one of them cannot be relocated (loop/jrcxz, a relative
// call that is not the last one, an int3). Only direct branches are seen: a jump table into the bytes is not.
Result<Displacement> plan_displacement(std::uintptr_t address, const std::optional<FunctionRange>& function);

// The displaced instructions re-encoded for `destination`, followed by a jump back to the instruction after
// them: RIP-relative operands re-aimed, relative jumps turned into absolute ones, a final relative call turned
// into a push of the original return address and an absolute jump.
Result<std::vector<std::uint8_t>> relocate(const Displacement& displacement, std::uintptr_t destination);

// Appends a jump from `at` to `target`: jmp rel32 when in reach, else jmp [rip+0] with the address after it.
void append_jump(std::vector<std::uint8_t>& out, std::uintptr_t at, std::uintptr_t target);

// "0x1f" for messages.
std::string hex(std::uint64_t value);

// "name+0x12 (0x7f...)" or "0x7f...": where an address is, for messages.
std::string describe(std::uintptr_t address, const std::optional<FunctionRange>& function);

}  // namespace ubee::attach
