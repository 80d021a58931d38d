// The catalogue against the running kernel's verifier: every unsafe entry must be refused by BPF_PROG_LOAD and
// every safe one loaded, so that the catalogue's verdicts are the kernel's and not only ubee's. Only the
// verdicts are compared (the kernel's wording changes between versions; the catalogue test checks ubee's).
// Skipped where bpf(2) is refused (not root, seccomp, lockdown).
#include <gtest/gtest.h>

#include <iostream>

#include "verifier/kernel_load.hpp"

namespace ubee::test {
namespace {

using catalogue::Entry;

const std::vector<Entry>& entries() { return catalogue::default_entries(); }

class KernelCatalogue : public testing::TestWithParam<std::size_t> {};

TEST_P(KernelCatalogue, KernelAgrees) {
  ASSERT_EQ(catalogue::load_error(), "");
  static const bool available = catalogue::kernel_bpf_available();
  if (!available) GTEST_SKIP() << "bpf(2) refuses to load programs here";
  const Entry& e = entries()[GetParam()];
  const auto program = catalogue::program_of(e);
  ASSERT_TRUE(program.ok()) << e.where << ": " << program.error().to_string();
  int map_error = 0;
  const auto verdict = catalogue::kernel_verdict(e, *program, &map_error);
  ASSERT_TRUE(verdict.has_value()) << e.name << ": the kernel refused a map, errno " << map_error;
  ASSERT_NE(verdict->log, "could not drop capabilities") << e.name;
  EXPECT_EQ(verdict->loaded, e.safe) << e.name << " (" << e.where << "): the kernel "
                                     << (verdict->loaded ? "loaded it" : "refused it") << ", errno "
                                     << verdict->error;
}

std::string entry_name(const testing::TestParamInfo<std::size_t>& info) {
  std::string name = entries()[info.param].name;
  for (char& c : name)
    if (c == '/') c = '_';
  return (entries()[info.param].safe ? "safe_" : "unsafe_") + name;
}

INSTANTIATE_TEST_SUITE_P(Entries, KernelCatalogue, testing::Range<std::size_t>(0, entries().size()), entry_name);

}  // namespace
}  // namespace ubee::test
