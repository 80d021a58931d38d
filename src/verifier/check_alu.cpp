// ALU instructions: scalar bounds through scalar_alu(), and the pointer arithmetic the kernel allows
// (check_alu_op, adjust_reg_min_max_vals, adjust_ptr_min_max_vals in kernel/bpf/verifier.c).
#include "verifier/checker.hpp"

namespace ubee::verifier {
namespace {

constexpr std::int64_t kMaxVarOff = std::int64_t{1} << 29;  // BPF_MAX_VAR_OFF

// bpf_alu_string[], indexed by BPF_OP >> 4.
const char* alu_string(std::uint8_t op) {
  static constexpr const char* kNames[] = {"+=",  "-=",  "*=", "/=", "|=",   "&=",     "<<=", ">>=",
                                           "neg", "%=", "^=", "=",  "s>>=", "endian", "?",   "?"};
  return kNames[op >> 4];
}

bool uses_src_reg(const Insn& insn) {
  return insn.source() == BPF_X && insn.op() != BPF_END && insn.op() != BPF_NEG;
}

// check_alu_op's checks on immediates: the kernel refuses a constant zero divisor and oversized shifts.
Result<void> check_imm_operand(const Env& env, const Insn& insn, bool alu64) {
  if (insn.source() != BPF_K) return {};
  const std::uint8_t op = insn.op();
  if ((op == BPF_DIV || op == BPF_MOD) && insn.imm == 0) return env.fail("division by zero");
  const bool shift = op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH;
  if (shift && (insn.imm < 0 || insn.imm >= (alu64 ? 64 : 32)))
    return env.fail("invalid shift " + std::to_string(insn.imm));
  return {};
}

// `rX = rY` (64 bits, no sign extension): the destination is the source, bit for bit.
bool is_scalar_copy(const Insn& insn, bool alu64) {
  return insn.op() == BPF_MOV && alu64 && insn.source() == BPF_X && insn.off == 0;
}

// assign_scalar_id_before_mov(): a scalar about to be copied gets an id, which the copy shares, so that a
// comparison of either refines both (sync_linked_regs). Constants need none: there is nothing to learn.
void link_scalar(Env& env, RegState& src) {
  if (src.is_scalar() && src.id == 0 && !src.var.is_const()) src.id = env.next_id++;
}

// A mov copies a pointer whole; its 32-bit or sign-extending forms keep no pointer (privileged programs get an
// unknown number, unprivileged ones are refused: it would leak part of the address).
Result<void> check_mov(const Env& env, const Insn& insn, RegState& dst, const RegState& src, bool alu64) {
  if (is_scalar_copy(insn, alu64)) {
    dst = src;  // with its id: bounds either learns later hold for both
    return {};
  }
  if (!is_pointer(src.type)) {
    dst = RegState::scalar(scalar_alu(AluOp{BPF_MOV, alu64, insn.off, insn.imm, insn.source()}, dst.var, src.var));
    return {};
  }
  if (!alu64 && env.leaks(src)) return env.fail(reg_name(insn.src) + " partial copy of pointer");
  if (insn.off != 0 && env.leaks(src)) return env.fail(reg_name(insn.src) + " sign-extension part of pointer");
  // A sign-extended pointer is an address a privileged program may see, but no pointer any more.
  dst = alu64 && insn.off == 0 ? src : RegState::unknown();
  return {};
}

bool arithmetic_allowed(const RegState& ptr, const RegState& scalar, std::uint8_t op) {
  switch (ptr.type) {
    case RegType::ptr_to_ctx:
    case RegType::ptr_to_stack:
    case RegType::ptr_to_map_value:
    case RegType::ptr_to_packet:
    case RegType::ptr_to_packet_meta:
    case RegType::ptr_to_mem: return true;
    case RegType::const_ptr_to_map: return op == BPF_ADD && scalar.is_const_zero();
    default: return false;
  }
}

// check_reg_sane_offset(): offsets the kernel cannot reason about are refused outright.
Result<void> check_sane_offset(const Env& env, const RegState& ptr, const Scalar& value) {
  const char* type = reg_type_str(ptr.type);
  if (value.is_const() && (value.smin <= -kMaxVarOff || value.smin >= kMaxVarOff))
    return env.fail(std::string("math between ") + type + " pointer and " + std::to_string(value.smin) +
                    " is not allowed");
  if (!value.is_const() && value.smin == std::numeric_limits<std::int64_t>::min())
    return env.fail(std::string("math between ") + type +
                    " pointer and register with unbounded min value is not allowed");
  return {};
}

// check_stack_access_for_ptr_arithmetic(): without Spectre v1 protection for the stack, an unprivileged stack
// pointer must stay inside the frame, even where it is not dereferenced (a speculative access could be).
Result<void> check_stack_ptr_in_range(const Env& env, int regno, const RegState& ptr) {
  if (ptr.type != RegType::ptr_to_stack || env.options.privileged) return {};
  const std::int64_t off = std::int64_t{ptr.off} + static_cast<std::int64_t>(ptr.var.var_off.value);
  if (off < 0 && off >= -static_cast<std::int64_t>(kStackSize)) return {};
  return env.fail(reg_name(regno) + " stack pointer arithmetic goes out of range, prohibited for !root; off=" +
                  std::to_string(off));
}

// adjust_ptr_min_max_vals(): ptr += scalar, ptr -= scalar. Constants move the fixed offset; anything else the
// variable offset, and a packet pointer then starts a new range group with nothing proven.
Result<void> adjust_pointer(Env& env, const Insn& insn, RegState& ptr, const RegState& scalar) {
  const std::uint8_t op = insn.op();
  const int regno = insn.dst;
  if (op == BPF_AND || op == BPF_OR || op == BPF_XOR)
    return env.fail(reg_name(regno) + " bitwise operator " + alu_string(op) + " on pointer prohibited");
  if (op != BPF_ADD && op != BPF_SUB)
    return env.fail(reg_name(regno) + " pointer arithmetic with " + alu_string(op) + " operator prohibited");
  if (!arithmetic_allowed(ptr, scalar, op))
    return env.fail(reg_name(regno) + " pointer arithmetic on " + reg_type_str(ptr.type) + " prohibited" +
                    (is_or_null(ptr.type) ? ", null-check it first" : ""));
  // JITs may not cope with a frame pointer moved down by a subtraction: the kernel refuses it.
  if (op == BPF_SUB && ptr.type == RegType::ptr_to_stack)
    return env.fail(reg_name(regno) + " subtraction from stack pointer prohibited");
  UBEE_TRY(check_sane_offset(env, ptr, scalar.var));
  if (scalar.var.is_const()) {
    const std::int64_t delta = op == BPF_ADD ? scalar.var.smin : -scalar.var.smin;
    const std::int64_t off = ptr.off + delta;
    if (off <= -kMaxVarOff || off >= kMaxVarOff)
      return env.fail(std::string(reg_type_str(ptr.type)) + " pointer offset " + std::to_string(off) + " is not allowed");
    ptr.off = static_cast<std::int32_t>(off);
    return check_stack_ptr_in_range(env, regno, ptr);
  }
  record_speculation_limit(env, ptr, scalar.var, op == BPF_ADD);
  // Unprivileged stack pointers stay exact: the engines' Spectre masking does not cover the stack.
  if (ptr.type == RegType::ptr_to_stack && !env.options.privileged)
    return env.fail(reg_name(regno) + " variable stack access prohibited for !root, off=" + std::to_string(ptr.off));
  ptr.var = scalar_alu(AluOp{op, true, 0, 0, BPF_X}, ptr.var, scalar.var);
  if (ptr.type == RegType::ptr_to_packet || ptr.type == RegType::ptr_to_packet_meta) {
    ptr.id = env.next_id++;
    ptr.range = 0;
  }
  return {};
}

// adjust_reg_min_max_vals() when either operand is a pointer.
Result<void> pointer_alu(Env& env, const Insn& insn, RegState& dst, RegState src, bool alu64) {
  const std::uint8_t op = insn.op();
  const int regno = insn.dst;
  if (op == BPF_NEG || op == BPF_END) return env.fail(reg_name(regno) + " pointer arithmetic prohibited");
  if (!alu64) {
    // Privileged programs may subtract 32-bit halves of pointers (packet lengths): the result is a number.
    if (op != BPF_SUB || !env.options.privileged)
      return env.fail(reg_name(regno) + " 32-bit pointer arithmetic prohibited");
    dst = RegState::unknown();
    return {};
  }
  if (is_pointer(dst.type) && is_pointer(src.type)) {
    if (op != BPF_SUB || !env.options.privileged)
      return env.fail(reg_name(regno) + " pointer " + alu_string(op) + " pointer prohibited");
    dst = RegState::unknown();  // the distance between two pointers (allowed when privileged)
    return {};
  }
  if (is_pointer(dst.type)) return adjust_pointer(env, insn, dst, src);
  if (op == BPF_SUB) return env.fail(reg_name(regno) + " tried to subtract pointer from scalar");
  if (op != BPF_ADD)
    return env.fail(reg_name(regno) + " pointer arithmetic with " + alu_string(op) + " operator prohibited");
  const RegState scalar = dst;
  dst = src;  // scalar + pointer is pointer + scalar
  return adjust_pointer(env, insn, dst, scalar);
}

}  // namespace

Result<void> check_alu(Env& env, State& state, const Insn& insn) {
  const bool alu64 = insn.cls() == BPF_ALU64;
  if (insn.dst == kFramePointer) return env.fail("frame pointer is read only");
  if (uses_src_reg(insn)) UBEE_TRY(check_reg_read(env, state, insn.src));
  if (insn.op() != BPF_MOV) UBEE_TRY(check_reg_read(env, state, insn.dst));
  UBEE_TRY(check_imm_operand(env, insn, alu64));
  if (is_scalar_copy(insn, alu64)) link_scalar(env, state.reg(insn.src));
  const RegState src = uses_src_reg(insn) ? state.reg(insn.src) : RegState::scalar(imm_operand(insn.imm));
  RegState& dst = state.reg(insn.dst);
  if (insn.op() == BPF_MOV) return check_mov(env, insn, dst, src, alu64);
  if (is_pointer(dst.type) || is_pointer(src.type)) return pointer_alu(env, insn, dst, src, alu64);
  dst.var = scalar_alu(AluOp{insn.op(), alu64, insn.off, insn.imm, insn.source()}, dst.var, src.var);
  dst.id = 0;  // no longer the value its former copies hold
  return {};
}

}  // namespace ubee::verifier
