// The path-exploring checker, case by case: each case is a program in assembly and either acceptance or the
// kernel-style message (a substring) and the instruction it must name. The cases follow the classes of the
// kernel's selftests (tools/testing/selftests/bpf/progs/verifier_*.c): uninitialised registers and stack,
// stack bounds, pointer arithmetic, map values, null checks, helper arguments, packets, loops and limits.
#include <array>

#include "verifier_cases.hpp"

namespace ubee::test {
namespace {

const Case kCases[] = {
    // ---- registers
    {"minimal", "r0 = 0\n exit"},
    {"r0_not_set", "exit", "R0 !read_ok", 0},
    {"read_uninit_r2", "r0 = r2\n exit", "R2 !read_ok", 0},
    {"alu_on_uninit_dst", "r3 += 1\n r0 = 0\n exit", "R3 !read_ok", 0},
    {"store_uninit_reg", "*(u64 *)(r10 - 8) = r4\n r0 = 0\n exit", "R4 !read_ok", 0},
    {"write_r10", "r10 = 0\n r0 = 0\n exit", "frame pointer is read only", 0},
    {"r1_is_ctx_and_r10_fp", "r0 = r1\n r0 = r10\n r0 = 0\n exit"},
    {"branch_on_uninit", "if r5 > 0 goto +0\n r0 = 0\n exit", "R5 !read_ok", 0},
    {"r0_unset_on_one_path", "r0 = 0\n r1 = *(u32 *)(r1 + 12)\n if r1 == 0 goto +1\n exit\n r0 = r3\n exit",
     "R3 !read_ok", 4},
    // ---- ALU
    {"div_by_zero_imm", "r0 = 1\n r0 /= 0\n exit", "division by zero", 1},
    {"mod_by_zero_imm32", "w0 = 1\n w0 %= 0\n exit", "division by zero", 1},
    {"div_by_zero_reg_is_defined", "r0 = 1\n r1 = 0\n r0 /= r1\n exit"},
    {"shift_64_too_far", "r0 = 1\n r0 <<= 64\n exit", "invalid shift 64", 1},
    {"shift_32_too_far", "w0 = 1\n w0 >>= 32\n exit", "invalid shift 32", 1},
    {"shift_63_ok", "r0 = 1\n r0 s>>= 63\n exit"},
    // ---- pointer arithmetic
    {"ctx_pointer_mul", "r1 *= 2\n r0 = 0\n exit", "R1 pointer arithmetic with *= operator prohibited", 0},
    {"fp_bitwise_and", "r2 = r10\n r2 &= 0xff\n r0 = 0\n exit", "R2 bitwise operator &= on pointer prohibited", 1},
    {"pointer_add_32bit", "r2 = r10\n w2 += 8\n r0 = 0\n exit", "R2 32-bit pointer arithmetic prohibited", 1},
    {"pointer_sub_32bit_is_scalar", "r2 = *(u32 *)(r1 + 0)\n r3 = *(u32 *)(r1 + 4)\n w3 -= w2\n r0 = r3\n exit"},
    {"pointer_sub_32bit_not_pointer", "r2 = r10\n w2 -= 8\n *(u64 *)(r2 + 0) = 0\n r0 = 0\n exit",
     "R2 invalid mem access 'scalar'", 2},
    {"pointer_plus_pointer", "r2 = r10\n r2 += r1\n r0 = 0\n exit", "R2 pointer += pointer prohibited", 1},
    {"scalar_minus_pointer", "r2 = 1\n r2 -= r10\n r0 = 0\n exit", "R2 tried to subtract pointer from scalar", 1},
    {"pointer_minus_pointer_is_scalar", "r2 = r10\n r2 -= r10\n r0 = r2\n exit"},
    {"map_ptr_arithmetic", "r1 = map_idx(0) ll\n r1 += 8\n r0 = 0\n exit",
     "R1 pointer arithmetic on map_ptr prohibited", 2},
    {"or_null_arithmetic", LOOKUP0 "r0 += 4\n r0 = 0\n exit",
     "R0 pointer arithmetic on map_value_or_null prohibited, null-check it first", 6},
    {"pkt_end_arithmetic", "r2 = *(u32 *)(r1 + 4)\n r2 += 1\n r0 = 0\n exit",
     "R2 pointer arithmetic on pkt_end prohibited", 1},
    {"neg_pointer", "r2 = r10\n r2 = -r2\n r0 = 0\n exit", "R2 pointer arithmetic prohibited", 1},
    {"scalar_plus_fp_is_fp", "r2 = -8\n r2 += r10\n *(u64 *)(r2 + 0) = 1\n r0 = *(u64 *)(r10 - 8)\n exit"},
    {"unbounded_scalar_plus_pointer", "call 5\n r3 = r10\n r3 += r0\n r0 = 0\n exit",
     "math between fp pointer and register with unbounded min value is not allowed", 2},
    // ---- memory through non-pointers
    {"load_through_scalar", "r0 = 0\n r0 = *(u64 *)(r0 + 0)\n exit", "R0 invalid mem access 'scalar'", 1},
    {"store_through_scalar", "r2 = 100\n *(u8 *)(r2 + 0) = 1\n r0 = 0\n exit", "R2 invalid mem access 'scalar'", 1},
    {"load_through_map_ptr", "r1 = map_idx(0) ll\n r0 = *(u64 *)(r1 + 0)\n exit",
     "R1 invalid mem access 'map_ptr'", 2},
    {"load_through_pkt_end", "r2 = *(u32 *)(r1 + 4)\n r0 = *(u8 *)(r2 + 0)\n exit",
     "R2 invalid mem access 'pkt_end'", 1},
    // ---- stack
    {"stack_spill_fill", "r1 = 42\n *(u64 *)(r10 - 8) = r1\n r0 = *(u64 *)(r10 - 8)\n exit"},
    {"stack_read_uninit", "r0 = *(u64 *)(r10 - 8)\n exit", "invalid read from stack off -8+0 size 8", 0,
     BPF_PROG_TYPE_XDP, true},
    {"stack_read_partly_init", "*(u32 *)(r10 - 8) = 1\n r0 = *(u64 *)(r10 - 8)\n exit",
     "invalid read from stack off -8+4 size 8", 1, BPF_PROG_TYPE_XDP, true},
    // Privileged programs may read uninitialised stack (allow_uninit_stack): they get an unknown number.
    {"stack_read_uninit_privileged_is_unknown", "r2 = *(u64 *)(r10 - 8)\n r3 = r10\n r3 += r2\n r0 = 0\n exit",
     "math between fp pointer and register with unbounded min value is not allowed", 2},
    {"stack_read_partly_init_privileged_is_unknown", "*(u32 *)(r10 - 8) = 0\n r2 = *(u64 *)(r10 - 8)\n"
     " r3 = r10\n r3 += r2\n r0 = 0\n exit",
     "math between fp pointer and register with unbounded min value is not allowed", 3},
    // ---- unprivileged stack pointers and spills
    {"unpriv_stack_pointer_past_fp", "r2 = r10\n r2 += 8\n r0 = 0\n exit",
     "R2 stack pointer arithmetic goes out of range, prohibited for !root; off=8", 1, BPF_PROG_TYPE_SOCKET_FILTER,
     true},
    {"unpriv_stack_pointer_at_fp", "r2 = r10\n r2 += -8\n r2 += 8\n r0 = 0\n exit",
     "R2 stack pointer arithmetic goes out of range, prohibited for !root; off=0", 2, BPF_PROG_TYPE_SOCKET_FILTER,
     true},
    {"unpriv_stack_pointer_below_frame", "r2 = r10\n r2 += -513\n r0 = 0\n exit",
     "R2 stack pointer arithmetic goes out of range, prohibited for !root; off=-513", 1, BPF_PROG_TYPE_SOCKET_FILTER,
     true},
    {"unpriv_stack_pointer_frame_bottom", "r2 = r10\n r2 += -512\n r0 = 0\n exit", nullptr, 0,
     BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"priv_stack_pointer_past_fp", "r2 = r10\n r2 += 8\n r0 = 0\n exit"},
    {"unpriv_partial_store_over_spilled_pointer", "*(u64 *)(r10 - 8) = r1\n *(u8 *)(r10 - 5) = 0\n r0 = 0\n exit",
     "attempt to corrupt spilled pointer on stack", 1, BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"unpriv_partial_store_over_spilled_scalar", "r1 = 3\n *(u64 *)(r10 - 8) = r1\n *(u32 *)(r10 - 8) = 0\n"
     " r0 = 0\n exit", nullptr, 0, BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"unpriv_whole_store_over_spilled_pointer", "*(u64 *)(r10 - 8) = r1\n *(u64 *)(r10 - 8) = 0\n"
     " r0 = *(u64 *)(r10 - 8)\n exit", nullptr, 0, BPF_PROG_TYPE_SOCKET_FILTER, true},
    // An atomic on a spilled pointer would hand the address back as a number, fetched or read back later.
    {"unpriv_atomic_fetch_of_spilled_pointer", "*(u64 *)(r10 - 8) = r1\n r2 = 0\n"
     " r2 = atomic_fetch_add((u64 *)(r10 - 8), r2)\n r0 = r2\n exit", "leaking pointer from stack off -8", 2,
     BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"unpriv_atomic_add_to_spilled_pointer", "*(u64 *)(r10 - 8) = r1\n r2 = 8\n"
     " lock *(u64 *)(r10 - 8) += r2\n r0 = *(u64 *)(r10 - 8)\n exit", "leaking pointer from stack off -8", 2,
     BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"unpriv_atomic_add_to_spilled_scalar", "r1 = 5\n *(u64 *)(r10 - 8) = r1\n r2 = 8\n"
     " lock *(u64 *)(r10 - 8) += r2\n r0 = *(u64 *)(r10 - 8)\n exit", nullptr, 0, BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"priv_partial_store_over_spilled_pointer", "*(u64 *)(r10 - 8) = r1\n *(u8 *)(r10 - 5) = 0\n r0 = 0\n exit"},
    // bpf_skb_load_bytes writes its buffer byte by byte, as far as the kernel's checks go.
    {"unpriv_helper_writes_over_spilled_pointer", "*(u64 *)(r10 - 8) = r1\n r2 = 0\n r3 = r10\n r3 += -8\n"
     " r4 = 4\n call 26\n r0 = 0\n exit", "attempt to corrupt spilled pointer on stack", 5,
     BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"stack_write_above_fp", "*(u64 *)(r10 + 0) = 1\n r0 = 0\n exit", "invalid write to stack R10 off=0 size=8", 0},
    {"stack_write_below_frame", "*(u64 *)(r10 - 520) = 1\n r0 = 0\n exit",
     "invalid write to stack R10 off=-520 size=8", 0},
    // Alignment is checked before the bounds, as the kernel's check_mem_access does.
    {"stack_read_straddles_fp", "r0 = *(u64 *)(r10 - 4)\n exit", "misaligned stack access off (0x0; 0x0)+0+-4 size 8",
     0},
    {"stack_read_aligned_past_fp", "r0 = *(u32 *)(r10 + 0)\n exit", "invalid read from stack R10 off=0 size=4", 0},
    // Sign-extending a pointer: a number for privileged programs, refused for unprivileged ones.
    {"fp_sign_extended_is_scalar", "r2 = (s32)r10\n *(u64 *)(r2 - 8) = 0\n r0 = 0\n exit",
     "R2 invalid mem access 'scalar'", 1},
    {"fp_sign_extended_unpriv", "r2 = (s32)r10\n r0 = 0\n exit", "R10 sign-extension part of pointer", 0,
     BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"fp_sign_extended_32_unpriv", "w2 = (s16)w10\n r0 = 0\n exit", "R10 partial copy of pointer", 0,
     BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"stack_lowest_byte_ok", "*(u8 *)(r10 - 512) = 7\n r0 = *(u8 *)(r10 - 512)\n exit"},
    {"stack_misaligned", "*(u32 *)(r10 - 6) = 1\n r0 = 0\n exit", "misaligned stack access", 0},
    {"stack_spilled_pointer_kept", "*(u64 *)(r10 - 16) = r1\n r6 = *(u64 *)(r10 - 16)\n"
     " r0 = *(u32 *)(r6 + 0)\n exit", nullptr, 0, BPF_PROG_TYPE_SOCKET_FILTER},
    {"stack_partial_pointer_spill", "*(u32 *)(r10 - 8) = r1\n r0 = 0\n exit", "invalid size of register spill", 0},
    {"stack_zero_bytes_read_as_zero", "*(u32 *)(r10 - 4) = 0\n r0 = *(u32 *)(r10 - 4)\n if r0 == 0 goto +1\n"
     " r0 = *(u64 *)(r0 + 0)\n exit"},
    {"stack_overwritten_spill_is_data", "*(u64 *)(r10 - 8) = r1\n *(u8 *)(r10 - 8) = 0\n"
     " r2 = *(u64 *)(r10 - 8)\n r0 = *(u32 *)(r2 + 0)\n exit", "R2 invalid mem access 'scalar'", 3},
    // ---- variable-offset stack accesses (privileged)
    // As the kernel does for privileged programs, a variable-offset write makes every byte it may hit data.
    {"stack_var_off_write_covers_range", "r2 = *(u32 *)(r1 + 12)\n r2 &= 8\n r3 = r10\n r3 += -16\n r3 += r2\n"
     " *(u64 *)(r3 + 0) = 0\n r0 = *(u64 *)(r10 - 8)\n r0 = *(u64 *)(r10 - 16)\n exit"},
    {"stack_var_off_read_initialised", "*(u64 *)(r10 - 16) = 0\n *(u64 *)(r10 - 8) = 0\n r2 = *(u32 *)(r1 + 12)\n"
     " r2 &= 8\n r3 = r10\n r3 += -16\n r3 += r2\n r0 = *(u64 *)(r3 + 0)\n exit"},
    // allow_uninit_stack: a privileged program may read bytes never written, through a variable offset too.
    {"stack_var_off_read_uninit_privileged", "*(u64 *)(r10 - 16) = 0\n r2 = *(u32 *)(r1 + 12)\n r2 &= 8\n"
     " r3 = r10\n r3 += -16\n r3 += r2\n r0 = *(u64 *)(r3 + 0)\n r0 = 0\n exit"},
    {"stack_var_off_out_of_frame", "r2 = *(u32 *)(r1 + 12)\n r2 &= 16\n r3 = r10\n r3 += -8\n r3 += r2\n"
     " *(u64 *)(r3 + 0) = 0\n r0 = 0\n exit",
     "invalid variable-offset write to stack R3 var_off=(0x0; 0x10) off=-8 size=8", 5},
    {"stack_var_off_misaligned", "r2 = *(u32 *)(r1 + 12)\n r2 &= 4\n r3 = r10\n r3 += -16\n r3 += r2\n"
     " *(u64 *)(r3 + 0) = 0\n r0 = 0\n exit", "misaligned stack access off (0x0; 0x4)+-16+0 size 8", 5},
    {"atomic_add_on_stack", "*(u64 *)(r10 - 8) = 0\n r1 = 1\n lock *(u64 *)(r10 - 8) += r1\n"
     " r0 = *(u64 *)(r10 - 8)\n exit"},
    {"atomic_on_uninit_stack", "r1 = 1\n lock *(u64 *)(r10 - 8) += r1\n r0 = 0\n exit",
     "invalid read from stack off -8+0 size 8", 1, BPF_PROG_TYPE_XDP, true},
    {"atomic_stores_pointer", "*(u64 *)(r10 - 8) = 0\n r2 = r10\n lock *(u64 *)(r10 - 8) += r2\n r0 = 0\n exit",
     "R2 leaks addr into mem", 2, BPF_PROG_TYPE_XDP, true},
    {"atomic_stores_pointer_privileged", "*(u64 *)(r10 - 8) = 0\n r2 = r10\n lock *(u64 *)(r10 - 8) += r2\n"
     " r0 = 0\n exit"},
    {"atomic_on_map_value", LOOKUP0 "if r0 == 0 goto +2\n r1 = 1\n lock *(u64 *)(r0 + 8) += r1\n r0 = 0\n exit"},
    {"atomic_misaligned_on_map_value", LOOKUP0 "if r0 == 0 goto +2\n r1 = 1\n lock *(u64 *)(r0 + 4) += r1\n"
     " r0 = 0\n exit", "misaligned value access off (0x0; 0x0)+0+4 size 8", 8},
    {"atomic_fetch_gives_scalar", "*(u64 *)(r10 - 8) = 0\n r1 = r10\n r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\n"
     " r0 = *(u64 *)(r1 + 0)\n exit", "R1 invalid mem access 'scalar'", 3},
    // ---- map values and null checks
    {"lookup_null_checked", LOOKUP0 "if r0 == 0 goto +1\n r0 = *(u64 *)(r0 + 8)\n r0 = 0\n exit"},
    {"lookup_null_checked_jne", LOOKUP0 "if r0 != 0 goto +2\n r0 = 0\n exit\n *(u64 *)(r0 + 0) = 1\n r0 = 0\n exit"},
    {"lookup_without_null_check", LOOKUP0 "r0 = *(u64 *)(r0 + 0)\n exit",
     "R0 invalid mem access 'map_value_or_null'", 6},
    {"null_check_covers_copies", LOOKUP0 "r6 = r0\n if r0 == 0 goto +1\n r0 = *(u64 *)(r6 + 0)\n r0 = 0\n exit"},
    {"null_side_is_scalar_zero", LOOKUP0 "if r0 != 0 goto +1\n r0 = *(u64 *)(r0 + 0)\n r0 = 0\n exit",
     "R0 invalid mem access 'scalar'", 7},
    {"map_value_past_end", LOOKUP0 "if r0 == 0 goto +1\n r0 = *(u64 *)(r0 + 12)\n r0 = 0\n exit",
     "invalid access to map value, value_size=16 off=12 size=8", 7},
    {"map_value_negative_off", LOOKUP0 "if r0 == 0 goto +1\n r0 = *(u8 *)(r0 - 1)\n r0 = 0\n exit",
     "invalid access to map value, value_size=16 off=-1 size=1", 7},
    {"map_value_bounded_var_off", LOOKUP1 "if r0 == 0 goto +5\n r1 = *(u32 *)(r0 + 0)\n r1 &= 31\n r0 += r1\n"
     " r0 = *(u64 *)(r0 + 8)\n r0 = 0\n exit"},
    {"map_value_var_off_too_big", LOOKUP1 "if r0 == 0 goto +5\n r1 = *(u32 *)(r0 + 0)\n r1 &= 63\n r0 += r1\n"
     " r0 = *(u64 *)(r0 + 8)\n r0 = 0\n exit", "invalid access to map value, value_size=48 off=71 size=8", 10},
    {"map_value_bounds_by_branch", LOOKUP1 "if r0 == 0 goto +5\n r1 = *(u32 *)(r0 + 0)\n if r1 > 40 goto +2\n"
     " r0 += r1\n r0 = *(u64 *)(r0 + 0)\n r0 = 0\n exit"},
    {"map_value_unbounded_var_off", LOOKUP1 "if r0 == 0 goto +4\n r1 = *(u64 *)(r0 + 0)\n r0 += r1\n"
     " r0 = *(u8 *)(r0 + 0)\n r0 = 0\n exit", "math between map_value pointer and register with unbounded min", 8},
    {"map_value_signed_var_off", LOOKUP1 "if r0 == 0 goto +6\n r1 = *(u32 *)(r0 + 0)\n if r1 s> 40 goto +3\n"
     " r1 = (s32)r1\n r0 += r1\n r0 = *(u8 *)(r0 + 0)\n r0 = 0\n exit"},
    {"map_value_direct_lddw", "r1 = map_idx_value(1, 40) ll\n r0 = *(u64 *)(r1 + 0)\n exit"},
    {"map_value_direct_lddw_oob", "r1 = map_idx_value(1, 44) ll\n r0 = *(u64 *)(r1 + 0)\n exit",
     "invalid access to map value, value_size=48 off=44 size=8", 2},
    {"map_index_out_of_range", "r1 = map_idx(17) ll\n r0 = 0\n exit", "map index 17 is out of range", 0},
    // ---- scalar copies share bounds (sync_linked_regs)
    {"copy_bounds_reach_original", LOOKUP1 "r1 = *(u32 *)(r0 + 0)\n r2 = r1\n if r2 > 40 goto +2\n r0 += r1\n"
     " r0 = *(u64 *)(r0 + 0)\n r0 = 0\n exit"},
    {"original_bounds_reach_copy", LOOKUP1 "r1 = *(u32 *)(r0 + 0)\n r2 = r1\n if r1 > 40 goto +2\n r0 += r2\n"
     " r0 = *(u64 *)(r0 + 0)\n r0 = 0\n exit"},
    {"modified_copy_is_unlinked", LOOKUP1 "r1 = *(u32 *)(r0 + 0)\n r2 = r1\n r2 += 8\n if r2 > 40 goto +2\n"
     " r0 += r1\n r0 = *(u64 *)(r0 + 0)\n r0 = 0\n exit",
     "R0 unbounded memory access, make sure to bounds check any such access", 11},
    {"overwritten_copy_is_unlinked", LOOKUP1 "r1 = *(u32 *)(r0 + 0)\n r2 = r1\n r2 = *(u32 *)(r0 + 4)\n"
     " if r2 > 40 goto +2\n r0 += r1\n r0 = *(u64 *)(r0 + 0)\n r0 = 0\n exit",
     "R0 unbounded memory access, make sure to bounds check any such access", 11},
    // The linked path reaches insn 12 first; the unlinked one must not be pruned by it (check_scalar_ids).
    {"unlinked_path_not_pruned_by_linked", LOOKUP1 "r1 = *(u32 *)(r0 + 0)\n r3 = *(u32 *)(r0 + 4)\n r2 = r1\n"
     " if r3 == 0 goto +1\n goto +1\n r2 = *(u32 *)(r0 + 8)\n if r2 > 40 goto +2\n r0 += r1\n"
     " r0 = *(u64 *)(r0 + 0)\n r0 = 0\n exit",
     "R0 unbounded memory access, make sure to bounds check any such access", 14},
    // ---- helper calls
    {"unknown_helper", "call 9999\n r0 = 0\n exit", "invalid func unknown#9999", 0},
    {"linux_helper_ubee_lacks", "call 36\n r0 = 0\n exit",
     "program of this type cannot use helper bpf_probe_write_user#36", 0},
    {"helper_clobbers_r1_r5", "r6 = r1\n call 5\n r0 = r1\n exit", "R1 !read_ok", 2},
    {"helper_keeps_r6_r9", "r6 = r1\n call 5\n r0 = r6\n r0 = 0\n exit"},
    {"lookup_map_arg_not_map", "r1 = 0\n r2 = r10\n call 1\n r0 = 0\n exit", "R1 type=scalar expected=map_ptr", 2},
    {"lookup_key_uninit_stack", "r2 = r10\n r2 += -4\n r1 = map_idx(0) ll\n call 1\n r0 = 0\n exit",
     "invalid indirect read from stack R2 off -4+0 size 4", 4, BPF_PROG_TYPE_XDP, true},
    {"lookup_key_scalar", "r2 = 0\n r1 = map_idx(0) ll\n call 1\n r0 = 0\n exit", "R2 type=scalar expected=fp", 3},
    {"lookup_key_too_small", "*(u16 *)(r10 - 2) = 0\n r2 = r10\n r2 += -2\n r1 = map_idx(0) ll\n call 1\n"
     " r0 = 0\n exit", "invalid indirect access to stack R2 off=-2 size=4", 5},
    {"update_value_checked_by_value_size", "*(u32 *)(r10 - 4) = 0\n *(u64 *)(r10 - 16) = 0\n r2 = r10\n r2 += -4\n"
     " r3 = r10\n r3 += -16\n r4 = 0\n r1 = map_idx(0) ll\n call 2\n exit",
     "invalid indirect read from stack R3 off -16+8 size 16", 9, BPF_PROG_TYPE_XDP, true},
    // Unprivileged helpers may not read a spilled pointer's bytes (a leak into the map), spilled numbers they may.
    {"unpriv_update_value_spilled_pointer", "*(u32 *)(r10 - 4) = 0\n *(u64 *)(r10 - 16) = r10\n"
     " *(u64 *)(r10 - 24) = 0\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -24\n r4 = 0\n r1 = map_idx(0) ll\n"
     " call 2\n exit", "invalid indirect read from stack R3 off -24+8 size 16", 10, BPF_PROG_TYPE_XDP, true},
    {"unpriv_update_value_spilled_scalar", "*(u32 *)(r10 - 4) = 0\n r1 = 7\n *(u64 *)(r10 - 16) = r1\n"
     " *(u64 *)(r10 - 24) = 0\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -24\n r4 = 0\n r1 = map_idx(0) ll\n"
     " call 2\n exit", nullptr, 0, BPF_PROG_TYPE_XDP, true},
    {"priv_update_value_spilled_pointer", "*(u32 *)(r10 - 4) = 0\n *(u64 *)(r10 - 16) = r10\n"
     " *(u64 *)(r10 - 24) = 0\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -24\n r4 = 0\n r1 = map_idx(0) ll\n"
     " call 2\n exit"},
    // An array lookup whose key is known in range never fails (the kernel's const_map_key), when privileged.
    {"array_lookup_zero_key_not_null", LOOKUP1 "r0 = *(u64 *)(r0 + 40)\n exit"},
    {"array_lookup_zero_key_unpriv_needs_null_check", LOOKUP1 "r0 = *(u64 *)(r0 + 40)\n exit",
     "R0 invalid mem access 'map_value_or_null'", 6, BPF_PROG_TYPE_SOCKET_FILTER, true},
    {"hash_lookup_zero_key_needs_null_check", LOOKUP0 "r0 = *(u64 *)(r0 + 0)\n exit",
     "R0 invalid mem access 'map_value_or_null'", 6},
    {"array_lookup_unknown_key_needs_null_check", "r2 = *(u32 *)(r1 + 12)\n *(u32 *)(r10 - 4) = r2\n r2 = r10\n"
     " r2 += -4\n r1 = map_idx(1) ll\n call 1\n r0 = *(u64 *)(r0 + 0)\n exit",
     "R0 invalid mem access 'map_value_or_null'", 7},
    {"update_ok", "*(u32 *)(r10 - 4) = 0\n *(u64 *)(r10 - 16) = 0\n *(u64 *)(r10 - 24) = 0\n r2 = r10\n"
     " r2 += -4\n r3 = r10\n r3 += -24\n r4 = 0\n r1 = map_idx(0) ll\n call 2\n exit"},
    {"mem_and_size_ok", "r1 = r10\n r1 += -16\n r2 = 16\n call 16\n r0 = *(u64 *)(r10 - 16)\n exit"},
    {"mem_size_too_big", "r1 = r10\n r1 += -16\n r2 = 17\n call 16\n r0 = 0\n exit",
     "invalid indirect access to stack R1 off=-16 size=17", 3},
    {"mem_size_zero", "r1 = r10\n r1 += -16\n r2 = 0\n call 16\n r0 = 0\n exit", "R2 invalid zero-sized read", 3},
    {"mem_size_unbounded", "r2 = *(u32 *)(r1 + 12)\n r2 += 1\n r1 = r10\n r1 += -16\n call 16\n r0 = 0\n exit",
     "R2 unbounded memory access, use 'var &= const' or 'if (var < const)'", 4},
    {"mem_size_maybe_zero", "r2 = *(u32 *)(r1 + 12)\n r1 = r10\n r1 += -16\n call 16\n r0 = 0\n exit",
     "R2 invalid zero-sized read: u64=[0,4294967295]", 3},
    {"mem_size_bounded_var", "r2 = *(u32 *)(r1 + 12)\n r2 &= 15\n r2 += 1\n r1 = r10\n r1 += -16\n call 16\n"
     " r0 = 0\n exit"},
    {"mem_size_negative", "r2 = *(u32 *)(r1 + 12)\n r2 = (s32)r2\n r1 = r10\n r1 += -16\n call 16\n r0 = 0\n exit",
     "R2 min value is negative", 4},
    {"printk_reads_initialised_mem", "*(u64 *)(r10 - 8) = 0\n r1 = r10\n r1 += -8\n r2 = 8\n r3 = 0\n r4 = 0\n"
     " r5 = 0\n call 6\n exit"},
    {"printk_varargs_unchecked_as_in_kernel", "*(u64 *)(r10 - 8) = 0\n r1 = r10\n r1 += -8\n r2 = 8\n call 6\n exit"},
    {"update_flags_must_be_set", "*(u32 *)(r10 - 4) = 0\n *(u64 *)(r10 - 16) = 0\n *(u64 *)(r10 - 24) = 0\n"
     " r2 = r10\n r2 += -4\n r3 = r10\n r3 += -24\n r1 = map_idx(0) ll\n call 2\n exit", "R4 !read_ok", 9},
    {"printk_reads_uninit_mem", "r1 = r10\n r1 += -8\n r2 = 8\n r3 = 0\n r4 = 0\n r5 = 0\n call 6\n exit",
     "invalid indirect read from stack R1 off -8+0 size 8", 6, BPF_PROG_TYPE_XDP, true},
    {"ringbuf_reserve_null_check", "r1 = map_idx(2) ll\n r2 = 8\n r3 = 0\n call 131\n if r0 == 0 goto +4\n"
     " *(u64 *)(r0 + 0) = 1\n r1 = r0\n r2 = 0\n call 132\n r0 = 0\n exit"},
    {"ringbuf_record_oob", "r1 = map_idx(2) ll\n r2 = 8\n r3 = 0\n call 131\n if r0 == 0 goto +4\n"
     " *(u64 *)(r0 + 4) = 1\n r1 = r0\n r2 = 0\n call 132\n r0 = 0\n exit",
     "invalid access to memory, mem_size=8 off=4 size=8", 6},
    {"ringbuf_reserve_on_hash_map", "r1 = map_idx(0) ll\n r2 = 8\n r3 = 0\n call 131\n r0 = 0\n exit",
     "cannot pass map_type 1 into func bpf_ringbuf_reserve#131", 4},
    {"ringbuf_reserve_size_not_const",
     "r2 = *(u32 *)(r1 + 12)\n r1 = map_idx(2) ll\n r3 = 0\n call 131\n r0 = 0\n exit",
     "R2 is not a known constant", 4},
    {"ringbuf_submit_stack_pointer", "r1 = r10\n r1 += -8\n r2 = 0\n call 132\n r0 = 0\n exit",
     "R1 type=fp expected=ringbuf_mem", 3},
    {"ringbuf_submit_moved_record", "r1 = map_idx(2) ll\n r2 = 8\n r3 = 0\n call 131\n if r0 == 0 goto +4\n"
     " r1 = r0\n r1 += 4\n r2 = 0\n call 132\n r0 = 0\n exit", "R1 must have zero offset when passed to release func",
     9},
    {"queue_pop_sized_by_value", "r1 = map_idx(3) ll\n r2 = r10\n r2 += -8\n call 88\n r0 = *(u64 *)(r10 - 8)\n exit"},
    {"queue_pop_buffer_too_small", "r1 = map_idx(3) ll\n r2 = r10\n r2 += -4\n call 88\n r0 = 0\n exit",
     "invalid indirect access to stack R2 off=-4 size=8", 4},
    {"queue_pop_on_array", "r1 = map_idx(1) ll\n r2 = r10\n r2 += -48\n call 88\n r0 = 0\n exit",
     "cannot pass map_type 2 into func bpf_map_pop_elem#88", 4},
    {"map_in_map_lookup", LOOKUP_OUTER "if r0 == 0 goto +8\n r1 = r0\n r2 = r10\n r2 += -4\n call 1\n"
     " if r0 == 0 goto +2\n r0 = *(u64 *)(r0 + 16)\n exit\n r0 = 0\n exit"},
    {"map_in_map_inner_value_size", LOOKUP_OUTER "if r0 == 0 goto +8\n r1 = r0\n r2 = r10\n r2 += -4\n call 1\n"
     " if r0 == 0 goto +2\n r0 = *(u64 *)(r0 + 20)\n exit\n r0 = 0\n exit",
     "invalid access to map value, value_size=24 off=20 size=8", 12},
    {"map_in_map_inner_unchecked", LOOKUP_OUTER "r1 = r0\n r2 = r10\n r2 += -4\n call 1\n r0 = 0\n exit",
     "R1 type=map_ptr_or_null expected=map_ptr", 9},
    {"map_in_map_update_from_program", "*(u32 *)(r10 - 4) = 0\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -4\n"
     " r4 = 0\n r1 = map_idx(4) ll\n call 2\n exit", "cannot pass map_type 12 into func bpf_map_update_elem#2", 8},
    {"ringbuf_map_lookup", "*(u32 *)(r10 - 4) = 0\n r2 = r10\n r2 += -4\n r1 = map_idx(2) ll\n call 1\n r0 = 0\n exit",
     "invalid zero-sized read", 5},
    {"queue_map_delete", "*(u32 *)(r10 - 4) = 0\n r2 = r10\n r2 += -4\n r1 = map_idx(3) ll\n call 3\n r0 = 0\n exit",
     "invalid zero-sized read", 5},
    {"helper_ctx_arg_modified", "r1 += 4\n r2 = 0\n r3 = r10\n r3 += -8\n r4 = 8\n call 189\n r0 = 0\n exit",
     "dereference of modified ctx ptr R1 off=4 disallowed", 5},
    // ---- context and packets
    {"xdp_ctx_write", "*(u32 *)(r1 + 0) = 0\n r0 = 0\n exit", "invalid bpf_context access off=0 size=4", 0},
    {"tc_ctx_write_mark", "r2 = 7\n *(u32 *)(r1 + 8) = r2\n r0 = 0\n exit", nullptr, 0, BPF_PROG_TYPE_SCHED_CLS},
    {"tc_ctx_write_len", "*(u32 *)(r1 + 0) = 0\n r0 = 0\n exit", "invalid bpf_context access off=0 size=4", 0,
     BPF_PROG_TYPE_SCHED_CLS},
    {"socket_filter_ctx_write_cb", "*(u32 *)(r1 + 52) = 1\n r0 = *(u32 *)(r1 + 52)\n exit", nullptr, 0,
     BPF_PROG_TYPE_SOCKET_FILTER},
    {"tc_ctx_write_pointer", "r2 = r10\n *(u32 *)(r1 + 48) = r2\n r0 = 0\n exit", "R2 leaks addr into ctx", 1,
     BPF_PROG_TYPE_SCHED_CLS, true},
    {"xdp_ctx_past_end", "r0 = *(u32 *)(r1 + 24)\n exit", "invalid bpf_context access off=24 size=4", 0},
    {"socket_filter_no_data", "r0 = *(u32 *)(r1 + 76)\n exit", "invalid bpf_context access off=76 size=4", 0,
     BPF_PROG_TYPE_SOCKET_FILTER},
    {"packet_unchecked", "r2 = *(u32 *)(r1 + 0)\n r0 = *(u8 *)(r2 + 0)\n exit",
     "invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)", 1},
    {"packet_checked", "r2 = *(u32 *)(r1 + 0)\n r3 = *(u32 *)(r1 + 4)\n r4 = r2\n r4 += 14\n"
     " if r4 > r3 goto +2\n r0 = *(u16 *)(r2 + 12)\n exit\n r0 = 1\n exit"},
    {"packet_checked_too_short", "r2 = *(u32 *)(r1 + 0)\n r3 = *(u32 *)(r1 + 4)\n r4 = r2\n r4 += 14\n"
     " if r4 > r3 goto +2\n r0 = *(u32 *)(r2 + 12)\n exit\n r0 = 1\n exit",
     "invalid access to packet, off=12 size=4, R2(id=0,off=0,r=14)", 5},
    {"packet_wrong_side", "r2 = *(u32 *)(r1 + 0)\n r3 = *(u32 *)(r1 + 4)\n r4 = r2\n r4 += 14\n"
     " if r4 > r3 goto +2\n r0 = 1\n exit\n r0 = *(u16 *)(r2 + 12)\n exit",
     "invalid access to packet, off=12 size=2, R2(id=0,off=0,r=0)", 7},
    {"packet_end_first_operand", "r2 = *(u32 *)(r1 + 0)\n r3 = *(u32 *)(r1 + 4)\n r4 = r2\n r4 += 8\n"
     " if r3 >= r4 goto +2\n r0 = 1\n exit\n r0 = *(u64 *)(r2 + 0)\n exit"},
    // ---- contexts of tracing and syscall programs, helpers per program type
    {"kprobe_reads_pt_regs", "r0 = *(u64 *)(r1 + 160)\n r0 = *(u32 *)(r1 + 4)\n exit", nullptr, 0,
     BPF_PROG_TYPE_KPROBE},
    {"kprobe_past_pt_regs", "r0 = *(u64 *)(r1 + 168)\n exit", "invalid bpf_context access off=168 size=8", 0,
     BPF_PROG_TYPE_KPROBE},
    {"kprobe_writes_pt_regs", "*(u64 *)(r1 + 0) = 0\n r0 = 0\n exit", "invalid bpf_context access off=0 size=8", 0,
     BPF_PROG_TYPE_KPROBE},
    {"tracepoint_reads_fields", "r0 = *(u64 *)(r1 + 8)\n r0 = *(u32 *)(r1 + 8188)\n exit", nullptr, 0,
     BPF_PROG_TYPE_TRACEPOINT},
    {"tracepoint_common_header", "r0 = *(u64 *)(r1 + 0)\n exit", "invalid bpf_context access off=0 size=8", 0,
     BPF_PROG_TYPE_TRACEPOINT},
    {"tracepoint_past_max_size", "r0 = *(u64 *)(r1 + 8192)\n exit", "invalid bpf_context access off=8192 size=8", 0,
     BPF_PROG_TYPE_TRACEPOINT},
    {"raw_tp_args", "r0 = *(u64 *)(r1 + 88)\n exit", nullptr, 0, BPF_PROG_TYPE_RAW_TRACEPOINT},
    {"raw_tp_past_args", "r0 = *(u64 *)(r1 + 96)\n exit", "invalid bpf_context access off=96 size=8", 0,
     BPF_PROG_TYPE_RAW_TRACEPOINT},
    {"syscall_ctx_read_write", "r2 = *(u64 *)(r1 + 8)\n *(u32 *)(r1 + 0) = r2\n r0 = 0\n exit", nullptr, 0,
     BPF_PROG_TYPE_SYSCALL},
    {"cgroup_skb_packet_privileged", "r2 = *(u32 *)(r1 + 76)\n r0 = 1\n exit", nullptr, 0, BPF_PROG_TYPE_CGROUP_SKB},
    {"socket_filter_no_tc_classid", "r0 = *(u32 *)(r1 + 52)\n r0 = *(u32 *)(r1 + 72)\n exit",
     "invalid bpf_context access off=72 size=4", 1, BPF_PROG_TYPE_SOCKET_FILTER},
    {"socket_filter_no_family", "r0 = *(u32 *)(r1 + 88)\n exit", "invalid bpf_context access off=88 size=4", 0,
     BPF_PROG_TYPE_SOCKET_FILTER},
    {"cgroup_skb_packet_write", "r2 = *(u32 *)(r1 + 76)\n r3 = *(u32 *)(r1 + 80)\n r4 = r2\n r4 += 1\n"
     " if r4 > r3 goto +1\n *(u8 *)(r2 + 0) = 0\n r0 = 1\n exit", "cannot write into packet", 5,
     BPF_PROG_TYPE_CGROUP_SKB},
    {"cgroup_skb_packet_unprivileged", "r2 = *(u32 *)(r1 + 76)\n r0 = 1\n exit",
     "invalid bpf_context access off=76 size=4", 0, BPF_PROG_TYPE_CGROUP_SKB, true},
    {"xdp_probe_read_user", "r1 = r10\n r1 += -8\n r2 = 8\n r3 = 0\n call 112\n r0 = 0\n exit",
     "program of this type cannot use helper bpf_probe_read_user#112", 4, BPF_PROG_TYPE_XDP, true},
    // bpf_base_func_proto(): CAP_PERFMON gives the probe_read_{user,kernel} family to every program type.
    {"xdp_probe_read_user_privileged", "r1 = r10\n r1 += -8\n r2 = 8\n r3 = 0\n call 112\n r0 = 0\n exit"},
    {"xdp_legacy_probe_read_privileged", "r1 = r10\n r1 += -8\n r2 = 8\n r3 = 0\n call 4\n r0 = 0\n exit",
     "program of this type cannot use helper bpf_probe_read#4", 4},
    {"kprobe_probe_read_user", "r1 = r10\n r1 += -8\n r2 = 8\n r3 = 0\n call 112\n r0 = *(u64 *)(r10 - 8)\n exit",
     nullptr, 0, BPF_PROG_TYPE_KPROBE},
    {"kprobe_xdp_load_bytes", "r2 = 0\n r3 = r10\n r3 += -8\n r4 = 8\n call 189\n r0 = 0\n exit",
     "program of this type cannot use helper bpf_xdp_load_bytes#189", 4, BPF_PROG_TYPE_KPROBE},
    {"tracepoint_task_helpers", "call 14\n call 5\n r1 = r10\n r1 += -16\n r2 = 16\n call 16\n r0 = 0\n exit", nullptr,
     0, BPF_PROG_TYPE_TRACEPOINT},
    {"tc_xdp_store_bytes", "r2 = 0\n r3 = r10\n r3 += -8\n r4 = 8\n call 190\n r0 = 0\n exit",
     "program of this type cannot use helper bpf_xdp_store_bytes#190", 4, BPF_PROG_TYPE_SCHED_CLS},
    // ---- legacy packet loads
    {"ld_abs_socket_filter", "r6 = r1\n r0 = *(u16 *)skb[12]\n if r0 > 0xffff goto +1\n exit\n r0 = *(u64 *)(r0 + 0)\n"
     " exit", nullptr, 0, BPF_PROG_TYPE_SOCKET_FILTER},
    {"ld_ind_tc", "r6 = r1\n r2 = 3\n r0 = *(u32 *)skb[r2 + 4]\n exit", nullptr, 0, BPF_PROG_TYPE_SCHED_CLS},
    {"ld_abs_r6_not_ctx", "r6 = 0\n r0 = *(u16 *)skb[12]\n exit",
     "at the time of BPF_LD_ABS|IND R6 != pointer to skb", 1,
     BPF_PROG_TYPE_SOCKET_FILTER},
    {"ld_abs_r6_uninit", "r0 = *(u16 *)skb[12]\n exit", "R6 !read_ok", 0, BPF_PROG_TYPE_SOCKET_FILTER},
    {"ld_abs_in_xdp", "r6 = r1\n r0 = *(u8 *)skb[0]\n exit",
     "BPF_LD_[ABS|IND] instructions not allowed for this program type", 1},
    {"ld_abs_clobbers_r1_r5", "r6 = r1\n r0 = *(u8 *)skb[0]\n r0 = r1\n exit", "R1 !read_ok", 2,
     BPF_PROG_TYPE_SOCKET_FILTER},
    {"ld_ind_pointer_index", "r6 = r1\n r2 = r10\n r0 = *(u8 *)skb[r2 + 0]\n exit", "R2 type=fp expected=scalar", 2,
     BPF_PROG_TYPE_SOCKET_FILTER},
    // ---- loops, pruning and limits
    {"bounded_loop", "r0 = 0\n r1 = 0\nloop: r0 += r1\n r1 += 1\n if r1 < 100 goto loop\n exit"},
    {"loop_bound_from_data", "r2 = *(u32 *)(r1 + 12)\n r2 &= 0xff\n r1 = 0\n r0 = 0\nloop: r1 += 1\n"
     " if r1 < r2 goto loop\n exit"},
    {"infinite_loop", "r0 = 0\nloop: if r0 == 0 goto loop\n exit", "infinite loop detected at insn 1", 1},
    {"unreachable_insn", "r0 = 0\n exit\n r0 = 1\n exit", "unreachable insn 2", 2},
    {"unreachable_after_loop", "r0 = 0\nloop: goto loop\n exit", "unreachable insn 2", 2},
    {"infinite_loop_unknown_counter", "r1 = *(u32 *)(r1 + 12)\n r0 = 0\nloop: r1 |= 1\n if r1 != 0 goto loop\n exit",
     "infinite loop detected at insn 2", 2},
    {"too_many_insns", "r0 = 0\nloop: r0 += 1\n if r0 < 1000000 goto loop\n exit",
     "BPF program is too large. Processed 1000001 insn", 2},
    {"pruning_diamonds", "r0 = 0\n r2 = *(u32 *)(r1 + 12)\n"
     " if r2 > 1 goto +0\n if r2 > 2 goto +0\n if r2 > 3 goto +0\n if r2 > 4 goto +0\n"
     " if r2 > 5 goto +0\n if r2 > 6 goto +0\n if r2 > 7 goto +0\n if r2 > 8 goto +0\n exit"},
    {"dead_branch_not_checked", "r1 = 5\n if r1 > 10 goto +2\n r0 = 0\n exit\n r0 = *(u64 *)(r1 + 0)\n exit"},
    {"live_branch_checked", "r1 = 5\n if r1 < 10 goto +2\n r0 = 0\n exit\n r0 = *(u64 *)(r1 + 0)\n exit",
     "R1 invalid mem access 'scalar'", 4},
};

class VerifierCheck : public testing::TestWithParam<Case> {};

TEST_P(VerifierCheck, AcceptsOrRejectsWithMessage) { expect_case(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, VerifierCheck, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(VerifierCheckStats, CountsInstructionsAndStates) {
  const auto result = verify_text("r0 = 0\n r1 = 0\nloop: r1 += 1\n if r1 < 10 goto loop\n exit");
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(result->insns_processed, 2u + 10 * 2 + 1);
  EXPECT_GE(result->states, 10u);
  EXPECT_GE(result->peak_states, result->states);
}

TEST(VerifierCheckStats, PruningKeepsDiamondsLinear) {
  std::string text = "r0 = 0\n r2 = *(u32 *)(r1 + 12)\n";
  for (int i = 0; i < 40; ++i) text += " if r2 > 1000 goto +1\n r0 = 1\n";
  text += " exit\n";
  const auto result = verify_text(text.c_str());
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_LT(result->insns_processed, 1000u);  // 2^40 paths without pruning
}

TEST(VerifierCheckStats, EncodingErrorsComeFirst) {
  const std::array<Insn, 1> no_exit{Insn{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0}};
  const auto result = verify(no_exit, VerifierOptions{BPF_PROG_TYPE_XDP, {}, &linux_helpers(), false});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().insn, std::optional<std::size_t>{0});
}

}  // namespace
}  // namespace ubee::test
