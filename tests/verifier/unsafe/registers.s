; Uninitialised registers and writes to the frame pointer: every register but r1 (the context) and r10 (the
; frame pointer) starts unreadable, helper calls clobber r1-r5, and r10 is read only.

== r0_never_set
;; type: xdp
;; priv: yes
;; reject: R0 !read_ok
exit

== r0_set_on_one_path
;; type: xdp
;; priv: yes
;; reject: R0 !read_ok
r2 = *(u32 *)(r1 + 12)
if r2 == 0 goto +1
r0 = 1
exit

== read_r2_at_entry
;; type: socket_filter
;; priv: yes
;; reject: R2 !read_ok
r0 = r2
exit

== alu_dst_uninit
;; type: xdp
;; priv: yes
;; reject: R3 !read_ok
r3 += 1
r0 = 0
exit

== alu32_src_uninit
;; type: xdp
;; priv: yes
;; reject: R7 !read_ok
w0 = 0
w0 += w7
exit

== store_uninit_register
;; type: xdp
;; priv: yes
;; reject: R4 !read_ok
*(u64 *)(r10 - 8) = r4
r0 = 0
exit

== load_base_uninit
;; type: xdp
;; priv: yes
;; reject: R6 !read_ok
r0 = *(u64 *)(r6 + 0)
exit

== compare_uninit
;; type: xdp
;; priv: yes
;; reject: R5 !read_ok
r0 = 0
if r5 > 3 goto +0
exit

== compare_against_uninit
;; type: xdp
;; priv: yes
;; reject: R9 !read_ok
r0 = 0
if r0 > r9 goto +0
exit

== r1_clobbered_by_call
;; type: xdp
;; priv: yes
;; reject: R1 !read_ok
call 5
r0 = *(u32 *)(r1 + 12)
exit

== r5_clobbered_by_call
;; type: xdp
;; priv: yes
;; reject: R5 !read_ok
r5 = 1
call 7
r0 = r5
exit

== helper_arg_uninit
;; type: xdp
;; priv: yes
;; map: hash key=4 value=8 max=4
;; reject: R2 !read_ok
r1 = map_idx(0) ll
call 1
r0 = 0
exit

== neg_uninit
;; type: xdp
;; priv: yes
;; reject: R8 !read_ok
r8 = -r8
r0 = 0
exit

== bswap_uninit
;; type: xdp
;; priv: yes
;; reject: R3 !read_ok
r3 = be16 r3
r0 = 0
exit

== mov_r10_overwritten
;; type: xdp
;; priv: yes
;; reject: frame pointer is read only
r10 = 0
r0 = 0
exit

== add_to_r10
;; type: xdp
;; priv: yes
;; reject: frame pointer is read only
r10 += -8
r0 = 0
exit

== load_into_r10
;; type: xdp
;; priv: yes
;; reject: frame pointer is read only
*(u64 *)(r10 - 8) = 0
r10 = *(u64 *)(r10 - 8)
r0 = 0
exit

== lddw_into_r10
;; type: xdp
;; priv: yes
;; reject: frame pointer is read only
r10 = 0x1000 ll
r0 = 0
exit

== atomic_fetch_into_r10
;; type: xdp
;; priv: yes
;; reject: frame pointer is read only
*(u64 *)(r10 - 8) = 0
r10 = atomic_fetch_add((u64 *)(r10 - 8), r10)
r0 = 0
exit

== r0_uninit_after_loop
;; type: xdp
;; priv: yes
;; reject: R0 !read_ok
r1 = 0
loop:
r1 += 1
if r1 < 4 goto loop
exit
