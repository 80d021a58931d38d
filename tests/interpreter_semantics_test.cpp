// Every opcode class and every corner case RFC 9669 defines, run in both execution modes.
#include <cstdint>
#include <string>
#include <vector>

#include "semantics_cases.hpp"
#include "test_util.hpp"

namespace ubee {
void PrintTo(ExecMode mode, std::ostream* os) { *os << (mode == ExecMode::checked ? "checked" : "unchecked"); }
}  // namespace ubee

namespace ubee::test {
namespace {

class Semantics : public ::testing::TestWithParam<std::tuple<SemanticsCase, ExecMode>> {};

TEST_P(Semantics, ReturnsExpectedR0) {
  const auto& [c, mode] = GetParam();
  const auto r0 = run_asm(std::string(c.text) + "\nexit\n", c.memory, mode);
  ASSERT_TRUE(r0.ok()) << r0.error().to_string();
  EXPECT_EQ(*r0, c.r0) << std::hex << "got 0x" << *r0 << " expected 0x" << c.r0;
}

INSTANTIATE_TEST_SUITE_P(Isa, Semantics,
                         ::testing::Combine(::testing::ValuesIn(kSemanticsCases),
                                            ::testing::Values(ExecMode::checked, ExecMode::unchecked)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) +
                                  (std::get<1>(info.param) == ExecMode::checked ? "_checked" : "_unchecked");
                         });

}  // namespace
}  // namespace ubee::test
