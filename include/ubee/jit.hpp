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

struct JitOptions {
  // bpf_tail_call targets, as LoadOptions::tail_calls. Not supported yet: compile() fails when set.
  const TailCallTargets* tail_calls = nullptr;
  // Reserved for the hardening of issue 5 (constant blinding, Spectre v1 masking); code pages are never
  // writable and executable at once whatever its value.
  bool harden = true;
  // Only ExecMode::unchecked: checked mode is the interpreter's job, compile() refuses it.
  ExecMode mode = ExecMode::unchecked;
  ValidateOptions validate{};
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
  [[nodiscard]] std::span<const Insn> program() const;

  struct Impl;

  JitProgram(JitProgram&&) noexcept;
  JitProgram& operator=(JitProgram&&) noexcept;
  ~JitProgram();

 private:
  explicit JitProgram(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ubee
