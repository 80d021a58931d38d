// The state of one run of the interpreter and the checks checked mode makes against it.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "micro_ops.hpp"
#include "ubee/vm.hpp"

namespace ubee {

// What the run loop needs of a loaded program (also of a tail-call target).
struct Interpreter::Impl {
  Program program;
  vm::Decoded decoded;
  ExecMode mode = ExecMode::checked;
  const TailCallTargets* tail_calls = nullptr;
};

namespace vm {

using Loaded = Interpreter::Impl;

struct Frame {
  const Loaded* program;         // the caller: a tail call may have switched programs since
  const Slot* return_to;
  std::uint64_t saved[5];        // r6-r9 and r10: callee-saved across local calls (RFC 9669 section 4.3)
};

// Everything one run owns; on the C++ stack, so concurrent runs of one program share nothing mutable.
struct RunState {
  alignas(16) std::uint8_t stack[kStackSize * kMaxCallDepth];
  std::array<Frame, kMaxCallDepth> frames;
  std::size_t depth = 0;                 // frames in use below the main one
  std::uint32_t tail_calls = 0;
  const Loaded* current = nullptr;       // the program running now
  std::uint64_t helper_frame = 0;        // r10 of the frame that called the running helper
  std::vector<MemoryRegion> regions;     // checked mode only
  std::uint64_t budget = 0;
  std::uintptr_t memory = 0;
  std::size_t memory_size = 0;
  std::span<const std::uint8_t> packet;  // what legacy packet loads read

  [[nodiscard]] std::uintptr_t stack_top() const { return reinterpret_cast<std::uintptr_t>(stack) + sizeof stack; }
};

inline bool in_region(const MemoryRegion& r, std::uintptr_t addr, std::size_t size, bool write) {
  return addr >= r.begin && size <= r.size && addr - r.begin <= r.size - size && (r.writable || !write);
}

// Checked mode: the current frame and its callers' frames, the input memory, and what helpers handed over.
inline bool access_allowed(const RunState& st, std::uint64_t frame_pointer, std::uint64_t addr, std::size_t size,
                           bool write) {
  const MemoryRegion stack{frame_pointer - kStackSize, st.stack_top() - (frame_pointer - kStackSize), true};
  if (in_region(stack, addr, size, write)) return true;
  for (const MemoryRegion& r : st.regions)
    if (in_region(r, addr, size, write)) return true;
  return false;
}

std::string hex(std::uint64_t v);
Error fault(std::span<const Insn> program, std::size_t pc, std::string why);
Error access_fault(std::span<const Insn> program, std::size_t pc, std::uint64_t addr, std::size_t size, bool write);

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
inline bool packet_load(const RunState& st, std::uint64_t offset, std::size_t size, std::uint64_t& out) {
  if (offset > st.packet.size() || size > st.packet.size() - offset) return false;
  const auto addr = reinterpret_cast<std::uint64_t>(st.packet.data()) + offset;
  if (size == 1) out = load<std::uint8_t>(addr);
  if (size == 2) out = __builtin_bswap16(load<std::uint16_t>(addr));
  if (size == 4) out = __builtin_bswap32(load<std::uint32_t>(addr));
  return true;
}

}  // namespace vm
}  // namespace ubee
