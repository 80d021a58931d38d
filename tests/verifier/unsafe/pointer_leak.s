; Pointer leaks, for programs loaded without CAP_PERFMON: no kernel address may reach a map, the context, the
; return value or a comparison with a scalar that would reveal it.

== return_stack_pointer
;; type: socket_filter
;; priv: no
;; reject: R0 leaks addr as return value
r0 = r10
exit

== return_ctx_pointer
;; type: socket_filter
;; priv: no
;; reject: R0 leaks addr as return value
r0 = r1
exit

== return_map_value_pointer
;; type: socket_filter
;; priv: no
;; map: array key=4 value=8 max=1
;; reject: R0 leaks addr as return value
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
exit

== store_stack_pointer_in_map
;; type: socket_filter
;; priv: no
;; map: array key=4 value=8 max=1
;; reject: R1 leaks addr into map
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r1 = r10
*(u64 *)(r0 + 0) = r1
r0 = 0
exit

== store_map_value_pointer_in_itself
;; type: socket_filter
;; priv: no
;; map: array key=4 value=8 max=1
;; reject: R0 leaks addr into map
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +1
*(u64 *)(r0 + 0) = r0
r0 = 0
exit

== store_ctx_pointer_in_map
;; type: socket_filter
;; priv: no
;; map: hash key=4 value=8 max=1
;; reject: R6 leaks addr into map
r6 = r1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +1
*(u64 *)(r0 + 0) = r6
r0 = 0
exit

== map_pointer_as_value
;; type: socket_filter
;; priv: no
;; map: array key=4 value=8 max=1
;; reject: leaks addr into map
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +3
r1 = map_idx(0) ll
*(u64 *)(r0 + 0) = r1
r0 = 0
exit

== update_with_pointer_value
;; type: socket_filter
;; priv: no
;; map: hash key=4 value=8 max=4
;; reject: invalid indirect read from stack
*(u32 *)(r10 - 4) = 0
*(u64 *)(r10 - 16) = r10
r2 = r10
r2 += -4
r3 = r10
r3 += -16
r4 = 0
r1 = map_idx(0) ll
call 2
r0 = 0
exit

== pointer_compared_with_scalar
;; type: socket_filter
;; priv: no
;; reject: R1 pointer comparison prohibited
r0 = 0
if r1 > 1000 goto +1
r0 = 1
exit

== stack_pointer_compared_with_reg
;; type: socket_filter
;; priv: no
;; reject: R2 pointer comparison prohibited
r2 = r10
r3 = 1000
r0 = 0
if r2 == r3 goto +1
r0 = 1
exit

== pointer_minus_pointer_returned
;; type: socket_filter
;; priv: no
;; reject: R2 pointer -= pointer prohibited
r2 = r10
r3 = r1
r2 -= r3
r0 = r2
exit

== pointer_into_ctx_cb
;; type: socket_filter
;; priv: no
;; reject: R2 leaks addr into ctx
r2 = r10
*(u32 *)(r1 + 48) = r2
r0 = 0
exit

== pointer_xor_masked
;; type: socket_filter
;; priv: no
;; reject: R2 bitwise operator ^= on pointer prohibited
r2 = r10
r2 ^= 0x55
r0 = 0
exit

== pointer_as_helper_flags
;; type: socket_filter
;; priv: no
;; map: hash key=4 value=8 max=4
;; reject: R4 leaks addr into helper function
*(u32 *)(r10 - 4) = 0
*(u64 *)(r10 - 16) = 0
r2 = r10
r2 += -4
r3 = r10
r3 += -16
r4 = r10
r1 = map_idx(0) ll
call 2
r0 = 0
exit

== pointer_arith_out_of_range_unpriv
;; type: socket_filter
;; priv: no
;; reject: R2 stack pointer arithmetic goes out of range, prohibited for !root
r2 = r10
r2 += 8
r0 = 0
exit

== pointer_spill_overwritten_unpriv
;; type: socket_filter
;; priv: no
;; reject: attempt to corrupt spilled pointer on stack
*(u64 *)(r10 - 8) = r1
r2 = 0
*(u32 *)(r10 - 8) = r2
r0 = 0
exit
