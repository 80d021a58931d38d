; Helper arguments against the helper's prototype: the right kinds of pointer, maps that are constants of the
; right type, memory initialised and inside its object for the whole size, sizes bounded and not negative.

== lookup_map_is_scalar
;; type: xdp
;; priv: yes
;; reject: R1 type=scalar expected=map_ptr
*(u32 *)(r10 - 4) = 0
r1 = 0
r2 = r10
r2 += -4
call 1
r0 = 0
exit

== lookup_map_is_map_value
;; type: xdp
;; priv: yes
;; map: array key=4 value=8 max=1
;; reject: R1 type=map_value expected=map_ptr
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +4
r1 = r0
r2 = r10
r2 += -4
call 1
r0 = 0
exit

== lookup_key_is_scalar
;; type: xdp
;; priv: yes
;; map: hash key=4 value=8 max=4
;; reject: R2 type=scalar expected=fp
r2 = 0
r1 = map_idx(0) ll
call 1
r0 = 0
exit

== lookup_key_is_ctx
;; type: xdp
;; priv: yes
;; map: hash key=4 value=8 max=4
;; reject: R2 type=ctx expected=fp
r2 = r1
r1 = map_idx(0) ll
call 1
r0 = 0
exit

== lookup_key_uninit
;; type: xdp
;; priv: no
;; map: hash key=4 value=8 max=4
;; reject: invalid indirect read from stack R2 off -4+0 size 4
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r0 = 0
exit

== lookup_key_straddles_fp
;; type: xdp
;; priv: yes
;; map: hash key=8 value=8 max=4
;; reject: R2 off=-4 size=8
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r0 = 0
exit

== lookup_key_below_frame
;; type: xdp
;; priv: yes
;; map: hash key=8 value=8 max=4
;; reject: R2 off=-516 size=8
r2 = r10
r2 += -516
r1 = map_idx(0) ll
call 1
r0 = 0
exit

== update_value_too_short
;; type: xdp
;; priv: yes
;; map: hash key=4 value=16 max=4
;; reject: R3 off=-8 size=16
*(u32 *)(r10 - 4) = 0
*(u64 *)(r10 - 8) = 0
r2 = r10
r2 += -4
r3 = r10
r3 += -8
r4 = 0
r1 = map_idx(0) ll
call 2
r0 = 0
exit

== update_value_partly_uninit
;; type: xdp
;; priv: no
;; map: hash key=4 value=16 max=4
;; reject: invalid indirect read from stack R3 off -24+8 size 16
*(u32 *)(r10 - 4) = 0
*(u64 *)(r10 - 24) = 0
r2 = r10
r2 += -4
r3 = r10
r3 += -24
r4 = 0
r1 = map_idx(0) ll
call 2
r0 = 0
exit

== update_flags_uninit
;; type: xdp
;; priv: yes
;; map: hash key=4 value=8 max=4
;; reject: R4 !read_ok
*(u32 *)(r10 - 4) = 0
*(u64 *)(r10 - 16) = 0
r2 = r10
r2 += -4
r3 = r10
r3 += -16
r1 = map_idx(0) ll
call 2
r0 = 0
exit

== delete_key_from_map_value_too_small
;; type: xdp
;; priv: yes
;; map: hash key=8 value=4 max=4
;; reject: invalid access to map value, value_size=4 off=0 size=8
*(u64 *)(r10 - 8) = 0
r2 = r10
r2 += -8
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +3
r2 = r0
r1 = map_idx(0) ll
call 3
r0 = 0
exit

== mem_size_negative
;; type: kprobe
;; priv: yes
;; reject: R2 min value is negative
r2 = *(u32 *)(r1 + 12)
r2 = (s32)r2
r1 = r10
r1 += -16
r3 = 0
call 113
r0 = 0
exit

== mem_size_unbounded
;; type: kprobe
;; priv: yes
;; reject: R2 unbounded memory access
r2 = *(u32 *)(r1 + 12)
r2 += 1
r1 = r10
r1 += -16
r3 = 0
call 113
r0 = 0
exit

== mem_size_too_big
;; type: kprobe
;; priv: yes
;; reject: R1 off=-16 size=17
r1 = r10
r1 += -16
r2 = 17
r3 = 0
call 113
r0 = 0
exit

== mem_size_bound_too_loose
;; type: kprobe
;; priv: yes
;; reject: R1 off=-16 size=31
r2 = *(u32 *)(r1 + 12)
r2 &= 31
r1 = r10
r1 += -16
r3 = 0
call 113
r0 = 0
exit

== mem_size_is_pointer
;; type: kprobe
;; priv: yes
;; reject: R2 type=fp expected=scalar
r1 = r10
r1 += -16
r2 = r10
r3 = 0
call 113
r0 = 0
exit

== mem_buffer_is_scalar
;; type: kprobe
;; priv: yes
;; reject: R1 type=scalar expected=fp
r1 = 0
r2 = 8
r3 = 0
call 113
r0 = 0
exit

== mem_buffer_is_ctx
;; type: kprobe
;; priv: yes
;; reject: R1 type=ctx expected=fp
r2 = 8
call 16
r0 = 0
exit

== mem_zero_size_not_allowed
;; type: kprobe
;; priv: yes
;; reject: R2 invalid zero-sized read
r1 = r10
r1 += -16
r2 = 0
call 16
r0 = 0
exit

== mem_size_maybe_zero
;; type: kprobe
;; priv: yes
;; reject: R2 invalid zero-sized read
r2 = *(u64 *)(r1 + 0)
r2 &= 15
r1 = r10
r1 += -16
call 16
r0 = 0
exit

== mem_past_map_value
;; type: kprobe
;; priv: yes
;; map: array key=4 value=8 max=1
;; reject: invalid access to map value, value_size=8 off=0 size=16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
if r0 == 0 goto +4
r1 = r0
r2 = 16
r3 = 0
call 113
r0 = 0
exit

== ringbuf_output_on_array
;; type: xdp
;; priv: yes
;; map: array key=4 value=8 max=1
;; reject: cannot pass map_type 2 into func
*(u64 *)(r10 - 8) = 0
r1 = map_idx(0) ll
r2 = r10
r2 += -8
r3 = 8
r4 = 0
call 130
r0 = 0
exit

== ringbuf_lookup
;; type: xdp
;; priv: yes
;; map: ringbuf key=0 value=0 max=4096
;; reject: invalid zero-sized read
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
call 1
r0 = 0
exit

== perf_output_on_hash
;; type: xdp
;; priv: yes
;; map: hash key=4 value=4 max=4
;; reject: cannot pass map_type 1 into func
*(u64 *)(r10 - 8) = 0
r2 = map_idx(0) ll
r3 = 0
r4 = r10
r4 += -8
r5 = 8
call 25
r0 = 0
exit

== pop_on_array
;; type: xdp
;; priv: yes
;; map: array key=4 value=8 max=1
;; reject: cannot pass map_type 2 into func
r1 = map_idx(0) ll
r2 = r10
r2 += -8
call 88
r0 = 0
exit

== pop_buffer_too_small
;; type: xdp
;; priv: yes
;; map: queue key=0 value=8 max=4
;; reject: R2 off=-4 size=8
r1 = map_idx(0) ll
r2 = r10
r2 += -4
call 88
r0 = 0
exit

== stackid_on_hash
;; type: kprobe
;; priv: yes
;; map: hash key=4 value=8 max=4
;; reject: cannot pass map_type 1 into func
r2 = map_idx(0) ll
r3 = 0
call 27
r0 = 0
exit

== helper_not_for_xdp
;; type: xdp
;; priv: yes
;; reject: bpf_probe_write_user#36
*(u64 *)(r10 - 8) = 0
r1 = 0
r2 = r10
r2 += -8
r3 = 8
call 36
r0 = 0
exit

== helper_not_for_socket_filter
;; type: socket_filter
;; priv: yes
;; reject: program of this type cannot use helper bpf_xdp_load_bytes#189
r2 = 0
r3 = r10
r3 += -8
r4 = 8
call 189
r0 = 0
exit

== ctx_helper_modified_ctx
;; type: xdp
;; priv: yes
;; reject: dereference of modified ctx ptr R1 off=4 disallowed
r1 += 4
r2 = 0
r3 = r10
r3 += -8
r4 = 8
call 189
r0 = 0
exit

== ctx_helper_given_stack
;; type: xdp
;; priv: yes
;; reject: R1 type=fp expected=ctx
r1 = r10
r2 = 0
r3 = r10
r3 += -8
r4 = 8
call 189
r0 = 0
exit

== map_pointer_moved
;; type: xdp
;; priv: yes
;; map: hash key=4 value=8 max=4
;; reject: R1 pointer arithmetic on map_ptr prohibited
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map_idx(0) ll
r1 += 8
call 1
r0 = 0
exit

== key_in_packet_unchecked
;; type: xdp
;; priv: yes
;; map: hash key=4 value=8 max=4
;; reject: invalid access to packet
r2 = *(u32 *)(r1 + 0)
r1 = map_idx(0) ll
call 1
r0 = 0
exit
