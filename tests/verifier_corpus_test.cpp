// The verifier over the project's corpus of valid C programs (tests/bpf built by clang for -mcpu=v3 and clang-19
// for -mcpu=v4, and examples/bpf): the kernel accepts every one of them, so must ubee's verifier, every
// program of every object, with the object's maps and BTF as the loader gives them.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ubee/elf.hpp"
#include "ubee/linux_helpers.hpp"
#include "ubee/verifier.hpp"

namespace ubee::test {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> corpus_objects() {
  const fs::path tests = fs::path(UBEE_BPF_OBJECT_DIR);
  std::vector<fs::path> objects;
  for (const fs::path& dir : {tests / "v3", tests / "v4", tests.parent_path().parent_path() / "examples" / "bpf"}) {
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().extension() == ".o") objects.push_back(entry.path());
  }
  return objects;
}

TEST(VerifierCorpus, AcceptsEveryProgram) {
  const std::vector<fs::path> objects = corpus_objects();
  if (objects.empty()) GTEST_SKIP() << "no corpus objects under " << UBEE_BPF_OBJECT_DIR;
  HelperRegistry helpers;
  add_linux_helpers(helpers);
  std::size_t programs = 0;
  for (const fs::path& path : objects) {
    auto object = parse_object_file(path.string());
    ASSERT_TRUE(object.ok()) << object.error().to_string();
    for (const ProgramSpec& program : object->programs) {
      VerifierOptions options;
      options.type = program.type;
      options.expected_attach_type = program.expected_attach_type;
      options.maps = object->maps;
      options.helpers = &helpers;
      options.btf = object->btf.get();
      const auto result = verify(program.insns, options);
      ++programs;
      ASSERT_TRUE(result.ok()) << path << " " << program.name << ": " << result.error().to_string();
      EXPECT_GT(result->insns_processed, 0u) << path << " " << program.name;
    }
  }
  // 56 programs per build of tests/bpf: a corpus that silently shrank would prove nothing.
  EXPECT_GE(programs, 56u);
}

}  // namespace
}  // namespace ubee::test
