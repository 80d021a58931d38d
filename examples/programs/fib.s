; fib(r1) in a bpf-to-bpf subprogram with a bounded loop: prints 6765 for fib(20).
        r1 = 20
        call fib
        exit
fib:                                ; r0 = fib(r1); r6-r9 untouched, as the calling convention requires
        r0 = 0
        r2 = 1
next:
        if r1 == 0 goto out
        r3 = r0
        r3 += r2
        r0 = r2
        r2 = r3
        r1 -= 1
        goto next
out:
        exit
