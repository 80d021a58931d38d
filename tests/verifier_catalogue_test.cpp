// The verifier catalogue (tests/verifier/): every unsafe entry must be rejected with the kernel's reason in
// the message and naming an instruction, every safe entry accepted. Entries marked `pending` (a verifier
// feature not there yet) or `bug` (a known verifier bug, listed in the report) are skipped with their mark
// while ubee still gets them wrong; once ubee gets one right the test says so, so that marks do not go stale.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <string>

#include "ubee/linux_helpers.hpp"
#include "ubee/verifier.hpp"
#include "verifier/catalogue.hpp"

namespace ubee::test {
namespace {

using catalogue::Entry;

const std::vector<Entry>& entries() { return catalogue::default_entries(); }

const HelperRegistry& linux_helpers() {
  static const HelperRegistry registry = [] {
    HelperRegistry r;
    add_linux_helpers(r);
    return r;
  }();
  return registry;
}

Result<VerifierStats> verify_entry(const Entry& e, const Program& program) {
  const catalogue::EntryBtf types = catalogue::entry_btf(e);  // where spin locks are
  VerifierOptions options;
  options.type = e.type;
  options.maps = types.maps;
  options.helpers = &linux_helpers();
  options.privileged = e.privileged.value_or(true);
  options.btf = types.types.get();
  return verify(program, options);
}

// Empty when ubee's verdict is the catalogue's; otherwise what went wrong.
std::string mismatch(const Entry& e, const Result<VerifierStats>& result) {
  if (e.safe) return result.ok() ? "" : "rejected: " + result.error().to_string();
  if (result.ok()) return "accepted, expected: " + *e.reject;
  if (result.error().message.find(*e.reject) == std::string::npos)
    return "wrong reason: " + result.error().to_string() + "\n  expected: " + *e.reject;
  if (!result.error().insn) return "the rejection names no instruction: " + result.error().to_string();
  return "";
}

class Catalogue : public testing::TestWithParam<std::size_t> {};

TEST_P(Catalogue, VerdictAndReason) {
  const Entry& e = entries()[GetParam()];
  const auto program = catalogue::program_of(e);
  ASSERT_TRUE(program.ok()) << e.where << ": " << program.error().to_string();
  const std::string wrong = mismatch(e, verify_entry(e, *program));
  const std::string mark = !e.pending.empty() ? "pending: " + e.pending : !e.bug.empty() ? "bug: " + e.bug : "";
  if (!mark.empty() && !wrong.empty()) GTEST_SKIP() << e.name << " (" << e.where << ") " << mark << "\n  " << wrong;
  // A marked entry ubee now gets right passes, with a note to drop the mark.
  if (!mark.empty()) std::cout << "  " << e.name << " now passes: remove its mark (" << mark << ")\n";
  EXPECT_EQ(wrong, "") << e.name << " (" << e.where << ")\n" << disassemble(*program, {true});
}

std::string entry_name(const testing::TestParamInfo<std::size_t>& info) {
  std::string name = entries()[info.param].name;
  for (char& c : name)
    if (c == '/') c = '_';
  return (entries()[info.param].safe ? "safe_" : "unsafe_") + name;
}

INSTANTIATE_TEST_SUITE_P(Entries, Catalogue, testing::Range<std::size_t>(0, entries().size()), entry_name);

// The catalogue's size and coverage: at least 200 unsafe programs over every class of the issue, plus safe ones.
TEST(CatalogueShape, SizeAndClasses) {
  ASSERT_EQ(catalogue::load_error(), "");
  std::map<std::string, int> unsafe_per_class;
  int safe = 0;
  for (const Entry& e : entries()) e.safe ? void(++safe) : void(++unsafe_per_class[e.cls]);
  int unsafe = 0;
  for (const auto& [cls, n] : unsafe_per_class) {
    std::cout << "  " << cls << ": " << n << "\n";
    unsafe += n;
  }
  std::cout << "catalogue: " << unsafe << " unsafe, " << safe << " safe\n";
  EXPECT_GE(unsafe, 200);
  EXPECT_GE(safe, 20);
  for (const char* cls : {"registers", "stack", "map_value", "null_check", "packet", "context", "pointer_leak",
                          "pointer_arith", "helper_args", "loops", "references", "control_flow", "return_values",
                          "calls", "atomics", "spin_lock", "tail_calls"})
    EXPECT_GE(unsafe_per_class[cls], 8) << cls;
}

}  // namespace
}  // namespace ubee::test
