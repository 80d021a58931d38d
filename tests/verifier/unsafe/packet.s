; Direct packet access: data may be read only below a bound proved by comparing against data_end, on the
; side of the comparison where the bound holds.

== xdp_read_unchecked
;; type: xdp
;; priv: yes
;; reject: invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)
r2 = *(u32 *)(r1 + 0)
r0 = *(u8 *)(r2 + 0)
exit

== xdp_read_past_checked_range
;; type: xdp
;; priv: yes
;; reject: invalid access to packet, off=12 size=4
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto +2
r0 = *(u32 *)(r2 + 12)
exit
r0 = 1
exit

== xdp_read_on_wrong_side
;; type: xdp
;; priv: yes
;; reject: invalid access to packet, off=12 size=2
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto +2
r0 = 1
exit
r0 = *(u16 *)(r2 + 12)
exit

== xdp_write_unchecked
;; type: xdp
;; priv: yes
;; reject: invalid access to packet
r2 = *(u32 *)(r1 + 0)
*(u8 *)(r2 + 0) = 0
r0 = 2
exit

== xdp_negative_offset
;; type: xdp
;; priv: yes
;; reject: invalid access to packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto +2
r0 = *(u8 *)(r2 - 1)
exit
r0 = 1
exit

== xdp_check_with_ge_off_by_one
;; type: xdp
;; priv: yes
;; reject: invalid access to packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto +2
r0 = *(u8 *)(r2 + 8)
exit
r0 = 1
exit

== xdp_variable_offset_unchecked
;; type: xdp
;; priv: yes
;; reject: invalid access to packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 64
if r4 > r3 goto +4
r5 = *(u8 *)(r2 + 0)
r2 += r5
r0 = *(u8 *)(r2 + 0)
exit
r0 = 1
exit

== xdp_packet_end_dereferenced
;; type: xdp
;; priv: yes
;; reject: R3 invalid mem access 'pkt_end'
r3 = *(u32 *)(r1 + 4)
r0 = *(u8 *)(r3 + 0)
exit

== xdp_packet_end_arithmetic
;; type: xdp
;; priv: yes
;; reject: R3 pointer arithmetic on pkt_end prohibited
r3 = *(u32 *)(r1 + 4)
r3 += -8
r0 = 0
exit

== xdp_unbounded_packet_offset
;; type: xdp
;; priv: yes
;; reject: math between pkt pointer and register with unbounded min value is not allowed
r6 = *(u32 *)(r1 + 0)
call 7
r6 += r0
r0 = 0
exit

== xdp_meta_unchecked
;; type: xdp
;; priv: yes
;; reject: invalid access to packet
r2 = *(u32 *)(r1 + 8)
r0 = *(u8 *)(r2 + 0)
exit

== xdp_check_different_pointer
;; type: xdp
;; priv: yes
;; reject: invalid access to packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r6 = *(u32 *)(r1 + 0)
r4 = r2
r4 += 4
if r4 > r3 goto +3
r6 += 4
r0 = *(u32 *)(r6 + 0)
exit
r0 = 1
exit

== tc_read_unchecked
;; type: sched_cls
;; priv: yes
;; reject: invalid access to packet
r2 = *(u32 *)(r1 + 76)
r0 = *(u16 *)(r2 + 12)
exit

== tc_read_past_check
;; type: sched_cls
;; priv: yes
;; reject: invalid access to packet, off=14 size=1
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 14
if r4 > r3 goto +2
r0 = *(u8 *)(r2 + 14)
exit
r0 = 0
exit

== socket_filter_no_direct_access
;; type: socket_filter
;; priv: yes
;; reject: invalid bpf_context access off=76 size=4
r2 = *(u32 *)(r1 + 76)
r0 = 0
exit

== cgroup_skb_write_packet
;; type: cgroup_skb
;; priv: yes
;; reject: cannot write into packet
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 4
if r4 > r3 goto +1
*(u8 *)(r2 + 0) = 0
r0 = 1
exit

== xdp_packet_pointer_to_helper_oob
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: invalid access to packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 2
if r4 > r3 goto +3
r1 = map_idx(0) ll
call 1
r0 = 0
exit

== xdp_comparison_data_end_with_data_reversed
;; type: xdp
;; priv: yes
;; reject: invalid access to packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r3 > r4 goto +2
r0 = *(u64 *)(r2 + 0)
exit
r0 = 1
exit
