; Atomic instructions: only on the stack and map values (not the context or packets), only 32 and 64 bits,
; naturally aligned, on initialised memory, with the operations the ISA defines.

== atomic_on_packet
;; type: xdp
;; priv: yes
;; reject: BPF_ATOMIC stores into R2 pkt is not allowed
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto +2
r5 = 1
lock *(u64 *)(r2 + 0) += r5
r0 = 0
exit

== atomic_on_ctx_tc
;; type: sched_cls
;; priv: yes
;; reject: BPF_ATOMIC stores into R1 ctx is not allowed
r2 = 1
lock *(u32 *)(r1 + 8) += w2
r0 = 0
exit

== atomic_misaligned_stack
;; type: xdp
;; priv: yes
;; reject: misaligned stack access off
*(u64 *)(r10 - 16) = 0
*(u64 *)(r10 - 8) = 0
r1 = 1
lock *(u64 *)(r10 - 12) += r1
r0 = 0
exit

== atomic_misaligned_map_value
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: misaligned value access off
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r1 = 1
lock *(u64 *)(r0 + 4) += r1
r0 = 0
exit

== atomic32_misaligned_map_value
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: misaligned value access off
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
w1 = 1
lock *(u32 *)(r0 + 2) += w1
r0 = 0
exit

== atomic_past_map_value
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: invalid access to map value, value_size=16 off=16 size=8
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r1 = 1
lock *(u64 *)(r0 + 16) += r1
r0 = 0
exit

== atomic_on_or_null
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=8
;; reject: R0 invalid mem access 'map_value_or_null'
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r1 = 1
lock *(u64 *)(r0 + 0) += r1
r0 = 0
exit

== atomic_on_scalar
;; type: xdp
;; priv: yes
;; reject: R2 invalid mem access 'scalar'
r2 = 4096
r1 = 1
lock *(u64 *)(r2 + 0) += r1
r0 = 0
exit

== atomic_on_uninit_stack
;; type: xdp
;; priv: no
;; reject: invalid read from stack off -8+0 size 8
r1 = 1
lock *(u64 *)(r10 - 8) += r1
r0 = 0
exit

== atomic_operand_uninit
;; type: xdp
;; priv: yes
;; reject: R3 !read_ok
*(u64 *)(r10 - 8) = 0
lock *(u64 *)(r10 - 8) += r3
r0 = 0
exit

== cmpxchg_r0_uninit
;; type: xdp
;; priv: yes
;; reject: R0 !read_ok
*(u64 *)(r10 - 8) = 0
r1 = 1
r0 = cmpxchg_64(r10 - 8, r0, r1)
r0 = 0
exit

== atomic_byte_size
;; type: xdp
;; priv: yes
;; patch: 2 opcode=0xd3
;; reject: invalid atomic operand size
*(u64 *)(r10 - 8) = 0
r1 = 1
lock *(u64 *)(r10 - 8) += r1
r0 = 0
exit

== atomic_unknown_operation
;; type: xdp
;; priv: yes
;; patch: 2 imm=0x10
;; reject: BPF_ATOMIC uses invalid atomic opcode 10
*(u64 *)(r10 - 8) = 0
r1 = 1
lock *(u64 *)(r10 - 8) += r1
r0 = 0
exit

== atomic_on_read_only_map
;; type: xdp
;; priv: yes
;; map: array key=4 value=8 max=1 flags=0x80
;; reject: write into map forbidden
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r1 = 1
lock *(u64 *)(r0 + 0) += r1
r0 = 0
exit

== atomic_fetch_pointer_into_stack_unpriv
;; type: socket_filter
;; priv: no
;; reject: R1 leaks addr into mem
*(u64 *)(r10 - 8) = 0
r1 = r10
r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)
r0 = 0
exit

== xchg_pointer_into_map_unpriv
;; type: socket_filter
;; priv: no
;; map: array key=4 value=8 max=1
;; reject: leaks addr into mem
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +2
r1 = r10
r1 = xchg_64(r0 + 0, r1)
r0 = 0
exit

