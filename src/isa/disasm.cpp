// The disassembler: llvm-objdump's BPF syntax. An encoding is rendered only when every one of its fields is
// visible in the text; anything else prints as `<invalid: opcode 0xNN>`. That rule, not a later check, is what
// makes assemble(disassemble(p)) == p hold for every program the disassembler prints without complaint.
//
// Numbers: immediates and offsets are signed decimal; jump, call and func() displacements always carry their
// sign (`+0`); a lddw immediate is decimal below 2^31 and otherwise the 0x-hex of its 64-bit pattern, so that
// addresses and masks stay readable and `r1 = -1 ll` is spelled 0xffffffffffffffff.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "asm_syntax.hpp"
#include "ubee/asm.hpp"

namespace ubee {
namespace {

using Text = std::optional<std::string>;  // nullopt: the encoding has no text form

// C++20 has no operator+ for std::string_view; the tables are all string_views.
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

std::string num(std::int64_t v) { return std::to_string(v); }
std::string rel(std::int64_t v) { return v < 0 ? num(v) : "+" + num(v); }
std::string reg(unsigned r, bool wide) { return (wide ? "r" : "w") + std::to_string(r); }

std::string hex(std::uint64_t v, int min_digits = 1) {
  char digits[16];
  const auto end = std::to_chars(digits, digits + sizeof digits, v, 16).ptr;
  const auto len = end - digits;
  return "0x" + std::string(len < min_digits ? min_digits - len : 0, '0') + std::string(digits, end);
}

std::string lddw_value(std::uint64_t v) { return v < 0x80000000u ? std::to_string(v) : hex(v); }

// "r1 + 4", "r10 - 8": the inside of memory operands and of skb[] indexes.
std::string base_plus(unsigned base, std::int64_t disp) {
  return cat(reg(base, true), disp < 0 ? " - " : " + ", num(disp < 0 ? -disp : disp));
}

// "(u32 *)", "(s8 *)"
std::string ptr_type(char sign, std::uint8_t size) {
  return cat("(", std::string(1, sign), num(static_cast<std::int64_t>(access_width(size) * 8)), " *)");
}

// "*(u32 *)(r1 + 4)"
std::string mem(char sign, std::uint8_t size, unsigned base, std::int16_t off) {
  return cat("*", ptr_type(sign, size), "(", base_plus(base, off), ")");
}

// The right-hand side of a K or X form; nullopt when the field the form leaves unused is not zero.
Text operand(const Insn& in, bool wide) {
  if (in.source() == BPF_X) return in.imm == 0 ? Text(reg(in.src, wide)) : std::nullopt;
  return in.src == 0 ? Text(num(in.imm)) : std::nullopt;
}

Text render_binop(const Insn& in, bool wide) {
  const auto* op = syntax::find(syntax::kAluOps, [&](const auto& e) { return e.op == in.op() && e.off == in.off; });
  const Text rhs = operand(in, wide);
  if (op == nullptr || !rhs) return {};
  return cat(reg(in.dst, wide), " ", op->text, " ", *rhs);
}

Text render_mov(const Insn& in, bool wide) {
  const Text rhs = operand(in, wide);
  if (!rhs) return {};
  const std::string lhs = reg(in.dst, wide) + " = ";
  if (in.off == 0) return lhs + *rhs;
  if (in.source() != BPF_X || !syntax::is_movsx_width(in.off, wide)) return {};
  return cat(lhs, "(s", num(in.off), ")", *rhs);
}

Text render_swap(const Insn& in) {
  const auto* swap = syntax::find(syntax::kSwaps, [&](const auto& e) { return e.opcode == in.opcode; });
  if (swap == nullptr || in.src != 0 || in.off != 0 || !syntax::is_swap_width(in.imm)) return {};
  const std::string r = reg(in.dst, true);
  return cat(r, " = ", swap->name, num(in.imm), " ", r);
}

Text render_alu(const Insn& in) {
  const bool wide = in.cls() == BPF_ALU64;
  switch (in.op()) {
    case BPF_NEG:
      if (in.source() != BPF_K || in.src != 0 || in.off != 0 || in.imm != 0) return {};
      return cat(reg(in.dst, wide), " = -", reg(in.dst, wide));
    case BPF_MOV: return render_mov(in, wide);
    case BPF_END: return render_swap(in);
    default: return render_binop(in, wide);
  }
}

std::string pseudo_args(const syntax::Pseudo& pseudo, std::int32_t first, std::int32_t second) {
  std::string text = pseudo.args == syntax::PseudoArgs::target ? rel(first) : num(first);
  if (pseudo.args == syntax::PseudoArgs::two || second != 0) text += ", " + num(second);
  return text;
}

Text render_lddw(std::span<const Insn> program, std::size_t index) {
  if (index + 1 >= program.size()) return {};
  const Insn& lo = program[index];
  const Insn& hi = program[index + 1];
  if (lo.off != 0 || hi.opcode != 0 || hi.dst != 0 || hi.src != 0 || hi.off != 0) return {};
  const std::string lhs = reg(lo.dst, true) + " = ";
  if (lo.src == 0) return cat(lhs, lddw_value(lddw_imm(lo, hi)), " ", syntax::kLddwSuffix);
  const auto* pseudo = syntax::find(syntax::kPseudos, [&](const auto& e) { return e.src == lo.src; });
  if (pseudo == nullptr) return {};
  return cat(lhs, pseudo->name, "(", pseudo_args(*pseudo, lo.imm, hi.imm), ") ", syntax::kLddwSuffix);
}

// Legacy packet loads: the result is always r0, so dst must be 0 for the text to say everything.
Text render_ld(std::span<const Insn> program, std::size_t index) {
  const Insn& in = program[index];
  if (in.is_lddw()) return render_lddw(program, index);
  const bool ind = in.mode() == BPF_IND;
  if ((in.mode() != BPF_ABS && !ind) || in.size() == BPF_DW || in.dst != 0 || in.off != 0) return {};
  if (!ind && in.src != 0) return {};
  const std::string index_text = ind ? base_plus(in.src, in.imm) : num(in.imm);
  return cat("r0 = *", ptr_type('u', in.size()), syntax::kPacket, "[", index_text, "]");
}

Text render_ldx(const Insn& in) {
  const bool sx = in.mode() == BPF_MEMSX;
  if ((in.mode() != BPF_MEM && !(sx && in.size() != BPF_DW)) || in.imm != 0) return {};
  return cat(reg(in.dst, true), " = ", mem(sx ? 's' : 'u', in.size(), in.src, in.off));
}

Text render_st(const Insn& in) {
  if (in.mode() != BPF_MEM || in.src != 0) return {};
  return cat(mem('u', in.size(), in.dst, in.off), " = ", num(in.imm));
}

Text render_exchange(const Insn& in, const syntax::Exchange& x) {
  const bool wide = in.size() == BPF_DW;
  const std::string head = cat(wide ? x.name64 : x.name32, "(", base_plus(in.dst, in.off), ", ");
  const std::string value = reg(in.src, wide);
  if (x.imm == BPF_XCHG) return cat(value, " = ", head, value, ")");
  const std::string r0 = reg(0, wide);
  return cat(r0, " = ", head, r0, ", ", value, ")");
}

Text render_atomic(const Insn& in) {
  if (in.size() != BPF_W && in.size() != BPF_DW) return {};
  const std::string value = reg(in.src, in.size() == BPF_DW);
  const auto imm_is = [&in](std::int32_t flags) {
    return [&in, flags](const auto& e) { return (e.imm | flags) == in.imm; };
  };
  if (const auto* op = syntax::find(syntax::kAtomicOps, imm_is(0)))
    return cat("lock ", mem('u', in.size(), in.dst, in.off), " ", op->text, " ", value);
  if (const auto* op = syntax::find(syntax::kAtomicOps, imm_is(BPF_FETCH))) {
    const std::string where = cat(ptr_type('u', in.size()), "(", base_plus(in.dst, in.off), ")");
    return cat(value, " = ", syntax::kFetchPrefix, op->name, "(", where, ", ", value, ")");
  }
  if (const auto* x = syntax::find(syntax::kExchanges, imm_is(0))) return render_exchange(in, *x);
  return {};
}

Text render_stx(const Insn& in) {
  if (in.mode() == BPF_ATOMIC) return render_atomic(in);
  if (in.mode() != BPF_MEM || in.imm != 0) return {};
  return cat(mem('u', in.size(), in.dst, in.off), " = ", reg(in.src, true));
}

// JMP's `goto` keeps its target in off; JMP32's `gotol` in imm, for reaches beyond 16 bits.
Text render_ja(const Insn& in, bool wide) {
  if (in.source() != BPF_K || in.dst != 0 || in.src != 0) return {};
  if (wide) return in.imm == 0 ? Text("goto " + rel(in.off)) : std::nullopt;
  return in.off == 0 ? Text("gotol " + rel(in.imm)) : std::nullopt;
}

Text render_call(const Insn& in) {
  if (in.source() == BPF_X)  // callx keeps its register in dst
    return in.src == 0 && in.off == 0 && in.imm == 0 ? Text("callx " + reg(in.dst, true)) : std::nullopt;
  if (in.dst != 0) return {};
  switch (in.src) {
    case 0: return in.off == 0 ? Text("call " + num(in.imm)) : std::nullopt;
    case BPF_PSEUDO_CALL: return in.off == 0 ? Text(cat("call ", syntax::kPcRelative, rel(in.imm))) : std::nullopt;
    case BPF_PSEUDO_KFUNC_CALL:  // off selects the BTF of a kernel module
      return cat("call ", syntax::kKfunc, "(", num(in.imm), in.off != 0 ? ", " + num(in.off) : "", ")");
    default: return {};
  }
}

Text render_cond(const Insn& in, bool wide) {
  const auto* op = syntax::find(syntax::kJmpOps, [&](const auto& e) { return e.op == in.op(); });
  const Text rhs = operand(in, wide);
  if (op == nullptr || !rhs) return {};
  return cat("if ", reg(in.dst, wide), " ", op->text, " ", *rhs, " goto ", rel(in.off));
}

Text render_jmp(const Insn& in) {
  const bool wide = in.cls() == BPF_JMP;
  switch (in.op()) {
    case BPF_JA: return render_ja(in, wide);
    case BPF_CALL: return wide ? render_call(in) : std::nullopt;
    case BPF_EXIT:
      if (in.opcode != (BPF_JMP | BPF_EXIT) || in.dst != 0 || in.src != 0 || in.off != 0 || in.imm != 0) return {};
      return "exit";
    default: return render_cond(in, wide);
  }
}

Text render(std::span<const Insn> program, std::size_t index) {
  const Insn& in = program[index];
  if (in.dst >= kRegCount || in.src >= kRegCount) return {};
  switch (in.cls()) {
    case BPF_ALU:
    case BPF_ALU64: return render_alu(in);
    case BPF_LD: return render_ld(program, index);
    case BPF_LDX: return render_ldx(in);
    case BPF_ST: return render_st(in);
    case BPF_STX: return render_stx(in);
    default: return render_jmp(in);
  }
}

std::string invalid(const Insn& in) { return "<invalid: opcode " + hex(in.opcode, 2) + ">"; }

// "%4zu: ", as bpftool prints slot indexes.
std::string slot_prefix(std::size_t index) {
  const std::string digits = std::to_string(index);
  return std::string(digits.size() < 4 ? 4 - digits.size() : 0, ' ') + digits + ": ";
}

}  // namespace

std::string disassemble_insn(std::span<const Insn> program, std::size_t index) {
  if (index >= program.size()) return "<invalid: no instruction " + std::to_string(index) + ">";
  const Text text = render(program, index);
  return text ? *text : invalid(program[index]);
}

std::string disassemble(std::span<const Insn> program, const DisasmOptions& options) {
  std::string out;
  for (std::size_t index = 0; index < program.size();) {
    const Text text = render(program, index);
    if (options.numbered) out += slot_prefix(index);
    out += text ? *text : invalid(program[index]);
    out += '\n';
    // A lddw that failed to render leaves its second slot to be shown on a line of its own.
    index += text && program[index].is_lddw() ? 2 : 1;
  }
  return out;
}

}  // namespace ubee
