// Random well-formed programs for the fuzz and differential tests: instructions of every class whose reserved
// fields are zero, whose jumps land in the program and whose memory operands mostly address the stack or input.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <random>

#include "ubee/isa.hpp"

namespace ubee::test {

// UBEE_FUZZ_ITERATIONS scales the randomized tests (the sanitizer preset lowers it).
inline int iterations(int fallback) {
  const char* env = std::getenv("UBEE_FUZZ_ITERATIONS");
  return env != nullptr ? std::max(1, std::atoi(env)) : fallback;
}

// Opcodes of every class, so that generated programs exercise the whole interpreter.
inline constexpr std::uint8_t kOpcodes[] = {
    0x04, 0x0c, 0x07, 0x0f, 0x14, 0x1c, 0x17, 0x1f, 0x24, 0x2c, 0x27, 0x2f, 0x34, 0x3c, 0x37, 0x3f, 0x44, 0x4c,
    0x47, 0x4f, 0x54, 0x5c, 0x57, 0x5f, 0x64, 0x6c, 0x67, 0x6f, 0x74, 0x7c, 0x77, 0x7f, 0x84, 0x87, 0x94, 0x9c,
    0x97, 0x9f, 0xa4, 0xac, 0xa7, 0xaf, 0xb4, 0xbc, 0xb7, 0xbf, 0xc4, 0xcc, 0xc7, 0xcf, 0xd4, 0xdc, 0xd7, 0x05,
    0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd,
    0xc5, 0xcd, 0xd5, 0xdd, 0x06, 0x16, 0x1e, 0x26, 0x2e, 0x36, 0x3e, 0x46, 0x4e, 0x56, 0x5e, 0x66, 0x6e, 0x76,
    0x7e, 0xa6, 0xae, 0xb6, 0xbe, 0xc6, 0xce, 0xd6, 0xde, 0x85, 0x8d, 0x95, 0x18, 0x61, 0x69, 0x71, 0x79, 0x81,
    0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50};
inline constexpr std::int32_t kAtomicImms[] = {0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1};

template <class T, std::size_t N>
inline T pick(std::mt19937_64& rng, const T (&options)[N]) {
  return options[rng() % N];
}

inline std::int32_t random_imm(std::mt19937_64& rng) {
  return rng() % 2 ? static_cast<std::int32_t>(rng() % 64) - 8 : static_cast<std::int32_t>(rng());
}

// Memory operands mostly address the stack or the input, so that runs get past their first access.
// Returns the base register to use; sets the offset.
inline std::uint8_t aim_memory(Insn& in, std::uint8_t base, std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: in.off = static_cast<std::int16_t>(-1 - static_cast<int>(rng() % 512)); return 10;
    case 1: in.off = static_cast<std::int16_t>(rng() % 64); return 1;
    default: in.off = static_cast<std::int16_t>(static_cast<int>(rng() % 64) - 32); return base;
  }
}

// Fills the fields an opcode leaves free with random values, and zeroes the ones the ISA reserves.
inline void shape_alu(Insn& in, std::mt19937_64& rng) {
  const bool x = in.source() == BPF_X;
  x ? void(in.imm = 0) : void(in.src = 0);
  in.off = 0;
  if (in.op() == BPF_DIV || in.op() == BPF_MOD) in.off = static_cast<std::int16_t>(rng() % 2);
  if (in.op() == BPF_MOV && x) in.off = pick(rng, {0, 8, 16, in.cls() == BPF_ALU64 ? 32 : 0});
  if (in.op() == BPF_NEG) in.src = 0, in.imm = 0;
  if (in.op() == BPF_END) in.src = 0, in.imm = pick(rng, {16, 32, 64});
}

inline void shape_jmp(Insn& in, std::mt19937_64& rng, std::size_t pc, std::size_t size) {
  const auto target = static_cast<std::int32_t>(rng() % size) - static_cast<std::int32_t>(pc) - 1;
  in.source() == BPF_X ? void(in.imm = 0) : void(in.src = 0);
  in.off = static_cast<std::int16_t>(target);
  if (in.op() == BPF_JA) {
    in.dst = in.src = 0;
    in.imm = in.cls() == BPF_JMP32 ? target : 0;
    if (in.cls() == BPF_JMP32) in.off = 0;
  }
  if (in.op() == BPF_CALL) {
    in.off = 0;
    in.src = in.source() == BPF_X ? 0 : static_cast<std::uint8_t>(rng() % 2);
    in.imm = in.source() == BPF_X ? 0 : in.src ? target : static_cast<std::int32_t>(1 + rng() % 8);
  }
}

inline void shape_memory(Insn& in, std::mt19937_64& rng) {
  switch (in.cls()) {
    case BPF_LDX: in.imm = 0; in.src = aim_memory(in, in.src, rng) & 0xf; break;
    case BPF_ST: in.src = 0; in.dst = aim_memory(in, in.dst, rng) & 0xf; break;
    case BPF_STX:
      if (in.mode() == BPF_ATOMIC) in.imm = pick(rng, kAtomicImms);
      else in.imm = 0;
      in.dst = aim_memory(in, in.dst, rng) & 0xf;
      break;
    default:  // legacy packet loads
      in.dst = 0, in.off = 0;
      if (in.mode() == BPF_ABS) in.src = 0;
  }
}

// One random instruction that passes the per-instruction rules, shaped for a program of `size` slots; a lddw
// is appended to `program` directly (two slots) and nullopt returned.
inline std::optional<Insn> random_insn(Program& program, std::mt19937_64& rng, std::size_t size) {
  Insn in{};
  in.opcode = pick(rng, kOpcodes);
  in.dst = static_cast<std::uint8_t>(rng() % 10);
  in.src = static_cast<std::uint8_t>(rng() % 11);
  in.imm = random_imm(rng);
  if (in.is_lddw()) {
    const auto pair = make_lddw(in.dst, rng());
    program.insert(program.end(), pair.begin(), pair.end());
    return std::nullopt;
  }
  if (in.cls() == BPF_ALU || in.cls() == BPF_ALU64) shape_alu(in, rng);
  else if (in.cls() == BPF_JMP || in.cls() == BPF_JMP32) shape_jmp(in, rng, program.size(), size);
  else shape_memory(in, rng);
  if (in.opcode == (BPF_JMP | BPF_EXIT)) in.dst = in.src = 0, in.off = 0, in.imm = 0;
  return in;
}

inline void append_random_insn(Program& program, std::mt19937_64& rng, std::size_t size) {
  if (auto in = random_insn(program, rng, size)) program.push_back(*in);
}

}  // namespace ubee::test
