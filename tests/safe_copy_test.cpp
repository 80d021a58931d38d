// safe_copy and safe_copy_str on good memory, NULL, inaccessible and kernel addresses, and a string that runs
// into an inaccessible page; the fault handler must not swallow faults that are not its own.
#include "helpers/safe_copy.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <gtest/gtest.h>

namespace {

using ubee::safe_copy;
using ubee::safe_copy_str;

// Two pages, the second one inaccessible: `edge` is the first byte past the readable one. (PROT_NONE rather
// than unmapped, so that no other mapping, such as the sanitizer's allocator, can land there meanwhile.)
class SafeCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    base_ = static_cast<char*>(mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(base_, MAP_FAILED);
    ASSERT_EQ(mprotect(base_ + page_, page_, PROT_NONE), 0);
    edge_ = base_ + page_;
  }
  void TearDown() override { munmap(base_, 2 * page_); }

  std::size_t page_ = 0;
  char* base_ = nullptr;
  char* edge_ = nullptr;
};

TEST_F(SafeCopy, GoodReadCopiesEveryByte) {
  unsigned char src[300], dst[300] = {};
  for (int i = 0; i < 300; ++i) src[i] = static_cast<unsigned char>(i * 7 + 1);
  for (const std::size_t n : {1, 8, 64, 256, 300}) {
    std::memset(dst, 0, sizeof dst);
    EXPECT_TRUE(safe_copy(dst, src, n));
    EXPECT_EQ(std::memcmp(dst, src, n), 0) << n;
    if (n < sizeof dst) {
      EXPECT_EQ(dst[n], 0) << "no byte past n";
    }
  }
  EXPECT_TRUE(safe_copy(dst, nullptr, 0));  // nothing to read
}

TEST_F(SafeCopy, NullUnmappedAndPartialFail) {
  char dst[16];
  EXPECT_FALSE(safe_copy(dst, nullptr, 8));
  EXPECT_FALSE(safe_copy(dst, edge_, 8));
  EXPECT_FALSE(safe_copy(dst, edge_ - 8, 16));  // half readable
  std::memset(edge_ - 8, 'q', 8);
  EXPECT_TRUE(safe_copy(dst, edge_ - 8, 8));    // the readable half alone
  EXPECT_EQ(std::memcmp(dst, "qqqqqqqq", 8), 0);
  EXPECT_FALSE(safe_copy(edge_, dst, 8)) << "a bad destination is caught too";
}

TEST_F(SafeCopy, KernelAddressesFailWithoutTouchingThem) {
  char dst[8];
  EXPECT_FALSE(safe_copy(dst, reinterpret_cast<const void*>(0xffffffff81000000ULL), 8));
  EXPECT_FALSE(safe_copy(dst, reinterpret_cast<const void*>(0x0000800000000000ULL), 1));
  EXPECT_FALSE(safe_copy(dst, reinterpret_cast<const void*>(0x00007ffffffffffcULL), 8)) << "runs past user space";
  EXPECT_EQ(safe_copy_str(dst, reinterpret_cast<const void*>(0xffff888000000000ULL), 8), -EFAULT);
}

TEST_F(SafeCopy, StringLengthIncludesNulAndKeepsTheRestOfDst) {
  char dst[16];
  std::memset(dst, 'X', sizeof dst);
  EXPECT_EQ(safe_copy_str(dst, "hello", sizeof dst), 6);
  EXPECT_STREQ(dst, "hello");
  EXPECT_EQ(dst[6], 'X');
  EXPECT_EQ(safe_copy_str(dst, "", sizeof dst), 1);
  EXPECT_EQ(dst[0], '\0');
}

TEST_F(SafeCopy, LongStringIsCutAndTerminated) {
  char dst[6];
  EXPECT_EQ(safe_copy_str(dst, "hello world", sizeof dst), 6);
  EXPECT_STREQ(dst, "hello");
  EXPECT_EQ(safe_copy_str(dst, "hello world", 1), 1);
  EXPECT_EQ(dst[0], '\0');
  EXPECT_EQ(safe_copy_str(dst, "hello world", 0), 0);
}

TEST_F(SafeCopy, StringsAtThePageEdge) {
  char dst[16];
  std::memcpy(edge_ - 4, "abc", 4);  // ends exactly at the edge: readable
  EXPECT_EQ(safe_copy_str(dst, edge_ - 4, sizeof dst), 4);
  EXPECT_STREQ(dst, "abc");
  std::memcpy(edge_ - 3, "xyz", 3);  // no NUL before the edge
  EXPECT_EQ(safe_copy_str(dst, edge_ - 3, sizeof dst), -EFAULT);
  EXPECT_EQ(safe_copy_str(dst, edge_ - 3, 4), 4) << "cut before the edge: never reads it";
  EXPECT_STREQ(dst, "xyz");
  EXPECT_EQ(safe_copy_str(dst, nullptr, sizeof dst), -EFAULT);
  EXPECT_EQ(safe_copy_str(dst, edge_, sizeof dst), -EFAULT);
}

// A fault outside safe_copy still reaches the previous handler (here the default action, or the
// sanitizer's, which exits non-zero).
TEST(SafeCopyDeathTest, OtherFaultsAreNotSwallowed) {
  char dst[8];
  ASSERT_FALSE(safe_copy(dst, nullptr, 8));  // the handler is installed
  EXPECT_EXIT(
      {
        // An inaccessible page, not a constant address the compiler could reason about.
        void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        *static_cast<volatile int*>(page) = 1;
        _exit(0);
      },
      [](int status) { return (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) || (WIFEXITED(status) && WEXITSTATUS(status) != 0); },
      "");
}

}  // namespace
