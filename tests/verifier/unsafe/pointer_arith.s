; Pointer arithmetic the verifier cannot follow: multiplication, bitwise operations, 32-bit arithmetic,
; pointer + pointer, scalar - pointer, on null-able pointers or packet end, and offsets out of every bound.

== ctx_multiplied
;; type: xdp
;; priv: yes
;; reject: R1 pointer arithmetic with *= operator prohibited
r1 *= 2
r0 = 0
exit

== fp_and
;; type: xdp
;; priv: yes
;; reject: R2 bitwise operator &= on pointer prohibited
r2 = r10
r2 &= -8
r0 = 0
exit

== fp_or
;; type: xdp
;; priv: yes
;; reject: R2 bitwise operator |= on pointer prohibited
r2 = r10
r2 |= 7
r0 = 0
exit

== fp_shift
;; type: xdp
;; priv: yes
;; reject: R2 pointer arithmetic with <<= operator prohibited
r2 = r10
r2 <<= 1
r0 = 0
exit

== fp_32bit_add
;; type: xdp
;; priv: yes
;; reject: R2 32-bit pointer arithmetic prohibited
r2 = r10
w2 += 8
r0 = 0
exit

== fp_plus_ctx
;; type: xdp
;; priv: yes
;; reject: R2 pointer += pointer prohibited
r2 = r10
r2 += r1
r0 = 0
exit

== scalar_minus_fp
;; type: xdp
;; priv: yes
;; reject: R2 tried to subtract pointer from scalar
r2 = 1
r2 -= r10
r0 = 0
exit

== fp_negated
;; type: xdp
;; priv: no
;; reject: R2 pointer arithmetic prohibited
r2 = r10
r2 = -r2
r0 = 0
exit

== fp_div
;; type: xdp
;; priv: yes
;; reject: R2 pointer arithmetic with /= operator prohibited
r2 = r10
r2 /= 2
r0 = 0
exit

== ctx_byte_swapped
;; type: xdp
;; priv: no
;; reject: R1 pointer arithmetic prohibited
r1 = be64 r1
r0 = 0
exit

== fp_32bit_move_then_deref
;; type: xdp
;; priv: yes
;; reject: R2 invalid mem access 'scalar'
w2 = w10
*(u64 *)(r2 - 8) = 0
r0 = 0
exit

== fp_sign_extended_move_deref
;; type: xdp
;; priv: yes
;; reject: R2 invalid mem access 'scalar'
r2 = (s32)r10
*(u64 *)(r2 - 8) = 0
r0 = 0
exit

== fp_offset_too_large
;; type: xdp
;; priv: yes
;; reject: math between fp pointer and 1073741824 is not allowed
r2 = r10
r2 += 0x40000000
r0 = 0
exit

== map_value_huge_constant
;; type: xdp
;; priv: yes
;; map: array key=4 value=8 max=1
;; reject: math between map_value pointer and 536870912 is not allowed
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r1 = 0x20000000
r0 += r1
r0 = 0
exit

== pkt_end_subtracted_into
;; type: xdp
;; priv: yes
;; reject: R3 pointer arithmetic on pkt_end prohibited
r3 = *(u32 *)(r1 + 4)
r2 = 1
r3 -= r2
r0 = 0
exit

== ringbuf_or_null_arithmetic
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: R0 pointer arithmetic on
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
r0 += 1
r0 = 0
exit

== pkt_plus_pkt
;; type: xdp
;; priv: yes
;; reject: R2 pointer += pointer prohibited
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 0)
r2 += r3
r0 = 0
exit

== ctx_plus_unknown
;; type: xdp
;; priv: yes
;; reject: variable ctx access
r2 = *(u32 *)(r1 + 12)
r2 &= 4
r1 += r2
r0 = *(u32 *)(r1 + 12)
exit
