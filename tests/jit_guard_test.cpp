// The guard after the JIT's code: the rest of the code pages is int3, and no code path runs into it.
#include <gtest/gtest.h>
#include <unistd.h>

#include "test_util.hpp"
#include "ubee/jit.hpp"

namespace ubee::test {
namespace {

void expect_guarded(const JitProgram& jit) {
  const auto code = jit.code();
  const auto pages = jit.code_pages();
  ASSERT_EQ(pages.data(), code.data());
  ASSERT_GT(pages.size(), code.size()) << "no int3 after the code";
  EXPECT_EQ(pages.size() % static_cast<std::size_t>(sysconf(_SC_PAGESIZE)), 0U);
  for (std::size_t i = code.size(); i < pages.size(); ++i) ASSERT_EQ(pages[i], 0xCC) << "byte " << i;
  // The code itself ends in a transfer of control: ret, jmp rel8 or jmp rel32 (the last error exit).
  const std::size_t n = code.size();
  const bool ends_in_jump = code[n - 1] == 0xC3 || (n >= 2 && code[n - 2] == 0xEB) || (n >= 5 && code[n - 5] == 0xE9);
  EXPECT_TRUE(ends_in_jump) << "last bytes " << std::hex << int(code[n - 1]);
  EXPECT_LE(jit.tail_offset(), n);
}

TEST(JitGuard, PagesAfterTheCodeAreInt3) {
  const HelperRegistry helpers;
  for (bool harden : {false, true}) {
    // Ends in exit; ends in a backward jump; has a local call (its depth error exit comes last).
    for (const char* text : {"r0 = 7\nexit", "r0 = 1\ngoto +1\nexit\ngoto -2",
                             "call sub\nexit\nsub:\nr0 = 3\nexit"}) {
      JitOptions options;
      options.harden = harden;
      auto jit = JitProgram::compile(asm_or_die(text), helpers, options);
      ASSERT_TRUE(jit.ok()) << jit.error().to_string();
      expect_guarded(*jit);
      auto r0 = jit->run(nullptr, 0);
      ASSERT_TRUE(r0.ok()) << r0.error().to_string();
      EXPECT_NE(*r0, 0U) << text;
    }
  }
}

// A program whose last instruction could fall through never reaches the emitter.
TEST(JitGuard, FallingOffTheProgramIsRefused) {
  const HelperRegistry helpers;
  auto jit = JitProgram::compile(asm_or_die("r0 = 1\nif r0 == 0 goto -2"), helpers);
  ASSERT_FALSE(jit.ok());
  EXPECT_NE(jit.error().message.find("last insn is not an exit or jmp"), std::string::npos) << jit.error().to_string();
}

}  // namespace
}  // namespace ubee::test
