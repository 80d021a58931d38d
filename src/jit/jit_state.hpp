// What JIT'ed code and the C++ around it share during one run. The emitted code keeps a pointer to it in r12
// (callee-saved in System V, so it survives helper calls) and reaches the fields by offsetof.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "ubee/helpers.hpp"
#include "ubee/isa.hpp"

namespace ubee::jit {

// Why a run stopped early; the instruction is in JitState::error_pc.
enum class RunError : std::uint32_t {
  none = 0,
  call_depth = 1,      // a local call past kMaxCallDepth frames
  helper_abort = 2,    // a helper called RunContext::abort
  unknown_callx = 3,   // callx to an id the registry does not know (the id is in callx_id)
};

struct JitState {
  std::uint64_t saved_rsp = 0;  // native stack pointer of the innermost trampoline, to unwind on errors
  std::uint64_t depth = 0;      // frames below the main one, as the interpreter's RunState::depth
  RunContext* context = nullptr;
  const std::uint8_t* abort_flag = nullptr;  // the engaged flag of context->aborted()
  const std::uint8_t* packet = nullptr;      // what legacy packet loads read
  std::uint64_t packet_len = 0;
  std::uint32_t error_kind = 0;  // RunError
  std::uint32_t error_pc = 0;
  std::uint64_t callx_id = 0;
  const HelperRegistry* registry = nullptr;
  alignas(16) std::uint8_t stack[kStackSize * kMaxCallDepth];

  [[nodiscard]] std::uint64_t stack_top() const { return reinterpret_cast<std::uint64_t>(stack) + sizeof stack; }
  // r10 never changes but through calls, so the frame of depth d is always stack_top - d * 512.
  [[nodiscard]] std::uint64_t frame_at(std::uint64_t d) const { return stack_top() - d * kStackSize; }
};

// The entry: runs the code at `target` with r1-r5 = args[0..4], r10 = frame, r0 and r6-r9 = 0, and returns r0.
using Trampoline = std::uint64_t (*)(JitState* state, const void* target, const std::uint64_t* args,
                                     std::uint64_t frame);

// callx: looks the helper up at run time, as the interpreter does; sets error_kind on failure.
std::uint64_t callx_thunk(std::uint64_t r1, std::uint64_t r2, std::uint64_t r3, std::uint64_t r4, std::uint64_t r5,
                          JitState* state);

// The compiled form: where each instruction and the trampoline start in the placed code.
struct Compiled {
  std::size_t size = 0;
  std::vector<std::uint32_t> insn_offsets;  // code offset of each instruction (callbacks enter here)
  std::uint32_t trampoline_offset = 0;
};

// Emits native code for a validated program. `place` is given the code size and returns writable memory at the
// address the code will run from (asmjit relocates for it); the caller then makes that memory read-only and
// executable.
Result<Compiled> emit(std::span<const Insn> program, const HelperRegistry& helpers,
                      const std::function<std::uint8_t*(std::size_t)>& place);

}  // namespace ubee::jit
