// Every opcode class and every corner case RFC 9669 defines, as programs with their expected r0: the table the
// interpreter's and the JIT's semantics tests both run.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

namespace ubee::test {

struct SemanticsCase {
  const char* name;
  const char* text;  // assembly; `exit` is appended
  std::uint64_t r0;
  std::vector<std::uint8_t> memory = {};
};

inline const SemanticsCase kSemanticsCases[] = {
    // ALU64 with immediates (sign-extended to 64 bits) and registers.
    {"add64_imm", "r0 = 5\nr0 += -7", 0xfffffffffffffffe},
    {"add64_reg", "r0 = 5\nr1 = 7\nr0 += r1", 12},
    {"sub64", "r0 = 5\nr1 = 7\nr0 -= r1", 0xfffffffffffffffe},
    {"mul64", "r0 = -3\nr0 *= 7", static_cast<std::uint64_t>(-21)},
    {"div64", "r0 = 100\nr1 = 7\nr0 /= r1", 14},
    {"div64_unsigned", "r0 = -1\nr0 /= 2", 0x7fffffffffffffff},
    {"div64_by_zero_reg", "r0 = 100\nr1 = 0\nr0 /= r1", 0},
    {"div64_by_zero_imm", "r0 = 100\nr0 /= 0", 0},
    {"mod64", "r0 = 100\nr0 %= 7", 2},
    {"mod64_by_zero_keeps_dst", "r0 = -5\nr1 = 0\nr0 %= r1", static_cast<std::uint64_t>(-5)},
    {"sdiv64", "r0 = -100\nr0 s/= 7", static_cast<std::uint64_t>(-14)},
    {"sdiv64_by_zero", "r0 = -100\nr1 = 0\nr0 s/= r1", 0},
    {"sdiv64_intmin_by_minus1", "r0 = -9223372036854775808 ll\nr1 = -1\nr0 s/= r1", 0x8000000000000000},
    {"smod64_sign_of_dividend", "r0 = -100\nr0 s%= 7", static_cast<std::uint64_t>(-2)},
    {"smod64_pos_by_neg", "r0 = 100\nr0 s%= -7", 2},
    {"smod64_intmin_by_minus1", "r0 = -9223372036854775808 ll\nr0 s%= -1", 0},
    {"smod64_by_zero_keeps_dst", "r0 = -100\nr0 s%= 0", static_cast<std::uint64_t>(-100)},
    {"or64", "r0 = 0x10\nr0 |= 0x3", 0x13},
    {"and64", "r0 = 0xff\nr0 &= -16", 0xf0},
    {"xor64", "r0 = -1\nr0 ^= 0xf", 0xfffffffffffffff0},
    {"lsh64", "r0 = 1\nr0 <<= 63", 0x8000000000000000},
    {"lsh64_count_masked", "r0 = 1\nr1 = 65\nr0 <<= r1", 2},
    {"rsh64_logical", "r0 = -1\nr0 >>= 60", 0xf},
    {"arsh64", "r0 = -256\nr0 s>>= 4", static_cast<std::uint64_t>(-16)},
    {"arsh64_count_masked", "r0 = -256\nr1 = 68\nr0 s>>= r1", static_cast<std::uint64_t>(-16)},
    {"neg64", "r0 = 5\nr0 = -r0", static_cast<std::uint64_t>(-5)},
    {"neg64_intmin", "r0 = -9223372036854775808 ll\nr0 = -r0", 0x8000000000000000},
    {"mov64_imm_sign_extends", "r0 = -1", 0xffffffffffffffff},
    {"mov64_reg", "r1 = 77\nr0 = r1", 77},
    // ALU32: 32-bit operation, result zero-extended.
    {"add32_wraps_and_zero_extends", "r0 = -1\nw0 += 1", 0},
    {"add32_clears_high", "r0 = -1\nw0 += 0", 0xffffffff},
    {"sub32", "w0 = 1\nw0 -= 2", 0xffffffff},
    {"mul32", "r0 = 0x10000\nw0 *= 0x10000", 0},
    {"div32_uses_low_bits", "r0 = 0x10000000c ll\nw0 /= 4", 3},
    {"div32_by_zero", "w0 = 7\nw1 = 0\nw0 /= w1", 0},
    {"mod32_by_zero_truncates_dst", "r0 = -5\nw1 = 0\nw0 %= w1", 0xfffffffb},
    {"sdiv32", "w0 = -100\nw0 s/= 7", 0xfffffff2},
    {"sdiv32_intmin_by_minus1", "w0 = -2147483648\nw1 = -1\nw0 s/= w1", 0x80000000},
    {"smod32_intmin_by_minus1", "w0 = -2147483648\nw0 s%= -1", 0},
    {"smod32_by_zero", "r0 = -5\nw0 s%= 0", 0xfffffffb},
    {"lsh32_count_masked", "w0 = 0x11\nw0 <<= 60", 0x10000000},
    {"rsh32_logical", "r0 = -1\nw0 >>= 28", 0xf},
    {"arsh32", "w0 = -256\nw0 s>>= 4", 0xfffffff0},
    {"arsh32_count_masked_reg", "w0 = -256\nw1 = 36\nw0 s>>= w1", 0xfffffff0},
    {"neg32", "w0 = 5\nw0 = -w0", 0xfffffffb},
    {"mov32_imm_zero_extends", "w0 = -1", 0xffffffff},
    {"mov32_reg_truncates", "r1 = -1\nw0 = w1", 0xffffffff},
    {"xor32", "r0 = -1\nw0 ^= 0", 0xffffffff},
    // Sign-extending moves (ISA v4).
    {"movsx8_64", "r1 = 0x80\nr0 = (s8)r1", 0xffffffffffffff80},
    {"movsx16_64", "r1 = 0x8000\nr0 = (s16)r1", 0xffffffffffff8000},
    {"movsx32_64", "r1 = 0x80000000 ll\nr0 = (s32)r1", 0xffffffff80000000},
    {"movsx8_32", "r1 = 0x80\nw0 = (s8)w1", 0xffffff80},
    {"movsx16_32", "r1 = 0x7fff\nw0 = (s16)w1", 0x7fff},
    // Byte order.
    {"le16_truncates", "r0 = 0x1122334455667788 ll\nr0 = le16 r0", 0x7788},
    {"le32_truncates", "r0 = 0x1122334455667788 ll\nr0 = le32 r0", 0x55667788},
    {"le64_keeps", "r0 = 0x1122334455667788 ll\nr0 = le64 r0", 0x1122334455667788},
    {"be16", "r0 = 0x1122334455667788 ll\nr0 = be16 r0", 0x8877},
    {"be32", "r0 = 0x1122334455667788 ll\nr0 = be32 r0", 0x88776655},
    {"be64", "r0 = 0x1122334455667788 ll\nr0 = be64 r0", 0x8877665544332211},
    {"bswap16", "r0 = 0x1122334455667788 ll\nr0 = bswap16 r0", 0x8877},
    {"bswap32", "r0 = 0x1122334455667788 ll\nr0 = bswap32 r0", 0x88776655},
    {"bswap64", "r0 = 0x1122334455667788 ll\nr0 = bswap64 r0", 0x8877665544332211},
    // lddw.
    {"lddw", "r0 = 0x123456789abcdef0 ll", 0x123456789abcdef0},
    {"lddw_negative", "r0 = -2 ll", 0xfffffffffffffffe},
    // Jumps: unsigned and signed, 64 and 32 bit, immediate sign-extended for JMP.
    {"jeq_taken", "r0 = 0\nr1 = 5\nif r1 == 5 goto +1\nexit\nr0 = 1", 1},
    {"jne_not_taken", "r0 = 0\nr1 = 5\nif r1 != 5 goto +1\nr0 = 2", 2},
    {"jgt_unsigned", "r0 = 0\nr1 = -1\nif r1 > 5 goto +1\nexit\nr0 = 1", 1},
    {"jsgt_signed", "r0 = 1\nr1 = -1\nif r1 s> 5 goto +1\nexit\nr0 = 0", 1},
    {"jge_equal", "r0 = 0\nr1 = 5\nr2 = 5\nif r1 >= r2 goto +1\nexit\nr0 = 1", 1},
    {"jlt", "r0 = 0\nr1 = 4\nif r1 < 5 goto +1\nexit\nr0 = 1", 1},
    {"jle", "r0 = 0\nr1 = 6\nif r1 <= 5 goto +1\nr0 = 1", 1},
    {"jsge", "r0 = 0\nr1 = -5\nif r1 s>= -5 goto +1\nexit\nr0 = 1", 1},
    {"jslt", "r0 = 0\nr1 = -6\nif r1 s< -5 goto +1\nexit\nr0 = 1", 1},
    {"jsle_reg", "r0 = 0\nr1 = -6\nr2 = -6\nif r1 s<= r2 goto +1\nexit\nr0 = 1", 1},
    {"jset", "r0 = 0\nr1 = 6\nif r1 & 2 goto +1\nexit\nr0 = 1", 1},
    {"jset_not", "r0 = 0\nr1 = 6\nif r1 & 1 goto +1\nr0 = 1", 1},
    {"jmp_imm_sign_extended", "r0 = 0\nr1 = -1\nif r1 == -1 goto +1\nexit\nr0 = 1", 1},
    {"jmp32_ignores_high_bits", "r0 = 0\nr1 = 0x100000005 ll\nif w1 == 5 goto +1\nexit\nr0 = 1", 1},
    {"jmp32_signed", "r0 = 0\nr1 = 0xffffffff\nif w1 s< 0 goto +1\nexit\nr0 = 1", 1},
    {"jmp32_unsigned_reg", "r0 = 0\nr1 = 0x1ffffffff ll\nr2 = 2\nif w1 > w2 goto +1\nexit\nr0 = 1", 1},
    {"jmp64_vs_32_differ", "r0 = 0\nr1 = 0x100000000 ll\nif r1 == 0 goto +1\nr0 = 1", 1},
    {"ja_backwards_loop", "r0 = 0\nr1 = 10\nloop:\nr0 += r1\nr1 -= 1\nif r1 != 0 goto loop", 55},
    {"gotol", "r0 = 1\ngotol +1\nr0 = 2", 1},
    // Memory: stack stores and loads of every width, sign-extending loads, input memory.
    {"stack_store_load", "r1 = 0x1122334455667788 ll\n*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 4)", 0x11223344},
    {"stack_imm_stores", "*(u8 *)(r10 - 1) = 0xab\n*(u16 *)(r10 - 4) = 0x1234\n*(u32 *)(r10 - 8) = -1\n"
                         "*(u64 *)(r10 - 16) = -2\nr0 = *(u8 *)(r10 - 1)\nr1 = *(u16 *)(r10 - 4)\nr0 += r1\n"
                         "r1 = *(u32 *)(r10 - 8)\nr0 += r1\nr1 = *(u64 *)(r10 - 16)\nr0 += r1",
     0xab + 0x1234 + 0xffffffffULL - 2},
    {"ldxsb", "r0 = *(s8 *)(r1 + 0)", 0xffffffffffffff80, {0x80}},
    {"ldxsh", "r0 = *(s16 *)(r1 + 0)", 0xffffffffffff8001, {0x01, 0x80}},
    {"ldxsw", "r0 = *(s32 *)(r1 + 0)", 0xffffffff80000001, {0x01, 0, 0, 0x80}},
    {"ldx_zero_extends", "r0 = *(u16 *)(r1 + 1)", 0x8001, {0, 0x01, 0x80}},
    {"mem_length_in_r2", "r0 = r2", 3, {1, 2, 3}},
    {"store_to_input", "*(u32 *)(r1 + 0) = 7\nr0 = *(u8 *)(r1 + 0)", 7, {0, 0, 0, 0}},
    {"stx_widths", "r2 = -1\n*(u8 *)(r1 + 0) = r2\n*(u16 *)(r1 + 2) = r2\nr0 = *(u32 *)(r1 + 0)", 0xffff00ff,
     {0, 0, 0, 0}},
    // Atomics, 64 and 32 bit.
    {"atomic_add64", "*(u64 *)(r10 - 8) = 10\nr1 = 5\nlock *(u64 *)(r10 - 8) += r1\nr0 = *(u64 *)(r10 - 8)", 15},
    {"atomic_or32", "*(u32 *)(r10 - 8) = 0x10\nw1 = 3\nlock *(u32 *)(r10 - 8) |= w1\nr0 = *(u32 *)(r10 - 8)", 0x13},
    {"atomic_and64", "*(u64 *)(r10 - 8) = 0xff\nr1 = 0x0f\nlock *(u64 *)(r10 - 8) &= r1\nr0 = *(u64 *)(r10 - 8)", 0xf},
    {"atomic_xor32", "*(u32 *)(r10 - 8) = 0xff\nw1 = 0x0f\nlock *(u32 *)(r10 - 8) ^= w1\nr0 = *(u32 *)(r10 - 8)",
     0xf0},
    {"atomic_fetch_add64_returns_old",
     "*(u64 *)(r10 - 8) = 10\nr1 = 5\nr1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\nr0 = *(u64 *)(r10 - 8)\n"
     "r0 <<= 8\nr0 |= r1",
     (15 << 8) | 10},
    {"atomic_fetch_or32", "*(u32 *)(r10 - 8) = 1\nw1 = 2\nw1 = atomic_fetch_or((u32 *)(r10 - 8), w1)\nr0 = r1", 1},
    {"atomic_fetch_and64", "*(u64 *)(r10 - 8) = 3\nr1 = 1\nr1 = atomic_fetch_and((u64 *)(r10 - 8), r1)\n"
                           "r0 = *(u64 *)(r10 - 8)\nr0 += r1",
     1 + 3},
    {"atomic_fetch_xor32", "*(u32 *)(r10 - 8) = 3\nw1 = 1\nw1 = atomic_fetch_xor((u32 *)(r10 - 8), w1)\n"
                           "r0 = *(u32 *)(r10 - 8)\nr0 += r1",
     2 + 3},
    {"atomic_fetch32_zero_extends", "*(u32 *)(r10 - 8) = -1\nr1 = -1\nw1 = atomic_fetch_add((u32 *)(r10 - 8), w1)\n"
                                    "r0 = r1",
     0xffffffff},
    {"xchg64", "*(u64 *)(r10 - 8) = 7\nr1 = 9\nr1 = xchg_64(r10 - 8, r1)\nr0 = *(u64 *)(r10 - 8)\nr0 <<= 8\nr0 |= r1",
     (9 << 8) | 7},
    {"xchg32", "*(u32 *)(r10 - 8) = 7\nw1 = 9\nw1 = xchg32_32(r10 - 8, w1)\nr0 = r1", 7},
    {"cmpxchg64_success",
     "*(u64 *)(r10 - 8) = 7\nr0 = 7\nr1 = 9\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr1 = *(u64 *)(r10 - 8)\nr0 <<= 8\n"
     "r0 |= r1",
     (7 << 8) | 9},
    {"cmpxchg64_failure",
     "*(u64 *)(r10 - 8) = 7\nr0 = 8\nr1 = 9\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr1 = *(u64 *)(r10 - 8)\nr0 <<= 8\n"
     "r0 |= r1",
     (7 << 8) | 7},
    {"cmpxchg32_compares_low_bits",
     "*(u32 *)(r10 - 8) = 7\nr0 = 0x100000007 ll\nw1 = 9\nw0 = cmpxchg32_32(r10 - 8, w0, w1)\n"
     "r1 = *(u32 *)(r10 - 8)\nr0 <<= 8\nr0 |= r1",
     (7 << 8) | 9},
    // Local calls: arguments in r1-r5, result in r0, r6-r9 preserved, a fresh 512-byte frame.
    {"local_call", "r1 = 2\nr2 = 3\nr6 = 100\ncall add\nr0 += r6\nexit\nadd:\nr0 = r1\nr0 += r2\nr6 = 0", 105},
    {"local_call_own_frame",
     "*(u64 *)(r10 - 8) = 1\ncall f\nr0 = *(u64 *)(r10 - 8)\nexit\nf:\n*(u64 *)(r10 - 8) = 2\nr0 = 0", 1},
    {"local_call_reads_caller_stack",
     "*(u64 *)(r10 - 8) = 42\nr1 = r10\nr1 += -8\ncall f\nexit\nf:\nr0 = *(u64 *)(r1 + 0)", 42},
    {"recursion_to_depth_8",
     "r1 = 6\ncall f\nexit\nf:\nr0 = 1\nif r1 == 0 goto +4\nr6 = r1\nr1 -= 1\ncall f\nr0 += r6", 1 + 6 * 7 / 2},
    // Legacy packet loads: network byte order from the input memory; outside it the program returns 0.
    {"ld_abs_h", "r6 = r1\nr0 = *(u16 *)skb[1]", 0x0203, {1, 2, 3, 4}},
    {"ld_abs_w", "r6 = r1\nr0 = *(u32 *)skb[0]", 0x01020304, {1, 2, 3, 4}},
    {"ld_ind_b", "r6 = r1\nr3 = 2\nr0 = *(u8 *)skb[r3 + 1]", 4, {1, 2, 3, 4}},
    {"ld_abs_out_of_packet_returns_0", "r6 = r1\nr0 = *(u32 *)skb[2]\nr0 = 99", 0, {1, 2, 3, 4}},
};

// Test names and failure messages show the case name, not its bytes.
inline void PrintTo(const SemanticsCase& c, std::ostream* os) { *os << c.name; }

}  // namespace ubee::test
