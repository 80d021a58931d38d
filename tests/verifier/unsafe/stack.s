; The stack: 512 bytes below r10, readable only where written, with fixed offsets the verifier can follow.

== read_uninit_u64
;; type: xdp
;; priv: no
;; reject: invalid read from stack off -8+0 size 8
r0 = *(u64 *)(r10 - 8)
exit

== read_uninit_u8
;; type: xdp
;; priv: no
;; reject: invalid read from stack off -1+0 size 1
r0 = *(u8 *)(r10 - 1)
exit

== read_half_written
;; type: xdp
;; priv: no
;; reject: invalid read from stack off -8+4 size 8
*(u32 *)(r10 - 8) = 1
r0 = *(u64 *)(r10 - 8)
exit

== read_neighbour_slot
;; type: xdp
;; priv: no
;; reject: invalid read from stack off -16+0 size 8
*(u64 *)(r10 - 8) = 1
r0 = *(u64 *)(r10 - 16)
exit

== read_written_on_one_path
;; type: xdp
;; priv: no
;; reject: invalid read from stack off -8+0 size 8
r2 = *(u32 *)(r1 + 12)
if r2 == 0 goto +1
*(u64 *)(r10 - 8) = r2
r0 = *(u64 *)(r10 - 8)
exit

== write_at_fp
;; type: xdp
;; priv: yes
;; reject: invalid write to stack R10 off=0 size=8
*(u64 *)(r10 + 0) = 1
r0 = 0
exit

== write_above_fp
;; type: xdp
;; priv: yes
;; reject: invalid write to stack R10 off=8 size=8
*(u64 *)(r10 + 8) = 1
r0 = 0
exit

== write_below_frame
;; type: xdp
;; priv: yes
;; reject: invalid write to stack R10 off=-520 size=8
*(u64 *)(r10 - 520) = 1
r0 = 0
exit

== write_straddles_frame_bottom
;; type: xdp
;; priv: yes
;; reject: invalid write to stack R10 off=-516 size=4
*(u32 *)(r10 - 516) = 1
r0 = 0
exit

== read_straddles_fp
;; type: xdp
;; priv: yes
;; reject: misaligned stack access off
r0 = *(u64 *)(r10 - 4)
exit

== read_through_copy_past_fp
;; type: xdp
;; priv: yes
;; reject: invalid read from stack R2 off=8 size=8
r2 = r10
r2 += 8
r0 = *(u64 *)(r2 + 0)
exit

== write_through_copy_below_frame
;; type: xdp
;; priv: yes
;; reject: invalid write to stack R2 off=-513 size=1
r2 = r10
r2 += -500
*(u8 *)(r2 - 13) = 1
r0 = 0
exit

== misaligned_u64_store
;; type: xdp
;; priv: yes
;; reject: misaligned stack access off
*(u64 *)(r10 - 12) = 1
r0 = 0
exit

== misaligned_u32_store
;; type: xdp
;; priv: yes
;; reject: misaligned stack access off
*(u32 *)(r10 - 6) = 1
r0 = 0
exit

== misaligned_u16_load
;; type: xdp
;; priv: yes
;; reject: misaligned stack access off
*(u64 *)(r10 - 8) = 0
r0 = *(u16 *)(r10 - 7)
exit

== partial_pointer_spill
;; type: xdp
;; priv: yes
;; reject: invalid size of register spill
*(u32 *)(r10 - 8) = r1
r0 = 0
exit

== spilled_pointer_overwritten_then_used
;; type: xdp
;; priv: yes
;; reject: R2 invalid mem access 'scalar'
*(u64 *)(r10 - 8) = r1
*(u8 *)(r10 - 8) = 0
r2 = *(u64 *)(r10 - 8)
r0 = *(u32 *)(r2 + 0)
exit

== stack_pointer_unbounded_offset
;; type: xdp
;; priv: yes
;; reject: math between fp pointer and register with unbounded min value is not allowed
call 7
r2 = r10
r2 += r0
r0 = 0
exit

== stack_var_offset_out_of_frame
;; type: xdp
;; priv: yes
;; reject: R3 subtraction from stack pointer prohibited
r2 = *(u32 *)(r1 + 12)
r2 &= 1023
r3 = r10
r3 -= r2
*(u8 *)(r3 - 1) = 0
r0 = 0
exit

== stack_var_offset_read_uninit
;; type: xdp
;; priv: no
;; bug: refused with the Spectre v1 rule "R3 variable stack access prohibited for !root" at the addition; the kernel without CAP_PERFMON here (CAP_BPF kept) allows the addition and refuses the read: "invalid variable-offset read from stack R3"
;; reject: invalid variable-offset read from stack R3
r2 = *(u32 *)(r1 + 12)
r2 &= 8
r3 = r10
r3 += -16
r3 += r2
r0 = *(u64 *)(r3 + 0)
exit

== read_uninit_through_copy
;; type: socket_filter
;; priv: no
;; reject: invalid read from stack off -24+0 size 4
r2 = r10
r2 += -24
r0 = *(u32 *)(r2 + 0)
exit

== u16_read_of_u8_write
;; type: xdp
;; priv: no
;; reject: invalid read from stack off -2+1 size 2
*(u8 *)(r10 - 2) = 1
r0 = *(u16 *)(r10 - 2)
exit

== pointer_from_stack_after_partial_overwrite
;; type: xdp
;; priv: yes
;; reject: invalid mem access 'scalar'
*(u64 *)(r10 - 16) = r10
*(u32 *)(r10 - 12) = 0
r2 = *(u64 *)(r10 - 16)
*(u64 *)(r2 - 8) = 0
r0 = 0
exit
