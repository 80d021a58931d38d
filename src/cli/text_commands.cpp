// `ubee disasm` and `ubee asm`: the two directions between bytecode and its text.
#include <fmt/core.h>

#include "cli.hpp"
#include "ubee/asm.hpp"

namespace ubee::cli {
namespace {

struct AsmArgs {
  std::string input;
  std::string output;
};

std::string default_output(const std::string& input) {
  const auto dot = input.find_last_of('.');
  const auto slash = input.find_last_of('/');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? input.substr(0, dot) : input) + ".bin";
}

}  // namespace

void add_disasm_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto numbered = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("disasm", "Print a program as assembly text (llvm-objdump syntax)");
  cmd->add_option("program", *path, "Bytecode (.bin) or assembly (.s); - reads bytecode from standard input")
      ->required();
  cmd->add_flag("-n,--numbered", *numbered, "Prefix each line with its instruction index");
  cmd->callback([path, numbered] {
    auto program = load_program_file(*path);
    if (!program) fail(program.error());
    fmt::print("{}", disassemble(*program, DisasmOptions{*numbered}));
  });
}

void add_asm_command(CLI::App& app) {
  auto args = std::make_shared<AsmArgs>();
  CLI::App* cmd = app.add_subcommand("asm", "Assemble text into bytecode (raw little-endian instructions)");
  cmd->add_option("source", args->input, "Assembly text; - reads standard input")->required();
  cmd->add_option("-o,--output", args->output, "Output file (default: the source with .bin; - for standard output)");
  cmd->callback([args] {
    auto program = load_program_file(args->input, ProgramFormat::text);
    if (!program) fail(program.error());
    const std::string out = args->output.empty() ? default_output(args->input) : args->output;
    const auto bytes = encode(*program);
    if (out == "-") {
      std::fwrite(bytes.data(), 1, bytes.size(), stdout);
      return;
    }
    if (auto r = write_file(out, bytes); !r) fail(r.error());
  });
}

}  // namespace ubee::cli
