// The kernel-style log: print_verifier_state()'s spelling of registers ("R1=ctx()", "R0=scalar(smin=0,...)",
// "R2=fp-8", "R0=map_value(map=hash,ks=4,vs=16)") after each instruction's disassembly.
#include "verifier/log.hpp"

#include <cstdio>

#include "ubee/asm.hpp"

namespace ubee::verifier {
namespace {

std::string scalar_text(const Scalar& v) {
  if (v.is_const()) return std::to_string(static_cast<std::int64_t>(v.var_off.value));
  std::string text;
  const auto add = [&](const char* name, const std::string& value) {
    text += (text.empty() ? "" : ",") + std::string(name) + "=" + value;
  };
  if (v.smin != std::numeric_limits<std::int64_t>::min()) add("smin", std::to_string(v.smin));
  if (v.smax != std::numeric_limits<std::int64_t>::max()) add("smax", std::to_string(v.smax));
  if (v.umin != 0) add("umin", std::to_string(v.umin));
  if (v.umax != std::numeric_limits<std::uint64_t>::max()) add("umax", std::to_string(v.umax));
  if (v.var_off.mask != std::numeric_limits<std::uint64_t>::max()) add("var_off", tnum_str(v.var_off));
  return "scalar(" + text + ")";
}

std::string pointer_text(const RegState& r) {
  std::string text = reg_type_str(r.type);
  if (r.type == RegType::ptr_to_stack && r.var.is_const())
    return "fp" + std::to_string(std::int64_t{r.off} + static_cast<std::int64_t>(r.var.var_off.value));
  text += "(";
  std::string inner;
  const auto add = [&](const std::string& item) { inner += (inner.empty() ? "" : ",") + item; };
  if (r.id != 0) add("id=" + std::to_string(r.id));
  if (r.ref_obj_id != 0) add("ref_obj_id=" + std::to_string(r.ref_obj_id));
  if (r.off != 0) add("off=" + std::to_string(r.off));
  if (r.map != nullptr)
    add("map=" + r.map->name + ",ks=" + std::to_string(r.map->key_size) + ",vs=" + std::to_string(r.map->value_size));
  if (r.type == RegType::ptr_to_packet || r.type == RegType::ptr_to_packet_meta) add("r=" + std::to_string(r.range));
  if (r.type == RegType::ptr_to_mem || r.type == RegType::ptr_to_mem_or_null) add("sz=" + std::to_string(r.mem_size));
  if (!r.var.is_const() || r.var.var_off.value != 0) add(scalar_text(r.var));
  return text + inner + ")";
}

std::string reg_text(const RegState& r) { return r.is_scalar() ? scalar_text(r.var) : pointer_text(r); }

}  // namespace

std::string state_text(const State& state) {
  std::string text;
  const Frame& frame = state.cur();
  if (state.frames.size() > 1) text += "frame" + std::to_string(state.frames.size() - 1) + ":";
  for (int regno = 0; regno < kRegCount; ++regno) {
    const RegState& r = frame.regs[static_cast<std::size_t>(regno)];
    if (r.type != RegType::not_init) text += " " + reg_name(regno) + "=" + reg_text(r);
  }
  for (const auto& [slot, reg] : frame.spilled) {
    const std::int64_t off = std::int64_t{slot} * 8 - static_cast<std::int64_t>(kStackSize);
    text += " fp" + std::to_string(off) + "=" + reg_text(reg);
  }
  return text;
}

std::string log_line(std::span<const Insn> prog, std::size_t pc, const State& after) {
  char opcode[8];
  std::snprintf(opcode, sizeof opcode, "(%02x)", prog[pc].opcode);
  return std::to_string(pc) + ": " + opcode + " " + disassemble_insn(prog, pc) + " ;" + state_text(after) + "\n";
}

}  // namespace ubee::verifier
