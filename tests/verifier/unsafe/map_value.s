; Map values: a lookup's result, once null-checked, is value_size bytes; fixed and variable offsets must keep
; every access inside them.

== read_past_end
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: invalid access to map value, value_size=16 off=12 size=8
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +1
r0 = *(u64 *)(r0 + 12)
r0 = 0
exit

== write_past_end
;; type: xdp
;; priv: yes
;; map: array key=4 value=8 max=1
;; reject: invalid access to map value, value_size=8 off=8 size=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +1
*(u8 *)(r0 + 8) = 1
r0 = 0
exit

== negative_offset
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: invalid access to map value, value_size=16 off=-1 size=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +1
r0 = *(u8 *)(r0 - 1)
r0 = 0
exit

== pointer_moved_then_read
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; reject: invalid access to map value, value_size=48 off=48 size=4
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r0 += 40
r0 = *(u32 *)(r0 + 8)
r0 = 0
exit

== var_offset_mask_too_wide
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; reject: invalid access to map value, value_size=48 off=71 size=8
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +5
r1 = *(u32 *)(r0 + 0)
r1 &= 63
r0 += r1
r0 = *(u64 *)(r0 + 8)
r0 = 0
exit

== var_offset_bound_off_by_one
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; reject: invalid access to map value, value_size=48 off=41 size=8
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +5
r1 = *(u32 *)(r0 + 0)
if r1 > 41 goto +2
r0 += r1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit

== var_offset_unbounded
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; reject: unbounded min value
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +4
r1 = *(u64 *)(r0 + 0)
r0 += r1
r0 = *(u8 *)(r0 + 0)
r0 = 0
exit

== var_offset_signed_negative
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; reject: R0 min value is negative, either use unsigned index or do a if (index >=0) check.
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +6
r1 = *(u32 *)(r0 + 0)
r1 = (s8)r1
if r1 s> 40 goto +2
r0 += r1
r0 = *(u8 *)(r0 + 0)
r0 = 0
exit

== var_offset_signed_check_only_upper
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=4
;; reject: math between map_value pointer and register with unbounded min value is not allowed
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +5
r1 = *(u64 *)(r0 + 0)
if r1 s> 40 goto +2
r0 += r1
r0 = *(u8 *)(r0 + 0)
r0 = 0
exit

== subtract_from_value
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: invalid access to map value, value_size=16 off=-4 size=4
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r0 -= 4
r0 = *(u32 *)(r0 + 0)
r0 = 0
exit

== direct_value_past_end
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=1
;; reject: invalid access to map value, value_size=48 off=44 size=8
r1 = map_idx_value(0, 44) ll
r0 = *(u64 *)(r1 + 0)
exit

== direct_value_offset_out_of_value
;; type: xdp
;; priv: yes
;; map: array key=4 value=48 max=1
;; reject: invalid access to map value pointer, value_size=48 off=48
r1 = map_idx_value(0, 48) ll
r0 = 0
exit

== percpu_value_past_end
;; type: xdp
;; priv: yes
;; map: percpu_array key=4 value=8 max=2
;; reject: invalid access to map value, value_size=8 off=4 size=8
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +1
r0 = *(u64 *)(r0 + 4)
r0 = 0
exit

== read_only_map_write
;; type: xdp
;; priv: yes
;; map: array key=4 value=8 max=1 flags=0x80
;; reject: write into map forbidden
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +1
*(u64 *)(r0 + 0) = 1
r0 = 0
exit

== map_value_wide_var_then_fixed
;; type: sched_cls
;; priv: yes
;; map: array key=4 value=32 max=1
;; reject: invalid access to map value, value_size=32 off=32 size=4
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +5
r1 = *(u32 *)(r0 + 0)
r1 &= 28
r0 += r1
r0 = *(u32 *)(r0 + 4)
r0 = 0
exit

== var_offset_modulo_not_tracked
;; type: xdp
;; priv: yes
;; map: array key=4 value=16 max=1
;; reject: math between map_value pointer and register with unbounded min value is not allowed
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +5
r1 = *(u64 *)(r0 + 0)
r1 %= 16
r0 += r1
r0 = *(u8 *)(r0 + 0)
r0 = 0
exit
