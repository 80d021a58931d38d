// Embedding hooks: programs of every engine attached to an application's hook point run on its context, in
// attach order; detach stops them; attach and detach while other threads fire never lose or tear a run.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "test_util.hpp"
#include "ubee/hook.hpp"
#include "ubee/jit.hpp"
#include "ubee/object.hpp"

namespace ubee::test {
namespace {

struct Request {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::uint64_t visits = 0;  // each program adds 1
  std::uint64_t size_seen = 0;
};

// r0 = a + b * factor; visits += 1; size_seen = r2.
std::string program_text(int factor) {
  return "r0 = *(u64 *)(r1 + 8)\nr0 *= " + std::to_string(factor) +
         "\nr3 = *(u64 *)(r1 + 0)\nr0 += r3\nr3 = *(u64 *)(r1 + 16)\nr3 += 1\n*(u64 *)(r1 + 16) = r3\n"
         "*(u64 *)(r1 + 24) = r2\nexit";
}

JitProgram jit_of(const std::string& text, const HelperRegistry& helpers) {
  auto jit = JitProgram::compile(asm_or_die(text), helpers);
  EXPECT_TRUE(jit.ok()) << jit.error().to_string();
  return std::move(*jit);
}

TEST(Hook, NothingAttachedRunsNothing) {
  HookPoint<Request> hook{"on_request"};
  Request r{1, 2};
  const HookOutcome out = hook.fire(&r);
  EXPECT_EQ(out.ran, 0U);
  EXPECT_EQ(out.last, 0U);
  EXPECT_EQ(out.failed, 0U);
  EXPECT_EQ(r.visits, 0U);
  EXPECT_EQ(hook.attached(), 0U);
  EXPECT_EQ(hook.name(), "on_request");
}

TEST(Hook, ProgramsOfBothEnginesRunInAttachOrder) {
  const HelperRegistry helpers;
  const JitProgram jit = jit_of(program_text(10), helpers);
  auto vm = Interpreter::load(asm_or_die(program_text(100)), helpers);
  ASSERT_TRUE(vm.ok());
  HookPoint<Request> hook{"on_request"};
  const HookId first = hook.attach(jit);
  const HookId second = hook.attach(*vm);
  EXPECT_NE(first, second);
  EXPECT_EQ(hook.attached(), 2U);

  Request r{3, 4};
  std::vector<std::uint64_t> results;
  EXPECT_EQ(hook.fire_each(&r, [&](const Result<std::uint64_t>& r0) { results.push_back(r0.ok() ? *r0 : 0); }), 2U);
  EXPECT_EQ(results, (std::vector<std::uint64_t>{43, 403}));
  EXPECT_EQ(r.visits, 2U);
  EXPECT_EQ(r.size_seen, sizeof(Request));

  const HookOutcome out = hook.fire(&r);
  EXPECT_EQ(out.ran, 2U);
  EXPECT_EQ(out.last, 403U);  // the last program's r0
  EXPECT_EQ(r.visits, 4U);

  EXPECT_TRUE(hook.detach(second));
  EXPECT_FALSE(hook.detach(second));
  EXPECT_EQ(hook.fire(&r).last, 43U);
  EXPECT_TRUE(hook.detach(first));
  EXPECT_EQ(hook.fire(&r).ran, 0U);
  EXPECT_EQ(r.visits, 5U);
}

TEST(Hook, AnErrorIsReportedAndLaterProgramsStillRun) {
  HelperRegistry helpers;
  ASSERT_TRUE(helpers.add(3, HelperProto{"abort", abort_helper, RetType::integer, {}}).ok());
  const JitProgram failing = jit_of("r1 = 1\ncall 3\nexit", helpers);
  const JitProgram ok = jit_of(program_text(1), helpers);
  HookPoint<Request> hook{"on_request"};
  hook.attach(failing);
  hook.attach(ok);
  Request r{5, 6};
  const HookOutcome out = hook.fire(&r);
  EXPECT_EQ(out.ran, 2U);
  EXPECT_EQ(out.failed, 1U);
  EXPECT_EQ(out.last, 11U);
  EXPECT_EQ(r.visits, 1U);
  std::vector<std::string> errors;
  hook.fire_each(&r, [&](const Result<std::uint64_t>& r0) {
    if (!r0) errors.push_back(r0.error().message);
  });
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_NE(errors[0].find("told to abort"), std::string::npos) << errors[0];
}

TEST(Hook, OwnsProgramsHandedOverAsSharedPointers) {
  const HelperRegistry helpers;
  HookPoint<Request> hook{"on_request"};
  auto program = std::make_shared<JitProgram>(jit_of(program_text(2), helpers));
  std::weak_ptr<JitProgram> watch = program;
  const HookId id = hook.attach(std::move(program));
  Request r{1, 1};
  EXPECT_EQ(hook.fire(&r).last, 3U);
  EXPECT_FALSE(watch.expired());
  EXPECT_TRUE(hook.detach(id));
  EXPECT_TRUE(watch.expired()) << "detach releases the hook's reference";
}

TEST(Hook, ObjectProgramsAttach) {
  const auto path = std::filesystem::path(UBEE_BPF_OBJECT_DIR) / "v3" / "syscall_setup.o";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " was not built";
  ObjectOptions options;
  options.engine = ObjectEngine::jit;
  options.mode = ExecMode::unchecked;
  auto object = Object::open(path.string(), options);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  const ObjectProgram* setup = (*object)->find_program("setup");
  ASSERT_NE(setup, nullptr);
  HookPoint<std::uint64_t> hook{"setup"};
  hook.attach(*setup);
  std::uint64_t ctx = 0;
  EXPECT_EQ(hook.fire(&ctx).last, 3U);  // three entries added
  EXPECT_EQ(hook.fire(&ctx).last, 0U);  // already there
}

// Threads fire continuously while the main thread attaches and detaches freshly compiled programs that the
// hook owns (destroyed on detach: ASan catches a run on a freed program). Each run adds 1 to its thread's
// context, so the visits a thread sees must equal the runs its fire() calls reported.
TEST(Hook, AttachAndDetachWhileFiring) {
  const HelperRegistry helpers;
  HookPoint<Request> hook{"on_request"};
  const JitProgram resident = jit_of(program_text(1), helpers);
  hook.attach(resident);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  std::vector<std::uint64_t> ran(2), visits(2);
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Request r{1, 2};
      std::uint64_t total = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const HookOutcome out = hook.fire(&r);
        EXPECT_EQ(out.failed, 0U);
        total += out.ran;
      }
      ran[t] = total;
      visits[t] = r.visits;
    });
  }
  for (int i = 0; i < 50; ++i) {
    const HookId id = hook.attach(std::make_shared<JitProgram>(jit_of(program_text(i), helpers)));
    std::this_thread::yield();
    EXPECT_TRUE(hook.detach(id));
  }
  stop = true;
  for (auto& th : threads) th.join();
  for (int t = 0; t < 2; ++t) {
    EXPECT_EQ(visits[t], ran[t]);
    EXPECT_GT(ran[t], 0U);
  }
  EXPECT_EQ(hook.attached(), 1U);
}

}  // namespace
}  // namespace ubee::test
