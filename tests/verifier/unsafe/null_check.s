; Missing null checks: lookups, ring buffer reservations and inner maps may return NULL, and nothing may use
; them (dereference, arithmetic, pass to a helper wanting the non-null kind) before a comparison with zero.

== lookup_deref_unchecked
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R0 invalid mem access 'map_value_or_null'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r0 = *(u64 *)(r0 + 0)
exit

== lookup_write_unchecked
;; type: socket_filter
;; priv: yes
;; map: hash key=4 value=8 max=4
;; reject: R0 invalid mem access 'map_value_or_null'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
*(u64 *)(r0 + 0) = 1
r0 = 0
exit

== lookup_arith_before_check
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R0 pointer arithmetic on map_value_or_null prohibited
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r0 += 8
if r0 == 0 goto +1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit

== null_branch_dereferenced
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R0 invalid mem access 'scalar'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 != 0 goto +1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit

== copy_used_on_null_side
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R6 invalid mem access 'scalar'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r6 = r0
if r0 != 0 goto +2
r0 = *(u64 *)(r6 + 0)
exit
r0 = 0
exit

== check_against_nonzero_constant
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R0 invalid mem access 'map_value_or_null'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 1 goto +1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit

== second_lookup_unchecked
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R0 invalid mem access 'map_value_or_null'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +8
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit
r0 = 0
exit

== checked_copy_before_second_lookup
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R0 invalid mem access 'map_value_or_null'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r6 = r0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r6 == 0 goto +1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit

== or_null_spilled_and_filled
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R2 invalid mem access 'map_value_or_null'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
*(u64 *)(r10 - 16) = r0
r2 = *(u64 *)(r10 - 16)
r0 = *(u64 *)(r2 + 0)
r0 = 0
exit

== or_null_as_helper_key
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R2 type=map_value_or_null expected=fp
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r2 = r0
r1 = map_idx(0) ll
call 1
r0 = 0
exit

== ringbuf_reserve_unchecked
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: R0 invalid mem access 'ringbuf_mem_or_null'
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
*(u64 *)(r0 + 0) = 1
r1 = r0
r2 = 0
call 132
r0 = 0
exit

== ringbuf_submit_unchecked
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: R1 type=ringbuf_mem_or_null expected=ringbuf_mem
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
r1 = r0
r2 = 0
call 132
r0 = 0
exit

== lookup_result_null_compare_wrong_reg
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R0 invalid mem access 'map_value_or_null'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r6 = 0
if r6 == 0 goto +1
r0 = 0
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit

== percpu_lookup_unchecked
;; type: xdp
;; priv: yes
;; map: percpu_hash key=4 value=8 max=4
;; reject: R0 invalid mem access 'map_value_or_null'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r1 = 1
lock *(u64 *)(r0 + 0) += r1
r0 = 0
exit
