// Instruction -> micro-op translation. Families with the same layout for both widths (ALU32/ALU64, JMP32/JMP,
// atomic W/DW) are selected as "32-bit op + width delta", and register forms follow their immediate forms.
#include <string>

#include "micro_ops.hpp"

namespace ubee::vm {
namespace {

MicroOp shift(MicroOp base, int by) { return static_cast<MicroOp>(static_cast<int>(base) + by); }
constexpr int kAlu64Delta = static_cast<int>(MicroOp::ADD64_K) - static_cast<int>(MicroOp::ADD32_K);
constexpr int kJmp64Delta = static_cast<int>(MicroOp::JEQ64_K) - static_cast<int>(MicroOp::JEQ32_K);
constexpr int kAtomic64Delta = static_cast<int>(MicroOp::AADD64) - static_cast<int>(MicroOp::AADD32);

MicroOp byteswap_op(const Insn& in) {
  // On a little-endian host `le` only truncates and `bswap` (ALU64 class) is the same as `be`.
  const bool to_le = in.cls() == BPF_ALU && in.source() == BPF_K;
  const MicroOp base = to_le ? MicroOp::LE16 : MicroOp::BE16;
  return shift(base, in.imm == 16 ? 0 : in.imm == 32 ? 1 : 2);
}

MicroOp alu_op(const Insn& in) {
  const int width = in.cls() == BPF_ALU64 ? kAlu64Delta : 0;
  const int x = in.source() == BPF_X ? 1 : 0;
  const bool sign = in.off != 0;
  MicroOp base{};
  switch (in.op()) {
    case BPF_ADD: base = MicroOp::ADD32_K; break;
    case BPF_SUB: base = MicroOp::SUB32_K; break;
    case BPF_MUL: base = MicroOp::MUL32_K; break;
    case BPF_DIV: base = sign ? MicroOp::SDIV32_K : MicroOp::DIV32_K; break;
    case BPF_MOD: base = sign ? MicroOp::SMOD32_K : MicroOp::MOD32_K; break;
    case BPF_OR: base = MicroOp::OR32_K; break;
    case BPF_AND: base = MicroOp::AND32_K; break;
    case BPF_LSH: base = MicroOp::LSH32_K; break;
    case BPF_RSH: base = MicroOp::RSH32_K; break;
    case BPF_ARSH: base = MicroOp::ARSH32_K; break;
    case BPF_XOR: base = MicroOp::XOR32_K; break;
    case BPF_NEG: return shift(MicroOp::NEG32, width);
    case BPF_MOV:
      if (in.off == 32) return MicroOp::MOVSX32_64;
      if (in.off != 0) return shift(in.off == 8 ? MicroOp::MOVSX8_32 : MicroOp::MOVSX16_32, width);
      base = MicroOp::MOV32_K;
      break;
    default: return byteswap_op(in);
  }
  return shift(base, width + x);
}

MicroOp jmp_op(const Insn& in) {
  const int width = in.cls() == BPF_JMP ? kJmp64Delta : 0;
  const int x = in.source() == BPF_X ? 1 : 0;
  MicroOp base{};
  switch (in.op()) {
    case BPF_JEQ: base = MicroOp::JEQ32_K; break;
    case BPF_JNE: base = MicroOp::JNE32_K; break;
    case BPF_JGT: base = MicroOp::JGT32_K; break;
    case BPF_JGE: base = MicroOp::JGE32_K; break;
    case BPF_JLT: base = MicroOp::JLT32_K; break;
    case BPF_JLE: base = MicroOp::JLE32_K; break;
    case BPF_JSGT: base = MicroOp::JSGT32_K; break;
    case BPF_JSGE: base = MicroOp::JSGE32_K; break;
    case BPF_JSLT: base = MicroOp::JSLT32_K; break;
    case BPF_JSLE: base = MicroOp::JSLE32_K; break;
    default: base = MicroOp::JSET32_K; break;
  }
  return shift(base, width + x);
}

MicroOp atomic_op(const Insn& in) {
  const int width = in.size() == BPF_DW ? kAtomic64Delta : 0;
  MicroOp base{};
  switch (in.imm) {
    case BPF_ADD: base = MicroOp::AADD32; break;
    case BPF_OR: base = MicroOp::AOR32; break;
    case BPF_AND: base = MicroOp::AAND32; break;
    case BPF_XOR: base = MicroOp::AXOR32; break;
    case BPF_ADD | BPF_FETCH: base = MicroOp::AFADD32; break;
    case BPF_OR | BPF_FETCH: base = MicroOp::AFOR32; break;
    case BPF_AND | BPF_FETCH: base = MicroOp::AFAND32; break;
    case BPF_XOR | BPF_FETCH: base = MicroOp::AFXOR32; break;
    case BPF_XCHG: base = MicroOp::AXCHG32; break;
    default: base = MicroOp::ACMPXCHG32; break;
  }
  return shift(base, width);
}

// Load/store families are ordered B, H, W, DW in the enum.
MicroOp sized(MicroOp byte_form, std::uint8_t size) {
  switch (size) {
    case BPF_B: return byte_form;
    case BPF_H: return shift(byte_form, 1);
    case BPF_W: return shift(byte_form, 2);
    default: return shift(byte_form, 3);
  }
}

MicroOp memory_op(const Insn& in) {
  switch (in.cls()) {
    case BPF_LDX: return sized(in.mode() == BPF_MEMSX ? MicroOp::LDXSB : MicroOp::LDXB, in.size());
    case BPF_ST: return sized(MicroOp::STB, in.size());
    case BPF_STX: return in.mode() == BPF_ATOMIC ? atomic_op(in) : sized(MicroOp::STXB, in.size());
    default:  // BPF_LD: lddw or a legacy packet load
      if (in.is_lddw()) return MicroOp::LDDW;
      return sized(in.mode() == BPF_ABS ? MicroOp::LD_ABS_B : MicroOp::LD_IND_B, in.size());
  }
}

MicroOp control_op(const Insn& in) {
  if (in.op() == BPF_JA) return MicroOp::JA;
  if (in.op() == BPF_EXIT) return MicroOp::EXIT;
  if (in.op() != BPF_CALL) return jmp_op(in);
  if (in.source() == BPF_X) return MicroOp::CALLX;
  return in.src == BPF_PSEUDO_CALL ? MicroOp::CALL_LOCAL : MicroOp::CALL_HELPER;
}

MicroOp micro_op(const Insn& in) {
  switch (in.cls()) {
    case BPF_ALU:
    case BPF_ALU64: return in.op() == BPF_END ? byteswap_op(in) : alu_op(in);
    case BPF_JMP:
    case BPF_JMP32: return control_op(in);
    default: return memory_op(in);
  }
}

std::int32_t branch_target(const Insn& in, std::size_t pc) {
  const auto next = static_cast<std::int64_t>(pc) + 1;
  const bool imm_target = in.opcode == (BPF_JMP32 | BPF_JA) || in.op() == BPF_CALL || in.is_lddw();
  return static_cast<std::int32_t>(next + (imm_target ? in.imm : in.off));
}

Result<void> resolve_helper(Slot& slot, const Insn& in, std::size_t pc, const HelperRegistry& registry,
                            Decoded& out) {
  if (in.src == BPF_PSEUDO_KFUNC_CALL)
    return insn_error(Errc::unsupported, pc, "kfunc calls are not supported (btf id " + std::to_string(in.imm) + ")");
  const HelperProto* proto = registry.find(static_cast<std::uint32_t>(in.imm));
  if (proto == nullptr) return insn_error(Errc::unknown_helper, pc, "unknown helper id " + std::to_string(in.imm));
  slot.imm = static_cast<std::int64_t>(out.helpers.size());
  out.helpers.push_back(proto->fn);
  return {};
}

bool is_tail_call(const Insn& in) { return in.opcode == (BPF_JMP | BPF_CALL) && in.src == 0 && in.imm == BPF_FUNC_tail_call; }

Result<void> decode_lddw(Slot& slot, const Insn& lo, const Insn& hi, std::size_t pc) {
  if (lo.src == BPF_PSEUDO_FUNC) {
    slot.imm = static_cast<std::int64_t>(kFunctionTag | static_cast<std::uint64_t>(branch_target(lo, pc)));
    return {};
  }
  if (lo.src != 0)
    return insn_error(Errc::unsupported, pc, "lddw pseudo source " + std::to_string(lo.src) +
                                                 " must be resolved by the loader before it runs");
  slot.imm = static_cast<std::int64_t>(lddw_imm(lo, hi));
  return {};
}

}  // namespace

Result<Decoded> predecode(std::span<const Insn> program, const HelperRegistry& registry, bool tail_calls) {
  Decoded out;
  out.registry = &registry;
  out.slots.resize(program.size());
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const Insn& in = program[pc];
    Slot& slot = out.slots[pc];
    slot = Slot{micro_op(in), in.dst, in.src, 0, in.off, in.imm};
    const bool is_control = in.cls() == BPF_JMP || in.cls() == BPF_JMP32;
    if (is_control && in.op() != BPF_EXIT) slot.target = branch_target(in, pc);
    if (slot.op == MicroOp::CALL_HELPER && tail_calls && is_tail_call(in)) slot.op = MicroOp::TAIL_CALL;
    if (slot.op == MicroOp::CALL_HELPER) {
      if (auto r = resolve_helper(slot, in, pc, registry, out); !r) return r.error();
    }
    if (in.is_lddw()) {
      if (auto r = decode_lddw(slot, in, program[pc + 1], pc); !r) return r.error();
      out.slots[++pc] = Slot{MicroOp::EXIT, 0, 0, 0, 0, 0};  // never reached: validate() forbids jumps here
    }
  }
  return out;
}

}  // namespace ubee::vm
