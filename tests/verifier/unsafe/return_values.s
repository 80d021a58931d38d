; Return values outside the range the program type defines, unknown where a range is required, or pointers.

== cgroup_skb_returns_2
;; type: cgroup_skb
;; priv: yes
;; reject: At program exit the register R0 has
r0 = 2
exit

== cgroup_skb_returns_negative
;; type: cgroup_skb
;; priv: yes
;; reject: At program exit the register R0 has
r0 = -1
exit

== cgroup_skb_returns_unknown
;; type: cgroup_skb
;; priv: yes
;; reject: At program exit the register R0 has
call 7
exit

== cgroup_skb_returns_pointer
;; type: cgroup_skb
;; priv: yes
;; reject: At program exit the register R0 is not a known value
r0 = r10
exit

== cgroup_skb_masked_too_wide
;; type: cgroup_skb
;; priv: yes
;; reject: At program exit the register R0 has
call 7
r0 &= 3
exit

== cgroup_skb_one_path_wrong
;; type: cgroup_skb
;; priv: yes
;; reject: At program exit the register R0 has
r2 = *(u32 *)(r1 + 0)
r0 = 1
if r2 > 64 goto +1
r0 = 7
exit

== cgroup_sock_returns_2
;; type: cgroup_sock
;; priv: yes
;; reject: At program exit the register R0 has
r0 = 2
exit

== cgroup_sysctl_returns_unknown
;; type: cgroup_sysctl
;; priv: yes
;; reject: At program exit the register R0 has
call 7
exit

== callback_returns_2
;; type: xdp
;; priv: yes
;; reject: At callback return the register R0 has
r1 = 4
r2 = func(cb) ll
r3 = 0
r4 = 0
call 181
r0 = 0
exit
cb:
r0 = 2
exit

== callback_returns_unknown
;; type: xdp
;; priv: yes
;; reject: At callback return the register R0 has
r1 = 4
r2 = func(cb) ll
r3 = 0
r4 = 0
call 181
r0 = 0
exit
cb:
call 7
exit

== socket_filter_returns_pointer_unpriv
;; type: socket_filter
;; priv: no
;; reject: R0 leaks addr as return value
r0 = r10
r0 += -8
exit

== sk_msg_returns_unknown
;; type: cgroup_device
;; priv: yes
;; reject: At program exit the register R0 has
call 7
exit
