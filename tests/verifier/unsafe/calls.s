; bpf-to-bpf calls: at most 8 frames, at most 512 bytes of stack over the deepest chain, and each frame's
; registers and stack are its own.

== nine_frames
;; type: xdp
;; priv: yes
;; reject: the call stack of 9 frames is too deep
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
call f8
exit
f8:
r0 = 0
exit

== combined_stack_two_frames
;; type: xdp
;; priv: yes
;; reject: combined stack size of 2 calls is
*(u64 *)(r10 - 400) = 0
call f1
exit
f1:
*(u64 *)(r10 - 200) = 0
r0 = 0
exit

== combined_stack_three_frames
;; type: xdp
;; priv: yes
;; reject: combined stack size of 3 calls is
*(u64 *)(r10 - 200) = 0
call f1
exit
f1:
*(u64 *)(r10 - 200) = 0
call f2
exit
f2:
*(u64 *)(r10 - 200) = 0
r0 = 0
exit

== callee_reads_caller_r6_uninit
;; type: xdp
;; priv: yes
;; reject: R6 !read_ok
call f1
exit
f1:
r0 = r6
exit

== callee_r0_unset
;; type: xdp
;; priv: yes
;; reject: R0 !read_ok
call f1
exit
f1:
exit

== caller_r1_clobbered
;; type: xdp
;; priv: yes
;; reject: R1 !read_ok
r6 = r1
call f1
r0 = *(u32 *)(r1 + 12)
exit
f1:
r0 = 0
exit

== callee_reads_own_uninit_stack
;; type: xdp
;; priv: no
;; reject: invalid read from stack off -8+0 size 8
*(u64 *)(r10 - 8) = 0
call f1
exit
f1:
r0 = *(u64 *)(r10 - 8)
exit

== callee_writes_caller_stack_out_of_bounds
;; type: xdp
;; priv: yes
;; reject: invalid write to stack R1 off=-520 size=8
*(u64 *)(r10 - 8) = 0
r1 = r10
r1 += -8
call f1
r0 = 0
exit
f1:
*(u64 *)(r1 - 512) = 0
r0 = 0
exit

== callee_map_value_oob
;; type: xdp
;; priv: yes
;; map: array key=4 value=8 max=1
;; reject: invalid access to map value, value_size=8 off=8 size=8
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r1 = r0
call f1
r0 = 0
exit
f1:
r0 = *(u64 *)(r1 + 8)
exit

== callee_returns_stack_pointer_deref
;; type: xdp
;; priv: yes
;; reject: R0 invalid mem access 'scalar'
call f1
r0 = *(u64 *)(r0 + 0)
exit
f1:
r0 = 0
exit

== subprog_falls_through
;; type: xdp
;; priv: yes
;; reject: last insn is not an exit or jmp
call f1
exit
f1:
r0 = 0

== jump_between_subprogs
;; type: xdp
;; priv: yes
;; reject: jump out of range from insn 1 to 4
r0 = 0
goto +2
call f1
exit
f1:
r0 = 0
exit

== callback_stack_too_deep_with_loop
;; type: xdp
;; priv: yes
;; reject: combined stack size of 2 calls is
*(u64 *)(r10 - 480) = 0
r1 = 2
r2 = func(cb) ll
r3 = 0
r4 = 0
call 181
r0 = 0
exit
cb:
*(u64 *)(r10 - 104) = 0
r0 = 0
exit
