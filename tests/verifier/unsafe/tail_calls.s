; bpf_tail_call: the context, a program array and an index; nothing acquired may be held across it, and it
; cannot run under a spin lock.

== tail_call_on_hash_map
;; type: xdp
;; priv: yes
;; map: hash key=4 value=4 max=4
;; reject: expected prog array map for tail call
r2 = map_idx(0) ll
r3 = 0
call 12
r0 = 0
exit

== tail_call_map_is_scalar
;; type: xdp
;; priv: yes
;; reject: R2 type=scalar expected=map_ptr
r2 = 0
r3 = 0
call 12
r0 = 0
exit

== tail_call_without_ctx
;; type: xdp
;; priv: yes
;; map: prog_array key=4 value=4 max=4
;; reject: R1 type=scalar expected=ctx
r1 = 0
r2 = map_idx(0) ll
r3 = 0
call 12
r0 = 0
exit

== tail_call_index_uninit
;; type: xdp
;; priv: yes
;; map: prog_array key=4 value=4 max=4
;; reject: R3 !read_ok
r2 = map_idx(0) ll
call 12
r0 = 0
exit

== tail_call_holding_reference
;; type: xdp
;; priv: yes
;; map: prog_array key=4 value=4 max=4
;; map: ringbuf key=0 value=0 max=4096
;; reject: tail_call would lead to reference leak
r6 = r1
r1 = map_idx(1) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto +8
r7 = r0
r1 = r6
r2 = map_idx(0) ll
r3 = 0
call 12
r1 = r7
r2 = 0
call 133
r0 = 0
exit

== tail_call_under_spin_lock
;; type: sched_cls
;; priv: yes
;; map: prog_array key=4 value=4 max=4
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: function calls are not allowed while holding a lock
r6 = r1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(1) ll
call 1
if r0 == 0 goto +10
r7 = r0
r1 = r0
call 93
r1 = r6
r2 = map_idx(0) ll
r3 = 0
call 12
r1 = r7
call 94
r0 = 0
exit

== prog_array_lookup
;; type: xdp
;; priv: yes
;; map: prog_array key=4 value=4 max=4
;; reject: cannot pass map_type 3 into func bpf_map_lookup_elem#1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r0 = 0
exit

== prog_array_update_from_program
;; type: xdp
;; priv: yes
;; map: prog_array key=4 value=4 max=4
;; reject: cannot pass map_type 3 into func bpf_map_update_elem#2
*(u32 *)(r10 - 4) = 0
*(u32 *)(r10 - 8) = 0
r2 = r10
r2 += -4
r3 = r10
r3 += -8
r4 = 0
r1 = map_idx(0) ll
call 2
r0 = 0
exit

== tail_call_modified_ctx
;; type: xdp
;; priv: yes
;; map: prog_array key=4 value=4 max=4
;; reject: dereference of modified ctx ptr R1 off=8 disallowed
r1 += 8
r2 = map_idx(0) ll
r3 = 0
call 12
r0 = 0
exit

== tail_call_from_deep_stack_subprog
;; type: xdp
;; priv: yes
;; map: prog_array key=4 value=4 max=4
;; reject: tail_calls are not allowed when call stack of previous frames is
*(u64 *)(r10 - 304) = 0
call sub
r0 = 0
exit
sub:
r2 = map_idx(0) ll
r3 = 0
call 12
r0 = 0
exit

== tail_call_map_from_value
;; type: xdp
;; priv: yes
;; map: array key=4 value=8 max=1
;; reject: R2 type=map_value expected=map_ptr
r6 = r1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +4
r1 = r6
r2 = r0
r3 = 0
call 12
r0 = 0
exit
