// The verifier on bpf-to-bpf calls, callbacks, tail calls, spin locks, references, fixed-size helper arguments
// and return values: each case is accepted or rejected with the kernel's message at the instruction it names.
#include <string>

#include "verifier_cases.hpp"

namespace ubee::test {
namespace {

// A record of 8 bytes reserved in map 2 (ring buffer) into r6, and null-checked: r6 is mem from insn 7 on.
#define RESERVE "r1 = map_idx(2) ll\n r2 = 8\n r3 = 0\n call 131\n r6 = r0\n if r0 != 0 goto +2\n r0 = 0\n exit\n"
// A lookup in map 6 (8-byte values, lock at 0), r1 = the value from insn 8 on.
#define LOCKED_VALUE LOOKUP(6) "if r0 != 0 goto +2\n r0 = 0\n exit\n r1 = r0\n r6 = r0\n"

const Case kCalls[] = {
    // ---- bpf-to-bpf calls
    {"call_returns_r0", "r1 = 5\n call f\n exit\nf: r0 = r1\n exit"},
    {"caller_saved_unreadable_after_call", "r1 = 5\n call f\n r0 = r1\n exit\nf: r0 = 0\n exit", "R1 !read_ok", 2},
    {"callee_saved_preserved", "r6 = 7\n call f\n r0 = r6\n exit\nf: r6 = 1\n r0 = 0\n exit"},
    {"callee_r6_is_its_own", "r6 = 7\n call f\n exit\nf: r0 = r6\n exit", "R6 !read_ok", 3},
    {"callee_must_set_r0", "call f\n exit\nf: exit", "R0 !read_ok", 2},
    {"callee_reads_caller_stack", "*(u64 *)(r10 - 8) = 1\n r1 = r10\n r1 += -8\n call f\n exit\n"
     "f: r0 = *(u64 *)(r1 + 0)\n exit"},
    {"callee_reads_uninit_caller_stack", "r1 = r10\n r1 += -8\n call f\n exit\nf: r0 = *(u64 *)(r1 + 0)\n exit",
     "invalid read from stack off -8+0 size 8", 4, BPF_PROG_TYPE_XDP, true},
    {"callee_writes_caller_stack", "r1 = r10\n r1 += -8\n call f\n r0 = *(u64 *)(r10 - 8)\n exit\n"
     "f: *(u64 *)(r1 + 0) = 3\n r0 = 0\n exit"},
    {"callee_spills_pointer_into_caller_stack", "r6 = r1\n r1 = r10\n r1 += -8\n r2 = r6\n call f\n"
     "r1 = *(u64 *)(r10 - 8)\n r0 = *(u32 *)(r1 + 0)\n exit\nf: *(u64 *)(r1 + 0) = r2\n r0 = 0\n exit",
     nullptr, 0, BPF_PROG_TYPE_SOCKET_FILTER},
    // The caller's spilled pointer is not in the callee's frame: the callee's (uninitialised) slot reads as a number.
    {"callee_own_stack_separate", "r2 = r10\n *(u64 *)(r10 - 8) = r2\n call f\n exit\n"
     "f: r1 = *(u64 *)(r10 - 8)\n r0 = *(u64 *)(r1 - 8)\n exit", "R1 invalid mem access 'scalar'", 5},
    {"return_stack_pointer", "call f\n exit\nf: r0 = r10\n exit", "cannot return stack pointer to the caller frame", 3},
    {"spill_own_stack_pointer_to_caller", "r1 = r10\n r1 += -8\n call f\n r0 = 0\n exit\n"
     "f: r2 = r10\n *(u64 *)(r1 + 0) = r2\n r0 = 0\n exit",
     "cannot spill pointers to stack into stack frame of the caller", 6},
    {"recursion_too_deep", "call f\n exit\nf: call f\n r0 = 0\n exit", "the call stack of 9 frames is too deep", 2},
    {"eight_frames", "call f1\n exit\nf1: call f2\n exit\nf2: call f3\n exit\nf3: call f4\n exit\nf4: call f5\n exit\n"
     "f5: call f6\n exit\nf6: call f7\n exit\nf7: r0 = 0\n exit"},
    {"combined_stack_too_large", "*(u64 *)(r10 - 256) = 0\n call f\n r0 = 0\n exit\n"
     "f: *(u64 *)(r10 - 288) = 0\n r0 = 0\n exit", "combined stack size of 2 calls is 544. Too large", 4},
    {"combined_stack_fits", "*(u64 *)(r10 - 256) = 0\n call f\n r0 = 0\n exit\n"
     "f: *(u64 *)(r10 - 256) = 0\n r0 = 0\n exit"},
    {"jump_into_other_function", "r0 = 0\n call f\n exit\nf: if r1 > 0 goto -3\n r0 = 0\n exit",
     "jump out of range from insn 3 to 1", 3},
    // ---- callbacks
    {"loop_callback", "r2 = func(cb) ll\n r1 = 3\n r3 = 0\n r4 = 0\n call 181\n exit\ncb: r0 = 0\n exit"},
    {"loop_callback_not_func", "r2 = 0\n r1 = 3\n r3 = 0\n r4 = 0\n call 181\n exit", "R2 type=scalar expected=func",
     4},
    {"loop_callback_ctx_not_stack", "r2 = func(cb) ll\n r1 = 3\n r3 = 1\n r4 = 0\n call 181\n exit\n"
     "cb: r0 = 0\n exit", "R3 type=scalar expected=fp", 5},
    {"loop_callback_return_range", "r2 = func(cb) ll\n r1 = 3\n r3 = 0\n r4 = 0\n call 181\n exit\n"
     "cb: r0 = 2\n exit", "At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]", 8},
    {"loop_callback_index_is_u32", "r2 = func(cb) ll\n r1 = 3\n r3 = 0\n r4 = 0\n call 181\n exit\n"
     "cb: r0 = r1\n r0 >>= 32\n exit"},
    {"loop_callback_counter_in_ctx", "*(u64 *)(r10 - 8) = 0\n r3 = r10\n r3 += -8\n r2 = func(cb) ll\n r1 = 100\n"
     " r4 = 0\n call 181\n r0 = *(u64 *)(r10 - 8)\n exit\n"
     "cb: r1 = *(u64 *)(r2 + 0)\n r1 += 1\n *(u64 *)(r2 + 0) = r1\n r0 = 0\n exit"},
    // Safe on the first call only: the callback must be verified for later calls too.
    {"loop_callback_second_round", "*(u64 *)(r10 - 8) = 0\n r3 = r10\n r3 += -8\n r2 = func(cb) ll\n r1 = 2\n"
     " r4 = 0\n call 181\n r0 = 0\n exit\n"
     "cb: r1 = *(u64 *)(r2 + 0)\n if r1 == 0 goto +2\n r0 = *(u64 *)(r1 + 0)\n exit\n r1 = 1\n"
     " *(u64 *)(r2 + 0) = r1\n r0 = 0\n exit", "R1 invalid mem access 'scalar'", 12},
    {"for_each_key_and_value", "r1 = map_idx(1) ll\n r2 = func(cb) ll\n r3 = 0\n r4 = 0\n call 164\n exit\n"
     "cb: r0 = *(u32 *)(r2 + 0)\n r0 = *(u64 *)(r3 + 40)\n r0 = 0\n exit"},
    {"for_each_writes_key", "r1 = map_idx(1) ll\n r2 = func(cb) ll\n r3 = 0\n r4 = 0\n call 164\n exit\n"
     "cb: *(u32 *)(r2 + 0) = 1\n r0 = 0\n exit", "write to change key R2 not allowed", 8},
    {"for_each_value_out_of_bounds", "r1 = map_idx(1) ll\n r2 = func(cb) ll\n r3 = 0\n r4 = 0\n call 164\n exit\n"
     "cb: r0 = *(u64 *)(r3 + 48)\n r0 = 0\n exit", "invalid access to map value, value_size=48 off=48 size=8", 8},
    {"for_each_on_queue", "r1 = map_idx(3) ll\n r2 = func(cb) ll\n r3 = 0\n r4 = 0\n call 164\n exit\n"
     "cb: r0 = 0\n exit", "cannot pass map_type 22 into func bpf_for_each_map_elem#164", 6},
    // ---- tail calls
    {"tail_call", "r2 = map_idx(5) ll\n r3 = 0\n call 12\n r0 = 0\n exit"},
    {"tail_call_not_prog_array", "r2 = map_idx(0) ll\n r3 = 0\n call 12\n r0 = 0\n exit",
     "expected prog array map for tail call", 3},
    {"tail_call_ctx_moved", "r1 += 8\n r2 = map_idx(5) ll\n r3 = 0\n call 12\n r0 = 0\n exit",
     "dereference of modified ctx ptr R1 off=8 disallowed", 4},
    {"tail_call_clobbers_args", "r2 = map_idx(5) ll\n r3 = 0\n call 12\n r0 = r1\n exit", "R1 !read_ok", 4},
    {"tail_call_holding_reference", "r7 = r1\n" RESERVE "r1 = r7\n r2 = map_idx(5) ll\n r3 = 0\n call 12\n exit",
     "tail_call would lead to reference leak", 14},
    {"prog_array_lookup", LOOKUP(5) "r0 = 0\n exit", "cannot pass map_type 3 into func bpf_map_lookup_elem#1", 5},
    {"tail_call_below_deep_frames", "*(u64 *)(r10 - 256) = 0\n call f\n r0 = 0\n exit\n"
     "f: r2 = map_idx(5) ll\n r3 = 0\n call 12\n r0 = 0\n exit",
     "tail_calls are not allowed when call stack of previous frames is 256 bytes. Too large", 4},
    // ---- spin locks
    {"spin_lock_pair", LOCKED_VALUE "call 93\n r1 = r6\n call 94\n r0 = 0\n exit"},
    {"spin_unlock_without_lock", LOCKED_VALUE "call 94\n r0 = 0\n exit", "bpf_spin_unlock without taking a lock", 11},
    // The kernel checks calls made under a lock before what the helper is.
    {"spin_lock_twice", LOCKED_VALUE "call 93\n r1 = r6\n call 93\n r0 = 0\n exit",
     "function calls are not allowed while holding a lock", 13},
    {"spin_lock_helper_call_held", LOCKED_VALUE "call 93\n call 5\n r1 = r6\n call 94\n r0 = 0\n exit",
     "function calls are not allowed while holding a lock", 12},
    {"spin_lock_exit_held", LOCKED_VALUE "call 93\n r0 = 0\n exit", "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region", 13},
    {"spin_lock_variable_offset", LOCKED_VALUE "r2 = *(u32 *)(r6 + 4)\n r2 &= 4\n r1 += r2\n call 93\n r0 = 0\n exit",
     "R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset", 14},
    {"spin_lock_wrong_offset", LOCKED_VALUE "r1 += 4\n call 93\n r0 = 0\n exit",
     "off 4 doesn't point to 'struct bpf_spin_lock' that is at 0", 12},
    {"spin_lock_map_without_btf", LOOKUP(0) "if r0 != 0 goto +2\n r0 = 0\n exit\n r1 = r0\n call 93\n r0 = 0\n exit",
     "map 'hash' has to have BTF in order to use bpf_spin_lock", 10},
    {"spin_lock_field_load", LOCKED_VALUE "r0 = *(u32 *)(r6 + 0)\n r0 = 0\n exit",
     "bpf_spin_lock cannot be accessed directly by load/store", 11},
    {"spin_lock_neighbour_field", LOCKED_VALUE "r0 = *(u32 *)(r6 + 4)\n r0 = 0\n exit"},
    {"stack_pointer_subtraction", "r2 = r10\n r2 -= 8\n r0 = 0\n exit", "R2 subtraction from stack pointer prohibited", 1},
    {"pointer_constant_too_large", "r2 = r10\n r2 += 0x40000000\n r0 = 0\n exit",
     "math between fp pointer and 1073741824 is not allowed", 1},
    {"spin_lock_on_stack", "r1 = r10\n r1 += -8\n call 93\n r0 = 0\n exit", "R1 type=fp expected=map_value", 2},
    // ---- references
    {"ringbuf_submitted", RESERVE "r1 = r6\n r2 = 0\n call 132\n r0 = 0\n exit"},
    {"ringbuf_discarded_in_callee", RESERVE "r1 = r6\n call f\n r0 = 0\n exit\nf: r2 = 0\n call 133\n r0 = 0\n exit"},
    {"ringbuf_unreleased", RESERVE "r0 = 0\n exit", "Unreleased reference id=1 alloc_insn=4", 10},
    {"ringbuf_use_after_submit", RESERVE "r1 = r6\n r2 = 0\n call 132\n *(u64 *)(r6 + 0) = 1\n r0 = 0\n exit",
     "R6 invalid mem access 'scalar'", 12},
    {"ringbuf_submit_twice", RESERVE "r1 = r6\n r2 = 0\n call 132\n r1 = r6\n r2 = 0\n call 132\n r0 = 0\n exit",
     "R1 type=scalar expected=ringbuf_mem", 14},
    // ---- fixed-size arguments
    {"snprintf_rodata_format", "*(u64 *)(r10 - 8) = 0\n r4 = r10\n r4 += -8\n r5 = 8\n r3 = map_idx_value(7, 0) ll\n"
     " r1 = r10\n r1 += -32\n r2 = 16\n call 165\n exit"},
    {"snprintf_format_writable_map", "*(u64 *)(r10 - 8) = 0\n r4 = r10\n r4 += -8\n r5 = 8\n"
     " r3 = map_idx_value(1, 0) ll\n r1 = r10\n r1 += -32\n r2 = 16\n call 165\n exit",
     "R3 does not point to a readonly map'", 9},
    {"snprintf_format_on_stack", "*(u64 *)(r10 - 8) = 0\n r4 = r10\n r4 += -8\n r5 = 8\n r3 = r10\n r3 += -8\n"
     " r1 = r10\n r1 += -32\n r2 = 16\n call 165\n exit", "R3 type=fp expected=map_value", 9},
    {"snprintf_format_unterminated", "*(u64 *)(r10 - 8) = 0\n r4 = r10\n r4 += -8\n r5 = 8\n"
     " r3 = map_idx_value(8, 0) ll\n r1 = r10\n r1 += -32\n r2 = 16\n call 165\n exit",
     "string is not zero-terminated", 9},
    {"strtol_writes_long", "*(u64 *)(r10 - 8) = 0\n r1 = r10\n r1 += -8\n r2 = 8\n r3 = 0\n r4 = r10\n r4 += -16\n"
     " call 105\n r0 = *(u64 *)(r10 - 16)\n exit"},
    {"strtol_long_out_of_stack", "*(u64 *)(r10 - 8) = 0\n r1 = r10\n r1 += -8\n r2 = 8\n r3 = 0\n r4 = r10\n"
     " r4 += -4\n call 105\n r0 = 0\n exit", "invalid indirect access to stack R4 off=-4 size=8", 7},
    {"rodata_write", "r1 = map_idx_value(7, 0) ll\n *(u8 *)(r1 + 0) = 1\n r0 = 0\n exit",
     "write into map forbidden, value_size=3 off=0 size=1", 2},
    // ---- return values
    {"cgroup_skb_verdict", "r0 = 1\n exit", nullptr, 0, BPF_PROG_TYPE_CGROUP_SKB},
    {"cgroup_skb_bad_verdict", "r0 = 2\n exit",
     "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]", 1, BPF_PROG_TYPE_CGROUP_SKB},
    {"cgroup_skb_pointer_verdict", "r0 = r10\n exit", "At program exit the register R0 is not a known value (fp)", 1,
     BPF_PROG_TYPE_CGROUP_SKB},
    // ---- unprivileged programs: no address may leak
    {"unpriv_return_pointer", "r0 = r10\n exit", "R0 leaks addr as return value", 1, BPF_PROG_TYPE_SOCKET_FILTER,
     true},
    {"priv_return_pointer", "r0 = r10\n exit", nullptr, 0, BPF_PROG_TYPE_SOCKET_FILTER},
    {"unpriv_pointer_into_map", LOOKUP0 "if r0 == 0 goto +1\n *(u64 *)(r0 + 0) = r10\n r0 = 0\n exit",
     "R10 leaks addr into map", 7, BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"priv_pointer_into_map", LOOKUP0 "if r0 == 0 goto +1\n *(u64 *)(r0 + 0) = r10\n r0 = 0\n exit", nullptr, 0,
     BPF_PROG_TYPE_SOCKET_FILTER},
    {"unpriv_pointer_comparison", "r2 = r10\n if r2 > r1 goto +0\n r0 = 0\n exit", "R1 pointer comparison prohibited",
     1, BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"unpriv_pointer_compared_with_number", "r2 = r10\n if r2 > 7 goto +0\n r0 = 0\n exit",
     "R2 pointer comparison prohibited", 1, BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"unpriv_null_check_allowed", LOOKUP0 "if r0 == 0 goto +1\n r0 = *(u64 *)(r0 + 0)\n r0 = 0\n exit", nullptr, 0,
     BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"unpriv_pointer_minus_pointer", "r2 = r10\n r2 -= r10\n r0 = 0\n exit", "R2 pointer -= pointer prohibited", 1,
     BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"unpriv_partial_copy", "w2 = w10\n r0 = 0\n exit", "R10 partial copy of pointer", 0,
     BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"unpriv_pointer_to_helper", "*(u64 *)(r10 - 8) = 0\n r1 = map_idx(3) ll\n r2 = r10\n r2 += -8\n r3 = r10\n"
     " call 87\n r0 = 0\n exit", "R3 leaks addr into helper function", 6, BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"unpriv_variable_stack_pointer", "r2 = *(u32 *)(r1 + 0)\n r2 &= 8\n r3 = r10\n r3 += -16\n r3 += r2\n"
     " r0 = 0\n exit", "R3 variable stack access prohibited for !root, off=-16", 4, BPF_PROG_TYPE_SOCKET_FILTER, true},
};

class VerifierCalls : public testing::TestWithParam<Case> {};

TEST_P(VerifierCalls, AcceptsOrRejectsWithMessage) { expect_case(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, VerifierCalls, testing::ValuesIn(kCalls),
                         [](const testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// A counter the callback keeps in its context converges in a few rounds instead of one path per iteration.
TEST(VerifierCallsStats, CallbackRoundsReachAFixedPoint) {
  const auto result = verify_text(kCalls[22].text);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_LT(result->insns_processed, 100u);
}

TEST(VerifierCallsStats, SubprogramStackDepthCountsEachFrame) {
  // 8 frames of 64 bytes fit (8 x 64 = 512); a ninth byte in the last frame would not.
  std::string text = "*(u64 *)(r10 - 64) = 0\n call f1\n r0 = 0\n exit\n";
  for (int i = 1; i < 7; ++i)
    text += "f" + std::to_string(i) + ": *(u64 *)(r10 - 64) = 0\n call f" + std::to_string(i + 1) +
            "\n r0 = 0\n exit\n";
  const std::string fits = text + "f7: *(u64 *)(r10 - 64) = 0\n r0 = 0\n exit\n";
  const std::string too_deep = text + "f7: *(u64 *)(r10 - 72) = 0\n r0 = 0\n exit\n";
  EXPECT_TRUE(verify_text(fits.c_str()).ok());
  const auto rejected = verify_text(too_deep.c_str());
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().message, "combined stack size of 8 calls is 544. Too large");
}

}  // namespace
}  // namespace ubee::test
