// inject_agent(): a running target (tests/usdt/inject_target.c) loads a library whose constructor leaves a marker
// (tests/usdt/inject_marker.c), then carries on and exits with its own code. Skipped where ptrace is refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli/inject.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using ubee::Errc;

class InjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ubee-inject-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    marker_ = dir_ / "marker";
    stop_ = dir_ / "stop";
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  // Starts the target with UBEE_INJECT_MARKER set, and waits until it sleeps in its loop (past the dynamic loader).
  void start_target() {
    const std::string env_marker = "UBEE_INJECT_MARKER=" + marker_.string();
    std::vector<char*> env;
    for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
    env.push_back(const_cast<char*>(env_marker.c_str()));
    env.push_back(nullptr);
    const std::string target = UBEE_INJECT_TARGET, stop = stop_.string();
    char* argv[] = {const_cast<char*>(target.c_str()), const_cast<char*>(stop.c_str()), nullptr};
    ASSERT_EQ(posix_spawn(&pid_, target.c_str(), nullptr, nullptr, argv, env.data()), 0);
    for (int i = 0; i < 5000 && state() != 'S'; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(state(), 'S');
  }

  char state() const {
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
  }

  // Lets the target finish; returns its exit status.
  int finish() {
    std::ofstream(stop_.string()).put('\n');
    int status = 0;
    EXPECT_EQ(waitpid(pid_, &status, 0), pid_);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
  }

  // Injects, skipping the test when this system refuses ptrace.
  ubee::Result<void> inject(const std::string& library) {
    auto r = ubee::cli::inject_agent(pid_, library);
    if (!r && r.error().code == Errc::permission_denied) skipped_ = r.error().message;
    return r;
  }

  fs::path dir_, marker_, stop_;
  pid_t pid_ = -1;
  std::string skipped_;
};

TEST_F(InjectTest, LibraryRunsInTheTargetWhichCarriesOn) {
  start_target();
  auto r = inject(UBEE_INJECT_MARKER_LIBRARY);
  if (!skipped_.empty()) GTEST_SKIP() << skipped_;
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  std::ifstream marker(marker_);
  std::string written;
  std::getline(marker, written);
  EXPECT_EQ(written, std::to_string(pid_)) << "the constructor ran in the target";
  EXPECT_EQ(waitpid(pid_, nullptr, WNOHANG), 0) << "the target still runs";
  EXPECT_EQ(finish(), 23);
}

TEST_F(InjectTest, DlopenFailureReportsDlerror) {
  start_target();
  const fs::path not_elf = dir_ / "not-a-library.so";
  std::ofstream(not_elf.string()) << "not an ELF file\n";
  auto r = inject(not_elf.string());
  if (!skipped_.empty()) GTEST_SKIP() << skipped_;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  const std::string path = fs::canonical(not_elf).string();
  // dlerror()'s text, read from the target.
  EXPECT_EQ(r.error().message,
            "process " + std::to_string(pid_) + ": dlopen(\"" + path + "\") failed: " + path + ": file too short");
  EXPECT_FALSE(fs::exists(marker_));
  EXPECT_EQ(finish(), 23);
}

TEST_F(InjectTest, ProcessGone) {
  start_target();
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  const pid_t gone = pid_;
  pid_ = -1;
  auto r = ubee::cli::inject_agent(gone, UBEE_INJECT_MARKER_LIBRARY);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_NE(r.error().message.find("process " + std::to_string(gone) + " is gone"), std::string::npos)
      << r.error().message;
}

TEST_F(InjectTest, MissingLibrary) {
  auto r = ubee::cli::inject_agent(getpid(), (dir_ / "missing.so").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::not_found);
}

}  // namespace
