// Internal to the verifier: the helpers whose checks go beyond their ArgType prototype, one file each:
// callbacks (callbacks.cpp), tail calls and spin locks (tail_call.cpp, spin_lock.cpp), acquired references
// (references.cpp) and the fixed-size kinds of memory argument (fixed_args.cpp).
#pragma once

#include "verifier/checker.hpp"

namespace ubee::verifier {

// Whether helper `id` calls a function of the program given as an argument (bpf_loop, for_each_map_elem).
[[nodiscard]] bool calls_callback(std::int32_t id);
// The callback argument of such a helper and the frame it gets (set_loop_callback_state,
// set_map_elem_callback_state): its function and r1-r5.
Result<CallbackCall> check_callback_args(const Env& env, const State& state, std::uint32_t helper,
                                         const MapSpec* map);

// bpf_tail_call(ctx, prog_array, index): the kernel's prototype and its rule on references held.
Result<void> check_tail_call(const Env& env, State& state);

// bpf_spin_lock / bpf_spin_unlock (process_spin_lock): one lock at a time, released by the same pointer.
Result<void> check_spin_lock(const Env& env, State& state, bool lock);
// Where `map`'s values keep their struct bpf_spin_lock, from the object's BTF; nothing when unknown.
[[nodiscard]] std::optional<std::uint32_t> spin_lock_offset(const VerifierOptions& options, const MapSpec& map);

// Reference tracking (acquire_reference_state, release_reference): ringbuf records must be submitted or
// discarded on every path, and are unusable afterwards.
void acquire_reference(const Env& env, State& state, RegState& r0);
Result<void> release_reference(const Env& env, State& state, int regno);
// The reference a NULL pointer held never existed (mark_ptr_or_null_regs on the NULL side).
void drop_reference(State& state, std::uint32_t ref_obj_id);

// The kernel's memory arguments with an implied size that ubee's ArgType has no kind for: a constant string
// in a read-only map (ARG_PTR_TO_CONST_STR) and a u64 the helper writes (ARG_PTR_TO_LONG).
enum class FixedArg : std::uint8_t { const_str, long_out };
[[nodiscard]] std::optional<FixedArg> fixed_arg(std::uint32_t helper, int regno);
Result<void> check_const_str(const Env& env, const RegState& reg, int regno);

}  // namespace ubee::verifier
