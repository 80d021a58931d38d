; Bad jumps and encodings: targets outside the program or inside a lddw, code that falls off the end or can
; never run, and instructions whose opcode or reserved fields are invalid (the latter built by patching).

== jump_past_end
;; type: xdp
;; priv: yes
;; reject: jump out of range
r0 = 0
goto +5
exit

== jump_before_start
;; type: xdp
;; priv: yes
;; reject: jump out of range
r0 = 0
if r0 == 0 goto -3
exit

== conditional_jump_past_end
;; type: xdp
;; priv: yes
;; reject: jump out of range
r0 = *(u32 *)(r1 + 12)
if r0 > 7 goto +1
exit

== jump_into_lddw
;; type: xdp
;; priv: yes
;; reject: jump into the middle of
r0 = *(u32 *)(r1 + 12)
if r0 == 0 goto +1
r1 = 0x123456789 ll
exit

== fall_off_end
;; type: xdp
;; priv: yes
;; reject: last insn is not an exit or jmp
r0 = 0
exit
r0 = 1

== unreachable_tail
;; type: xdp
;; priv: yes
;; reject: unreachable insn 2
r0 = 0
exit
r0 = 1
exit

== unreachable_after_goto
;; type: xdp
;; priv: yes
;; reject: unreachable insn 2
r0 = 0
goto +1
r0 = 1
exit

== unknown_opcode
;; type: xdp
;; priv: yes
;; patch: 0 opcode=0xff
;; reject: unknown opcode
r0 = 0
exit

== alu_reserved_off
;; type: xdp
;; priv: yes
;; patch: 0 off=1
;; reject: reserved field
r0 = 0
exit

== alu_imm_with_src
;; type: xdp
;; priv: yes
;; patch: 0 src=3
;; reject: reserved field
r0 = 0
exit

== exit_with_imm
;; type: xdp
;; priv: yes
;; patch: 1 imm=1
;; reject: reserved field
r0 = 0
exit

== ja_with_register
;; type: xdp
;; priv: yes
;; patch: 1 dst=2
;; reject: reserved field
r0 = 0
goto +0
exit

== register_eleven
;; type: xdp
;; priv: yes
;; patch: 0 dst=11
;; reject: R11 is invalid
r0 = 0
exit

== lddw_second_half_opcode
;; type: xdp
;; priv: yes
;; patch: 2 opcode=0x07
;; reject: invalid bpf_ld_imm64 insn
r0 = 0
r1 = 0x100000000 ll
exit

== lddw_last_insn
;; type: xdp
;; priv: yes
;; patch: 1 opcode=0x18
;; reject: last insn is not an exit or jmp
r0 = 0
exit

== lddw_bad_pseudo_source
;; type: xdp
;; priv: yes
;; patch: 1 src=7
;; reject: unrecognized bpf_ld_imm64 insn
r0 = 0
r1 = 0x100000000 ll
exit

== load_reserved_imm
;; type: xdp
;; priv: yes
;; patch: 1 imm=4
;; reject: reserved field
*(u64 *)(r10 - 8) = 0
r0 = *(u64 *)(r10 - 8)
exit

== ld_abs_in_xdp
;; type: xdp
;; priv: yes
;; reject: BPF_LD_[ABS|IND] instructions not allowed for this program type
r6 = r1
r0 = *(u8 *)skb[0]
exit

== ld_abs_without_ctx_in_r6
;; type: socket_filter
;; priv: yes
;; reject: R6 !read_ok
r0 = *(u8 *)skb[0]
exit

== div_by_zero_immediate
;; type: xdp
;; priv: yes
;; reject: by zero
r0 = 7
r0 /= 0
exit

== mod_by_zero_immediate_32
;; type: xdp
;; priv: yes
;; reject: by zero
w0 = 7
w0 %= 0
exit

== shift_by_64
;; type: xdp
;; priv: yes
;; reject: invalid shift 64
r0 = 1
r0 <<= 64
exit

== shift32_by_32
;; type: xdp
;; priv: yes
;; reject: invalid shift 32
w0 = 1
w0 s>>= 32
exit

== bad_byte_swap_width
;; type: xdp
;; priv: yes
;; patch: 1 imm=24
;; reject: BPF_END uses reserved fields
r0 = 1
r0 = be16 r0
exit

== call_past_end
;; type: xdp
;; priv: yes
;; patch: 0 imm=10
;; reject: call to invalid destination
call sub
r0 = 0
exit
sub:
r0 = 0
exit

== backward_call_to_first_insn_loop
;; type: xdp
;; priv: yes
;; reject: the call stack of 9 frames is too deep
r0 = 0
call sub
exit
sub:
call sub
r0 = 0
exit

== unknown_helper
;; type: xdp
;; priv: yes
;; reject: invalid func unknown#9999
call 9999
r0 = 0
exit

== callx_register
;; type: xdp
;; priv: yes
;; reject: unknown opcode 8d
r2 = 0
callx r2
r0 = 0
exit
