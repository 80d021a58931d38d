// The eBPF instruction set (RFC 9669, with the Linux kernel's encoding): the instruction type, whole-program
// decoding and the encoding rules every later stage relies on. Opcode constants come from <linux/bpf.h>.
#pragma once

#include <linux/bpf.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ubee/error.hpp"

// Older UAPI headers (Debian 12 ships 6.1) predate these ISA v4 encodings; the values are RFC 9669's.
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80  // sign-extending load mode (RFC 9669 section 5.1)
#endif
#ifndef BPF_PSEUDO_MAP_IDX
#define BPF_PSEUDO_MAP_IDX 5
#endif
#ifndef BPF_PSEUDO_MAP_IDX_VALUE
#define BPF_PSEUDO_MAP_IDX_VALUE 6
#endif

namespace ubee {

// One 64-bit instruction slot, laid out exactly as the kernel's struct bpf_insn.
struct Insn {
  std::uint8_t opcode = 0;
  std::uint8_t dst : 4 = 0;
  std::uint8_t src : 4 = 0;
  std::int16_t off = 0;
  std::int32_t imm = 0;

  [[nodiscard]] constexpr std::uint8_t cls() const { return BPF_CLASS(opcode); }
  [[nodiscard]] constexpr std::uint8_t op() const { return BPF_OP(opcode); }       // ALU and JMP classes
  [[nodiscard]] constexpr std::uint8_t source() const { return BPF_SRC(opcode); }  // BPF_K or BPF_X
  [[nodiscard]] constexpr std::uint8_t mode() const { return BPF_MODE(opcode); }   // load and store classes
  [[nodiscard]] constexpr std::uint8_t size() const { return BPF_SIZE(opcode); }   // load and store classes
  [[nodiscard]] constexpr bool is_lddw() const { return opcode == (BPF_LD | BPF_IMM | BPF_DW); }

  friend constexpr bool operator==(const Insn& a, const Insn& b) {
    return a.opcode == b.opcode && a.dst == b.dst && a.src == b.src && a.off == b.off && a.imm == b.imm;
  }
};
static_assert(sizeof(Insn) == sizeof(bpf_insn) && sizeof(Insn) == 8, "Insn must match struct bpf_insn");

using Program = std::vector<Insn>;

inline constexpr std::size_t kInsnSize = 8;
inline constexpr std::size_t kMaxInsns = 1'000'000;  // the kernel's BPF_COMPLEXITY_LIMIT_INSNS
inline constexpr std::size_t kStackSize = 512;       // MAX_BPF_STACK: bytes per frame
inline constexpr std::size_t kMaxCallDepth = 8;      // MAX_CALL_FRAMES: the main frame and seven callees
inline constexpr int kRegCount = 11;                 // r0..r10
inline constexpr int kFramePointer = 10;

// Width in bytes of a load/store size field (BPF_B/H/W/DW).
[[nodiscard]] constexpr std::size_t access_width(std::uint8_t size) {
  switch (size) {
    case BPF_B: return 1;
    case BPF_H: return 2;
    case BPF_W: return 4;
    default: return 8;
  }
}

// The 64-bit immediate of a lddw pair.
[[nodiscard]] constexpr std::uint64_t lddw_imm(const Insn& lo, const Insn& hi) {
  return static_cast<std::uint32_t>(lo.imm) | (static_cast<std::uint64_t>(static_cast<std::uint32_t>(hi.imm)) << 32);
}
// The two slots of `dst = imm64` (src = 0) or a pseudo form (src = BPF_PSEUDO_*).
[[nodiscard]] std::vector<Insn> make_lddw(int dst, std::uint64_t imm, int src = 0);

// Options for the structural checks every program passes before it runs.
struct ValidateOptions {
  bool allow_callx = true;  // `callx rN` (0x8d): the conformance suite's call through a register
};

// Checks the encoding rules of RFC 9669 over a whole program: known opcodes, zero reserved fields, register
// numbers, complete lddw pairs, jump and call targets inside the program and not into a lddw's second slot,
// no write to r10, and a last instruction that cannot fall off the end. The error names the instruction.
Result<void> validate(std::span<const Insn> program, const ValidateOptions& options = {});

// Little-endian bytes (the on-disk and in-kernel form) to instructions, then validate().
Result<Program> decode(std::span<const std::uint8_t> bytes, const ValidateOptions& options = {});
// Instructions to little-endian bytes.
std::vector<std::uint8_t> encode(std::span<const Insn> program);

}  // namespace ubee
