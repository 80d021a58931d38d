; The context: only the fields the program type describes, at their size, through the unmodified pointer;
; writes only to the fields the type lets it write.

== xdp_past_end
;; type: xdp
;; priv: yes
;; reject: invalid bpf_context access off=24 size=4
r0 = *(u32 *)(r1 + 24)
exit

== xdp_negative_offset
;; type: xdp
;; priv: yes
;; reject: invalid bpf_context access off=-4 size=4
r0 = *(u32 *)(r1 - 4)
exit

== xdp_u64_read_of_data
;; type: xdp
;; priv: yes
;; reject: invalid bpf_context access off=0 size=8
r0 = *(u64 *)(r1 + 0)
exit

== xdp_misaligned_field
;; type: xdp
;; priv: yes
;; reject: invalid bpf_context access off=2 size=4
r0 = *(u32 *)(r1 + 2)
exit

== xdp_write_data
;; type: xdp
;; priv: yes
;; reject: invalid bpf_context access off=0 size=4
*(u32 *)(r1 + 0) = 0
r0 = 0
exit

== xdp_write_ingress_ifindex
;; type: xdp
;; priv: yes
;; reject: invalid bpf_context access off=12 size=4
r2 = 1
*(u32 *)(r1 + 12) = r2
r0 = 0
exit

== xdp_modified_ctx_read
;; type: xdp
;; priv: yes
;; reject: dereference of modified ctx ptr R1 off=4 disallowed
r1 += 4
r0 = *(u32 *)(r1 + 0)
exit

== xdp_variable_ctx_offset
;; type: xdp
;; priv: yes
;; reject: variable ctx access
r2 = *(u32 *)(r1 + 12)
r2 &= 4
r1 += r2
r0 = *(u32 *)(r1 + 0)
exit

== xdp_atomic_on_ctx
;; type: xdp
;; priv: yes
;; reject: BPF_ATOMIC stores into R1 ctx is not allowed
r2 = 1
lock *(u32 *)(r1 + 12) += w2
r0 = 0
exit

== skb_write_len
;; type: sched_cls
;; priv: yes
;; reject: invalid bpf_context access off=0 size=4
*(u32 *)(r1 + 0) = 0
r0 = 0
exit

== skb_write_protocol
;; type: sched_cls
;; priv: yes
;; reject: invalid bpf_context access off=16 size=4
r2 = 8
*(u32 *)(r1 + 16) = r2
r0 = 0
exit

== skb_write_data_pointer
;; type: sched_cls
;; priv: yes
;; reject: invalid bpf_context access off=76 size=4
r2 = 0
*(u32 *)(r1 + 76) = r2
r0 = 0
exit

== skb_past_end
;; type: sched_cls
;; priv: yes
;; reject: invalid bpf_context access off=192 size=4
r0 = *(u32 *)(r1 + 192)
exit

== skb_gap_field_size
;; type: sched_cls
;; priv: yes
;; reject: invalid bpf_context access off=152 size=4
r0 = *(u32 *)(r1 + 152)
exit

== skb_misaligned_read
;; type: sched_cls
;; priv: yes
;; reject: invalid bpf_context access off=9 size=4
r0 = *(u32 *)(r1 + 9)
exit

== socket_filter_write_mark
;; type: socket_filter
;; priv: yes
;; reject: invalid bpf_context access off=8 size=4
r2 = 1
*(u32 *)(r1 + 8) = r2
r0 = 0
exit

== socket_filter_read_data_end
;; type: socket_filter
;; priv: yes
;; reject: invalid bpf_context access off=80 size=4
r0 = *(u32 *)(r1 + 80)
exit

== socket_filter_read_tc_classid
;; type: socket_filter
;; priv: yes
;; reject: invalid bpf_context access off=72 size=4
r0 = *(u32 *)(r1 + 72)
exit

== kprobe_past_pt_regs
;; type: kprobe
;; priv: yes
;; reject: invalid bpf_context access off=168 size=8
r0 = *(u64 *)(r1 + 168)
exit

== kprobe_write_pt_regs
;; type: kprobe
;; priv: yes
;; reject: invalid bpf_context access off=0 size=8
*(u64 *)(r1 + 0) = 0
r0 = 0
exit

== kprobe_misaligned
;; type: kprobe
;; priv: yes
;; reject: invalid bpf_context access off=4 size=8
r0 = *(u64 *)(r1 + 4)
exit

== ctx_spilled_modified_and_read
;; type: xdp
;; priv: yes
;; reject: dereference of modified ctx ptr
*(u64 *)(r10 - 8) = r1
r2 = *(u64 *)(r10 - 8)
r2 += 8
r0 = *(u32 *)(r2 + 4)
exit

== ctx_store_immediate_xdp
;; type: xdp
;; priv: yes
;; reject: invalid bpf_context access off=16 size=4
*(u32 *)(r1 + 16) = 7
r0 = 0
exit

== tracepoint_negative
;; type: tracepoint
;; priv: yes
;; reject: invalid bpf_context access off=2 size=4
r0 = *(u32 *)(r1 + 2)
exit

== cgroup_skb_write_mark_ok_but_tc_classid_not
;; type: cgroup_skb
;; priv: yes
;; reject: invalid bpf_context access off=72 size=4
r2 = 1
*(u32 *)(r1 + 72) = r2
r0 = 1
exit
