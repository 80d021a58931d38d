// Shared by the tests: build and run a program from assembly text in one call.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ubee/asm.hpp"
#include "ubee/vm.hpp"

namespace ubee::test {

// One instruction slot from its fields, as the encoding tables list them.
inline Insn make_insn(std::uint8_t opcode, int dst = 0, int src = 0, int off = 0, std::int32_t imm = 0) {
  Insn in{};
  in.opcode = opcode;
  in.dst = static_cast<std::uint8_t>(dst);
  in.src = static_cast<std::uint8_t>(src);
  in.off = static_cast<std::int16_t>(off);
  in.imm = imm;
  return in;
}

inline Program asm_or_die(const std::string& text) {
  auto p = assemble(text);
  if (!p) ADD_FAILURE() << "assembly failed: " << p.error().to_string() << "\n" << text;
  return p ? *p : Program{};
}

// Test helpers programs call. echo returns r1; abort aborts the run when r1 != 0; loop is bpf_loop-like: it
// calls the callback r1 times with (i, r3) and returns the sum of what it returned.
inline std::uint64_t echo_helper(std::uint64_t r1, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                 RunContext&) {
  return r1;
}
inline std::uint64_t abort_helper(std::uint64_t r1, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                  RunContext& context) {
  if (r1 != 0) context.abort(make_error(Errc::invalid_argument, "told to abort"));
  return 1;
}
inline std::uint64_t loop_helper(std::uint64_t n, std::uint64_t callback, std::uint64_t ctx, std::uint64_t,
                                 std::uint64_t, RunContext& context) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    auto r = context.call_function(callback, i, ctx, 0, 0, 0);
    if (!r) {
      context.abort(r.error());
      return 0;
    }
    sum += *r;
  }
  return sum;
}

// Runs `text` on `memory` in the given mode; the result or the error.
inline Result<std::uint64_t> run_asm(const std::string& text, std::vector<std::uint8_t> memory = {},
                                     ExecMode mode = ExecMode::checked, const HelperRegistry& helpers = {}) {
  const Program program = asm_or_die(text);
  auto vm = Interpreter::load(program, helpers, LoadOptions{mode, {}});
  if (!vm) return vm.error();
  return vm->run(memory.empty() ? nullptr : memory.data(), memory.size());
}

}  // namespace ubee::test
