// Spellings shared by the disassembler and the assembler. Both directions read these tables, so the text one
// prints is, by construction, the text the other accepts.
#pragma once

#include <array>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "ubee/isa.hpp"

namespace ubee::syntax {

// Compound-assignment ALU operators. `off` is part of the key because signed div/mod share the opcode of
// their unsigned forms and differ only there (RFC 9669, ISA v4). MOV, NEG and END have shapes of their own.
struct AluOp {
  std::uint8_t op;
  std::int16_t off;
  std::string_view text;
};
inline constexpr std::array<AluOp, 13> kAluOps{{
    {BPF_ADD, 0, "+="},
    {BPF_SUB, 0, "-="},
    {BPF_MUL, 0, "*="},
    {BPF_DIV, 0, "/="},
    {BPF_DIV, 1, "s/="},
    {BPF_MOD, 0, "%="},
    {BPF_MOD, 1, "s%="},
    {BPF_OR, 0, "|="},
    {BPF_AND, 0, "&="},
    {BPF_LSH, 0, "<<="},
    {BPF_RSH, 0, ">>="},
    {BPF_ARSH, 0, "s>>="},
    {BPF_XOR, 0, "^="},
}};

struct JmpOp {
  std::uint8_t op;
  std::string_view text;
};
inline constexpr std::array<JmpOp, 11> kJmpOps{{
    {BPF_JEQ, "=="},
    {BPF_JNE, "!="},
    {BPF_JGT, ">"},
    {BPF_JGE, ">="},
    {BPF_JLT, "<"},
    {BPF_JLE, "<="},
    {BPF_JSGT, "s>"},
    {BPF_JSGE, "s>="},
    {BPF_JSLT, "s<"},
    {BPF_JSLE, "s<="},
    {BPF_JSET, "&"},
}};

// Read-modify-write atomics: `lock *(u64 *)(r1 + 0) += r2`, and with BPF_FETCH `atomic_fetch_add(...)`.
struct AtomicOp {
  std::int32_t imm;
  std::string_view text;
  std::string_view name;
};
inline constexpr std::array<AtomicOp, 4> kAtomicOps{{
    {BPF_ADD, "+=", "add"},
    {BPF_OR, "|=", "or"},
    {BPF_AND, "&=", "and"},
    {BPF_XOR, "^=", "xor"},
}};
inline constexpr std::string_view kFetchPrefix = "atomic_fetch_";

// Exchanges are spelled as calls whose name carries the width, as llvm-objdump does.
struct Exchange {
  std::int32_t imm;
  std::string_view name64;
  std::string_view name32;
};
inline constexpr std::array<Exchange, 2> kExchanges{{
    {BPF_XCHG, "xchg_64", "xchg32_32"},
    {BPF_CMPXCHG, "cmpxchg_64", "cmpxchg32_32"},
}};

// Byte swaps: `r0 = be16 r0`. The ALU class converts to an endianness, ALU64 swaps unconditionally.
struct Swap {
  std::uint8_t opcode;
  std::string_view name;
};
inline constexpr std::array<Swap, 3> kSwaps{{
    {BPF_ALU | BPF_END | BPF_TO_LE, "le"},
    {BPF_ALU | BPF_END | BPF_TO_BE, "be"},
    {BPF_ALU64 | BPF_END | BPF_TO_LE, "bswap"},
}};
[[nodiscard]] constexpr bool is_swap_width(std::int64_t bits) { return bits == 16 || bits == 32 || bits == 64; }

// Sign-extending moves: `r0 = (s8)r1`; the width lives in `off`, and the 32-bit class stops at s16.
[[nodiscard]] constexpr bool is_movsx_width(std::int64_t bits, bool wide) {
  return bits == 8 || bits == 16 || (wide && bits == 32);
}

// The lddw pseudo sources: `r1 = map_value(3, 16) ll`. `one` forms print the second slot's imm only when it is
// not zero, so that every encoding round-trips; `target` is a pc-relative function address, like a call.
enum class PseudoArgs { one, two, target };
struct Pseudo {
  std::uint8_t src;
  std::string_view name;
  PseudoArgs args;
};
inline constexpr std::array<Pseudo, 6> kPseudos{{
    {BPF_PSEUDO_MAP_FD, "map_fd", PseudoArgs::one},
    {BPF_PSEUDO_MAP_VALUE, "map_value", PseudoArgs::two},
    {BPF_PSEUDO_BTF_ID, "btf_id", PseudoArgs::one},
    {BPF_PSEUDO_FUNC, "func", PseudoArgs::target},
    {BPF_PSEUDO_MAP_IDX, "map_idx", PseudoArgs::one},
    {BPF_PSEUDO_MAP_IDX_VALUE, "map_idx_value", PseudoArgs::two},
}};

inline constexpr std::string_view kLddwSuffix = "ll";
inline constexpr std::string_view kPacket = "skb";
inline constexpr std::string_view kKfunc = "kfunc";
inline constexpr std::string_view kPcRelative = "pc";

// The first entry of `table` that `pred` accepts, or nullptr.
template <class Table, class Pred>
[[nodiscard]] constexpr auto find(const Table& table, Pred pred) -> decltype(&*std::begin(table)) {
  for (const auto& entry : table)
    if (pred(entry)) return &entry;
  return nullptr;
}

}  // namespace ubee::syntax
