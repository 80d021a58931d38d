// eBPF -> x86-64 through asmjit, one emit function per instruction class. The register map, calling
// convention and the div/shift/atomic sequences follow the kernel's JIT (arch/x86/net/bpf_jit_comp.c); the
// corner cases the kernel leaves to the verifier's rewrites (division by zero, INT_MIN / -1) are emitted here,
// with the interpreter's results.
#include <asmjit/x86.h>

#include <array>
#include <cstddef>
#include <optional>
#include <random>
#include <string>

#include "jit_state.hpp"
#include "map_inline.hpp"
#include "vm/micro_ops.hpp"

namespace ubee::jit {
namespace {

namespace x86 = asmjit::x86;
using asmjit::Label;
using x86::CondCode;
using x86::Gp;
using x86::Mem;

// eBPF r0-r10 as the kernel maps them: r1-r5 are the System V argument registers (helper calls need no moves),
// r6-r9 and r10 are callee-saved (they survive helper calls for free).
const std::array<Gp, kRegCount> kRegs = {x86::rax, x86::rdi, x86::rsi, x86::rdx, x86::rcx, x86::r8,
                                         x86::rbx, x86::r13, x86::r14, x86::r15, x86::rbp};
// Scratch registers no eBPF register lives in; r11 is the kernel's AUX_REG. r9 doubles as the sixth System V
// argument (the RunContext&) at helper calls.
const Gp kAux = x86::r11;
const Gp kTmp = x86::r10;
const Gp kTmp2 = x86::r9;
const Gp kState = x86::r12;  // JitState*, callee-saved

Gp reg(int r) { return kRegs[static_cast<std::size_t>(r)]; }
Gp sized(const Gp& r, bool is64) { return is64 ? Gp(r.r64()) : Gp(r.r32()); }
Mem state_field(std::size_t offset, std::uint32_t size = 8) { return x86::ptr(kState, static_cast<int>(offset), size); }

std::uint32_t access_size(std::uint8_t size) { return static_cast<std::uint32_t>(access_width(size)); }

std::size_t branch_target(const Insn& in, std::size_t pc) {
  const bool imm_target = in.opcode == (BPF_JMP32 | BPF_JA) || in.op() == BPF_CALL || in.is_lddw();
  return static_cast<std::size_t>(static_cast<std::int64_t>(pc) + 1 + (imm_target ? in.imm : in.off));
}

class ErrorCollector final : public asmjit::ErrorHandler {
 public:
  void handleError(asmjit::Error err, const char* message, asmjit::BaseEmitter*) override {
    if (error == asmjit::kErrorOk) error = err, text = message;
  }
  asmjit::Error error = asmjit::kErrorOk;
  std::string text;
};

constexpr std::int32_t kTailCallHelper = 12;  // BPF_FUNC_tail_call

class Emitter {
 public:
  Emitter(x86::Assembler& a, std::span<const Insn> program, const HelperRegistry& helpers, const EmitOptions& options)
      : a_(a), program_(program), helpers_(helpers), options_(options), rng_(std::random_device{}()) {
    for (std::size_t i = 0; i < program.size(); ++i) labels_.push_back(a_.newLabel());
    if (options.inline_map_lookups) r1_lddw_ = lddw_in_r1(program);
    abort_ = a_.newLabel();
    packet_fail_ = a_.newLabel();
    tail_ = a_.newLabel();
  }

  Result<void> body();
  void trampoline();
  [[nodiscard]] const std::vector<Label>& labels() const { return labels_; }
  [[nodiscard]] Label tail() const { return tail_; }

 private:
  struct Stub {
    Label label;
    std::size_t pc;
    RunError kind;
  };

  Result<void> insn(std::size_t pc);
  void alu(const Insn& in);
  [[nodiscard]] std::uint32_t speculation_limit(const Insn& in, std::size_t pc) const;
  void masked_pointer_alu(const Insn& in, std::uint32_t limit);
  void mov(const Insn& in, const Gp& dst, const Gp& src, bool is64);
  void shift(const Insn& in, const Gp& dst, const Gp& src, bool is64);
  void shift_by(const Insn& in, const Gp& dst, const Gp& count, bool count_in_rcx, bool is64);
  void load_imm(const Gp& r, std::int32_t imm, bool is64);
  std::int32_t random32();
  void tail_call();
  void divmod(const Insn& in, bool is64);
  void divmod_core(const Insn& in, const Gp& dst, bool is64);
  void divmod_special(const Insn& in, const Gp& dst, bool zero, bool is64);
  void byteswap(const Insn& in);
  void jump(const Insn& in, std::size_t pc);
  Result<void> call(const Insn& in, std::size_t pc);
  void local_call(std::size_t pc, std::size_t target);
  void helper_call(HelperFn fn, std::size_t pc);
  [[nodiscard]] bool known_map_lookup(const Insn& in, std::size_t pc, HelperFn fn) const;
  void inline_array_lookup(const ArrayLayout& layout);
  void direct_lookup_call();
  void callx(const Insn& in, std::size_t pc);
  void load(const Insn& in);
  void store(const Insn& in);
  void atomic(const Insn& in);
  void atomic_fetch_loop(const Insn& in, bool is64);
  Result<void> lddw(const Insn& in, std::size_t pc);
  void packet_load(const Insn& in);
  Label stub(std::size_t pc, RunError kind);
  void stubs();

  x86::Assembler& a_;
  std::span<const Insn> program_;
  const HelperRegistry& helpers_;
  EmitOptions options_;
  std::mt19937_64 rng_;
  std::vector<Label> labels_;
  std::vector<Stub> stubs_;
  std::vector<std::size_t> lddw_tails_;
  std::vector<std::uint64_t> r1_lddw_;  // lddw_in_r1(), when map lookups may be inlined
  Label abort_;
  Label packet_fail_;
  Label tail_;  // after the last instruction's code
};

// ---- ALU ----------------------------------------------------------------------------------------------------

void Emitter::alu(const Insn& in) {
  const bool is64 = in.cls() == BPF_ALU64;
  const Gp dst = sized(reg(in.dst), is64);
  const Gp src = sized(reg(in.src), is64);
  const bool k = in.source() == BPF_K;
  // Blinded, an immediate operand is first built in r11 (the kernel's AX) and the register form is used.
  const bool via_aux = k && options_.blind && in.op() != BPF_NEG && in.op() != BPF_MOV && in.op() != BPF_END &&
                       in.op() != BPF_LSH && in.op() != BPF_RSH && in.op() != BPF_ARSH && in.op() != BPF_DIV &&
                       in.op() != BPF_MOD;
  if (via_aux) {
    const Gp aux = sized(kAux, is64);
    load_imm(kAux, in.imm, is64);
    switch (in.op()) {
      case BPF_ADD: a_.add(dst, aux); break;
      case BPF_SUB: a_.sub(dst, aux); break;
      case BPF_OR: a_.or_(dst, aux); break;
      case BPF_AND: a_.and_(dst, aux); break;
      case BPF_XOR: a_.xor_(dst, aux); break;
      default: a_.imul(dst, aux); break;  // BPF_MUL
    }
    return;
  }
  // Immediates are sign-extended to 64 bits by the x86 imm32 encodings, as the ISA wants for ALU64.
  switch (in.op()) {
    case BPF_ADD: k ? a_.add(dst, in.imm) : a_.add(dst, src); break;
    case BPF_SUB: k ? a_.sub(dst, in.imm) : a_.sub(dst, src); break;
    case BPF_OR: k ? a_.or_(dst, in.imm) : a_.or_(dst, src); break;
    case BPF_AND: k ? a_.and_(dst, in.imm) : a_.and_(dst, src); break;
    case BPF_XOR: k ? a_.xor_(dst, in.imm) : a_.xor_(dst, src); break;
    case BPF_MUL: k ? a_.imul(dst, dst, in.imm) : a_.imul(dst, src); break;  // low bits: signedness irrelevant
    case BPF_NEG: a_.neg(dst); break;
    case BPF_MOV: mov(in, dst, src, is64); break;
    case BPF_LSH:
    case BPF_RSH:
    case BPF_ARSH: shift(in, dst, src, is64); break;
    case BPF_DIV:
    case BPF_MOD: divmod(in, is64); break;
    default: byteswap(in); break;
  }
}

// The verifier's limit for a `ptr += reg` / `ptr -= reg`, or 0 where nothing is to be masked.
std::uint32_t Emitter::speculation_limit(const Insn& in, std::size_t pc) const {
  const auto& limits = options_.speculation_limits;
  if (pc >= limits.size() || in.cls() != BPF_ALU64 || in.source() != BPF_X) return 0;
  return in.op() == BPF_ADD || in.op() == BPF_SUB ? limits[pc] : 0;
}

// Spectre v1 (the kernel's sanitize_ptr_alu): a branch the CPU mispredicts must not steer a pointer out of its
// object, so the offset v is forced to 0 outside [0, limit) with no branch to mispredict. It is computed in r11,
// leaving the program's register as it was: ((limit - 1 - v) | v) has its sign bit set exactly when v < 0 or
// v >= limit, an arithmetic shift spreads that bit, and its complement masks v.
void Emitter::masked_pointer_alu(const Insn& in, std::uint32_t limit) {
  const Gp v = reg(in.src);
  a_.mov(kAux.r32(), limit - 1);  // zero-extended: 0 <= limit - 1 < 2^32
  a_.sub(kAux, v);
  a_.or_(kAux, v);
  a_.sar(kAux, 63);
  a_.not_(kAux);
  a_.and_(kAux, v);
  in.op() == BPF_ADD ? a_.add(reg(in.dst), kAux) : a_.sub(reg(in.dst), kAux);
}

void Emitter::mov(const Insn& in, const Gp& dst, const Gp& src, bool is64) {
  if (in.source() == BPF_K) {
    // mov r32, imm32 zero-extends (ALU32); the 64-bit form sign-extends the immediate.
    load_imm(dst, in.imm, is64);
  } else if (in.off == 0) {
    if (!is64 || in.dst != in.src) a_.mov(dst, src);  // mov r32, r32 zero-extends even onto itself
  } else if (in.off == 8) {
    a_.movsx(dst, src.r8());
  } else if (in.off == 16) {
    a_.movsx(dst, src.r16());
  } else {
    a_.movsxd(dst, src.r32());  // movsx r64, r32
  }
}

// x86 masks shift counts to 5 or 6 bits exactly as the ISA does. Variable shifts need the count in cl: like the
// kernel, rcx (eBPF r4) is parked in r11 around the shift, and a shift of r4 itself happens in r11.
void Emitter::shift(const Insn& in, const Gp& dst, const Gp& src, bool is64) {
  const auto emit = [&](const Gp& target, const auto& count) {
    switch (in.op()) {
      case BPF_LSH: a_.shl(target, count); break;
      case BPF_RSH: a_.shr(target, count); break;
      default: a_.sar(target, count); break;
    }
  };
  if (in.source() == BPF_K) {
    const int count = in.imm & (is64 ? 63 : 31);
    if (count != 0 && options_.blind) {
      // The count goes through r10 (r11 parks rcx); x86 masks it as the ISA does.
      load_imm(kTmp, in.imm, false);
      return shift_by(in, dst, kTmp, false, is64);
    }
    if (count != 0) emit(dst, count);
    else if (!is64) a_.mov(dst, dst);  // a shift by 0 still zero-extends a 32-bit result
    return;
  }
  shift_by(in, dst, src, in.src == 4, is64);
}

void Emitter::shift_by(const Insn& in, const Gp& dst, const Gp& count, bool count_in_rcx, bool is64) {
  const auto emit = [&](const Gp& target, const auto& c) {
    switch (in.op()) {
      case BPF_LSH: a_.shl(target, c); break;
      case BPF_RSH: a_.shr(target, c); break;
      default: a_.sar(target, c); break;
    }
  };
  if (count_in_rcx) {
    emit(dst, x86::cl);
    return;
  }
  a_.mov(kAux, x86::rcx);
  a_.mov(x86::ecx, count.r32());
  if (in.dst == 4) {
    emit(sized(kAux, is64), x86::cl);
    a_.mov(x86::rcx, kAux);
  } else {
    emit(dst, x86::cl);
    a_.mov(x86::rcx, kAux);
  }
}

// x86 div/idiv fault on a zero divisor and on INT_MIN / -1; the ISA defines both, so those divisors branch to
// their defined results: x / 0 = 0, x % 0 = x, x s/ -1 = -x, x s% -1 = 0 (32-bit results zero-extended).
void Emitter::divmod(const Insn& in, bool is64) {
  const Gp dst = sized(reg(in.dst), is64);
  const bool sign = in.off != 0;
  if (in.source() == BPF_K) {
    if (in.imm == 0 || (sign && in.imm == -1)) return divmod_special(in, dst, in.imm == 0, is64);
    load_imm(kAux, in.imm, is64);
    return divmod_core(in, dst, is64);
  }
  const Label zero = a_.newLabel();
  const Label minus_one = a_.newLabel();
  const Label done = a_.newLabel();
  const Gp divisor = sized(kAux, is64);
  a_.mov(divisor, sized(reg(in.src), is64));
  a_.test(divisor, divisor);
  a_.jz(zero);
  if (sign) {
    a_.cmp(divisor, -1);
    a_.je(minus_one);
  }
  divmod_core(in, dst, is64);
  a_.jmp(done);
  a_.bind(zero);
  divmod_special(in, dst, true, is64);
  if (sign) {
    a_.jmp(done);
    a_.bind(minus_one);
    divmod_special(in, dst, false, is64);
  }
  a_.bind(done);
}

// Divisor in r11. rax and rdx (eBPF r0 and r3) are saved in r10/r9, the quotient or remainder goes through r11
// so that it lands in dst after they are restored (dst may be r0 or r3 itself).
void Emitter::divmod_core(const Insn& in, const Gp& dst, bool is64) {
  const bool sign = in.off != 0;
  const Gp divisor = sized(kAux, is64);
  a_.mov(kTmp, x86::rax);
  a_.mov(kTmp2, x86::rdx);
  a_.mov(sized(x86::rax, is64), dst);
  if (sign) {
    is64 ? a_.cqo(x86::rdx, x86::rax) : a_.cdq(x86::edx, x86::eax);
    a_.idiv(sized(x86::rdx, is64), sized(x86::rax, is64), divisor);
  } else {
    a_.xor_(x86::edx, x86::edx);
    a_.div(sized(x86::rdx, is64), sized(x86::rax, is64), divisor);
  }
  a_.mov(divisor, in.op() == BPF_DIV ? sized(x86::rax, is64) : sized(x86::rdx, is64));
  a_.mov(x86::rax, kTmp);
  a_.mov(x86::rdx, kTmp2);
  a_.mov(dst.r64(), kAux);  // a 32-bit result was zero-extended into r11
}

void Emitter::divmod_special(const Insn& in, const Gp& dst, bool zero, bool is64) {
  const bool div = in.op() == BPF_DIV;
  if (zero ? div : !div) {
    a_.xor_(dst.r32(), dst.r32());  // x / 0 = 0, x s% -1 = 0
  } else if (!zero) {
    a_.neg(dst);  // x s/ -1 = -x, wrapping at INT_MIN
  } else if (!is64) {
    a_.mov(dst, dst);  // x % 0 = x, truncated to 32 bits
  }
}

// On a little-endian host `le` only truncates, `be` and `bswap` swap (the kernel's emit of BPF_END).
void Emitter::byteswap(const Insn& in) {
  const Gp r = reg(in.dst);
  if (in.cls() == BPF_ALU && in.source() == BPF_K) {
    if (in.imm == 16) a_.movzx(r.r32(), r.r16());
    if (in.imm == 32) a_.mov(r.r32(), r.r32());
    return;
  }
  if (in.imm == 16) {
    a_.rol(r.r16(), 8);
    a_.movzx(r.r32(), r.r16());
  } else {
    a_.bswap(sized(r, in.imm == 64));
  }
}

// An instruction's immediate into `r`: sign-extended to 64 bits, or zero-extended from 32. Blinded, it is
// emitted as imm ^ rnd and xor'ed with rnd (the kernel's BPF_REG_AX sequences): neither encodes imm.
void Emitter::load_imm(const Gp& r, std::int32_t imm, bool is64) {
  if (!options_.blind) {
    is64 ? a_.mov(r.r64(), static_cast<std::int64_t>(imm)) : a_.mov(r.r32(), static_cast<std::uint32_t>(imm));
    return;
  }
  const std::int32_t rnd = random32();
  if (is64) {
    a_.mov(r.r64(), static_cast<std::int64_t>(imm ^ rnd));
    a_.xor_(r.r64(), rnd);  // sign-extended: sext(imm ^ rnd) ^ sext(rnd) = sext(imm)
  } else {
    a_.mov(r.r32(), static_cast<std::uint32_t>(imm ^ rnd));
    a_.xor_(r.r32(), rnd);
  }
}

// Per instruction, as the kernel's get_random_u32(); never 0, so that imm ^ rnd is never imm.
std::int32_t Emitter::random32() {
  std::uint32_t v = 0;
  while (v == 0) v = static_cast<std::uint32_t>(rng_());
  return static_cast<std::int32_t>(v);
}

// ---- Jumps and calls ----------------------------------------------------------------------------------------

CondCode condition(std::uint8_t op) {
  switch (op) {
    case BPF_JEQ: return CondCode::kE;
    case BPF_JNE: return CondCode::kNE;
    case BPF_JGT: return CondCode::kA;
    case BPF_JGE: return CondCode::kAE;
    case BPF_JLT: return CondCode::kB;
    case BPF_JLE: return CondCode::kBE;
    case BPF_JSGT: return CondCode::kG;
    case BPF_JSGE: return CondCode::kGE;
    case BPF_JSLT: return CondCode::kL;
    case BPF_JSLE: return CondCode::kLE;
    default: return CondCode::kNE;  // BPF_JSET: after test
  }
}

void Emitter::jump(const Insn& in, std::size_t pc) {
  const Label target = labels_[branch_target(in, pc)];
  if (in.op() == BPF_JA) {
    a_.jmp(target);
    return;
  }
  const bool is64 = in.cls() == BPF_JMP;
  const Gp dst = sized(reg(in.dst), is64);
  const bool k = in.source() == BPF_K;
  if (k && options_.blind) {
    load_imm(kAux, in.imm, is64);
    const Gp aux = sized(kAux, is64);
    in.op() == BPF_JSET ? a_.test(dst, aux) : a_.cmp(dst, aux);
  } else if (in.op() == BPF_JSET) {
    k ? a_.test(dst, in.imm) : a_.test(dst, sized(reg(in.src), is64));
  } else {
    k ? a_.cmp(dst, in.imm) : a_.cmp(dst, sized(reg(in.src), is64));
  }
  a_.j(condition(in.op()), target);
}

Result<void> Emitter::call(const Insn& in, std::size_t pc) {
  if (in.source() == BPF_X) {
    callx(in, pc);
    return {};
  }
  if (in.src == BPF_PSEUDO_CALL) {
    local_call(pc, branch_target(in, pc));
    return {};
  }
  if (in.src == BPF_PSEUDO_KFUNC_CALL)
    return insn_error(Errc::unsupported, pc, "kfunc calls are not supported (btf id " + std::to_string(in.imm) + ")");
  if (options_.tail_calls && in.src == 0 && in.imm == kTailCallHelper) {
    tail_call();
    return {};
  }
  const HelperProto* proto = helpers_.find(static_cast<std::uint32_t>(in.imm));
  if (proto == nullptr) return insn_error(Errc::unknown_helper, pc, "unknown helper id " + std::to_string(in.imm));
  if (known_map_lookup(in, pc, proto->fn)) {
    if (const auto layout = array_layout(r1_lddw_[pc])) {
      inline_array_lookup(*layout);
      return {};
    }
    if (is_direct_lookup_map(r1_lddw_[pc])) {
      direct_lookup_call();
      return {};
    }
  }
  helper_call(proto->fn, pc);
  return {};
}

// ubee's bpf_map_lookup_elem with r1 known to be a lddw'ed map address (JitOptions::inline_map_lookups).
bool Emitter::known_map_lookup(const Insn& in, std::size_t pc, HelperFn fn) const {
  return !r1_lddw_.empty() && r1_lddw_[pc] != 0 && in.imm == BPF_FUNC_map_lookup_elem && is_linux_map_lookup(fn);
}

// Other maps skip the helper's dispatch: r1 (the map) and r2 (the key) are already direct_map_lookup's
// arguments.
void Emitter::direct_lookup_call() {
  a_.mov(kAux, reinterpret_cast<std::uint64_t>(&direct_map_lookup));
  a_.sub(x86::rsp, 8);
  a_.call(kAux);
  a_.add(x86::rsp, 8);
}

// r0 = base + index * stride for index = *(u32 *)r2 < max_entries, else null: the kernel's
// array_map_gen_lookup, without its branch. The in-range mask comes from a compare, not a jump, so no
// misprediction can yield an address past the array (Spectre v1). r1-r5 are left as they were, which a
// verified program cannot tell from a call that clobbered them.
void Emitter::inline_array_lookup(const ArrayLayout& layout) {
  a_.mov(x86::eax, x86::dword_ptr(reg(2)));
  a_.xor_(kAux.r32(), kAux.r32());
  a_.cmp(x86::eax, static_cast<std::int32_t>(layout.max_entries));  // unsigned compare below: the bits matter
  a_.setb(kAux.r8());
  a_.neg(kAux);  // all ones when in range
  a_.imul(x86::rax, x86::rax, static_cast<std::int32_t>(layout.stride));
  a_.mov(kTmp, layout.base);
  a_.add(x86::rax, kTmp);
  a_.and_(x86::rax, kAux);
}

// Inside eBPF code rsp is 8 mod 16 (as right after a call), so helper calls realign by 8 and local calls push
// five registers. A local call saves r6-r9 and r10 on the native stack and gives the callee r10 - 512, the
// interpreter's frame; the depth check matches its error.
void Emitter::local_call(std::size_t pc, std::size_t target) {
  a_.cmp(state_field(offsetof(JitState, depth)), static_cast<std::int32_t>(kMaxCallDepth - 1));
  a_.jae(stub(pc, RunError::call_depth));
  a_.inc(state_field(offsetof(JitState, depth)));
  for (int r = 6; r <= 10; ++r) a_.push(reg(r));
  a_.sub(x86::rbp, static_cast<std::int32_t>(kStackSize));
  a_.call(labels_[target]);
  for (int r = 10; r >= 6; --r) a_.pop(reg(r));
  a_.dec(state_field(offsetof(JitState, depth)));
  if (options_.tail_calls) {
    // The callee may have tail-called into another program: this one is current again (callbacks, callx,
    // error messages and further tail calls go by the current program).
    a_.mov(kAux, reinterpret_cast<std::uint64_t>(options_.self));
    a_.mov(state_field(offsetof(JitState, current)), kAux);
    a_.mov(kAux, reinterpret_cast<std::uint64_t>(&helpers_));
    a_.mov(state_field(offsetof(JitState, registry)), kAux);
  }
}

// r1-r5 are already the first five System V arguments; the RunContext& goes sixth (r9). Afterwards the
// interpreter checks context.aborted(): here one byte compare of the optional's flag.
void Emitter::helper_call(HelperFn fn, std::size_t pc) {
  a_.mov(kTmp2, state_field(offsetof(JitState, context)));
  a_.mov(kAux, reinterpret_cast<std::uint64_t>(fn));
  a_.sub(x86::rsp, 8);
  a_.call(kAux);
  a_.add(x86::rsp, 8);
  a_.mov(kAux, state_field(offsetof(JitState, abort_flag)));
  a_.cmp(x86::byte_ptr(kAux), 0);
  a_.jne(stub(pc, RunError::helper_abort));
}

// bpf_tail_call (the interpreter's TAIL_CALL): r0-r5 are kept whatever happens (the interpreter keeps every
// register); the thunk takes the JitState, r2 (rsi: the map) and r3 (rdx: the index) where they already are,
// checks and counts the 33-deep chain, and returns the target's native entry or null. The target is jumped to:
// it runs in this frame (r10, the native return address, r6-r9 all as they are), so its exit returns to
// whoever called the frame, the caller of a subprogram included.
void Emitter::tail_call() {
  const Label fallthrough = a_.newLabel();
  for (int r = 0; r <= 5; ++r) a_.push(reg(r));
  a_.sub(x86::rsp, 8);  // six pushes keep rsp at 8 mod 16: realign for the call
  a_.mov(x86::rdi, kState);
  a_.mov(kTmp, reinterpret_cast<std::uint64_t>(&tail_call_thunk));
  a_.call(kTmp);
  a_.mov(kAux, x86::rax);
  a_.add(x86::rsp, 8);
  for (int r = 5; r >= 0; --r) a_.pop(reg(r));
  a_.test(kAux, kAux);
  a_.jz(fallthrough);
  a_.jmp(kAux);
  a_.bind(fallthrough);
}

// callx resolves its helper id at run time (as the interpreter does) in a small C++ thunk, which reports an
// unknown id or an abort in the state.
void Emitter::callx(const Insn& in, std::size_t pc) {
  a_.mov(state_field(offsetof(JitState, callx_id)), reg(in.dst));
  a_.mov(state_field(offsetof(JitState, error_pc), 4), static_cast<std::uint32_t>(pc));
  a_.mov(kTmp2, kState);
  a_.mov(kAux, reinterpret_cast<std::uint64_t>(&callx_thunk));
  a_.sub(x86::rsp, 8);
  a_.call(kAux);
  a_.add(x86::rsp, 8);
  a_.cmp(state_field(offsetof(JitState, error_kind), 4), 0);
  a_.jne(abort_);
}

Label Emitter::stub(std::size_t pc, RunError kind) {
  stubs_.push_back({a_.newLabel(), pc, kind});
  return stubs_.back().label;
}

// Out-of-line error exits: record the instruction and the reason, then unwind to the trampoline.
void Emitter::stubs() {
  for (const Stub& s : stubs_) {
    a_.bind(s.label);
    a_.mov(state_field(offsetof(JitState, error_pc), 4), static_cast<std::uint32_t>(s.pc));
    a_.mov(state_field(offsetof(JitState, error_kind), 4), static_cast<std::uint32_t>(s.kind));
    a_.jmp(abort_);
  }
}

// ---- Memory -------------------------------------------------------------------------------------------------

void Emitter::load(const Insn& in) {
  const Gp dst = reg(in.dst);
  const Mem m = x86::ptr(reg(in.src), in.off, access_size(in.size()));
  if (in.mode() == BPF_MEMSX) {
    in.size() == BPF_W ? a_.movsxd(dst, m) : a_.movsx(dst, m);
  } else if (in.size() == BPF_B || in.size() == BPF_H) {
    a_.movzx(dst.r32(), m);
  } else {
    a_.mov(sized(dst, in.size() == BPF_DW), m);
  }
}

void Emitter::store(const Insn& in) {
  const std::uint32_t size = access_size(in.size());
  const Mem m = x86::ptr(reg(in.dst), in.off, size);
  if (in.cls() == BPF_ST && !options_.blind) {
    // A 64-bit store takes the immediate sign-extended, as the ISA does.
    const auto imm = static_cast<std::int64_t>(in.imm);
    a_.mov(m, size == 8 ? imm : imm & ((1LL << (size * 8)) - 1));
    return;
  }
  if (in.cls() == BPF_ST) load_imm(kAux, in.imm, true);  // blinded: stored from r11, truncated by the width
  const Gp src = in.cls() == BPF_ST ? kAux : reg(in.src);
  switch (size) {
    case 1: a_.mov(m, src.r8()); break;
    case 2: a_.mov(m, src.r16()); break;
    case 4: a_.mov(m, src.r32()); break;
    default: a_.mov(m, src.r64()); break;
  }
}

// Atomics are lock-prefixed (xchg locks implicitly); 32-bit results written to a register zero-extend.
void Emitter::atomic(const Insn& in) {
  const bool is64 = in.size() == BPF_DW;
  const Mem m = x86::ptr(reg(in.dst), in.off, is64 ? 8 : 4);
  const Gp src = sized(reg(in.src), is64);
  switch (in.imm) {
    case BPF_ADD: a_.lock().add(m, src); break;
    case BPF_OR: a_.lock().or_(m, src); break;
    case BPF_AND: a_.lock().and_(m, src); break;
    case BPF_XOR: a_.lock().xor_(m, src); break;
    case BPF_ADD | BPF_FETCH: a_.lock().xadd(m, src); break;
    case BPF_XCHG: a_.xchg(m, src); break;
    case BPF_CMPXCHG:
      a_.lock().cmpxchg(m, src, sized(x86::rax, is64));
      if (!is64) a_.mov(x86::eax, x86::eax);  // a successful 32-bit cmpxchg leaves rax's upper half alone
      break;
    default: atomic_fetch_loop(in, is64); break;
  }
}

// and/or/xor with fetch have no x86 instruction: a cmpxchg loop, as the kernel emits, with r0 (rax, which
// cmpxchg needs) saved in r10 and the address in r11. When src is r0, its original value is that saved copy.
void Emitter::atomic_fetch_loop(const Insn& in, bool is64) {
  const Gp rax = sized(x86::rax, is64);
  const Gp operand = sized(in.src == 0 ? kTmp : reg(in.src), is64);
  const Gp desired = sized(kTmp2, is64);
  const Mem m = x86::ptr(kAux, 0, is64 ? 8 : 4);
  a_.lea(kAux, x86::ptr(reg(in.dst), in.off));
  a_.mov(kTmp, x86::rax);
  a_.mov(rax, m);
  const Label retry = a_.newLabel();
  a_.bind(retry);
  a_.mov(desired, rax);
  switch (in.imm & ~BPF_FETCH) {
    case BPF_OR: a_.or_(desired, operand); break;
    case BPF_AND: a_.and_(desired, operand); break;
    default: a_.xor_(desired, operand); break;
  }
  a_.lock().cmpxchg(m, desired, rax);
  a_.jne(retry);
  a_.mov(sized(reg(in.src), is64), rax);
  if (in.src != 0) a_.mov(x86::rax, kTmp);
}

Result<void> Emitter::lddw(const Insn& in, std::size_t pc) {
  std::uint64_t value = lddw_imm(in, program_[pc + 1]);
  if (in.src == BPF_PSEUDO_FUNC) {
    value = vm::kFunctionTag | branch_target(in, pc);  // the interpreter's value: callbacks enter by index
  } else if (in.src != 0) {
    return insn_error(Errc::unsupported, pc, "lddw pseudo source " + std::to_string(in.src) +
                                                 " must be resolved by the loader before it runs");
  }
  if (options_.blind) {
    // Both halves blinded at once: value ^ rnd64, xor'ed back with rnd64 through r11.
    std::uint64_t rnd = 0;
    while (static_cast<std::uint32_t>(rnd) == 0 || (rnd >> 32) == 0) rnd = rng_();
    a_.mov(reg(in.dst), value ^ rnd);
    a_.mov(kAux, rnd);
    a_.xor_(reg(in.dst), kAux);
  } else {
    a_.mov(reg(in.dst), value);
  }
  lddw_tails_.push_back(pc + 1);
  return {};
}

// Legacy packet loads (LD_ABS/LD_IND): network byte order into r0; an offset outside the packet ends the run
// with r0 = 0, as in the interpreter. Inline, so r1-r5 are kept as the interpreter keeps them.
void Emitter::packet_load(const Insn& in) {
  const std::uint32_t size = access_size(in.size());
  if (in.mode() == BPF_ABS) {
    load_imm(kAux, in.imm, false);
  } else {
    a_.mov(kAux.r32(), reg(in.src).r32());
    if (options_.blind) {
      load_imm(kTmp, in.imm, true);
      a_.add(kAux, kTmp);
    } else {
      a_.add(kAux, in.imm);
    }
    a_.test(kAux, kAux);
    a_.js(packet_fail_);
  }
  a_.lea(kTmp, x86::ptr(kAux, static_cast<int>(size)));
  a_.cmp(kTmp, state_field(offsetof(JitState, packet_len)));
  a_.ja(packet_fail_);
  a_.mov(kTmp, state_field(offsetof(JitState, packet)));
  const Mem m = x86::ptr(kTmp, kAux, 0, 0, size);
  if (size == 4) {
    a_.mov(x86::eax, m);
    a_.bswap(x86::eax);
    return;
  }
  a_.movzx(x86::eax, m);
  if (size == 2) {
    a_.rol(x86::ax, 8);
    a_.movzx(x86::eax, x86::ax);
  }
}

// ---- Driver -------------------------------------------------------------------------------------------------

Result<void> Emitter::insn(std::size_t pc) {
  const Insn& in = program_[pc];
  switch (in.cls()) {
    case BPF_ALU:
    case BPF_ALU64:
      if (const std::uint32_t limit = speculation_limit(in, pc); limit != 0) {
        masked_pointer_alu(in, limit);
        return {};
      }
      alu(in);
      return {};
    case BPF_JMP:
    case BPF_JMP32:
      if (in.op() == BPF_EXIT) {
        a_.ret();  // every frame, the main one included, was entered by a native call
        return {};
      }
      if (in.op() == BPF_CALL) return call(in, pc);
      jump(in, pc);
      return {};
    case BPF_LDX: load(in); return {};
    case BPF_ST: store(in); return {};
    case BPF_STX: in.mode() == BPF_ATOMIC ? atomic(in) : store(in); return {};
    default:
      if (in.is_lddw()) return lddw(in, pc);
      packet_load(in);
      return {};
  }
}

Result<void> Emitter::body() {
  for (std::size_t pc = 0; pc < program_.size(); ++pc) {
    a_.bind(labels_[pc]);
    if (auto r = insn(pc); !r) return r;
    if (program_[pc].is_lddw()) ++pc;
  }
  // The second slot of a lddw runs only as a callback entry, where the interpreter's EXIT there returns r0 = 0
  // (the trampoline zeroes it).
  a_.bind(tail_);
  for (std::size_t pc : lddw_tails_) a_.bind(labels_[pc]);
  a_.ret();
  stubs();
  return {};
}

// The native entry (System V): saves callee-saved registers, keeps the JitState in r12 and its previous unwind
// point on the stack (callbacks nest trampolines), loads eBPF r1-r5 and r10, zeroes r0 and r6-r9, and calls the
// code. Errors unwind here by restoring rsp from JitState::saved_rsp.
void Emitter::trampoline() {
  const Label unwind = a_.newLabel();
  for (const Gp& r : {x86::rbp, x86::rbx, x86::r12, x86::r13, x86::r14, x86::r15}) a_.push(r);
  a_.mov(kState, x86::rdi);
  a_.push(state_field(offsetof(JitState, saved_rsp)));
  a_.mov(state_field(offsetof(JitState, saved_rsp)), x86::rsp);
  a_.mov(kAux, x86::rsi);
  a_.mov(x86::rbp, x86::rcx);
  a_.mov(kTmp, x86::rdx);
  for (int r = 1; r <= 5; ++r) a_.mov(reg(r), x86::qword_ptr(kTmp, (r - 1) * 8));
  for (int r : {0, 6, 7, 8, 9}) a_.xor_(reg(r).r32(), reg(r).r32());
  a_.call(kAux);
  a_.bind(unwind);
  a_.pop(state_field(offsetof(JitState, saved_rsp)));
  for (const Gp& r : {x86::r15, x86::r14, x86::r13, x86::r12, x86::rbx, x86::rbp}) a_.pop(r);
  a_.ret();
  a_.bind(packet_fail_);
  a_.xor_(x86::eax, x86::eax);
  a_.bind(abort_);
  a_.mov(x86::rsp, state_field(offsetof(JitState, saved_rsp)));
  a_.jmp(unwind);
}

}  // namespace

Result<Compiled> emit(std::span<const Insn> program, const HelperRegistry& helpers, const EmitOptions& options,
                      const std::function<std::uint8_t*(std::size_t)>& place) {
  asmjit::CodeHolder code;
  ErrorCollector errors;
  code.init(asmjit::Environment::host());
  code.setErrorHandler(&errors);
  x86::Assembler a(&code);
  Emitter emitter(a, program, helpers, options);
  const Label trampoline = a.newLabel();
  a.bind(trampoline);
  emitter.trampoline();
  if (auto r = emitter.body(); !r) return r.error();
  if (errors.error == asmjit::kErrorOk) code.flatten();
  if (errors.error == asmjit::kErrorOk) code.resolveUnresolvedLinks();
  if (errors.error != asmjit::kErrorOk) return make_error(Errc::unsupported, "jit: asmjit: " + errors.text);
  Compiled out;
  out.size = code.codeSize();
  std::uint8_t* memory = place(out.size);
  if (memory == nullptr) return make_error(Errc::io, "jit: cannot map memory for the code");
  code.relocateToBase(reinterpret_cast<std::uint64_t>(memory));
  code.copyFlattenedData(memory, out.size, asmjit::CopySectionFlags::kPadSectionBuffer);
  if (errors.error != asmjit::kErrorOk) return make_error(Errc::unsupported, "jit: asmjit: " + errors.text);
  out.trampoline_offset = static_cast<std::uint32_t>(code.labelOffsetFromBase(trampoline));
  out.tail_offset = static_cast<std::uint32_t>(code.labelOffsetFromBase(emitter.tail()));
  for (const Label& l : emitter.labels())
    out.insn_offsets.push_back(static_cast<std::uint32_t>(code.labelOffsetFromBase(l)));
  return out;
}

}  // namespace ubee::jit
