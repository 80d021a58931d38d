; Safe packet parsing after data_end checks, loops that exit, references released on every path, and the
; features built on calls: subprograms, callbacks, spin locks and tail calls used correctly.

== xdp_ethernet_header
;; type: xdp
;; priv: yes
;; accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto +2
r0 = *(u16 *)(r2 + 12)
exit
r0 = 1
exit

== xdp_end_on_left
;; type: xdp
;; priv: yes
;; accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r3 >= r4 goto +2
r0 = 1
exit
r0 = *(u64 *)(r2 + 0)
exit

== xdp_variable_header_length
;; type: xdp
;; priv: yes
;; accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
if r4 > r3 goto out
r5 = *(u8 *)(r2 + 0)
r5 &= 15
r5 <<= 2
r2 += r5
r4 = r2
r4 += 4
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 0)
exit
out:
r0 = 2
exit

== xdp_write_after_check
;; type: xdp
;; priv: yes
;; accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 6
if r4 > r3 goto +1
*(u16 *)(r2 + 4) = 0
r0 = 2
exit

== tc_packet_read
;; type: sched_cls
;; priv: yes
;; accept
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 14
if r4 > r3 goto +2
r0 = *(u8 *)(r2 + 13)
exit
r0 = 0
exit

== packet_key_for_lookup
;; type: xdp
;; priv: yes
;; map: hash key=4 value=8 max=4
;; accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto +3
r1 = map_idx(0) ll
call 1
r0 = 2
exit

== bounded_loop
;; type: xdp
;; priv: yes
;; accept
r0 = 0
r1 = 0
loop:
r0 += r1
r1 += 1
if r1 < 100 goto loop
exit

== loop_bound_from_input
;; type: xdp
;; priv: yes
;; accept
r2 = *(u32 *)(r1 + 12)
r2 &= 255
r1 = 0
r0 = 0
loop:
r1 += 1
if r1 < r2 goto loop
exit

== loop_filling_stack
;; type: xdp
;; priv: yes
;; accept
r1 = 0
r2 = r10
r2 += -64
loop:
*(u64 *)(r2 + 0) = r1
r2 += 8
r1 += 1
if r1 < 8 goto loop
r0 = *(u64 *)(r10 - 8)
exit

== loop_counting_down
;; type: xdp
;; priv: yes
;; accept
r1 = 50
r0 = 0
loop:
r0 += 2
r1 += -1
if r1 != 0 goto loop
exit

== loop_over_packet_bytes
;; type: xdp
;; priv: yes
;; accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r0 = 0
r1 = 0
loop:
r4 = r2
r4 += r1
r5 = r4
r5 += 1
if r5 > r3 goto out
r6 = *(u8 *)(r4 + 0)
r0 += r6
r1 += 1
if r1 < 16 goto loop
out:
r0 = 2
exit

== ringbuf_submit_every_path
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; accept
r6 = *(u32 *)(r1 + 12)
r1 = map_idx(0) ll
r2 = 16
r3 = 0
call 131
if r0 == 0 goto out
*(u64 *)(r0 + 8) = r6
r1 = r0
r2 = 0
if r6 == 0 goto discard
call 132
goto out
discard:
call 133
out:
r0 = 0
exit

== subprogram_call
;; type: xdp
;; priv: yes
;; accept
r1 = 3
call add_one
exit
add_one:
r0 = r1
r0 += 1
exit

== subprogram_writes_caller_stack
;; type: xdp
;; priv: yes
;; accept
*(u64 *)(r10 - 8) = 0
r1 = r10
r1 += -8
call fill
r0 = *(u64 *)(r10 - 8)
exit
fill:
*(u64 *)(r1 + 0) = 7
r0 = 0
exit

== eight_frames
;; type: xdp
;; priv: yes
;; accept
call f1
exit
f1:
call f2
exit
f2:
call f3
exit
f3:
call f4
exit
f4:
call f5
exit
f5:
call f6
exit
f6:
call f7
exit
f7:
r0 = 0
exit

== bpf_loop_callback
;; type: xdp
;; priv: yes
;; accept
r1 = 10
r2 = func(cb) ll
r3 = 0
r4 = 0
call 181
r0 = 0
exit
cb:
r0 = 0
exit

== spin_lock_pair
;; type: sched_cls
;; priv: yes
;; map: hash key=4 value=8 max=1 spin_lock=0
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +7
r6 = r0
r1 = r0
call 93
r1 = *(u32 *)(r6 + 4)
*(u32 *)(r6 + 4) = 1
r1 = r6
call 94
r0 = 0
exit

== tail_call_then_fallthrough
;; type: xdp
;; priv: yes
;; map: prog_array key=4 value=4 max=4
;; accept
r2 = map_idx(0) ll
r3 = 1
call 12
r0 = 2
exit

== array_lookup_constant_key_never_null
;; type: socket_filter
;; priv: yes
;; map: array key=4 value=8 max=4
;; accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r0 = *(u64 *)(r0 + 0)
exit

== privileged_reads_uninit_stack
;; type: xdp
;; priv: yes
;; accept
r0 = *(u64 *)(r10 - 8)
r0 = 0
exit
