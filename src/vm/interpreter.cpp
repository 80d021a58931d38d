// The run loop: threaded dispatch (GCC's computed goto) over pre-decoded slots. The loop is a template on
// Checked so that the unchecked instantiation, used only for verified programs, carries no runtime checks.
#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "alu_ops.hpp"
#include "micro_ops.hpp"
#include "ubee/asm.hpp"
#include "ubee/vm.hpp"

namespace ubee {

struct Interpreter::Impl {
  Program program;
  vm::Decoded decoded;
  ExecMode mode = ExecMode::checked;
};

namespace {

struct Frame {
  std::size_t return_slot;
  std::uint64_t saved[5];  // r6-r9 and r10: callee-saved across local calls (RFC 9669 section 4.3)
};

// Everything one run owns; on the C++ stack, so concurrent runs of one program share nothing mutable.
struct RunState {
  alignas(16) std::uint8_t stack[kStackSize * kMaxCallDepth];
  std::array<Frame, kMaxCallDepth> frames;
  std::vector<MemoryRegion> regions;  // checked mode only
  std::uint64_t budget = 0;
  std::uintptr_t memory = 0;
  std::size_t memory_size = 0;
};

std::uintptr_t stack_top(const RunState& st) { return reinterpret_cast<std::uintptr_t>(st.stack) + sizeof st.stack; }

bool in_region(const MemoryRegion& r, std::uintptr_t addr, std::size_t size, bool write) {
  return addr >= r.begin && size <= r.size && addr - r.begin <= r.size - size && (r.writable || !write);
}

// Checked mode: the current frame and its callers' frames, the input memory, and what helpers handed over.
bool access_allowed(const RunState& st, std::uint64_t frame_pointer, std::uint64_t addr, std::size_t size,
                    bool write) {
  const MemoryRegion stack{frame_pointer - kStackSize, stack_top(st) - (frame_pointer - kStackSize), true};
  if (in_region(stack, addr, size, write)) return true;
  for (const MemoryRegion& r : st.regions)
    if (in_region(r, addr, size, write)) return true;
  return false;
}

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

template <class T>
T load(std::uint64_t addr) {
  T v;
  std::memcpy(&v, reinterpret_cast<const void*>(addr), sizeof v);
  return v;
}
template <class T>
void store(std::uint64_t addr, T v) {
  std::memcpy(reinterpret_cast<void*>(addr), &v, sizeof v);
}

// Legacy packet loads (RFC 9669 section 5.5): network byte order; outside the packet the program ends with 0.
bool packet_load(const RunState& st, std::uint64_t offset, std::size_t size, std::uint64_t& out) {
  if (offset > st.memory_size || size > st.memory_size - offset) return false;
  const std::uint64_t addr = st.memory + offset;
  if (size == 1) out = load<std::uint8_t>(addr);
  if (size == 2) out = __builtin_bswap16(load<std::uint16_t>(addr));
  if (size == 4) out = __builtin_bswap32(load<std::uint32_t>(addr));
  return true;
}

template <class T>
T* atomic_ptr(std::uint64_t addr) {
  return reinterpret_cast<T*>(addr);
}


// Registers are named by the slot being run; these keep the handlers one line each.
#define DST reg[s->dst]
#define SRC reg[s->src]
#define PC static_cast<std::size_t>(s - base)
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
      return access_fault(program, PC, addr, size, write);                               \
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
      return fault(program, PC, "misaligned atomic access at " + hex(addr));   \
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
Result<std::uint64_t> run_loop(const Program& program, const vm::Decoded& decoded, RunState& st,
                               const RunOptions& options) {
  static const void* const labels[] = {UBEE_MICRO_OPS(LABEL_ADDRESS)};
  const vm::Slot* const base = decoded.slots.data();
  const vm::Slot* s = base;
  std::uint64_t reg[kRegCount] = {};
  reg[1] = st.memory;
  reg[2] = st.memory_size;
  reg[kFramePointer] = stack_top(st);
  std::size_t depth = 0;
  RunContext context(options.user_data, Checked ? &st.regions : nullptr);
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

  L_CALL_HELPER : reg[0] = decoded.helpers[static_cast<std::size_t>(s->imm)](reg[1], reg[2], reg[3], reg[4], reg[5], context);
  NEXT();
  L_CALLX : {
    const HelperProto* proto = decoded.registry->find(static_cast<std::uint32_t>(DST));
    if (proto == nullptr)
      return insn_error(Errc::unknown_helper, PC, "callx to unknown helper id " + std::to_string(DST));
    reg[0] = proto->fn(reg[1], reg[2], reg[3], reg[4], reg[5], context);
    NEXT();
  }
  L_CALL_LOCAL : {
    if (depth + 1 >= kMaxCallDepth)
      return insn_error(Errc::call_depth, PC, "call depth exceeds " + std::to_string(kMaxCallDepth) + " frames");
    st.frames[depth++] = Frame{PC + 1, {reg[6], reg[7], reg[8], reg[9], reg[10]}};
    reg[kFramePointer] -= kStackSize;
    JUMP();
  }
  L_EXIT : {
    if (depth == 0) return reg[0];
    const Frame& frame = st.frames[--depth];
    std::memcpy(&reg[6], frame.saved, sizeof frame.saved);
    s = base + frame.return_slot;
    DISPATCH();
  }
  L_LDDW : DST = static_cast<std::uint64_t>(s->imm); s += 2; BUDGET(); DISPATCH();

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

Interpreter::Interpreter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Interpreter::Interpreter(Interpreter&&) noexcept = default;
Interpreter& Interpreter::operator=(Interpreter&&) noexcept = default;
Interpreter::~Interpreter() = default;

Result<Interpreter> Interpreter::load(std::span<const Insn> program, const HelperRegistry& helpers,
                                      const LoadOptions& options) {
  if (auto r = validate(program, options.validate); !r) return r.error();
  auto decoded = vm::predecode(program, helpers);
  if (!decoded) return decoded.error();
  auto impl = std::make_unique<Impl>();
  impl->program.assign(program.begin(), program.end());
  impl->decoded = std::move(decoded.value());
  impl->mode = options.mode;
  return Interpreter(std::move(impl));
}

Result<std::uint64_t> Interpreter::run(void* memory, std::size_t length, const RunOptions& options) const {
  RunState st;
  st.memory = reinterpret_cast<std::uintptr_t>(memory);
  st.memory_size = memory == nullptr ? 0 : length;
  if (impl_->mode == ExecMode::unchecked) return run_loop<false>(impl_->program, impl_->decoded, st, options);
  st.budget = options.insn_limit;
  if (st.memory_size != 0) st.regions.push_back({st.memory, st.memory_size, true});
  st.regions.insert(st.regions.end(), options.extra_regions.begin(), options.extra_regions.end());
  auto result = run_loop<true>(impl_->program, impl_->decoded, st, options);
  if (options.insn_count != nullptr) *options.insn_count = options.insn_limit - st.budget;
  return result;
}

ExecMode Interpreter::mode() const { return impl_->mode; }
std::span<const Insn> Interpreter::program() const { return impl_->program; }

}  // namespace ubee
