// `ubee jit-dump`: the x86-64 code the JIT emits for a program, each eBPF instruction followed by the native
// instructions it became (decoded by Zydis), from JitProgram::insn_offsets().
#include <Zydis/Zydis.h>
#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "ubee/asm.hpp"
#include "ubee/jit.hpp"
#include "ubee/linux_helpers.hpp"

namespace ubee::cli {
namespace {

struct JitDumpArgs {
  std::string path;
  bool no_harden = false;
  bool bytes = false;
};

// Disassembles code[begin, end) with Intel syntax, addresses relative to the start of the code.
void print_native(std::span<const std::uint8_t> code, std::size_t begin, std::size_t end, bool bytes) {
  std::size_t at = begin;
  while (at < end) {
    ZydisDisassembledInstruction insn;
    const bool ok = ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, at, code.data() + at, end - at,
                                                       &insn));
    const std::size_t length = ok ? insn.info.length : 1;
    std::string hex;
    if (bytes) {
      for (std::size_t i = 0; i < length; ++i) hex += fmt::format("{:02x} ", code[at + i]);
      hex.resize(std::max<std::size_t>(hex.size(), 30), ' ');
    }
    fmt::print("    {:6x}:  {}{}\n", at, hex, ok ? insn.text : fmt::format("(bad) {:02x}", code[at]));
    at += length;
  }
}

void jit_dump(const JitDumpArgs& args) {
  auto program = load_program_file(args.path);
  if (!program) fail(program.error());
  HelperRegistry helpers;
  add_linux_helpers(helpers);
  JitOptions options;
  options.harden = !args.no_harden;
  auto jit = JitProgram::compile(*program, helpers, options);
  if (!jit) fail(jit.error());
  const auto code = jit->code();
  const auto offsets = jit->insn_offsets();
  const std::span<const Insn> insns = jit->program();
  // Instructions in code order (the second slot of a lddw has no code of its own and is skipped), each ending
  // where the next one starts; what follows the last one (final return, error exits) belongs to none.
  std::vector<std::size_t> order;
  for (std::size_t pc = 0; pc < insns.size(); ++pc) {
    order.push_back(pc);
    if (insns[pc].is_lddw()) ++pc;
  }
  const std::size_t body_end = jit->tail_offset();
  fmt::print("; {} eBPF instructions, {} bytes of x86-64 code, constant blinding {}\n", insns.size(), code.size(),
             options.harden ? "on" : "off");
  fmt::print("<trampoline>:\n");
  print_native(code, jit->trampoline_offset(), offsets.empty() ? code.size() : offsets[0], args.bytes);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::size_t pc = order[i];
    const std::size_t end = i + 1 < order.size() ? offsets[order[i + 1]] : body_end;
    fmt::print("{:5}: {}\n", pc, disassemble_insn(insns, pc));
    print_native(code, offsets[pc], std::max<std::size_t>(end, offsets[pc]), args.bytes);
  }
  if (body_end < code.size()) {
    fmt::print("<after the last instruction: return, error exits>:\n");
    print_native(code, body_end, code.size(), args.bytes);
  }
}

}  // namespace

void add_jit_dump_command(CLI::App& app) {
  auto args = std::make_shared<JitDumpArgs>();
  CLI::App* cmd = app.add_subcommand("jit-dump", "Print the x86-64 code the JIT emits, under each eBPF instruction");
  cmd->add_option("program", args->path, "Bytecode (.bin) or assembly (.s); - reads bytecode from standard input")
      ->required();
  cmd->add_flag("--no-harden", args->no_harden, "Compile without constant blinding");
  cmd->add_flag("--bytes", args->bytes, "Show the bytes of each native instruction");
  cmd->callback([args] { jit_dump(*args); });
}

}  // namespace ubee::cli
