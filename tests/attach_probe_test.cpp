// Entry and return probes on functions of this binary and of libc: counts, arguments and return values from
// pt_regs, threads, recursion, longjmp, exceptions, refusals, concurrent attach/detach and W^X of trampolines.
#include <gtest/gtest.h>

#include <atomic>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

#include "attach/code_memory.hpp"
#include "attach/probe_dispatch.hpp"
#include "attach/symbols.hpp"
#include "ubee/attach.hpp"

using ubee::Errc;
using ubee::attach::attach_probe;
using ubee::attach::detach_probe;
using ubee::attach::ProbeId;
using ubee::attach::ProbeKind;

// Hand-written functions whose exact bytes the tests need: too short, a loop back into the first bytes, and
// first instructions that need relocating (RIP-relative load, jcc, call, jmp).
asm(R"(
        .text
        .globl ubee_test_too_short
        .type ubee_test_too_short, @function
ubee_test_too_short:
        xorl %eax, %eax
        ret
        .size ubee_test_too_short, . - ubee_test_too_short

        .globl ubee_test_back_jump
        .type ubee_test_back_jump, @function
ubee_test_back_jump:
        xorl %eax, %eax
1:      addl $1, %eax
        cmpl %edi, %eax
        jl 1b
        ret
        .size ubee_test_back_jump, . - ubee_test_back_jump

        .globl ubee_test_jrcxz
        .type ubee_test_jrcxz, @function
ubee_test_jrcxz:
        movq %rdi, %rcx
        jrcxz 1f
        movl $1, %eax
        ret
1:      xorl %eax, %eax
        ret
        .size ubee_test_jrcxz, . - ubee_test_jrcxz

        .globl ubee_test_rip_load
        .type ubee_test_rip_load, @function
ubee_test_rip_load:
        movl ubee_test_value(%rip), %eax
        addl %edi, %eax
        ret
        .size ubee_test_rip_load, . - ubee_test_rip_load

        .globl ubee_test_sign
        .type ubee_test_sign, @function
ubee_test_sign:
        testl %edi, %edi
        js 1f
        movl $1, %eax
        ret
1:      movl $-1, %eax
        ret
        .size ubee_test_sign, . - ubee_test_sign

        .globl ubee_test_seven
        .type ubee_test_seven, @function
ubee_test_seven:
        movl $7, %eax
        ret
        .size ubee_test_seven, . - ubee_test_seven

        .globl ubee_test_call_first
        .type ubee_test_call_first, @function
ubee_test_call_first:
        call ubee_test_seven
        addl %edi, %eax
        ret
        .size ubee_test_call_first, . - ubee_test_call_first

        .globl ubee_test_call_second
        .type ubee_test_call_second, @function
ubee_test_call_second:
        movl %edi, %ecx
        call ubee_test_seven
        addl %ecx, %eax
        ret
        .size ubee_test_call_second, . - ubee_test_call_second

        # A site inside a function with live state across it: the red zone, xmm9 and the flags of a cmp.
        .globl ubee_test_mid
        .type ubee_test_mid, @function
ubee_test_mid:
        movq %rdi, -8(%rsp)
        movq %rsi, %xmm9
        cmpq %rsi, %rdi
        .globl ubee_test_mid_site
ubee_test_mid_site:
        movl $0, %eax
        setl %al
        movq %xmm9, %rcx
        addq -8(%rsp), %rcx
        shlq $1, %rcx
        orq %rcx, %rax
        ret
        .size ubee_test_mid, . - ubee_test_mid

        .globl ubee_test_jump_first
        .type ubee_test_jump_first, @function
ubee_test_jump_first:
        .byte 0xe9                       # jmp rel32, not the short form the assembler would pick
        .long ubee_test_call_first - . - 4
        .size ubee_test_jump_first, . - ubee_test_jump_first

        .data
        .globl ubee_test_value
ubee_test_value:
        .long 40
        .text
)");

extern "C" {
int ubee_test_too_short();
int ubee_test_back_jump(int n);
int ubee_test_jrcxz(long n);
int ubee_test_rip_load(int n);
int ubee_test_sign(int n);
int ubee_test_call_first(int n);
int ubee_test_call_second(int n);
int ubee_test_jump_first(int n);
long ubee_test_mid(long a, long b);  // 2 * (a + b) + (a < b)
void ubee_test_mid_site();

// noipa: the compiler may neither inline these nor assume anything about them across calls. The recursive
// ones call themselves through a volatile pointer, which -O2 cannot turn into a loop.
long probed_triangle(long n);
void probed_jumper(std::jmp_buf* buffer, int depth);
long (*volatile triangle_again)(long) = probed_triangle;
void (*volatile jumper_again)(std::jmp_buf*, int) = probed_jumper;
[[gnu::noipa]] long probed_add(long a, long b) { return a + b; }
[[gnu::noipa]] long probed_triangle(long n) { return n == 0 ? 0 : n + triangle_again(n - 1); }
[[gnu::noipa]] long call_probed_add(long a) { return probed_add(a, 1) * 2; }
[[gnu::noipa]] void probed_jumper(std::jmp_buf* buffer, int depth) {
  if (depth < 0) return;
  if (depth == 0) std::longjmp(*buffer, 1);
  jumper_again(buffer, depth - 1);
  asm volatile("" ::: "memory");  // not a tail call: every level keeps its own frame
}
[[gnu::noipa]] long probed_thrower(long n) {
  if (n < 0) throw std::runtime_error("negative " + std::to_string(n));
  return n * 3;
}
[[gnu::noipa]] long probed_outer(long n) { return probed_thrower(n) + 1; }
[[gnu::noipa]] long probed_rethrower(long n) {
  try {
    return probed_outer(n);
  } catch (...) {
    throw;
  }
}
[[gnu::noipa]] long probed_exit_thread(long n) {
  if (n > 0) pthread_exit(nullptr);
  return n;
}
[[gnu::noipa]] long probed_catcher(long n) {
  try {
    return probed_outer(-n);
  } catch (const std::runtime_error&) {
    return 42;
  }
}
}

namespace {

std::uintptr_t address_of(auto* function) { return reinterpret_cast<std::uintptr_t>(function); }

// What a handler saw: calls, and the registers of the last one (and every return value, in order).
struct Seen {
  std::atomic<long> calls{0};
  unsigned long di = 0, si = 0, ip = 0, sp = 0;
  std::vector<long> values;
};

void record_entry(pt_regs* regs, void* cookie) {
  auto* seen = static_cast<Seen*>(cookie);
  seen->calls.fetch_add(1, std::memory_order_relaxed);
  seen->di = regs->rdi;
  seen->si = regs->rsi;
  seen->ip = regs->rip;
  seen->sp = regs->rsp;
}

void record_return(pt_regs* regs, void* cookie) {
  auto* seen = static_cast<Seen*>(cookie);
  seen->calls.fetch_add(1, std::memory_order_relaxed);
  seen->values.push_back(static_cast<long>(regs->rax));
  seen->ip = regs->rip;
}

void count(pt_regs*, void* cookie) { static_cast<std::atomic<long>*>(cookie)->fetch_add(1, std::memory_order_relaxed); }

// Attaches for the test's scope; detaches (and checks it could) at its end.
class ScopedProbe {
 public:
  ScopedProbe(std::uintptr_t address, ProbeKind kind, ubee::attach::Handler handler, void* cookie) {
    auto id = attach_probe(address, kind, handler, cookie);
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
    if (id.ok()) id_ = *id;
  }
  ScopedProbe(const ScopedProbe&) = delete;
  ScopedProbe& operator=(const ScopedProbe&) = delete;
  ~ScopedProbe() {
    if (id_.value != 0) {
      EXPECT_TRUE(detach_probe(id_).ok());
    }
  }

 private:
  ProbeId id_;
};

std::vector<std::uint8_t> bytes_at(std::uintptr_t address, std::size_t n) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(address);
  return {p, p + n};
}

std::string error_of(std::uintptr_t address) {
  std::atomic<long> calls{0};
  auto id = attach_probe(address, ProbeKind::entry, count, &calls);
  if (id.ok()) {
    EXPECT_TRUE(detach_probe(*id).ok());
    return "attached";
  }
  EXPECT_EQ(id.error().code, Errc::unsupported);
  return id.error().message;
}

// The permissions column of /proc/self/maps for the mapping holding `address`.
std::string permissions_of(std::uintptr_t address) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    const auto dash = range.find('-');
    const auto start = std::stoull(range.substr(0, dash), nullptr, 16);
    const auto end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (address >= start && address < end) return perms;
  }
  return "unmapped";
}

TEST(AttachProbe, EntryProbeCountsCallsAndReadsArguments) {
  Seen seen;
  const auto before = bytes_at(address_of(probed_add), 5);
  auto id = attach_probe(address_of(probed_add), ProbeKind::entry, record_entry, &seen);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(bytes_at(address_of(probed_add), 1)[0], 0xe9);  // jmp rel32 to the trampoline
  long sum = 0;
  for (long i = 0; i < 100; ++i) sum += probed_add(i, 2 * i);
  EXPECT_EQ(sum, 3 * 4950);
  EXPECT_EQ(seen.calls.load(), 100);
  EXPECT_EQ(seen.di, 99u);
  EXPECT_EQ(seen.si, 198u);
  EXPECT_EQ(seen.ip, address_of(probed_add));
  EXPECT_EQ(seen.sp % 16, 8u);  // as the caller left it: just below the return address, ABI-aligned
  ASSERT_TRUE(detach_probe(*id).ok());
  EXPECT_EQ(bytes_at(address_of(probed_add), 5), before);
  EXPECT_EQ(probed_add(1, 2), 3);
  EXPECT_EQ(seen.calls.load(), 100);
  EXPECT_EQ(detach_probe(*id).error().code, Errc::not_found);
}

TEST(AttachProbe, ReturnProbeSeesReturnValueAndReturnAddress) {
  Seen seen;
  const std::size_t pending = ubee::attach::pending_returns();  // stale entries of earlier tests may remain
  ScopedProbe probe(address_of(probed_add), ProbeKind::ret, record_return, &seen);
  EXPECT_EQ(call_probed_add(20), 42);
  EXPECT_EQ(call_probed_add(-5), -8);
  EXPECT_EQ(seen.calls.load(), 2);
  EXPECT_EQ(seen.values, (std::vector<long>{21, -4}));
  const auto caller = ubee::attach::find_function(seen.ip);
  ASSERT_TRUE(caller.has_value());
  EXPECT_EQ(caller->name, "call_probed_add");
  EXPECT_LE(ubee::attach::pending_returns(), pending);
}

struct Order {
  std::vector<int> events;
};
void first(pt_regs*, void* cookie) { static_cast<Order*>(cookie)->events.push_back(1); }
void second(pt_regs*, void* cookie) { static_cast<Order*>(cookie)->events.push_back(2); }
void on_return(pt_regs*, void* cookie) { static_cast<Order*>(cookie)->events.push_back(3); }

TEST(AttachProbe, HandlersAtOneAddressRunInAttachOrder) {
  Order order;
  {
    ScopedProbe r(address_of(probed_add), ProbeKind::ret, on_return, &order);
    ScopedProbe b(address_of(probed_add), ProbeKind::entry, second, &order);
    ScopedProbe a(address_of(probed_add), ProbeKind::entry, first, &order);
    EXPECT_EQ(probed_add(2, 3), 5);
  }
  EXPECT_EQ(order.events, (std::vector<int>{2, 1, 3}));
  EXPECT_EQ(probed_add(2, 3), 5);
  EXPECT_EQ(order.events.size(), 3u);
}

TEST(AttachProbe, LibcFunctionEntryAndReturn) {
  auto labs_address = ubee::attach::resolve_function("libc.so.6", "labs");
  ASSERT_TRUE(labs_address.ok()) << labs_address.error().message;
  auto* labs_fn = reinterpret_cast<long (*)(long)>(*labs_address);
  Seen entry, ret;
  ScopedProbe e(*labs_address, ProbeKind::entry, record_entry, &entry);
  ScopedProbe r(*labs_address, ProbeKind::ret, record_return, &ret);
  EXPECT_EQ(labs_fn(-17), 17);
  EXPECT_EQ(labs_fn(9), 9);
  EXPECT_EQ(entry.calls.load(), 2);
  EXPECT_EQ(entry.di, 9u);
  EXPECT_EQ(ret.values, (std::vector<long>{17, 9}));
}

TEST(AttachProbe, ResolveFunction) {
  auto in_exe = ubee::attach::resolve_function("/proc/self/exe", "probed_triangle");
  ASSERT_TRUE(in_exe.ok()) << in_exe.error().message;
  EXPECT_EQ(*in_exe, address_of(probed_triangle));
  auto with_offset = ubee::attach::resolve_function("/proc/self/exe", "probed_triangle", 4);
  ASSERT_TRUE(with_offset.ok());
  EXPECT_EQ(*with_offset, address_of(probed_triangle) + 4);
  auto not_loaded = ubee::attach::resolve_function("libnot-loaded.so.3", "f");
  ASSERT_FALSE(not_loaded.ok());
  EXPECT_EQ(not_loaded.error().code, Errc::not_found);
  EXPECT_NE(not_loaded.error().message.find("not loaded"), std::string::npos);
  auto no_function = ubee::attach::resolve_function("libc.so.6", "no_such_function_here");
  ASSERT_FALSE(no_function.ok());
  EXPECT_EQ(no_function.error().code, Errc::not_found);
  // An IFUNC resolves to the implementation the loader picked, the code that actually runs.
  auto strlen_address = ubee::attach::resolve_function("libc.so.6", "strlen");
  ASSERT_TRUE(strlen_address.ok());
  EXPECT_EQ(reinterpret_cast<std::size_t (*)(const char*)>(*strlen_address)("four"), 4u);
}

TEST(AttachProbe, EightThreadsLoseNoCount) {
  std::atomic<long> entries{0}, returns{0};
  ScopedProbe e(address_of(probed_add), ProbeKind::entry, count, &entries);
  ScopedProbe r(address_of(probed_add), ProbeKind::ret, count, &returns);
  std::atomic<long> wrong{0};
  std::vector<std::thread> threads;
  for (long t = 0; t < 8; ++t) {
    threads.emplace_back([t, &wrong] {
      for (long i = 0; i < 125000; ++i)
        if (probed_add(i, t) != i + t) wrong.fetch_add(1);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(entries.load(), 1000000);
  EXPECT_EQ(returns.load(), 1000000);
}

TEST(AttachProbe, DeepRecursionPairsEveryEntryWithItsReturn) {
  Seen entry, ret;
  const std::size_t pending = ubee::attach::pending_returns();
  ScopedProbe e(address_of(probed_triangle), ProbeKind::entry, record_entry, &entry);
  ScopedProbe r(address_of(probed_triangle), ProbeKind::ret, record_return, &ret);
  EXPECT_EQ(probed_triangle(1000), 500500);
  EXPECT_EQ(entry.calls.load(), 1001);
  EXPECT_EQ(ret.calls.load(), 1001);
  ASSERT_EQ(ret.values.size(), 1001u);
  for (long n = 0; n <= 1000; ++n) ASSERT_EQ(ret.values[n], n * (n + 1) / 2) << n;  // innermost first
  EXPECT_LE(ubee::attach::pending_returns(), pending);
}

// Six probed frames deep, then longjmp back here.
[[gnu::noipa]] void jump_out_of_probed_frames() {
  std::jmp_buf buffer;
  if (setjmp(buffer) == 0) probed_jumper(&buffer, 5);
}

TEST(AttachProbe, LongjmpOutOfProbedFrames) {
  std::atomic<long> entries{0}, returns{0};
  Seen add;
  ScopedProbe e(address_of(probed_jumper), ProbeKind::entry, count, &entries);
  ScopedProbe r(address_of(probed_jumper), ProbeKind::ret, count, &returns);
  ScopedProbe a(address_of(probed_add), ProbeKind::ret, record_return, &add);
  for (int round = 0; round < 50; ++round) jump_out_of_probed_frames();
  EXPECT_EQ(entries.load(), 50 * 6);
  EXPECT_EQ(returns.load(), 0);  // every frame was left by longjmp
  // Each round's first entry discarded the previous round's six stale entries (their slots are at or below
  // its stack pointer): they do not pile up.
  EXPECT_EQ(ubee::attach::pending_returns(), 6u);
  // The stale entries never break a later return, and deeper calls discard more of them.
  EXPECT_EQ(call_probed_add(1), 4);
  EXPECT_EQ(add.values, (std::vector<long>{2}));
  EXPECT_LT(ubee::attach::pending_returns(), 6u);
  EXPECT_EQ(probed_triangle(10), 55);
}

TEST(AttachProbe, ExceptionThroughReturnProbedFrames) {
  Seen outer, thrower, catcher;
  const std::size_t pending = ubee::attach::pending_returns();
  ScopedProbe o(address_of(probed_outer), ProbeKind::ret, record_return, &outer);
  ScopedProbe t(address_of(probed_thrower), ProbeKind::ret, record_return, &thrower);
  ScopedProbe c(address_of(probed_catcher), ProbeKind::ret, record_return, &catcher);
  try {
    probed_outer(-3);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "negative -3");
  }
  EXPECT_EQ(outer.calls.load(), 0);  // unwound frames give no return event
  EXPECT_EQ(probed_outer(4), 13);
  EXPECT_EQ(outer.values, (std::vector<long>{13}));
  EXPECT_EQ(thrower.values, (std::vector<long>{12}));
  // Caught inside a probed function: it still returns through its return probe.
  EXPECT_EQ(probed_catcher(2), 42);
  EXPECT_EQ(catcher.values, (std::vector<long>{42}));
  EXPECT_LE(ubee::attach::pending_returns(), pending);
}

TEST(AttachProbe, RethrownExceptionThroughReturnProbedFrames) {
  Seen rethrower, thrower;
  ScopedProbe r(address_of(probed_rethrower), ProbeKind::ret, record_return, &rethrower);
  ScopedProbe t(address_of(probed_thrower), ProbeKind::ret, record_return, &thrower);
  for (int round = 0; round < 3; ++round) {
    try {
      probed_rethrower(-7);
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& error) {
      EXPECT_STREQ(error.what(), "negative -7");
    }
  }
  std::exception_ptr saved;
  try {
    probed_rethrower(-8);
  } catch (...) {
    saved = std::current_exception();
  }
  try {
    std::rethrow_exception(saved);
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "negative -8");
  }
  EXPECT_EQ(rethrower.calls.load(), 0);
  EXPECT_EQ(probed_rethrower(5), 16);
  EXPECT_EQ(rethrower.values, (std::vector<long>{16}));
  EXPECT_EQ(thrower.values, (std::vector<long>{15}));
}

// A handler that calls the function it probes: the inner call runs unprobed instead of recursing forever.
void calls_probed_add(pt_regs*, void* cookie) {
  static_cast<std::atomic<long>*>(cookie)->fetch_add(probed_add(1, 0), std::memory_order_relaxed);
}

TEST(AttachProbe, ProbesHitInsideHandlersRunUnprobed) {
  std::atomic<long> calls{0};
  ScopedProbe probe(address_of(probed_add), ProbeKind::entry, calls_probed_add, &calls);
  EXPECT_EQ(probed_add(2, 2), 4);
  EXPECT_EQ(probed_add(3, 3), 6);
  EXPECT_EQ(calls.load(), 2);
}

TEST(AttachProbe, ThreadsExitWithReturnProbesArmed) {
  std::atomic<long> returns{0};
  ScopedProbe probe(address_of(probed_triangle), ProbeKind::ret, count, &returns);
  for (int round = 0; round < 20; ++round) {
    std::thread([] { EXPECT_EQ(probed_triangle(300), 45150); }).join();  // its shadow stack grows, then goes
  }
  EXPECT_EQ(returns.load(), 20 * 301);
}

// pthread_exit unwinds (forced unwinding) through the probed frame: the unwinder must find real return addresses,
// or it stops at the stub and the destructors of the frames above never run.
std::atomic<int> g_destructed{0};
struct CountsDestruction {
  ~CountsDestruction() { g_destructed.fetch_add(1); }
};
void* exit_from_probed_frame(void*) {
  CountsDestruction guard;
  return reinterpret_cast<void*>(probed_exit_thread(1));
}

TEST(AttachProbe, PthreadExitThroughReturnProbedFrame) {
  Seen seen;
  g_destructed = 0;
  ScopedProbe probe(address_of(probed_exit_thread), ProbeKind::ret, record_return, &seen);
  for (int round = 0; round < 5; ++round) {
    pthread_t thread;
    ASSERT_EQ(pthread_create(&thread, nullptr, exit_from_probed_frame, nullptr), 0);
    void* result = reinterpret_cast<void*>(1);
    ASSERT_EQ(pthread_join(thread, &result), 0);
    EXPECT_EQ(result, nullptr);  // pthread_exit's value
  }
  EXPECT_EQ(g_destructed.load(), 5);
  EXPECT_EQ(probed_exit_thread(-4), -4);
  EXPECT_EQ(seen.values, (std::vector<long>{-4}));
}

// A thread that meets the int3 of a patch in progress is sent to the trampoline while probes are attached,
// past them once detached. The int3 is written by hand here, as patch_text's first step does.
TEST(AttachProbe, ThreadsTrappedOnThePatchInt3AreRedirected) {
  Seen seen;
  const std::uintptr_t site = address_of(probed_add);
  const std::uint8_t int3 = 0xcc;
  auto id = attach_probe(site, ProbeKind::entry, record_entry, &seen);
  ASSERT_TRUE(id.ok());
  const auto jump = bytes_at(site, 1);
  ASSERT_TRUE(ubee::attach::write_code(site, {&int3, 1}).ok());
  EXPECT_EQ(probed_add(5, 6), 11);
  EXPECT_EQ(seen.calls.load(), 1);
  EXPECT_EQ(seen.di, 5u);
  ASSERT_TRUE(ubee::attach::write_code(site, jump).ok());
  ASSERT_TRUE(detach_probe(*id).ok());
  const auto first = bytes_at(site, 1);
  ASSERT_TRUE(ubee::attach::write_code(site, {&int3, 1}).ok());
  EXPECT_EQ(probed_add(7, 6), 13);
  EXPECT_EQ(seen.calls.load(), 1);
  ASSERT_TRUE(ubee::attach::write_code(site, first).ok());
}

TEST(AttachProbe, RefusesAddressesOutsideCode) {
  static long data = 0;
  std::atomic<long> calls{0};
  auto id = attach_probe(reinterpret_cast<std::uintptr_t>(&data), ProbeKind::entry, count, &calls);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, Errc::invalid_argument);
  EXPECT_NE(id.error().message.find("not in executable memory"), std::string::npos) << id.error().message;
}

TEST(AttachProbe, RefusesWhatCannotBeDisplaced) {
  const std::string short_error = error_of(address_of(ubee_test_too_short));
  EXPECT_NE(short_error.find("ubee_test_too_short+0x0"), std::string::npos) << short_error;
  EXPECT_NE(short_error.find("the function ends 3 bytes after it, a jump needs 5"), std::string::npos) << short_error;
  const std::string jump_error = error_of(address_of(ubee_test_back_jump));
  EXPECT_NE(jump_error.find("the jl at +0x7 jumps to +0x2, inside the 5 bytes the probe displaces"),
            std::string::npos)
      << jump_error;
  EXPECT_EQ(ubee_test_back_jump(5), 5);
  const std::string jrcxz_error = error_of(address_of(ubee_test_jrcxz));
  EXPECT_NE(jrcxz_error.find("'jrcxz' with a relative target cannot be relocated"), std::string::npos)
      << jrcxz_error;
  EXPECT_EQ(ubee_test_jrcxz(0), 0);  // untouched
}

TEST(AttachProbe, RefusesOverlappingPatches) {
  std::atomic<long> calls{0};
  ScopedProbe whole(address_of(ubee_test_sign), ProbeKind::entry, count, &calls);
  const std::string error = error_of(address_of(ubee_test_sign) + 2);
  EXPECT_NE(error.find("overlaps the bytes patched for the probe at"), std::string::npos) << error;
}

TEST(AttachProbe, RelocatesRipRelativeBranchAndCallInstructions) {
  Seen rip, sign, call, jump, second;
  ScopedProbe a(address_of(ubee_test_rip_load), ProbeKind::entry, record_entry, &rip);
  ScopedProbe b(address_of(ubee_test_sign), ProbeKind::entry, record_entry, &sign);
  ScopedProbe c(address_of(ubee_test_call_first), ProbeKind::ret, record_return, &call);
  ScopedProbe d(address_of(ubee_test_jump_first), ProbeKind::entry, record_entry, &jump);
  ScopedProbe e(address_of(ubee_test_call_second), ProbeKind::ret, record_return, &second);
  EXPECT_EQ(ubee_test_rip_load(2), 42);
  EXPECT_EQ(ubee_test_sign(5), 1);
  EXPECT_EQ(ubee_test_sign(-5), -1);
  EXPECT_EQ(ubee_test_call_first(3), 10);
  EXPECT_EQ(ubee_test_jump_first(4), 11);
  EXPECT_EQ(ubee_test_call_second(5), 12);  // the call is relocated after another instruction
  EXPECT_EQ(second.values, (std::vector<long>{12}));
  EXPECT_EQ(rip.calls.load(), 1);
  EXPECT_EQ(sign.calls.load(), 2);
  EXPECT_EQ(jump.calls.load(), 1);
  EXPECT_EQ(call.values, (std::vector<long>{10, 11}));
}

// Writes stack, xmm9 and the flags: none of it may reach the probed code.
void clobbering_handler(pt_regs* regs, void* cookie) {
  volatile char scratch[512];
  for (int i = 0; i < 512; ++i) scratch[i] = static_cast<char>(i);
  asm volatile("" : : "r"(scratch) : "memory");
  asm volatile("pxor %%xmm9, %%xmm9\n\txorl %%eax, %%eax" ::: "xmm9", "eax", "cc");
  record_entry(regs, cookie);
}

TEST(AttachProbe, MidFunctionSiteKeepsRedZoneVectorsAndFlags) {
  Seen seen;
  ScopedProbe probe(address_of(ubee_test_mid_site), ProbeKind::entry, clobbering_handler, &seen);
  EXPECT_EQ(ubee_test_mid(3, 4), 15);
  EXPECT_EQ(ubee_test_mid(4, 3), 14);
  EXPECT_EQ(ubee_test_mid(-10, 2), -15);
  EXPECT_EQ(seen.calls.load(), 3);
  EXPECT_EQ(seen.ip, address_of(ubee_test_mid_site));
  EXPECT_EQ(static_cast<long>(seen.di), -10);
  EXPECT_EQ(seen.sp % 16, 8u);  // rsp as the site has it, not the trampoline's
}

TEST(AttachProbe, AttachAndDetachWhileFourThreadsCall) {
  const auto original = bytes_at(address_of(probed_add), 5);
  std::atomic<bool> stop{false};
  std::atomic<long> calls{0}, wrong{0}, hits{0};
  std::vector<std::thread> threads;
  for (long t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        if (probed_add(i, t) != i + t) wrong.fetch_add(1);
        calls.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int round = 0; round < 200; ++round) {
    auto entry = attach_probe(address_of(probed_add), ProbeKind::entry, count, &hits);
    auto ret = attach_probe(address_of(probed_add), ProbeKind::ret, count, &hits);
    ASSERT_TRUE(entry.ok() && ret.ok());
    std::this_thread::yield();
    ASSERT_TRUE(detach_probe(*entry).ok());
    ASSERT_TRUE(detach_probe(*ret).ok());
  }
  stop = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(calls.load(), 0);
  EXPECT_LE(hits.load(), 2 * calls.load());
  EXPECT_EQ(bytes_at(address_of(probed_add), 5), original);
}

TEST(AttachProbe, TrampolinesAreNeverWritableAndExecutable) {
  std::atomic<long> calls{0};
  ScopedProbe probe(address_of(probed_add), ProbeKind::entry, count, &calls);
  const auto jump = bytes_at(address_of(probed_add), 5);
  ASSERT_EQ(jump[0], 0xe9);
  std::int32_t rel = 0;
  std::memcpy(&rel, jump.data() + 1, 4);
  const std::uintptr_t trampoline = address_of(probed_add) + 5 + static_cast<std::intptr_t>(rel);
  EXPECT_EQ(permissions_of(trampoline), "r-xp");
  EXPECT_EQ(permissions_of(address_of(probed_add)), "r-xp");  // patched through /proc/self/mem, not mprotect
  EXPECT_EQ(probed_add(1, 1), 2);
  EXPECT_EQ(calls.load(), 1);
}

}  // namespace
