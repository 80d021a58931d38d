// Objects on the JIT: which engine ObjectOptions pick, verification on load, and the refusal to JIT programs
// nobody vouched for. (The corpus test runs every corpus program on both engines.)
#include <gtest/gtest.h>

#include <filesystem>

#include "ubee/object.hpp"

namespace ubee::test {
namespace {

namespace fs = std::filesystem;

std::string corpus_object(const std::string& name) {
  return (fs::path(UBEE_BPF_OBJECT_DIR) / "v3" / (name + ".o")).string();
}

#define SKIP_WITHOUT(path) \
  if (!fs::exists(path)) GTEST_SKIP() << (path) << " was not built"

TEST(JitObject, DefaultVerifiesAndRunsOnTheJit) {
  const std::string path = corpus_object("syscall_setup");
  SKIP_WITHOUT(path);
  auto object = Object::open(path);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  for (const auto& p : (*object)->programs()) {
    EXPECT_NE(p->jit(), nullptr) << p->name();
    EXPECT_EQ(p->interpreter(), nullptr) << p->name();
  }
}

TEST(JitObject, UnverifiedProgramsRunOnTheCheckedInterpreter) {
  const std::string path = corpus_object("syscall_setup");
  SKIP_WITHOUT(path);
  auto object = Object::open(path, ObjectOptions::unverified_checked_interpreter());
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  for (const auto& p : (*object)->programs()) {
    ASSERT_NE(p->interpreter(), nullptr);
    EXPECT_EQ(p->jit(), nullptr);
    EXPECT_EQ(p->interpreter()->mode(), ExecMode::checked);
  }
}

TEST(JitObject, TheJitRefusesUncheckedPrograms) {
  const std::string path = corpus_object("syscall_setup");
  SKIP_WITHOUT(path);
  ObjectOptions options;
  options.verify = false;
  options.engine = ObjectEngine::jit;
  auto object = Object::open(path, options);
  ASSERT_FALSE(object.ok());
  EXPECT_EQ(object.error().code, Errc::unsupported);
  EXPECT_NE(object.error().message.find("verified"), std::string::npos) << object.error().message;
}

TEST(JitObject, TrustedProgramsRunOnTheJit) {
  const std::string path = corpus_object("syscall_setup");
  SKIP_WITHOUT(path);
  ObjectOptions options;
  options.verify = false;
  options.engine = ObjectEngine::jit;
  options.mode = ExecMode::unchecked;
  auto object = Object::open(path, options);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  const ObjectProgram* setup = (*object)->find_program("setup");
  ASSERT_NE(setup, nullptr);
  ASSERT_NE(setup->jit(), nullptr);
  EXPECT_EQ(setup->interpreter(), nullptr);
  auto first = setup->test_run({});
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->retval, 3U);  // three ports added
  EXPECT_EQ(setup->test_run({})->retval, 0U);
}

// With verify, programs the verifier accepts run unchecked: on the JIT unless the interpreter is asked for.
TEST(JitObject, VerifiedProgramsGoToTheJit) {
  const std::string path = corpus_object("syscall_setup");
  SKIP_WITHOUT(path);
  ObjectOptions options;
  options.verify = true;
  auto object = Object::open(path, options);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  for (const auto& p : (*object)->programs()) EXPECT_NE(p->jit(), nullptr) << p->name();
  EXPECT_EQ((*object)->find_program("setup")->test_run({})->retval, 3U);

  options.engine = ObjectEngine::interpreter;
  auto interpreted = Object::open(path, options);
  ASSERT_TRUE(interpreted.ok()) << interpreted.error().to_string();
  for (const auto& p : (*interpreted)->programs()) {
    ASSERT_NE(p->interpreter(), nullptr);
    EXPECT_EQ(p->interpreter()->mode(), ExecMode::unchecked);
  }
}

// A program the verifier rejects fails the open, with the verifier's message naming the program.
TEST(JitObject, ARejectionFailsTheOpen) {
  // A uprobe program of the trace tests that reads past its struct pt_regs.
  const std::string path = (fs::path(UBEE_BPF_OBJECT_DIR) / ".." / "trace" / "bpf" / "rejected.o").string();
  SKIP_WITHOUT(path);
  auto object = Object::open(path);
  ASSERT_FALSE(object.ok());
  EXPECT_NE(object.error().message.find("verifier: insn 0: invalid bpf_context access off=400"), std::string::npos)
      << object.error().message;
  EXPECT_NE(object.error().message.find("program '"), std::string::npos) << object.error().message;
}

}  // namespace
}  // namespace ubee::test
