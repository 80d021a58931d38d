// Which engine runs a raw program in the CLI: the interpreter (checked mode, the default until programs are
// verified) or the JIT (native code, for programs you trust: it performs no runtime checks).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <variant>

#include "ubee/jit.hpp"
#include "ubee/vm.hpp"

namespace ubee::cli {

class Engine {
 public:
  // kind: "interp" or "jit".
  static Result<Engine> load(std::span<const Insn> program, const HelperRegistry& helpers, const std::string& kind);
  Result<std::uint64_t> run(void* memory, std::size_t length) const;

 private:
  explicit Engine(std::variant<Interpreter, JitProgram> engine) : engine_(std::move(engine)) {}
  std::variant<Interpreter, JitProgram> engine_;
};

// The --engine option, checked by CLI11.
void add_engine_option(CLI::App& cmd, std::string& kind);

}  // namespace ubee::cli
