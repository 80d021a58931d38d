// The kernel-style log (VerifierOptions::log): the rejected path instruction by instruction with the registers
// each leaves, the branch it took, then the error; with `verbose`, every path.
#include <string>

#include "verifier_cases.hpp"

namespace ubee::test {
namespace {

constexpr const char* kRejected =
    "r2 = *(u32 *)(r1 + 12)\n if r2 > 5 goto +2\n r0 = 0\n exit\n r0 = *(u64 *)(r2 + 0)\n exit\n";

std::string log_of(const char* text, bool verbose) {
  std::string log;
  VerifierOptions options;
  options.log = &log;
  options.verbose = verbose;
  (void)verify_text(text, BPF_PROG_TYPE_XDP, options);
  return log;
}

TEST(VerifierLog, RejectedPathWithRegisters) {
  const std::string log = log_of(kRejected, false);
  EXPECT_NE(log.find("0: (61) r2 = *(u32 *)(r1 + 12) ; R1=ctx() R2=scalar(smin=0,smax=4294967295,umax=4294967295,"
                     "var_off=(0x0; 0xffffffff)) R10=fp0\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("1: (25) if r2 > 5 goto +2"), std::string::npos) << log;
  EXPECT_NE(log.find("from 1 to 4: R1=ctx() R2=scalar(smin=6,smax=4294967295,umin=6,umax=4294967295"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("R2 invalid mem access 'scalar'\nprocessed 5 insns\n"), std::string::npos) << log;
  EXPECT_EQ(log.find("3: (95) exit"), std::string::npos) << "the accepted path is not the rejected one:\n" << log;
}

TEST(VerifierLog, VerboseLogsEveryPath) {
  const std::string log = log_of(kRejected, true);
  EXPECT_NE(log.find("3: (95) exit"), std::string::npos) << log;
  EXPECT_NE(log.find("R2 invalid mem access 'scalar'"), std::string::npos) << log;
}

TEST(VerifierLog, AcceptedProgramSummary) {
  const std::string log = log_of("r0 = 0\n exit\n", false);
  EXPECT_EQ(log, "processed 2 insns, total_states 0, peak_states 0\n");
}

}  // namespace
}  // namespace ubee::test
