// The abstract machine state the verifier tracks per path, after the kernel's struct bpf_reg_state,
// struct bpf_stack_state, struct bpf_func_state and struct bpf_verifier_state (include/linux/bpf_verifier.h).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ubee/isa.hpp"
#include "ubee/maps.hpp"
#include "verifier/scalar.hpp"

namespace ubee::verifier {

// enum bpf_reg_type, the subset ubee tracks so far.
enum class RegType : std::uint8_t {
  not_init,
  scalar,
  ptr_to_ctx,
  ptr_to_stack,
  const_ptr_to_map,
  const_ptr_to_map_or_null,  // a lookup in an array or hash of maps
  ptr_to_map_value,
  ptr_to_map_value_or_null,
  ptr_to_packet,
  ptr_to_packet_end,
  ptr_to_packet_meta,
  ptr_to_mem,
  ptr_to_mem_or_null,
  ptr_to_map_key,  // a for_each_map_elem callback's key: key_size bytes, read-only
  ptr_to_func,     // lddw BPF_PSEUDO_FUNC: a callback, `subprog` its first instruction
};

// The kernel's reg_type_str() spelling ("scalar", "fp", "map_value_or_null", ...), used in messages.
[[nodiscard]] const char* reg_type_str(RegType type);
[[nodiscard]] bool is_pointer(RegType type);
[[nodiscard]] bool is_or_null(RegType type);
// The type a PTR_TO_X_OR_NULL becomes once it is known not to be NULL.
[[nodiscard]] RegType without_null(RegType type);

struct RegState {
  RegType type = RegType::not_init;
  std::int32_t off = 0;         // pointers: the fixed part of the offset
  Scalar var = Scalar::constant(0);  // scalars: the value; pointers: the variable part of the offset
  // or_null pointers: shared by copies, for the null check; packets: range group; scalars: shared by copies
  // (rX = rY), which hold the same value and learn the same bounds.
  std::uint32_t id = 0;
  const MapSpec* map = nullptr;  // map pointers and values: in VerifierOptions::maps, or a map-in-map's inner spec
  std::uint32_t mem_size = 0;   // ptr_to_mem: bytes the helper returned
  std::int32_t range = 0;       // packets: bytes proven before pkt_end (the kernel's reg->range)
  std::uint32_t ref_obj_id = 0;  // a reference the program must release (ringbuf records), State::refs
  std::uint32_t subprog = 0;     // ptr_to_func: the callback's first instruction
  std::uint8_t frameno = 0;      // ptr_to_stack: the frame whose stack it points into

  [[nodiscard]] static RegState scalar(const Scalar& value) { return {RegType::scalar, 0, value}; }
  [[nodiscard]] static RegState unknown() { return scalar(Scalar::unknown()); }
  [[nodiscard]] static RegState pointer(RegType type, std::int32_t off = 0) { return {type, off}; }
  [[nodiscard]] bool is_scalar() const { return type == RegType::scalar; }
  [[nodiscard]] bool is_const_zero() const { return is_scalar() && var == Scalar::constant(0); }
  friend bool operator==(const RegState&, const RegState&) = default;
};

// What one stack byte holds (enum bpf_stack_slot_type).
enum class SlotType : std::uint8_t { invalid, spill, misc, zero };


struct Frame {
  std::array<RegState, kRegCount> regs{};
  std::size_t callsite = 0;  // the call instruction that made this frame (not the main frame's)
  std::size_t subprog = 0;   // the function's first instruction
  bool callback = false;     // called by a helper: its exit returns to the helper call, r0 in [0, 1]
  std::array<SlotType, kStackSize> stack{};    // byte i is at fp - kStackSize + i
  // The register spilled in each 8-byte slot whose bytes are SlotType::spill, and only those (states are
  // compared whole, and stored by the thousand: most slots hold no register).
  std::map<std::uint8_t, RegState> spilled;
  friend bool operator==(const Frame&, const Frame&) = default;
};

// An acquired reference (struct bpf_reference_state): released by one helper call, or reported at exit.
struct Reference {
  std::uint32_t id = 0;
  std::size_t insn = 0;  // where it was acquired
  friend bool operator==(const Reference&, const Reference&) = default;
};

// The bpf_spin_lock held (the kernel's active_lock): which map value it lives in, by pointer id or map.
struct HeldLock {
  const MapSpec* map = nullptr;
  std::uint32_t id = 0;
  friend bool operator==(const HeldLock&, const HeldLock&) = default;
};

struct State {
  std::vector<Frame> frames;
  std::vector<Reference> refs;
  std::optional<HeldLock> lock;
  // Callbacks started on this path (callback_unroll_depth): states of different rounds of a callback are no
  // infinite loop, even when equal; subsumption ignores it.
  std::uint32_t callback_rounds = 0;
  [[nodiscard]] Frame& cur() { return frames.back(); }
  [[nodiscard]] const Frame& cur() const { return frames.back(); }
  [[nodiscard]] RegState& reg(int regno) { return cur().regs[static_cast<std::size_t>(regno)]; }
  friend bool operator==(const State&, const State&) = default;
};

// The state at the program's entry (init_func_state): r1 the context, r10 the frame pointer.
[[nodiscard]] State initial_state();

// Calls f on every register of every frame, spilled ones included (bpf_for_each_reg_in_vstate).
template <class F> void for_each_reg(State& state, F&& f) {
  for (Frame& frame : state.frames) {
    for (RegState& reg : frame.regs) f(reg);
    for (auto& [slot, reg] : frame.spilled) f(reg);
  }
}

// A hash of the whole state: equal states hash equal, so comparisons with stored states can start cheaply.
[[nodiscard]] std::uint64_t state_hash(const State& state);

// Whether every run the `cur` state allows is allowed by `old`, so that `old` having been proven safe proves
// `cur` safe (states_equal / regsafe / stacksafe, without liveness or precision marks yet).
[[nodiscard]] bool state_subsumes(const State& old, const State& cur);

// Makes `cur` cover `old` where their scalars differ (unknown values instead), so that states passing one loop
// head again and again reach a fixed point; both must have the same frames.
void widen(const State& old, State& cur);

}  // namespace ubee::verifier
