// The run loop: threaded dispatch (GCC's computed goto) over pre-decoded slots. The loop is a template on
// Checked so that the unchecked instantiation, used only for verified programs, carries no runtime checks.
#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "alu_ops.hpp"
#include "micro_ops.hpp"
#include "run_state.hpp"
#include "ubee/asm.hpp"
#include "ubee/vm.hpp"

namespace ubee {

namespace {

using namespace vm;

template <class T>
T* atomic_ptr(std::uint64_t addr) {
  return reinterpret_cast<T*>(addr);
}

template <bool Checked>
Result<std::uint64_t> run_loop(RunState& st, const Loaded* prog, std::size_t entry, const std::uint64_t* args,
                               std::uint64_t frame_pointer, RunContext& context, const RunOptions& options);

// A helper's abort names the call that made it, unless the error already names an instruction (a callback's).
Error helper_abort(std::span<const Insn> program, std::size_t pc, const Error& error) {
  if (error.insn) return error;
  return insn_error(error.code, pc, error.message + " (" + disassemble_insn(program, pc) + ")");
}

// Helpers reach back into the run through this: memory they hand over, and callbacks into the program.
template <bool Checked>
class InterpreterContext final : public RunContext {
 public:
  InterpreterContext(RunState& st, const RunOptions& options)
      : RunContext(options.user_data, Checked ? &st.regions : nullptr), st_(st), options_(options) {
    set_program_type(options.program_type);
  }

  Result<std::uint64_t> call_function(std::uint64_t function, std::uint64_t r1, std::uint64_t r2, std::uint64_t r3,
                                      std::uint64_t r4, std::uint64_t r5) override {
    const Loaded* prog = st_.current;
    const std::uint64_t slot = function & ~kFunctionTagMask;
    if ((function & kFunctionTagMask) != kFunctionTag || slot >= prog->decoded.slots.size())
      return make_error(Errc::invalid_argument, "helper was given " + hex(function) + ", which is not a function");
    if (st_.depth + 1 >= kMaxCallDepth)
      return make_error(Errc::call_depth, "callback exceeds the call depth of " + std::to_string(kMaxCallDepth));
    const std::uint64_t args[5] = {r1, r2, r3, r4, r5};
    const std::uint64_t caller_frame = st_.helper_frame;
    ++st_.depth;
    auto r0 = run_loop<Checked>(st_, prog, slot, args, caller_frame - kStackSize, *this, options_);
    --st_.depth;
    st_.current = prog;
    st_.helper_frame = caller_frame;
    return r0;
  }

  bool accessible(const void* p, std::size_t size, bool write) const override {
    if constexpr (!Checked) return true;
    return size == 0 || access_allowed(st_, st_.helper_frame, reinterpret_cast<std::uint64_t>(p), size, write);
  }

 private:
  RunState& st_;
  const RunOptions& options_;
};

// Registers are named by the slot being run; these keep the handlers one line each.
#define DST reg[s->dst]
#define SRC reg[s->src]
#define PC static_cast<std::size_t>(s - base)
#define PROGRAM std::span<const Insn>(prog->program)
#define DISPATCH() goto* labels[static_cast<int>(s->op)]
#define BUDGET()                               \
  if constexpr (Checked) {                     \
    if (--st.budget == 0) goto out_of_budget;  \
  }
#define NEXT() \
  do {         \
    ++s;       \
    BUDGET();  \
    DISPATCH(); \
  } while (0)
#define JUMP()                 \
  do {                         \
    s = base + s->target;      \
    BUDGET();                  \
    DISPATCH();                \
  } while (0)
#define CHECK(addr, size, write)                                                              \
  if constexpr (Checked) {                                                                    \
    if (!access_allowed(st, reg[kFramePointer], addr, size, write)) {                         \
      return access_fault(PROGRAM, PC, addr, size, write);                               \
    }                                                                                         \
  }

#define ALU(NAME, F)                                                                                         \
  L_##NAME##64_K : DST = vm::F<std::uint64_t>(DST, static_cast<std::uint64_t>(s->imm)); NEXT();            \
  L_##NAME##64_X : DST = vm::F<std::uint64_t>(DST, SRC); NEXT();                                            \
  L_##NAME##32_K : DST = vm::F<std::uint32_t>(static_cast<std::uint32_t>(DST), static_cast<std::uint32_t>(s->imm)); NEXT(); \
  L_##NAME##32_X : DST = vm::F<std::uint32_t>(static_cast<std::uint32_t>(DST), static_cast<std::uint32_t>(SRC)); NEXT();

#define JCC(NAME, F)                                                                                          \
  L_##NAME##64_K : if (vm::F<std::uint64_t>(DST, static_cast<std::uint64_t>(s->imm))) JUMP(); NEXT();       \
  L_##NAME##64_X : if (vm::F<std::uint64_t>(DST, SRC)) JUMP(); NEXT();                                       \
  L_##NAME##32_K : if (vm::F<std::uint32_t>(static_cast<std::uint32_t>(DST), static_cast<std::uint32_t>(s->imm))) JUMP(); NEXT(); \
  L_##NAME##32_X : if (vm::F<std::uint32_t>(static_cast<std::uint32_t>(DST), static_cast<std::uint32_t>(SRC))) JUMP(); NEXT();

#define LOAD(NAME, T, EXTEND)                              \
  L_##NAME : {                                             \
    const std::uint64_t addr = SRC + s->target;            \
    CHECK(addr, sizeof(T), false);                         \
    DST = EXTEND(load<T>(addr));                           \
    NEXT();                                                \
  }
#define STORE(NAME, T, VALUE)                              \
  L_##NAME : {                                             \
    const std::uint64_t addr = DST + s->target;            \
    CHECK(addr, sizeof(T), true);                          \
    store<T>(addr, static_cast<T>(VALUE));                 \
    NEXT();                                                \
  }

// Atomics are sequentially consistent, as the kernel's JIT emits them (lock-prefixed x86 instructions).
#define ATOMIC_ADDR(T)                                                              \
  const std::uint64_t addr = DST + s->target;                                       \
  if constexpr (Checked) {                                                          \
    if (addr % sizeof(T) != 0)                                                      \
      return fault(PROGRAM, PC, "misaligned atomic access at " + hex(addr));   \
  }                                                                                 \
  CHECK(addr, sizeof(T), true);                                                     \
  T* const ptr = atomic_ptr<T>(addr)

#define ATOMIC_W(W, T)                                                                                      \
  L_AADD##W : { ATOMIC_ADDR(T); __atomic_fetch_add(ptr, static_cast<T>(SRC), __ATOMIC_SEQ_CST); NEXT(); }   \
  L_AOR##W : { ATOMIC_ADDR(T); __atomic_fetch_or(ptr, static_cast<T>(SRC), __ATOMIC_SEQ_CST); NEXT(); }     \
  L_AAND##W : { ATOMIC_ADDR(T); __atomic_fetch_and(ptr, static_cast<T>(SRC), __ATOMIC_SEQ_CST); NEXT(); }   \
  L_AXOR##W : { ATOMIC_ADDR(T); __atomic_fetch_xor(ptr, static_cast<T>(SRC), __ATOMIC_SEQ_CST); NEXT(); }   \
  L_AFADD##W : { ATOMIC_ADDR(T); SRC = __atomic_fetch_add(ptr, static_cast<T>(SRC), __ATOMIC_SEQ_CST); NEXT(); } \
  L_AFOR##W : { ATOMIC_ADDR(T); SRC = __atomic_fetch_or(ptr, static_cast<T>(SRC), __ATOMIC_SEQ_CST); NEXT(); }   \
  L_AFAND##W : { ATOMIC_ADDR(T); SRC = __atomic_fetch_and(ptr, static_cast<T>(SRC), __ATOMIC_SEQ_CST); NEXT(); } \
  L_AFXOR##W : { ATOMIC_ADDR(T); SRC = __atomic_fetch_xor(ptr, static_cast<T>(SRC), __ATOMIC_SEQ_CST); NEXT(); } \
  L_AXCHG##W : { ATOMIC_ADDR(T); SRC = __atomic_exchange_n(ptr, static_cast<T>(SRC), __ATOMIC_SEQ_CST); NEXT(); } \
  L_ACMPXCHG##W : {                                                                                          \
    ATOMIC_ADDR(T);                                                                                          \
    T expected = static_cast<T>(reg[0]);                                                                     \
    __atomic_compare_exchange_n(ptr, &expected, static_cast<T>(SRC), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
    reg[0] = expected;                                                                                       \
    NEXT();                                                                                                  \
  }

#define PACKET_LOAD(NAME, SIZE, OFFSET)                                   \
  L_##NAME : {                                                            \
    std::uint64_t value = 0;                                              \
    const std::int64_t offset = (OFFSET);                                 \
    if (offset < 0 || !packet_load(st, static_cast<std::uint64_t>(offset), SIZE, value)) return std::uint64_t{0}; \
    reg[0] = value;                                                       \
    NEXT();                                                               \
  }

#define IDENTITY(v) (v)
#define ABS_OFFSET static_cast<std::int64_t>(static_cast<std::uint32_t>(s->imm))
#define IND_OFFSET static_cast<std::int64_t>(static_cast<std::uint32_t>(SRC)) + s->imm
#define LABEL_ADDRESS(name) &&L_##name,

template <bool Checked>
Result<std::uint64_t> run_loop(RunState& st, const Loaded* prog, std::size_t entry, const std::uint64_t* args,
                               std::uint64_t frame_pointer, RunContext& context, const RunOptions& options) {
  static const void* const labels[] = {UBEE_MICRO_OPS(LABEL_ADDRESS)};
  const Slot* base = prog->decoded.slots.data();
  const Slot* s = base + entry;
  const std::size_t entry_depth = st.depth;
  std::uint64_t reg[kRegCount] = {};
  std::memcpy(&reg[1], args, 5 * sizeof(std::uint64_t));
  reg[kFramePointer] = frame_pointer;
  st.current = prog;
  BUDGET();
  DISPATCH();

  ALU(ADD, op_add) ALU(SUB, op_sub) ALU(MUL, op_mul) ALU(DIV, op_div) ALU(SDIV, op_sdiv) ALU(MOD, op_mod)
  ALU(SMOD, op_smod) ALU(OR, op_or) ALU(AND, op_and) ALU(LSH, op_lsh) ALU(RSH, op_rsh) ALU(ARSH, op_arsh)
  ALU(XOR, op_xor) ALU(MOV, op_mov)
  L_NEG64 : DST = 0 - DST; NEXT();
  L_NEG32 : DST = static_cast<std::uint32_t>(0U - static_cast<std::uint32_t>(DST)); NEXT();
  L_MOVSX8_64 : DST = vm::sext64<std::int8_t>(SRC); NEXT();
  L_MOVSX16_64 : DST = vm::sext64<std::int16_t>(SRC); NEXT();
  L_MOVSX32_64 : DST = vm::sext64<std::int32_t>(SRC); NEXT();
  L_MOVSX8_32 : DST = vm::sext32<std::int8_t>(SRC); NEXT();
  L_MOVSX16_32 : DST = vm::sext32<std::int16_t>(SRC); NEXT();
  L_LE16 : DST = static_cast<std::uint16_t>(DST); NEXT();
  L_LE32 : DST = static_cast<std::uint32_t>(DST); NEXT();
  L_LE64 : NEXT();
  L_BE16 : DST = __builtin_bswap16(static_cast<std::uint16_t>(DST)); NEXT();
  L_BE32 : DST = __builtin_bswap32(static_cast<std::uint32_t>(DST)); NEXT();
  L_BE64 : DST = __builtin_bswap64(DST); NEXT();

  L_JA : JUMP();
  JCC(JEQ, cmp_eq) JCC(JNE, cmp_ne) JCC(JGT, cmp_gt) JCC(JGE, cmp_ge) JCC(JLT, cmp_lt) JCC(JLE, cmp_le)
  JCC(JSGT, cmp_sgt) JCC(JSGE, cmp_sge) JCC(JSLT, cmp_slt) JCC(JSLE, cmp_sle) JCC(JSET, cmp_set)

  L_CALL_HELPER : st.helper_frame = reg[kFramePointer];
  reg[0] = prog->decoded.helpers[static_cast<std::size_t>(s->imm)](reg[1], reg[2], reg[3], reg[4], reg[5], context);
  if (context.aborted()) [[unlikely]] return helper_abort(PROGRAM, PC, *context.aborted());
  NEXT();
  L_CALLX : {
    const HelperProto* proto = prog->decoded.registry->find(static_cast<std::uint32_t>(DST));
    if (proto == nullptr)
      return insn_error(Errc::unknown_helper, PC, "callx to unknown helper id " + std::to_string(DST));
    st.helper_frame = reg[kFramePointer];
    reg[0] = proto->fn(reg[1], reg[2], reg[3], reg[4], reg[5], context);
    if (context.aborted()) [[unlikely]] return helper_abort(PROGRAM, PC, *context.aborted());
    NEXT();
  }
  L_TAIL_CALL : {
    // The target replaces the running program in the same frame (kernel: bpf_tail_call); a missing entry or
    // the 33rd tail call falls through to the next instruction.
    const Interpreter* target = st.tail_calls < kMaxTailCalls
                                    ? prog->tail_calls->target(reg[2], static_cast<std::uint32_t>(reg[3]))
                                    : nullptr;
    if (target == nullptr) NEXT();
    ++st.tail_calls;
    prog = &impl_of(*target);
    st.current = prog;
    base = prog->decoded.slots.data();
    s = base;
    BUDGET();
    DISPATCH();
  }
  L_CALL_LOCAL : {
    if (st.depth + 1 >= kMaxCallDepth)
      return insn_error(Errc::call_depth, PC, "call depth exceeds " + std::to_string(kMaxCallDepth) + " frames");
    st.frames[st.depth++] = Frame{prog, s + 1, {reg[6], reg[7], reg[8], reg[9], reg[10]}};
    reg[kFramePointer] -= kStackSize;
    JUMP();
  }
  L_EXIT : {
    if (st.depth == entry_depth) return reg[0];
    const Frame& frame = st.frames[--st.depth];
    std::memcpy(&reg[6], frame.saved, sizeof frame.saved);
    prog = frame.program;
    st.current = prog;
    base = prog->decoded.slots.data();
    s = frame.return_to;
    DISPATCH();
  }
  L_LDDW : DST = static_cast<std::uint64_t>(s->imm);
  s += 2;
  BUDGET();
  DISPATCH();

  LOAD(LDXB, std::uint8_t, IDENTITY) LOAD(LDXH, std::uint16_t, IDENTITY) LOAD(LDXW, std::uint32_t, IDENTITY)
  LOAD(LDXDW, std::uint64_t, IDENTITY)
  LOAD(LDXSB, std::int8_t, vm::sext64<std::int8_t>) LOAD(LDXSH, std::int16_t, vm::sext64<std::int16_t>)
  LOAD(LDXSW, std::int32_t, vm::sext64<std::int32_t>)
  STORE(STB, std::uint8_t, s->imm) STORE(STH, std::uint16_t, s->imm) STORE(STW, std::uint32_t, s->imm)
  STORE(STDW, std::uint64_t, s->imm)
  STORE(STXB, std::uint8_t, SRC) STORE(STXH, std::uint16_t, SRC) STORE(STXW, std::uint32_t, SRC)
  STORE(STXDW, std::uint64_t, SRC)
  ATOMIC_W(32, std::uint32_t) ATOMIC_W(64, std::uint64_t)
  PACKET_LOAD(LD_ABS_B, 1, ABS_OFFSET) PACKET_LOAD(LD_ABS_H, 2, ABS_OFFSET) PACKET_LOAD(LD_ABS_W, 4, ABS_OFFSET)
  PACKET_LOAD(LD_IND_B, 1, IND_OFFSET) PACKET_LOAD(LD_IND_H, 2, IND_OFFSET) PACKET_LOAD(LD_IND_W, 4, IND_OFFSET)

out_of_budget:
  __attribute__((unused));
  return insn_error(Errc::memory_fault, PC,
                    "instruction limit of " + std::to_string(options.insn_limit) + " reached: the program may not terminate");
}

}  // namespace

const Interpreter::Impl& impl_of(const Interpreter& interpreter) { return *interpreter.impl_; }

Interpreter::Interpreter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Interpreter::Interpreter(Interpreter&&) noexcept = default;
Interpreter& Interpreter::operator=(Interpreter&&) noexcept = default;
Interpreter::~Interpreter() = default;

Result<Interpreter> Interpreter::load(std::span<const Insn> program, const HelperRegistry& helpers,
                                      const LoadOptions& options) {
  if (auto r = validate(program, options.validate); !r) return r.error();
  auto decoded = vm::predecode(program, helpers, options.tail_calls != nullptr);
  if (!decoded) return decoded.error();
  auto impl = std::make_unique<Impl>();
  impl->program.assign(program.begin(), program.end());
  impl->decoded = std::move(decoded.value());
  impl->mode = options.mode;
  impl->tail_calls = options.tail_calls;
  return Interpreter(std::move(impl));
}

namespace {

template <bool Checked>
Result<std::uint64_t> start(const Interpreter::Impl& impl, RunState& st, const RunOptions& options) {
  InterpreterContext<Checked> context(st, options);
  const std::uint64_t args[5] = {st.memory, st.memory_size, 0, 0, 0};
  return run_loop<Checked>(st, &impl, 0, args, st.stack_top(), context, options);
}

}  // namespace

Result<std::uint64_t> Interpreter::run(void* memory, std::size_t length, const RunOptions& options) const {
  RunState st;
  st.memory = reinterpret_cast<std::uintptr_t>(memory);
  st.memory_size = memory == nullptr ? 0 : length;
  st.packet = options.packet.empty() ? std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(memory), st.memory_size)
                                     : options.packet;
  if (impl_->mode == ExecMode::unchecked) return start<false>(*impl_, st, options);
  st.budget = options.insn_limit;
  if (st.memory_size != 0) st.regions.push_back({st.memory, st.memory_size, true});
  st.regions.insert(st.regions.end(), options.extra_regions.begin(), options.extra_regions.end());
  auto result = start<true>(*impl_, st, options);
  if (options.insn_count != nullptr) *options.insn_count = options.insn_limit - st.budget;
  return result;
}

ExecMode Interpreter::mode() const { return impl_->mode; }
std::span<const Insn> Interpreter::program() const { return impl_->program; }

}  // namespace ubee
