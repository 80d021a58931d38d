// Random input never crashes or hangs ubee: random bytes through the decoder and the interpreter, random
// well-formed programs through the checked interpreter (under ASan in the sanitizer build, so any access the
// checks miss is a failure), random text through the assembler.
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "program_generator.hpp"
#include "test_util.hpp"

namespace ubee::test {
namespace {



HelperRegistry fuzz_helpers() {
  HelperRegistry helpers;
  for (std::uint32_t id = 1; id <= 8; ++id) (void)helpers.add(id, HelperProto{"echo", echo_helper, RetType::integer, {}});
  return helpers;
}

// The outcome of one checked run: a value or an error that names an instruction inside the program.
void run_checked(const Program& program, const HelperRegistry& helpers, std::mt19937_64& rng) {
  auto vm = Interpreter::load(program, helpers);
  if (!vm) return;
  std::vector<std::uint8_t> memory(rng() % 128);
  for (auto& b : memory) b = static_cast<std::uint8_t>(rng());
  RunOptions options;
  options.insn_limit = 20000;
  const auto r = vm->run(memory.empty() ? nullptr : memory.data(), memory.size(), options);
  if (!r) {
    ASSERT_TRUE(r.error().insn.has_value()) << r.error().to_string();
    ASSERT_LT(*r.error().insn, program.size());
  }
}

TEST(Fuzz, RandomBytesThroughDecoderAndInterpreter) {
  std::mt19937_64 rng(1);
  const HelperRegistry helpers = fuzz_helpers();
  const int n = iterations(500);
  int decoded = 0;
  for (int i = 0; i < n; ++i) {
    std::vector<std::uint8_t> bytes(rng() % 200);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    auto program = decode(bytes);
    if (!program) {
      ASSERT_FALSE(program.error().message.empty());
      continue;
    }
    ++decoded;
    run_checked(*program, helpers, rng);
    (void)disassemble(*program);
  }
  RecordProperty("decoded", decoded);
}

TEST(Fuzz, GeneratedProgramsRunCheckedWithoutFaults) {
  std::mt19937_64 rng(2);
  const HelperRegistry helpers = fuzz_helpers();
  const int n = iterations(500) * 4;
  int valid = 0;
  for (int i = 0; i < n; ++i) {
    const std::size_t size = 2 + rng() % 40;
    Program program;
    while (program.size() + 1 < size) append_random_insn(program, rng, size);
    program.push_back(Insn{BPF_JMP | BPF_EXIT, 0, 0, 0, 0});
    if (!validate(program)) continue;
    ++valid;
    run_checked(program, helpers, rng);
    const auto text = disassemble(program);
    auto again = assemble(text);
    ASSERT_TRUE(again.ok()) << again.error().to_string() << "\n" << text;
    ASSERT_EQ(*again, program) << text;
  }
  EXPECT_GT(valid, n / 4) << "the generator should produce a fair share of valid programs";
}

TEST(Fuzz, RandomTextThroughAssembler) {
  std::mt19937_64 rng(3);
  static const std::string kAlphabet = "r0123456789w=+-*/%<>&|^s()[]:;#, \n\tabcdefgiklmnopuxzl";
  const int n = iterations(500);
  for (int i = 0; i < n; ++i) {
    std::string text(rng() % 120, ' ');
    for (char& c : text) c = kAlphabet[rng() % kAlphabet.size()];
    auto r = assemble(text);
    if (!r) {
      ASSERT_TRUE(r.error().line.has_value()) << r.error().to_string();
      ASSERT_EQ(r.error().code, Errc::parse_error);
    }
  }
}

}  // namespace
}  // namespace ubee::test
