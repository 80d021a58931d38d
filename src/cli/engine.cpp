#include <CLI/CLI.hpp>

#include "engine.hpp"

namespace ubee::cli {

Result<Engine> Engine::load(std::span<const Insn> program, const HelperRegistry& helpers, const std::string& kind) {
  if (kind == "jit") {
    auto jit = JitProgram::compile(program, helpers);
    if (!jit) return jit.error();
    return Engine(std::move(*jit));
  }
  auto vm = Interpreter::load(program, helpers);
  if (!vm) return vm.error();
  return Engine(std::move(*vm));
}

Result<std::uint64_t> Engine::run(void* memory, std::size_t length) const {
  return std::visit([&](const auto& e) { return e.run(memory, length); }, engine_);
}

void add_engine_option(CLI::App& cmd, std::string& kind) {
  cmd.add_option("--engine", kind,
                 "Objects: jit (default, x86-64) or interp, for programs the verifier accepted. Raw programs: interp "
                 "(default: the checked interpreter) or jit (native code without runtime checks: trusted programs)")
      ->check(CLI::IsMember({"interp", "jit"}));
}

}  // namespace ubee::cli
