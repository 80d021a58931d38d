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
#include "ubee/jit.hpp"

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
  const HelperRegistry* registry = nullptr;  // the running program's (callx)
  const JitProgram::Impl* current = nullptr;  // the running program: tail calls switch it
  std::uint32_t tail_calls = 0;               // tail calls taken in this run, as RunState::tail_calls
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

// bpf_tail_call: returns the native entry of the target (and makes it the current program, counting the call),
// or null to fall through when there is none or kMaxTailCalls were taken.
const void* tail_call_thunk(JitState* state, std::uint64_t map, std::uint64_t index);

// The compiled form: where each instruction and the trampoline start in the placed code.
struct Compiled {
  std::size_t size = 0;
  std::vector<std::uint32_t> insn_offsets;  // code offset of each instruction (callbacks enter here)
  std::uint32_t trampoline_offset = 0;
  std::uint32_t tail_offset = 0;  // the code after the last instruction's: final return, error stubs
};

// Emits native code for a validated program. `place` is given the code size and returns writable memory at the
// address the code will run from (asmjit relocates for it); the caller then makes that memory read-only and
// executable.
struct EmitOptions {
  bool tail_calls = false;  // helper 12 becomes a tail call through tail_call_thunk
  bool blind = false;       // constant blinding
  // With tail_calls: the program's JitProgram::Impl, made current again when a local call returns (its callee
  // may have tail-called elsewhere), as the interpreter's EXIT restores the caller's program.
  const void* self = nullptr;
  // JitOptions::speculation_limits: empty, or one per instruction.
  std::span<const std::uint32_t> speculation_limits{};
  bool inline_map_lookups = false;  // JitOptions::inline_map_lookups
};
Result<Compiled> emit(std::span<const Insn> program, const HelperRegistry& helpers, const EmitOptions& options,
                      const std::function<std::uint8_t*(std::size_t)>& place);

}  // namespace ubee::jit
