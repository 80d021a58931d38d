; Safe programs whose safety rests on what comparisons, masks and arithmetic prove about scalars.

== var_offset_masked
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +5
r1 = *(u32 *)(r0 + 0)
r1 &= 31
r0 += r1
r0 = *(u64 *)(r0 + 8)
r0 = 0
exit

== var_offset_bounded_by_branch
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +5
r1 = *(u32 *)(r0 + 0)
if r1 > 40 goto +2
r0 += r1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit

== signed_bounds_both_sides
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +7
r1 = *(u64 *)(r0 + 0)
if r1 s> 40 goto +5
if r1 s< 0 goto +4
r0 += r1
r0 = *(u8 *)(r0 + 7)
r0 = 0
exit
r0 = 0
exit

== bound_through_copy
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +6
r1 = *(u32 *)(r0 + 0)
r2 = r1
if r2 > 40 goto +3
r0 += r1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit

== bound_32bit_compare
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +5
r1 = *(u32 *)(r0 + 0)
if w1 > 47 goto +3
r0 += r1
r0 = *(u8 *)(r0 + 0)
r0 = 0
exit

== bound_from_shift
;; type: xdp
;; priv: yes
;; map: array key=4 value=64 max=1
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +5
r1 = *(u64 *)(r0 + 0)
r1 >>= 58
r0 += r1
r0 = *(u8 *)(r0 + 0)
r0 = 0
exit

== dead_branch_not_checked
;; type: xdp
;; priv: yes
;; accept
r1 = 5
if r1 > 10 goto +2
r0 = 0
exit
r0 = *(u64 *)(r1 + 0)
exit

== size_arg_bounded
;; type: kprobe
;; priv: yes
;; accept
r2 = *(u32 *)(r1 + 12)
r2 &= 15
r2 += 1
r1 = r10
r1 += -16
r3 = 0
call 113
r0 = 0
exit

== stack_zero_sized_or_bounded_by_compare
;; type: kprobe
;; priv: yes
;; accept
r2 = *(u32 *)(r1 + 12)
if r2 > 16 goto +5
if r2 == 0 goto +4
r1 = r10
r1 += -16
r3 = 0
call 113
r0 = 0
exit

== jset_bounds
;; type: xdp
;; priv: yes
;; accept
r1 = *(u32 *)(r1 + 12)
r0 = 0
if r1 & 0x100 goto +1
r0 = 1
exit

== null_check_through_copy
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r6 = r0
if r0 == 0 goto +1
r0 = *(u64 *)(r6 + 8)
r0 = 0
exit

== null_check_via_jne
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 != 0 goto +2
r0 = 0
exit
*(u64 *)(r0 + 0) = 1
r0 = 0
exit

== pointer_spilled_and_filled
;; type: socket_filter
;; priv: yes
;; accept
*(u64 *)(r10 - 16) = r1
r6 = *(u64 *)(r10 - 16)
r0 = *(u32 *)(r6 + 0)
exit

== map_value_pointer_spilled
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +3
*(u64 *)(r10 - 16) = r0
r1 = *(u64 *)(r10 - 16)
r0 = *(u64 *)(r1 + 8)
r0 = 0
exit

== atomic_fetch_on_map_value
;; type: xdp
;; priv: yes
;; map: array key=4 value=16 max=1
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +3
r1 = 1
r1 = atomic_fetch_add((u64 *)(r0 + 8), r1)
r0 = 0
r0 = 0
exit

== cmpxchg_on_stack
;; type: xdp
;; priv: yes
;; accept
*(u64 *)(r10 - 8) = 0
r0 = 0
r1 = 5
r0 = cmpxchg_64(r10 - 8, r0, r1)
r0 = *(u64 *)(r10 - 8)
exit

== stack_lowest_byte
;; type: xdp
;; priv: yes
;; accept
*(u8 *)(r10 - 512) = 7
r0 = *(u8 *)(r10 - 512)
exit

== cgroup_skb_return_masked
;; type: cgroup_skb
;; priv: yes
;; accept
call 7
r0 &= 1
exit

== tc_writes_mark
;; type: sched_cls
;; priv: yes
;; accept
r2 = 7
*(u32 *)(r1 + 8) = r2
r0 = 0
exit

== direct_map_value_lddw
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=1
;; accept
r1 = map_idx_value(0, 40) ll
r0 = *(u64 *)(r1 + 0)
exit

== queue_pop_into_stack
;; type: xdp
;; priv: yes
;; map: queue key=0 value=8 max=4
;; accept
r1 = map_idx(0) ll
r2 = r10
r2 += -8
call 88
r0 = 0
exit

== xdp_probe_read_kernel
;; type: xdp
;; priv: yes
;; accept
r1 = r10
r1 += -8
r2 = 8
r3 = 0
call 113
r0 = 2
exit
