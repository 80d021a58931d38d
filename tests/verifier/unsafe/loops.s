; Loops the verifier cannot prove to end: no progress, progress that never reaches the exit condition, or more
; states than the instruction budget allows.

== goto_self
;; type: xdp
;; priv: yes
;; reject: infinite loop detected at
r0 = 0
loop:
goto loop

== jump_back_without_change
;; type: xdp
;; priv: yes
;; reject: infinite loop detected
r0 = 0
r1 = 0
loop:
r2 = r1
if r1 == 0 goto loop
exit

== counter_reset_in_body
;; type: xdp
;; priv: yes
;; reject: infinite loop detected
r0 = 0
loop:
r1 = 0
r1 += 1
if r1 < 10 goto loop
exit

== unknown_flag_never_cleared
;; type: xdp
;; priv: yes
;; reject: infinite loop detected
r1 = *(u32 *)(r1 + 12)
r0 = 0
loop:
r1 |= 1
if r1 != 0 goto loop
exit

== loop_counts_away_from_bound
;; type: xdp
;; priv: yes
;; reject: BPF program is too large
r0 = 0
r1 = 10
loop:
r1 += 1
if r1 != 0 goto loop
exit

== loop_million_iterations
;; type: xdp
;; priv: yes
;; reject: BPF program is too large. Processed 1000001 insn
r0 = 0
loop:
r0 += 1
if r0 < 1000000 goto loop
exit

== loop_on_unbounded_input
;; type: xdp
;; priv: yes
;; reject: BPF program is too large
r2 = *(u32 *)(r1 + 12)
r1 = 0
r0 = 0
loop:
r1 += 1
if r1 < r2 goto loop
exit

== loop_via_two_blocks
;; type: xdp
;; priv: yes
;; reject: infinite loop detected
r0 = 0
a:
r0 = 1
goto b
b:
r0 = 1
goto a

== loop_stack_counter_not_updated
;; type: xdp
;; priv: yes
;; reject: infinite loop detected
*(u64 *)(r10 - 8) = 0
r0 = 0
loop:
r1 = *(u64 *)(r10 - 8)
if r1 < 5 goto loop
exit

== loop_32bit_wraps
;; type: xdp
;; priv: yes
;; reject: BPF program is too large
w0 = 0
w1 = 1
loop:
w1 += 2
if w1 != 0 goto loop
exit

== loop_body_reads_uninit
;; type: xdp
;; priv: yes
;; reject: R3 !read_ok
r0 = 0
r1 = 0
loop:
r1 += 1
if r1 < 3 goto +1
r0 = r3
if r1 < 5 goto loop
exit

== loop_body_walks_off_map_value
;; type: xdp
;; priv: yes
;; map: array key=4 value=16 max=1
;; reject: invalid access to map value, value_size=16 off=16 size=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto out
r1 = 0
loop:
r2 = r0
r2 += r1
r3 = *(u8 *)(r2 + 0)
r1 += 1
if r1 < 17 goto loop
out:
r0 = 0
exit
