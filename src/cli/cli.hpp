// The `ubee` command line: each subcommand registers itself on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "ubee/error.hpp"
#include "ubee/isa.hpp"

namespace ubee::cli {

// Thrown by a subcommand to end with "ubee: error: ..." and exit status 1; caught in main().
struct Failure {
  std::string message;
};
[[noreturn]] void fail(const Error& error);
[[noreturn]] void fail(std::string message);

Result<std::vector<std::uint8_t>> read_file(const std::string& path);  // "-" reads standard input
Result<void> write_file(const std::string& path, const std::vector<std::uint8_t>& bytes);

enum class ProgramFormat { by_extension, text, bytecode };
// A program from a file: assembly text (.s, .asm) or raw little-endian bytecode (anything else), validated.
Result<Program> load_program_file(const std::string& path, ProgramFormat format = ProgramFormat::by_extension,
                                  const ValidateOptions& options = {});

void add_run_command(CLI::App& app);
void add_disasm_command(CLI::App& app);
void add_asm_command(CLI::App& app);
void add_conformance_plugin_command(CLI::App& app);
void add_prog_command(CLI::App& app);
void add_map_command(CLI::App& app);
void add_verify_command(CLI::App& app);
void add_jit_dump_command(CLI::App& app);

}  // namespace ubee::cli
