// Text forms of eBPF: the disassembler prints the syntax of `llvm-objdump -d` and `bpftool prog dump xlated`
// (`r0 = *(u32 *)(r1 + 4)`, `if r1 > 5 goto +3`, `call 1`); the assembler reads that syntax back, with labels,
// so that assemble(disassemble(p)) == p for every valid program.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "ubee/error.hpp"
#include "ubee/isa.hpp"

namespace ubee {

// The text of the instruction at `index` (a lddw reads its second slot too).
[[nodiscard]] std::string disassemble_insn(std::span<const Insn> program, std::size_t index);

struct DisasmOptions {
  bool numbered = false;  // prefix each line with its instruction index, as "   4: "
};
// One line per instruction (a lddw is one line covering two slots), each ending in '\n'.
[[nodiscard]] std::string disassemble(std::span<const Insn> program, const DisasmOptions& options = {});

// Reads the disassembler's syntax; errors name the line and column.
Result<Program> assemble(std::string_view text);

}  // namespace ubee
