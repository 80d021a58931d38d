; Acquired references (ring buffer records): each must be submitted or discarded exactly once on every path,
; and nothing may touch a record after its release.

== reserve_never_submitted
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: Unreleased reference id=
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
r0 = 0
exit

== reserve_dropped_after_check
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: Unreleased reference id=
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto +1
*(u64 *)(r0 + 0) = 1
r0 = 0
exit

== submitted_on_one_path_only
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: Unreleased reference id=
r6 = *(u32 *)(r1 + 12)
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
if r6 == 0 goto out
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit

== use_after_submit
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: R6 invalid mem access 'scalar'
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
r1 = r0
r2 = 0
call 132
*(u64 *)(r6 + 0) = 1
out:
r0 = 0
exit

== double_submit
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: R1 type=scalar expected=ringbuf_mem
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
r1 = r0
r2 = 0
call 132
r1 = r6
r2 = 0
call 133
out:
r0 = 0
exit

== submit_plus_discard_via_spill
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: R1 type=scalar expected=ringbuf_mem
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
*(u64 *)(r10 - 8) = r0
r1 = r0
r2 = 0
call 132
r1 = *(u64 *)(r10 - 8)
r2 = 0
call 133
out:
r0 = 0
exit

== submit_stack_pointer
;; type: xdp
;; priv: yes
;; reject: R1 type=fp expected=ringbuf_mem
r1 = r10
r1 += -8
r2 = 0
call 132
r0 = 0
exit

== submit_moved_record
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: must have zero offset when passed to release func
r1 = map_idx(0) ll
r2 = 16
r3 = 0
call 131
if r0 == 0 goto out
r1 = r0
r1 += 8
r2 = 0
call 132
out:
r0 = 0
exit

== record_written_past_size
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: invalid access to memory, mem_size=8 off=4 size=8
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
*(u64 *)(r0 + 4) = 1
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit

== two_reservations_one_released
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: Unreleased reference id=
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
r6 = r0
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto +3
r1 = r0
r2 = 0
call 132
r0 = 0
exit

== record_leaked_through_callee
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: Unreleased reference id=
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto +3
r1 = r0
call keep
r0 = 0
exit
keep:
r0 = 0
exit

== reserve_size_not_constant
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: R2 is not a known constant
r2 = *(u32 *)(r1 + 12)
r2 &= 64
r1 = map_idx(0) ll
r3 = 0
call 131
if r0 == 0 goto +3
r1 = r0
r2 = 0
call 133
r0 = 0
exit

== record_spilled_to_stack
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: Unreleased reference id=
r1 = map_idx(0) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto +2
*(u64 *)(r10 - 8) = r0
r0 = 0
exit
