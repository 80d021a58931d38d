// Checked mode: an unverified program can only touch its stack, its input and what helpers hand it; anything
// else stops the run with an error naming the instruction. Also helpers and local-call limits.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace ubee::test {
namespace {

void expect_error(const Result<std::uint64_t>& r, Errc code, std::size_t insn, const std::string& fragment) {
  ASSERT_FALSE(r.ok()) << "expected an error, got r0 = " << *r;
  EXPECT_EQ(r.error().code, code) << r.error().to_string();
  ASSERT_TRUE(r.error().insn.has_value()) << r.error().to_string();
  EXPECT_EQ(*r.error().insn, insn) << r.error().to_string();
  EXPECT_NE(r.error().to_string().find(fragment), std::string::npos) << r.error().to_string();
}

TEST(Checked, ReadPastInputIsCaught) {
  expect_error(run_asm("r0 = *(u32 *)(r1 + 2)\nexit", {1, 2, 3, 4}), Errc::memory_fault, 0,
               "insn 0: out-of-bounds read of 4 bytes");
}

TEST(Checked, WriteBeforeInputIsCaught) {
  expect_error(run_asm("r0 = 0\n*(u8 *)(r1 - 1) = 1\nexit", {1, 2}), Errc::memory_fault, 1, "out-of-bounds write");
}

TEST(Checked, NullPointerIsCaught) {
  expect_error(run_asm("r1 = 0\nr0 = *(u64 *)(r1 + 0)\nexit"), Errc::memory_fault, 1, "out-of-bounds read");
}

TEST(Checked, NoInputMeansNoMemory) {
  expect_error(run_asm("r0 = *(u8 *)(r1 + 0)\nexit"), Errc::memory_fault, 0, "(r0 = *(u8 *)(r1 + 0))");
}

TEST(Checked, StackAboveFrameIsCaught) {
  expect_error(run_asm("r0 = *(u64 *)(r10 + 0)\nexit"), Errc::memory_fault, 0, "out-of-bounds read of 8 bytes");
}

TEST(Checked, StackBelowFrameIsCaught) {
  expect_error(run_asm("r0 = 0\n*(u64 *)(r10 - 520) = r0\nexit"), Errc::memory_fault, 1, "out-of-bounds write");
}

TEST(Checked, WholeFrameIsUsable) {
  const auto r = run_asm("*(u64 *)(r10 - 512) = 3\nr0 = *(u64 *)(r10 - 512)\nexit");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 3u);
}

TEST(Checked, CalleeCannotReachBelowItsFrame) {
  expect_error(run_asm("call f\nexit\nf:\nr0 = *(u64 *)(r10 - 513)\nexit"), Errc::memory_fault, 2, "out-of-bounds");
}

TEST(Checked, MisalignedAtomicIsCaught) {
  expect_error(run_asm("r1 = 1\nlock *(u64 *)(r10 - 12) += r1\nr0 = 0\nexit"), Errc::memory_fault, 1, "misaligned");
}

TEST(Checked, AtomicOnInputIsChecked) {
  expect_error(run_asm("w2 = 1\nlock *(u32 *)(r1 + 4) += w2\nr0 = 0\nexit", {0, 0, 0, 0}), Errc::memory_fault, 1,
               "out-of-bounds write");
}

TEST(Checked, InfiniteLoopMeetsBudget) {
  const Program program = asm_or_die("r0 = 0\nloop:\nr0 += 1\ngoto loop\nexit");
  const HelperRegistry helpers;
  auto vm = Interpreter::load(program, helpers);
  ASSERT_TRUE(vm.ok());
  RunOptions options;
  options.insn_limit = 1000;
  const auto r = vm->run(nullptr, 0, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("instruction limit of 1000"), std::string::npos) << r.error().to_string();
}

TEST(Checked, ExtraRegionsAreUsableAndReadOnlyIsEnforced) {
  const Program program = asm_or_die("r0 = *(u64 *)(r1 + 0)\n*(u64 *)(r1 + 0) = 1\nexit");
  const HelperRegistry helpers;
  auto vm = Interpreter::load(program, helpers);
  ASSERT_TRUE(vm.ok());
  std::uint64_t word = 0x55;
  // The input itself is not given as memory: the region list alone decides.
  const MemoryRegion ro{reinterpret_cast<std::uintptr_t>(&word), sizeof word, false};
  RunOptions options;
  options.extra_regions = std::span<const MemoryRegion>(&ro, 1);
  // r1 points at `word` with length 0, so only the read-only region covers it.
  const auto r = vm->run(&word, 0, options);
  expect_error(r, Errc::memory_fault, 1, "out-of-bounds write of 8 bytes");
  EXPECT_EQ(word, 0x55u);
}

std::uint64_t return_buffer(std::uint64_t size, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                            RunContext& context) {
  auto* buffer = static_cast<std::vector<std::uint8_t>*>(context.user_data());
  buffer->assign(size, 0x5a);
  context.allow_region(buffer->data(), buffer->size(), true);
  return reinterpret_cast<std::uint64_t>(buffer->data());
}

HelperRegistry buffer_helpers() {
  HelperRegistry helpers;
  EXPECT_TRUE(helpers.add(1000, HelperProto{"test_buffer", return_buffer, RetType::ptr_to_mem_or_null,
                                            {ArgType::const_size}}).ok());
  return helpers;
}

TEST(Helpers, MemoryFromHelperIsUsableWithinItsSize) {
  const HelperRegistry helpers = buffer_helpers();
  auto vm = Interpreter::load(asm_or_die("r1 = 16\ncall 1000\nr0 = *(u8 *)(r0 + 15)\nexit"), helpers);
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  std::vector<std::uint8_t> buffer;
  RunOptions options;
  options.user_data = &buffer;
  const auto r = vm->run(nullptr, 0, options);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 0x5au);

  auto past = Interpreter::load(asm_or_die("r1 = 16\ncall 1000\nr0 = *(u8 *)(r0 + 16)\nexit"), helpers);
  ASSERT_TRUE(past.ok());
  expect_error(past->run(nullptr, 0, options), Errc::memory_fault, 2, "out-of-bounds read of 1 bytes");
}

std::uint64_t sum5(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d, std::uint64_t e,
                   RunContext&) {
  return a + 10 * b + 100 * c + 1000 * d + 10000 * e;
}

TEST(Helpers, ReceiveFiveArgumentsAndReturnInR0) {
  HelperRegistry helpers;
  ASSERT_TRUE(helpers.add(7, HelperProto{"sum5", sum5, RetType::integer, {}}).ok());
  const auto r = run_asm("r1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr5 = 5\ncall 7\nexit", {}, ExecMode::checked, helpers);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 54321u);
}

TEST(Helpers, CallxFindsHelperByRegister) {
  HelperRegistry helpers;
  ASSERT_TRUE(helpers.add(7, HelperProto{"sum5", sum5, RetType::integer, {}}).ok());
  const auto r = run_asm("r1 = 1\nr2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\nr6 = 7\ncallx r6\nexit", {}, ExecMode::checked,
                         helpers);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 1u);
  expect_error(run_asm("r6 = 8\ncallx r6\nexit", {}, ExecMode::checked, helpers), Errc::unknown_helper, 1,
               "callx to unknown helper id 8");
}

TEST(Helpers, UnknownHelperFailsAtLoad) {
  const HelperRegistry helpers;
  auto vm = Interpreter::load(asm_or_die("call 12\nexit"), helpers);
  ASSERT_FALSE(vm.ok());
  EXPECT_EQ(vm.error().code, Errc::unknown_helper);
  EXPECT_EQ(vm.error().to_string(), "insn 0: unknown helper id 12");
}

TEST(Helpers, DuplicateIdIsRefused) {
  HelperRegistry helpers;
  ASSERT_TRUE(helpers.add(7, HelperProto{"sum5", sum5, RetType::integer, {}}).ok());
  const auto again = helpers.add(7, HelperProto{"other", sum5, RetType::integer, {}});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already registered as 'sum5'"), std::string::npos);
  EXPECT_FALSE(helpers.add(8, HelperProto{"null", nullptr, RetType::integer, {}}).ok());
}

TEST(Calls, NinthFrameIsRefused) {
  // Eight frames (main + 7) is the limit: recursing from r1 = 7 needs nine.
  const char* text = "r1 = 7\ncall f\nexit\nf:\nr0 = 1\nif r1 == 0 goto +4\nr6 = r1\nr1 -= 1\ncall f\nr0 += r6\nexit";
  for (ExecMode mode : {ExecMode::checked, ExecMode::unchecked})
    expect_error(run_asm(text, {}, mode), Errc::call_depth, 7, "call depth exceeds 8 frames");
}

TEST(Calls, PseudoLddwNeedsTheLoader) {
  Program program = make_lddw(1, 3, BPF_PSEUDO_MAP_FD);
  program.push_back(asm_or_die("r0 = 0\nexit")[0]);
  program.push_back(asm_or_die("exit")[0]);
  const HelperRegistry helpers;
  auto vm = Interpreter::load(program, helpers);
  ASSERT_FALSE(vm.ok());
  EXPECT_EQ(*vm.error().insn, 0u);
  EXPECT_NE(vm.error().message.find("resolved by the loader"), std::string::npos);
}

TEST(Concurrency, RunsShareNoState) {
  const HelperRegistry helpers;
  auto vm = Interpreter::load(asm_or_die("r0 = *(u64 *)(r1 + 0)\n*(u64 *)(r10 - 8) = r0\nr0 = *(u64 *)(r10 - 8)\n"
                                         "r0 *= 2\nexit"),
                              helpers);
  ASSERT_TRUE(vm.ok());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::uint64_t i = 0; i < 20000; ++i) {
        std::uint64_t in = i * 4 + static_cast<std::uint64_t>(t);
        auto r = vm->run(&in, sizeof in);
        if (!r.ok() || *r != in * 2) ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace ubee::test
