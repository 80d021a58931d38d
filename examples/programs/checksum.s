; The Internet checksum (RFC 1071) of the input memory: r1 = data, r2 = length.
; Run it:  ubee run examples/programs/checksum.s --mem examples/programs/packet.bin
        r0 = 0                      ; running sum
        r3 = 0                      ; offset
loop:
        r4 = r3
        r4 += 1
        if r4 >= r2 goto tail       ; fewer than two bytes left
        r5 = r1
        r5 += r3
        r6 = *(u16 *)(r5 + 0)
        r6 = be16 r6                ; words are in network byte order
        r0 += r6
        r3 += 2
        goto loop
tail:
        if r3 >= r2 goto fold
        r5 = r1
        r5 += r3
        r6 = *(u8 *)(r5 + 0)
        r6 <<= 8
        r0 += r6
fold:
        r4 = r0
        r4 >>= 16
        if r4 == 0 goto done
        r0 &= 0xffff
        r0 += r4
        goto fold
done:
        r0 ^= 0xffff
        exit
