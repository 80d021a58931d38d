// The x86-64 JIT: compiles a validated program to native code that behaves exactly as the interpreter's
// unchecked mode (same results, same errors). It is for verified programs only: there is no checked mode.
// eBPF registers live in machine registers as in the kernel's JIT (arch/x86/net/bpf_jit_comp.c), helpers are
// plain System V calls and bpf-to-bpf calls are native calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "ubee/error.hpp"
#include "ubee/helpers.hpp"
#include "ubee/isa.hpp"
#include "ubee/vm.hpp"

namespace ubee {

class JitProgram;

// Where a JIT'ed program's tail calls go: the JIT's counterpart of TailCallTargets (which hands out
// interpreters). `map` is r2 as the program passed it, `index` the low 32 bits of r3; null falls through.
// Targets must outlive every run that may reach them.
class JitTailCallTargets {
 public:
  virtual ~JitTailCallTargets() = default;
  [[nodiscard]] virtual const JitProgram* target(std::uint64_t map, std::uint32_t index) const = 0;
};

struct JitOptions {
  // Resolves bpf_tail_call (helper 12) when set, as LoadOptions::tail_calls does for the interpreter: the
  // target's code is jumped to in the same frame, with every register kept, at most kMaxTailCalls times in one
  // run; a missing target falls through with every register kept. Must outlive the program. Without it,
  // helper 12 is looked up in the registry like any other.
  const JitTailCallTargets* tail_calls = nullptr;
  // Constant blinding (the kernel's bpf_jit_blind_constants): every immediate of the program is emitted as
  // imm ^ rnd and xor'ed back with rnd at run time, rnd random per instruction, so no program immediate appears
  // in the code. Code pages are never writable and executable at once whatever its value.
  bool harden = true;
  // Only ExecMode::unchecked: checked mode is the interpreter's job, compile() refuses it.
  ExecMode mode = ExecMode::unchecked;
  ValidateOptions validate{};
  // VerifierStats::speculation_limits of this program (empty: no masking): the JIT clamps the scalar operand of
  // each flagged pointer ALU instruction to 0 outside [0, limit), without a branch.
  std::span<const std::uint32_t> speculation_limits{};
  // bpf_map_lookup_elem (ubee's, helper 1) on an array map known at compile time (r1 loaded by a lddw of the
  // map's address in the same straight-line code) becomes a bound check and address arithmetic, as the
  // kernel's array_map_gen_lookup; in other known maps it calls Map::lookup() directly, skipping the helper's
  // dispatch. The map must outlive the program (as any map the program addresses).
  bool inline_map_lookups = true;
};

class JitProgram {
 public:
  // Validates and compiles the program, resolving its helper calls against `helpers` (which must outlive the
  // JitProgram: callx looks helpers up at run time).
  static Result<JitProgram> compile(std::span<const Insn> program, const HelperRegistry& helpers,
                                    const JitOptions& options = {});

  // Runs with r1 = memory, r2 = length and r10 = the top of a fresh 8 * 512-byte stack, as Interpreter::run.
  // Checked-mode options (extra_regions, insn_limit) are ignored; insn_count cannot be honoured (an error).
  Result<std::uint64_t> run(void* memory, std::size_t length, const RunOptions& options = {}) const;

  // The native code, read-only and executable, for dumping.
  [[nodiscard]] std::span<const std::uint8_t> code() const;
  // code() and the rest of its pages, at least one byte, filled with int3 (0xCC): a jump or fall-through past
  // the end of the code traps instead of running whatever the mapping held.
  [[nodiscard]] std::span<const std::uint8_t> code_pages() const;
  [[nodiscard]] std::span<const Insn> program() const;
  // The offset in code() where each instruction's native code starts (one per slot; the second slot of a
  // lddw has the offset of the code after the program's last instruction), and where the entry trampoline
  // (the code before the first instruction) starts.
  [[nodiscard]] std::span<const std::uint32_t> insn_offsets() const;
  [[nodiscard]] std::uint32_t trampoline_offset() const;
  // Where the code after the last instruction's (the final return and the out-of-line error exits) starts.
  [[nodiscard]] std::uint32_t tail_offset() const;

  struct Impl;

  JitProgram(JitProgram&&) noexcept;
  JitProgram& operator=(JitProgram&&) noexcept;
  ~JitProgram();

 private:
  friend const Impl& jit_impl_of(const JitProgram& program);
  explicit JitProgram(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ubee
