// The structural rules of validate()/decode(): each bad encoding is rejected with its instruction and reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.hpp"
#include "ubee/isa.hpp"

namespace ubee {
namespace {

Insn I(std::uint8_t op, int dst = 0, int src = 0, int off = 0, int imm = 0) { return test::make_insn(op, dst, src, off, imm); }
const Insn kExit = I(BPF_JMP | BPF_EXIT);
const Insn kMovR0 = I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);

struct Bad {
  const char* name;
  std::vector<Insn> program;
  std::size_t insn;
  const char* message;
};

const Bad kBad[] = {
    {"unknown_opcode", {kMovR0, I(0xff), kExit}, 1, "unknown opcode ff"},
    {"unknown_alu_op", {I(BPF_ALU64 | 0xe0 | BPF_K), kExit}, 0, "unknown opcode e7"},
    {"jmp32_exit", {kMovR0, I(BPF_JMP32 | BPF_EXIT), kExit}, 1, "unknown opcode 96"},
    {"jmp32_call", {kMovR0, I(BPF_JMP32 | BPF_CALL, 0, 0, 0, 1), kExit}, 1, "unknown opcode 86"},
    {"ldx_dw_sign_extend", {I(BPF_LDX | BPF_MEMSX | BPF_DW, 0, 1), kExit}, 0, "unknown opcode 99"},
    {"atomic_byte", {I(BPF_STX | BPF_ATOMIC | BPF_B, 1, 2), kMovR0, kExit}, 0, "invalid atomic operand size"},
    {"atomic_bad_op", {I(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0, 0x10), kMovR0, kExit}, 0, "BPF_ATOMIC uses invalid atomic opcode 10"},
    {"nonzero_imm_reg_form", {I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 1, 0, 5), kExit}, 0, "reserved field 'imm' is not zero"},
    {"nonzero_src_imm_form", {I(BPF_ALU64 | BPF_ADD | BPF_K, 0, 1, 0, 5), kExit}, 0, "reserved field 'src' is not zero"},
    {"nonzero_off_alu", {I(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 3, 5), kExit}, 0, "reserved field 'off' is not zero"},
    {"bad_sdiv_offset", {I(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 2, 5), kExit}, 0, "invalid offset 2 for div/mod"},
    {"bad_movsx_width", {I(BPF_ALU64 | BPF_MOV | BPF_X, 0, 1, 24), kExit}, 0, "invalid sign-extension width 24"},
    {"movsx32_in_alu32", {I(BPF_ALU | BPF_MOV | BPF_X, 0, 1, 32), kExit}, 0, "invalid sign-extension width 32"},
    {"bad_swap_width", {I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 8), kExit}, 0, "BPF_END uses reserved fields"},
    {"neg_with_source_x", {I(BPF_ALU64 | BPF_NEG | BPF_X, 0, 1), kExit}, 0, "unknown opcode 8f"},
    {"exit_with_fields", {I(BPF_JMP | BPF_EXIT, 0, 0, 0, 1)}, 0, "reserved field 'imm' is not zero"},
    {"bad_dst_register", {I(BPF_ALU64 | BPF_MOV | BPF_K, 11, 0, 0, 1), kExit}, 0, "R11 is invalid"},
    {"bad_src_register", {I(BPF_ALU64 | BPF_MOV | BPF_X, 0, 12), kExit}, 0, "R12 is invalid"},
    {"write_r10_alu", {I(BPF_ALU64 | BPF_MOV | BPF_K, 10, 0, 0, 1), kExit}, 0, "frame pointer is read only"},
    {"write_r10_ldx", {I(BPF_LDX | BPF_MEM | BPF_DW, 10, 1), kExit}, 0, "frame pointer is read only"},
    {"write_r10_fetch", {I(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 10, 0, BPF_ADD | BPF_FETCH), kMovR0, kExit}, 0,
     "frame pointer is read only"},
    {"lddw_missing_half", {kMovR0, I(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1)}, 1, "last insn is not an exit or jmp"},
    {"lddw_bad_second_half", {I(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1), I(0x07, 0, 0, 0, 0), kExit}, 1,
     "invalid bpf_ld_imm64 insn"},
    {"lddw_bad_pseudo", {I(BPF_LD | BPF_IMM | BPF_DW, 0, 7, 0, 1), I(0), kExit}, 0, "unrecognized bpf_ld_imm64 insn"},
    {"jump_past_end", {I(BPF_JMP | BPF_JA, 0, 0, 5), kExit}, 0, "jump out of range to 6"},
    {"jump_before_start", {kMovR0, I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, -3, 0), kExit}, 1, "jump out of range to -1"},
    {"jump_into_lddw", {I(BPF_JMP | BPF_JA, 0, 0, 1), I(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1), I(0), kExit}, 0,
     "jump into the middle of lddw at 1"},
    {"ja32_out_of_range", {I(BPF_JMP32 | BPF_JA, 0, 0, 0, 100), kExit}, 0, "jump out of range to 101"},
    {"ja32_with_offset", {I(BPF_JMP32 | BPF_JA, 0, 0, 1, 0), kExit}, 0, "reserved field 'off' is not zero"},
    {"local_call_out_of_range", {I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, -5), kExit}, 0, "call to invalid destination -4"},
    {"call_bad_kind", {I(BPF_JMP | BPF_CALL, 0, 3, 0, 1), kExit}, 0, "invalid call kind src=3"},
    {"falls_off_end", {kMovR0}, 0, "last insn is not an exit or jmp"},
    {"falls_off_after_branch", {kMovR0, I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, -2, 0)}, 1, "last insn is not an exit or jmp"},
    {"packet_load_dw", {I(BPF_LD | BPF_ABS | BPF_DW, 0, 0, 0, 0), kExit}, 0, "unknown opcode 38"},
    {"st_with_src", {I(BPF_ST | BPF_MEM | BPF_W, 10, 1, -4, 0), kMovR0, kExit}, 0, "reserved field 'src' is not zero"},
};

// Test names and failure messages show the case name, not its bytes.
void PrintTo(const Bad& c, std::ostream* os) { *os << c.name; }

class Rejects : public ::testing::TestWithParam<Bad> {};

TEST_P(Rejects, WithInstructionAndReason) {
  const Bad& b = GetParam();
  const auto r = validate(b.program);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_program);
  ASSERT_TRUE(r.error().insn.has_value());
  EXPECT_EQ(*r.error().insn, b.insn) << r.error().to_string();
  EXPECT_NE(r.error().message.find(b.message), std::string::npos) << r.error().to_string();
}

INSTANTIATE_TEST_SUITE_P(Isa, Rejects, ::testing::ValuesIn(kBad), [](const auto& info) { return std::string(info.param.name); });

TEST(Validate, EmptyProgramIsRejected) {
  const auto r = validate(std::vector<Insn>{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "program is empty");
}

TEST(Validate, CallxCanBeDisallowed) {
  const std::vector<Insn> p{I(BPF_JMP | BPF_CALL | BPF_X, 2), kExit};
  EXPECT_TRUE(validate(p).ok());
  ValidateOptions options;
  options.allow_callx = false;
  const auto r = validate(p, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unknown opcode 8d");  // as the kernel, which has no callx, says
}

TEST(Validate, AcceptsEveryLddwPseudoFormAndJumpOverLddw) {
  std::vector<Insn> p{I(BPF_JMP | BPF_JA, 0, 0, 2)};
  for (const Insn& in : make_lddw(1, 0x1122334455667788ULL, BPF_PSEUDO_MAP_IDX_VALUE)) p.push_back(in);
  p.push_back(kMovR0);
  p.push_back(kExit);
  EXPECT_TRUE(validate(p).ok()) << validate(p).error().to_string();
  EXPECT_EQ(lddw_imm(p[1], p[2]), 0x1122334455667788ULL);
}

TEST(Validate, EndingInBackwardJumpIsFine) {
  const std::vector<Insn> p{kMovR0, kExit, I(BPF_JMP | BPF_JA, 0, 0, -2)};
  EXPECT_TRUE(validate(p).ok());
}

TEST(Decode, RejectsTruncatedBytes) {
  const std::vector<std::uint8_t> bytes{0x95, 0, 0, 0, 0, 0, 0};
  const auto r = decode(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "program size 7 bytes is not a multiple of 8");
}

TEST(Decode, RoundTripsBytes) {
  const std::vector<std::uint8_t> bytes{0x1d, 0x21, 0xff, 0xff, 0, 0, 0, 0,     // if r1 == r2 goto -1
                                        0xb7, 0x00, 0, 0, 0xd6, 0xff, 0xff, 0xff,  // r0 = -42
                                        0x95, 0, 0, 0, 0, 0, 0, 0};
  const auto r = decode(bytes);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].opcode, 0x1d);
  EXPECT_EQ((*r)[0].dst, 1);
  EXPECT_EQ((*r)[0].src, 2);
  EXPECT_EQ((*r)[0].off, -1);
  EXPECT_EQ((*r)[1].imm, -42);
  EXPECT_EQ(encode(*r), bytes);
}

}  // namespace
}  // namespace ubee
