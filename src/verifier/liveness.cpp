// Backward liveness over registers (see liveness.hpp).
#include "verifier/liveness.hpp"

namespace ubee::verifier {
namespace {

constexpr RegMask bit(int regno) { return static_cast<RegMask>(1u << regno); }
constexpr RegMask kArgRegs = 0x3e;     // r1-r5: a helper may read all of them
constexpr RegMask kCallClobbers = 0x3f;  // r0-r5

struct UseDef {
  RegMask use = 0;
  RegMask def = 0;
};

UseDef alu_use_def(const Insn& insn) {
  const RegMask src = insn.source() == BPF_X && insn.op() != BPF_END && insn.op() != BPF_NEG ? bit(insn.src) : 0;
  if (insn.op() == BPF_MOV) return {src, bit(insn.dst)};
  return {static_cast<RegMask>(src | bit(insn.dst)), bit(insn.dst)};
}

UseDef atomic_use_def(const Insn& insn) {
  UseDef ud{static_cast<RegMask>(bit(insn.dst) | bit(insn.src)), 0};
  if (insn.imm == BPF_CMPXCHG) {
    ud.use |= bit(0);
    ud.def = bit(0);
  } else if ((insn.imm & BPF_FETCH) != 0) {
    ud.def = bit(insn.src);
  }
  return ud;
}

UseDef jump_use_def(const Insn& insn) {
  switch (insn.op()) {
    case BPF_JA: return {};
    case BPF_CALL: return {kArgRegs, kCallClobbers};
    case BPF_EXIT: return {bit(0), 0};
    default: return {static_cast<RegMask>(bit(insn.dst) | (insn.source() == BPF_X ? bit(insn.src) : 0)), 0};
  }
}

UseDef use_def(const Insn& insn) {
  switch (insn.cls()) {
    case BPF_ALU:
    case BPF_ALU64: return alu_use_def(insn);
    case BPF_LDX: return {bit(insn.src), bit(insn.dst)};
    case BPF_ST: return {bit(insn.dst), 0};
    case BPF_STX:
      if (insn.mode() == BPF_ATOMIC) return atomic_use_def(insn);
      return {static_cast<RegMask>(bit(insn.dst) | bit(insn.src)), 0};
    case BPF_LD: return insn.is_lddw() ? UseDef{0, bit(insn.dst)} : UseDef{kArgRegs | bit(6), kCallClobbers};
    default: return jump_use_def(insn);
  }
}

// Registers live after `pc`: the union over its successors.
RegMask live_out(std::span<const Insn> prog, const std::vector<RegMask>& live, std::size_t pc) {
  const Insn& insn = prog[pc];
  if (insn.is_lddw()) return live[pc + 2];
  if (insn.cls() != BPF_JMP && insn.cls() != BPF_JMP32) return live[pc + 1];
  if (insn.op() == BPF_EXIT) return 0;
  if (insn.op() == BPF_CALL) return live[pc + 1];
  const std::int64_t offset = insn.cls() == BPF_JMP32 && insn.op() == BPF_JA ? insn.imm : insn.off;
  const RegMask target = live[static_cast<std::size_t>(static_cast<std::int64_t>(pc) + 1 + offset)];
  return insn.op() == BPF_JA ? target : static_cast<RegMask>(target | live[pc + 1]);
}

}  // namespace

std::vector<RegMask> live_registers(std::span<const Insn> prog) {
  std::vector<RegMask> live(prog.size() + 2, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t pc = prog.size(); pc-- > 0;) {
      if (pc > 0 && prog[pc - 1].is_lddw()) continue;  // the second slot of a lddw
      const UseDef ud = use_def(prog[pc]);
      const RegMask in = static_cast<RegMask>(ud.use | (live_out(prog, live, pc) & ~ud.def) | bit(kFramePointer));
      if (in != live[pc]) {
        live[pc] = in;
        changed = true;
      }
    }
  }
  return live;
}

void clean_dead_registers(State& state, RegMask live) {
  for (int regno = 0; regno < kRegCount; ++regno)
    if ((live & bit(regno)) == 0) state.reg(regno) = RegState{};
}

}  // namespace ubee::verifier
