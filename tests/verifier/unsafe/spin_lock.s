; bpf_spin_lock: on the lock field of a BTF-described map value, unlocked on every path before exit, one lock
; at a time, no helper calls while held, never touched by loads and stores.

== lock_never_released
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: cannot be used inside bpf_spin_lock-ed region
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r1 = r0
call 93
r0 = 0
exit

== unlock_without_lock
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: bpf_spin_unlock without taking a lock
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r1 = r0
call 94
r0 = 0
exit

== double_lock
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: function calls are not allowed while holding a lock
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +7
r6 = r0
r1 = r0
call 93
r1 = r6
call 93
r1 = r6
call 94
r0 = 0
exit

== helper_call_while_locked
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: function calls are not allowed while holding a lock
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +6
r6 = r0
r1 = r0
call 93
call 5
r1 = r6
call 94
r0 = 0
exit

== lock_field_loaded
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: bpf_spin_lock cannot be accessed directly by load/store
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +1
r1 = *(u32 *)(r0 + 0)
r0 = 0
exit

== lock_field_stored
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: bpf_spin_lock cannot be accessed directly by load/store
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +1
*(u32 *)(r0 + 0) = 0
r0 = 0
exit

== lock_on_map_without_lock
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1
;; reject: has to have BTF in order to use bpf_spin_lock
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +4
r6 = r0
r1 = r0
call 93
r1 = r6
call 94
r0 = 0
exit

== lock_at_wrong_offset
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: doesn't point to 'struct bpf_spin_lock' that is at 0
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +5
r6 = r0
r1 = r0
r1 += 4
call 93
r1 = r6
call 94
r0 = 0
exit

== lock_on_stack
;; type: sched_cls
;; priv: yes
;; reject: R1 type=fp expected=map_value
*(u64 *)(r10 - 8) = 0
r1 = r10
r1 += -8
call 93
r1 = r10
r1 += -8
call 94
r0 = 0
exit

== exit_while_locked_on_one_path
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: cannot be used inside bpf_spin_lock-ed region
r7 = *(u32 *)(r1 + 8)
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto out
r6 = r0
r1 = r0
call 93
if r7 == 0 goto out
r1 = r6
call 94
out:
r0 = 0
exit

== lock_unchecked_value
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: R1 type=map_value_or_null expected=map_value
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r6 = r0
r1 = r0
call 93
r1 = r6
call 94
r0 = 0
exit

== helper_call_in_callee_while_locked
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; reject: function calls are not allowed while holding a lock
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +6
r6 = r0
r1 = r0
call 93
call sub
r1 = r6
call 94
r0 = 0
exit
sub:
call 5
r0 = 0
exit
