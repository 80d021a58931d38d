// The interpreter's pre-decoded form: every instruction becomes one slot whose micro-op names its exact
// behaviour (operation, width, operand kind), so that dispatch is a single indirect jump with no decoding.
#pragma once

#include <cstdint>
#include <vector>

#include "ubee/error.hpp"
#include "ubee/helpers.hpp"
#include "ubee/isa.hpp"

namespace ubee::vm {

#define UBEE_ALU_NAMES(X, W) \
  X(ADD##W##_K) X(ADD##W##_X) X(SUB##W##_K) X(SUB##W##_X) X(MUL##W##_K) X(MUL##W##_X)     \
  X(DIV##W##_K) X(DIV##W##_X) X(SDIV##W##_K) X(SDIV##W##_X) X(MOD##W##_K) X(MOD##W##_X)   \
  X(SMOD##W##_K) X(SMOD##W##_X) X(OR##W##_K) X(OR##W##_X) X(AND##W##_K) X(AND##W##_X)     \
  X(LSH##W##_K) X(LSH##W##_X) X(RSH##W##_K) X(RSH##W##_X) X(ARSH##W##_K) X(ARSH##W##_X)   \
  X(XOR##W##_K) X(XOR##W##_X) X(MOV##W##_K) X(MOV##W##_X) X(NEG##W)                       \
  X(MOVSX8_##W) X(MOVSX16_##W)

#define UBEE_JMP_NAMES(X, W) \
  X(JEQ##W##_K) X(JEQ##W##_X) X(JNE##W##_K) X(JNE##W##_X) X(JGT##W##_K) X(JGT##W##_X)         \
  X(JGE##W##_K) X(JGE##W##_X) X(JLT##W##_K) X(JLT##W##_X) X(JLE##W##_K) X(JLE##W##_X)         \
  X(JSGT##W##_K) X(JSGT##W##_X) X(JSGE##W##_K) X(JSGE##W##_X) X(JSLT##W##_K) X(JSLT##W##_X)   \
  X(JSLE##W##_K) X(JSLE##W##_X) X(JSET##W##_K) X(JSET##W##_X)

#define UBEE_ATOMIC_NAMES(X, W) \
  X(AADD##W) X(AOR##W) X(AAND##W) X(AXOR##W) X(AFADD##W) X(AFOR##W) X(AFAND##W) X(AFXOR##W) \
  X(AXCHG##W) X(ACMPXCHG##W)

#define UBEE_MICRO_OPS(X)                                                                              \
  UBEE_ALU_NAMES(X, 32) UBEE_ALU_NAMES(X, 64) X(MOVSX32_64)                                           \
  X(LE16) X(LE32) X(LE64) X(BE16) X(BE32) X(BE64)                                                     \
  X(JA) UBEE_JMP_NAMES(X, 32) UBEE_JMP_NAMES(X, 64)                                                   \
  X(CALL_HELPER) X(CALL_LOCAL) X(CALLX) X(TAIL_CALL) X(EXIT) X(LDDW)                                               \
  X(LDXB) X(LDXH) X(LDXW) X(LDXDW) X(LDXSB) X(LDXSH) X(LDXSW)                                         \
  X(STB) X(STH) X(STW) X(STDW) X(STXB) X(STXH) X(STXW) X(STXDW)                                      \
  UBEE_ATOMIC_NAMES(X, 32) UBEE_ATOMIC_NAMES(X, 64)                                                   \
  X(LD_ABS_B) X(LD_ABS_H) X(LD_ABS_W) X(LD_IND_B) X(LD_IND_H) X(LD_IND_W)

enum class MicroOp : std::uint8_t {
#define UBEE_ENUM_ENTRY(name) name,
  UBEE_MICRO_OPS(UBEE_ENUM_ENTRY)
#undef UBEE_ENUM_ENTRY
  COUNT
};

// 16 bytes: jumps hold an absolute slot index in `target`, lddw its 64-bit value in `imm`, helper calls the
// index of the resolved function in `imm`.
struct Slot {
  MicroOp op;
  std::uint8_t dst;
  std::uint8_t src;
  std::uint8_t pad = 0;
  std::int32_t target;  // jump/call target, or the memory offset for loads and stores
  std::int64_t imm;     // sign-extended immediate
};
static_assert(sizeof(Slot) == 16);

struct Decoded {
  std::vector<Slot> slots;
  std::vector<HelperFn> helpers;  // helper calls index this table
  const HelperRegistry* registry = nullptr;  // callx resolves its helper at run time
};

// A function of the program as a value (lddw with BPF_PSEUDO_FUNC): its slot index under a tag, so that a
// helper handed anything else (a number, a pointer) is caught when it tries to call it.
inline constexpr std::uint64_t kFunctionTag = 0xf0e1'0000'0000'0000ULL;
inline constexpr std::uint64_t kFunctionTagMask = 0xffff'0000'0000'0000ULL;

// Translates a validated program. Fails for calls to unregistered helpers and for kfunc calls. With
// `tail_calls`, bpf_tail_call becomes the TAIL_CALL micro-op instead of a helper call.
Result<Decoded> predecode(std::span<const Insn> program, const HelperRegistry& registry, bool tail_calls);

}  // namespace ubee::vm
