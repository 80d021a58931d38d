// Structural validation of eBPF bytecode (RFC 9669 section 3 and 5 encoding rules), the checks every engine
// relies on before it runs a single instruction. Semantic safety (types, bounds) is the verifier's job.
#include <cstring>
#include <optional>
#include <string>

#include "ubee/isa.hpp"

namespace ubee {
namespace {

// Two hex digits without a prefix, as the kernel's "%02x" prints opcodes.
std::string hex8(unsigned v) {
  static constexpr char digits[] = "0123456789abcdef";
  return std::string{digits[(v >> 4) & 0xf], digits[v & 0xf]};
}

// The kernel's check_subprogs() wording: a program or function must not run past its last instruction.
constexpr const char* kFallsOff = "last insn is not an exit or jmp";

// Returns an empty string when the fields of `in` are allowed for its opcode, else the reason.
class InsnChecker {
 public:
  InsnChecker(const Insn& in, const ValidateOptions& options) : in_(in), options_(options) {}

  std::string check() const {
    // check_reg_arg(): "R%d is invalid", for either operand.
    if (in_.dst >= kRegCount) return "R" + std::to_string(in_.dst) + " is invalid";
    if (in_.src >= kRegCount && !(in_.is_lddw() || is_call())) return "R" + std::to_string(in_.src) + " is invalid";
    switch (in_.cls()) {
      case BPF_ALU:
      case BPF_ALU64: return check_alu();
      case BPF_JMP:
      case BPF_JMP32: return check_jmp();
      case BPF_LD: return check_ld();
      case BPF_LDX: return check_ldx();
      case BPF_ST: return check_st();
      default: return check_stx();
    }
  }

 private:
  const Insn& in_;
  const ValidateOptions& options_;

  bool is_call() const { return in_.opcode == (BPF_JMP | BPF_CALL); }
  std::string unknown() const { return "unknown opcode " + hex8(in_.opcode); }
  static std::string nonzero(const char* field) { return std::string("reserved field '") + field + "' is not zero"; }
  bool x() const { return in_.source() == BPF_X; }
  // Fields a register-source form leaves unused (imm) or an immediate form leaves unused (src).
  std::string check_operand_fields() const {
    if (x() && in_.imm != 0) return nonzero("imm");
    if (!x() && in_.src != 0) return nonzero("src");
    return {};
  }

  std::string check_alu() const {
    const bool is64 = in_.cls() == BPF_ALU64;
    switch (in_.op()) {
      case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_OR: case BPF_AND:
      case BPF_LSH: case BPF_RSH: case BPF_XOR: case BPF_ARSH:
        if (in_.off != 0) return nonzero("off");
        return check_operand_fields();
      case BPF_DIV: case BPF_MOD:
        if (in_.off != 0 && in_.off != 1) return "invalid offset " + std::to_string(in_.off) + " for div/mod (0 or 1)";
        return check_operand_fields();
      case BPF_NEG:
        if (x()) return unknown();
        if (in_.src != 0 || in_.off != 0 || in_.imm != 0) return nonzero(in_.imm ? "imm" : "off");
        return {};
      case BPF_MOV: return check_mov(is64);
      case BPF_END: return check_end(is64);
      default: return unknown();
    }
  }

  std::string check_mov(bool is64) const {
    if (!x()) return in_.off != 0 ? nonzero("off") : check_operand_fields();
    const bool sext_ok = in_.off == 0 || in_.off == 8 || in_.off == 16 || (is64 && in_.off == 32);
    if (!sext_ok) return "invalid sign-extension width " + std::to_string(in_.off) + " for mov";
    return check_operand_fields();
  }

  std::string check_end(bool is64) const {
    if (is64 && x()) return unknown();  // 0xdf has no meaning; 0xd7 is bswap
    if (in_.src != 0 || in_.off != 0) return nonzero(in_.src ? "src" : "off");
    if (in_.imm != 16 && in_.imm != 32 && in_.imm != 64) return "BPF_END uses reserved fields";
    return {};
  }

  std::string check_jmp() const {
    const bool is32 = in_.cls() == BPF_JMP32;
    switch (in_.op()) {
      case BPF_JA:
        if (x()) return unknown();
        if (in_.dst != 0 || in_.src != 0) return nonzero(in_.dst ? "dst" : "src");
        if (is32 ? in_.off != 0 : in_.imm != 0) return nonzero(is32 ? "off" : "imm");
        return {};
      case BPF_JEQ: case BPF_JGT: case BPF_JGE: case BPF_JSET: case BPF_JNE: case BPF_JSGT: case BPF_JSGE:
      case BPF_JLT: case BPF_JLE: case BPF_JSLT: case BPF_JSLE:
        return check_operand_fields();
      case BPF_CALL: return is32 ? unknown() : check_call();
      case BPF_EXIT:
        if (is32 || x()) return unknown();
        if (in_.dst || in_.src || in_.off || in_.imm) return nonzero(in_.imm ? "imm" : in_.off ? "off" : "register");
        return {};
      default: return unknown();
    }
  }

  std::string check_call() const {
    if (x()) {
      if (!options_.allow_callx) return unknown();  // the kernel has no callx: the opcode means nothing to it
      if (in_.src != 0 || in_.off != 0 || in_.imm != 0) return nonzero(in_.src ? "src" : in_.off ? "off" : "imm");
      return {};
    }
    if (in_.dst != 0) return nonzero("dst");
    if (in_.src == 0 || in_.src == BPF_PSEUDO_CALL) return in_.off != 0 ? nonzero("off") : std::string{};
    if (in_.src == BPF_PSEUDO_KFUNC_CALL) return {};  // off selects the module BTF
    return "invalid call kind src=" + std::to_string(in_.src);
  }

  std::string check_ld() const {
    if (in_.is_lddw()) {
      if (in_.off != 0) return nonzero("off");
      if (in_.src > BPF_PSEUDO_MAP_IDX_VALUE) return "unrecognized bpf_ld_imm64 insn";
      return {};
    }
    // Legacy packet loads (RFC 9669 section 5.5): implicit packet in the context, result in r0.
    const bool packet = (in_.mode() == BPF_ABS || in_.mode() == BPF_IND) && in_.size() != BPF_DW;
    if (!packet) return unknown();
    if (in_.dst != 0 || in_.off != 0) return nonzero(in_.dst ? "dst" : "off");
    if (in_.mode() == BPF_ABS && in_.src != 0) return nonzero("src");
    return {};
  }

  std::string check_ldx() const {
    if (in_.mode() != BPF_MEM && !(in_.mode() == BPF_MEMSX && in_.size() != BPF_DW)) return unknown();
    return in_.imm != 0 ? nonzero("imm") : std::string{};
  }

  std::string check_st() const {
    if (in_.mode() != BPF_MEM) return unknown();
    return in_.src != 0 ? nonzero("src") : std::string{};
  }

  std::string check_stx() const {
    if (in_.mode() == BPF_MEM) return in_.imm != 0 ? nonzero("imm") : std::string{};
    if (in_.mode() != BPF_ATOMIC) return unknown();
    if (in_.size() != BPF_W && in_.size() != BPF_DW) return "invalid atomic operand size";
    switch (in_.imm) {
      case BPF_ADD: case BPF_OR: case BPF_AND: case BPF_XOR:
      case BPF_ADD | BPF_FETCH: case BPF_OR | BPF_FETCH: case BPF_AND | BPF_FETCH: case BPF_XOR | BPF_FETCH:
      case BPF_XCHG: case BPF_CMPXCHG: return {};
      default: return "BPF_ATOMIC uses invalid atomic opcode " + hex8(static_cast<unsigned>(in_.imm) & 0xff) +
                      (in_.imm > 0xff || in_.imm < 0 ? " (imm " + std::to_string(in_.imm) + ")" : "");
    }
  }
};

// The register an instruction writes, or -1.
int written_register(const Insn& in) {
  switch (in.cls()) {
    case BPF_ALU:
    case BPF_ALU64:
    case BPF_LDX: return in.dst;
    case BPF_LD: return in.is_lddw() ? in.dst : 0;
    case BPF_STX:
      if (in.mode() != BPF_ATOMIC) return -1;
      if (in.imm == BPF_CMPXCHG) return 0;
      return (in.imm & BPF_FETCH) ? in.src : -1;
    default: return -1;
  }
}

// Target slot of a jump or local call, when `in` has one. Computed in 64 bits so no offset overflows.
std::optional<std::int64_t> branch_target(const Insn& in, std::size_t pc) {
  const auto next = static_cast<std::int64_t>(pc) + 1;
  if (in.is_lddw() && in.src == BPF_PSEUDO_FUNC) return next + in.imm;  // a callback's address
  if (in.cls() != BPF_JMP && in.cls() != BPF_JMP32) return std::nullopt;
  if (in.cls() == BPF_JMP32 && in.op() == BPF_JA) return next + in.imm;
  if (in.op() == BPF_CALL) {
    if (in.src == BPF_PSEUDO_CALL && in.source() == BPF_K) return next + in.imm;
    return std::nullopt;
  }
  if (in.op() == BPF_EXIT) return std::nullopt;
  return next + in.off;
}

// A call names its target as the kernel's add_subprog() does; a jump gives where it would land.
std::string out_of_range(const Insn& in, std::int64_t target) {
  if (in.opcode == (BPF_JMP | BPF_CALL)) return "call to invalid destination " + std::to_string(target);
  return "jump out of range to " + std::to_string(target);
}

bool ends_control_flow(const Insn& in) {
  return in.opcode == (BPF_JMP | BPF_EXIT) || in.opcode == (BPF_JMP | BPF_JA) || in.opcode == (BPF_JMP32 | BPF_JA);
}

Result<void> check_lddw_pair(std::span<const Insn> program, std::size_t pc) {
  // The kernel finds a first half in the last slot as a last instruction that is no exit.
  if (pc + 1 >= program.size()) return insn_error(Errc::invalid_program, pc, kFallsOff);
  const Insn& hi = program[pc + 1];
  if (hi.opcode != 0 || hi.dst != 0 || hi.src != 0 || hi.off != 0)
    return insn_error(Errc::invalid_program, pc + 1, "invalid bpf_ld_imm64 insn");
  return {};
}

}  // namespace

std::vector<Insn> make_lddw(int dst, std::uint64_t imm, int src) {
  Insn lo{};
  lo.opcode = BPF_LD | BPF_IMM | BPF_DW;
  lo.dst = static_cast<std::uint8_t>(dst);
  lo.src = static_cast<std::uint8_t>(src);
  lo.imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(imm));
  Insn hi{};
  hi.imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(imm >> 32));
  return {lo, hi};
}

Result<void> validate(std::span<const Insn> program, const ValidateOptions& options) {
  if (program.empty()) return make_error(Errc::invalid_program, "program is empty");
  if (program.size() > kMaxInsns)
    return make_error(Errc::invalid_program, "program has " + std::to_string(program.size()) +
                                                 " instructions, more than the limit of " + std::to_string(kMaxInsns));
  std::vector<bool> second_half(program.size(), false);
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const Insn& in = program[pc];
    if (std::string why = InsnChecker(in, options).check(); !why.empty())
      return insn_error(Errc::invalid_program, pc, why);
    if (written_register(in) == kFramePointer) return insn_error(Errc::invalid_program, pc, "frame pointer is read only");
    if (in.is_lddw()) {
      if (auto r = check_lddw_pair(program, pc); !r) return r;
      second_half[++pc] = true;
    }
  }
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const auto target = second_half[pc] ? std::nullopt : branch_target(program[pc], pc);
    if (!target) continue;
    if (*target < 0 || *target >= static_cast<std::int64_t>(program.size()))
      return insn_error(Errc::invalid_program, pc, out_of_range(program[pc], *target));
    if (second_half[static_cast<std::size_t>(*target)])
      return insn_error(Errc::invalid_program, pc, "jump into the middle of lddw at " + std::to_string(*target - 1));
  }
  const std::size_t last = program.size() - 1;
  if (!second_half[last] && ends_control_flow(program[last])) return {};
  return insn_error(Errc::invalid_program, last, kFallsOff);
}

Result<Program> decode(std::span<const std::uint8_t> bytes, const ValidateOptions& options) {
  if (bytes.size() % kInsnSize != 0)
    return make_error(Errc::invalid_program, "program size " + std::to_string(bytes.size()) +
                                                 " bytes is not a multiple of 8");
  Program program(bytes.size() / kInsnSize);
  if (!bytes.empty()) std::memcpy(program.data(), bytes.data(), bytes.size());
  if (auto r = validate(program, options); !r) return r.error();
  return program;
}

std::vector<std::uint8_t> encode(std::span<const Insn> program) {
  std::vector<std::uint8_t> bytes(program.size() * kInsnSize);
  if (!program.empty()) std::memcpy(bytes.data(), program.data(), bytes.size());
  return bytes;
}

}  // namespace ubee
