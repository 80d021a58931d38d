// Error messages of checked mode: the instruction index, what went wrong, and the instruction's text.
#include <cstdio>

#include "run_state.hpp"
#include "ubee/asm.hpp"

namespace ubee::vm {

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

Error fault(std::span<const Insn> program, std::size_t pc, std::string why) {
  return insn_error(Errc::memory_fault, pc, why + " (" + disassemble_insn(program, pc) + ")");
}

Error access_fault(std::span<const Insn> program, std::size_t pc, std::uint64_t addr, std::size_t size, bool write) {
  return fault(program, pc,
               std::string("out-of-bounds ") + (write ? "write" : "read") + " of " + std::to_string(size) +
                   " bytes at " + hex(addr));
}

}  // namespace ubee::vm
