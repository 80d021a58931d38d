// The allowed code region of the system call interception. It is one memfd mapped twice: read+execute at the
// address the kernel is told to allow, read+write elsewhere, so stubs can be added from a signal handler while
// other threads run the region and no page is ever writable and executable at once.
//
// Fixed code (emitted once with asmjit): raw_syscall, the SIGSYS sigreturn, and two trampolines (entry and
// exit) that save every register (general ones as a struct pt_regs, the rest with XSAVE), call their hook and
// return to the stub that called them. Stubs are written by hand (48 bytes, no allocation, signal-safe).
// The exit stub of a site (where the SIGSYS handler sends the thread, and where entry stubs end):
//     syscall                    ; the original call, from the allowed range: never dispatched
//     lea rsp, [rsp - 128]       ; keep the call site's red zone
//     push qword [rip + ret]     ; the site's address after `syscall`, for the pt_regs
//     push nr                    ; the call's number (rax now holds the result)
//     call exit_trampoline
//     lea rsp, [rsp + 144]
//     jmp qword [rip + ret]      ; back to the site
//     ret: .quad site address
// The entry stub of a rewritten site (syscall_rewrite.cpp jumps there instead of `mov eax, nr; syscall`):
//     lea rsp, [rsp - 128]; push qword [rip + ret]; push nr; call entry_trampoline; lea rsp, [rsp + 144]
//     mov eax, nr
//     jmp exit stub
// An exit stub is keyed by (return address, number), so one stub serves every thread, a new thread's first
// instructions (clone returns 0 there on the child's own stack) and a vfork child alike.
#include "attach/syscall_code.hpp"

#include <asmjit/x86.h>
#include <cpuid.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>

namespace ubee::attach::detail {
namespace {

namespace x86 = asmjit::x86;

constexpr std::size_t kRegionSize = 256 * 1024;
constexpr std::size_t kFixedSize = 4096;  // fixed code lives in the first page
constexpr std::size_t kStubSize = 48;
constexpr std::size_t kStubCount = (kRegionSize - kFixedSize) / kStubSize;
constexpr std::size_t kTableSize = 16384;  // power of two, > 2 * kStubCount: probes stay short
constexpr std::size_t kRedZone = 128;

struct Region {
  std::uintptr_t rx = 0;
  unsigned char* rw = nullptr;
  std::uintptr_t raw_syscall = 0, sigreturn = 0, entry_trampoline = 0, exit_trampoline = 0;
};
Region g_region;
Result<void> g_init_result = make_error(Errc::unsupported, "not initialised");

// Open addressing: key = return address | tagged number << 47 (user addresses are below 2^47); 0 = empty.
struct Slot {
  std::atomic<std::uint64_t> key{0};
  std::atomic<std::uint32_t> stub{0};
  std::atomic<std::uint32_t> hits{0};
};
Slot g_table[kTableSize];
std::size_t g_stubs_used = 0;            // under g_lock
std::atomic_flag g_lock = ATOMIC_FLAG_INIT;  // insertions only; SIGSYS runs with other signals blocked

std::size_t xsave_area_size() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __get_cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx);  // ebx: the size XCR0's features need
  return (ebx + 63) & ~std::size_t{63};
}

// x87, SSE, AVX, AVX-512 state: everything compiled code may clobber; not AMX, whose use the kernel traps.
constexpr std::uint32_t kXsaveMask = 0xe7;

void emit_raw_syscall(x86::Assembler& a) {
  a.mov(x86::rax, x86::rdi);
  a.mov(x86::rdi, x86::rsi);
  a.mov(x86::rsi, x86::rdx);
  a.mov(x86::rdx, x86::rcx);
  a.mov(x86::r10, x86::r8);
  a.mov(x86::r8, x86::r9);
  a.mov(x86::r9, x86::qword_ptr(x86::rsp, 8));
  a.syscall();
  a.ret();
}

void emit_sigreturn(x86::Assembler& a) {
  a.mov(x86::eax, __NR_rt_sigreturn);
  a.syscall();
  a.ud2();
}

#define REG(field) x86::qword_ptr(x86::rsp, offsetof(pt_regs, field))

// Entry: [rsp] = the return into the stub, [rsp + 8] = nr, [rsp + 16] = the site's address after `syscall`,
// the site's rsp = rsp + 24 + red zone. Every register is as the site (or the system call) left it.
void emit_trampoline(x86::Assembler& a, Hook hook, std::size_t xsave_size) {
  constexpr int kFrame = sizeof(pt_regs);
  constexpr int kFlags = kFrame, kNr = kFrame + 16, kRet = kFrame + 24, kSiteSp = kFrame + 32 + kRedZone;
  a.pushfq();
  a.sub(x86::rsp, kFrame);
  a.mov(REG(r15), x86::r15), a.mov(REG(r14), x86::r14), a.mov(REG(r13), x86::r13), a.mov(REG(r12), x86::r12);
  a.mov(REG(rbp), x86::rbp), a.mov(REG(rbx), x86::rbx), a.mov(REG(r10), x86::r10), a.mov(REG(r9), x86::r9);
  a.mov(REG(r8), x86::r8), a.mov(REG(rax), x86::rax), a.mov(REG(rdx), x86::rdx), a.mov(REG(rsi), x86::rsi);
  a.mov(REG(rdi), x86::rdi);
  // As the kernel leaves them around `syscall`: rcx = the return address, r11 = the flags.
  a.mov(x86::rax, x86::qword_ptr(x86::rsp, kRet)), a.mov(REG(rip), x86::rax), a.mov(REG(rcx), x86::rax);
  a.mov(x86::rax, x86::qword_ptr(x86::rsp, kFlags)), a.mov(REG(eflags), x86::rax), a.mov(REG(r11), x86::rax);
  a.mov(x86::rax, x86::qword_ptr(x86::rsp, kNr)), a.mov(REG(orig_rax), x86::rax);
  a.lea(x86::rax, x86::qword_ptr(x86::rsp, kSiteSp)), a.mov(REG(rsp), x86::rax);
  a.mov(REG(cs), 0x33), a.mov(REG(ss), 0x2b);  // __USER_CS, __USER_DS
  // Vector and x87 state: the hook is compiled code, the site expects them untouched across `syscall`.
  a.mov(x86::rbx, x86::rsp);
  a.and_(x86::rsp, -64);
  a.sub(x86::rsp, static_cast<std::int32_t>(xsave_size));
  for (int i = 0; i < 8; ++i) a.mov(x86::qword_ptr(x86::rsp, 512 + 8 * i), 0);  // XSAVE header: must be zero
  a.mov(x86::eax, kXsaveMask), a.xor_(x86::edx, x86::edx);
  a.xsave64(x86::ptr(x86::rsp));
  a.mov(x86::rdi, x86::rbx);
  a.mov(x86::rax, reinterpret_cast<std::uint64_t>(hook));
  a.call(x86::rax);
  a.mov(x86::eax, kXsaveMask), a.xor_(x86::edx, x86::edx);
  a.xrstor64(x86::ptr(x86::rsp));
  a.mov(x86::rsp, x86::rbx);
  a.mov(x86::r15, REG(r15)), a.mov(x86::r14, REG(r14)), a.mov(x86::r13, REG(r13)), a.mov(x86::r12, REG(r12));
  a.mov(x86::rbp, REG(rbp)), a.mov(x86::rbx, REG(rbx)), a.mov(x86::r11, REG(r11)), a.mov(x86::r10, REG(r10));
  a.mov(x86::r9, REG(r9)), a.mov(x86::r8, REG(r8)), a.mov(x86::rax, REG(rax)), a.mov(x86::rcx, REG(rcx));
  a.mov(x86::rdx, REG(rdx)), a.mov(x86::rsi, REG(rsi)), a.mov(x86::rdi, REG(rdi));
  // lea, not add: the flags are restored next and must stay as popped.
  a.lea(x86::rsp, x86::ptr(x86::rsp, kFrame));
  a.popfq();
  a.ret();
}

#undef REG

Result<void> map_region() {
  const int fd = memfd_create("ubee-syscall-code", MFD_CLOEXEC);
  if (fd < 0) return make_error(Errc::permission_denied, "memfd_create failed for the syscall code region");
  void* rx = MAP_FAILED;
  void* rw = MAP_FAILED;
  if (ftruncate(fd, kRegionSize) == 0) {
    rx = mmap(nullptr, kRegionSize, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    rw = mmap(nullptr, kRegionSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  close(fd);
  if (rx == MAP_FAILED || rw == MAP_FAILED)
    return make_error(Errc::permission_denied, "cannot map the syscall code region (read+execute and read+write)");
  g_region.rx = reinterpret_cast<std::uintptr_t>(rx);
  g_region.rw = static_cast<unsigned char*>(rw);
  return {};
}

Result<void> emit_fixed_code(Hook entry_hook, Hook exit_hook) {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE))
    return make_error(Errc::unsupported, "syscall interception needs XSAVE");
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host(), g_region.rx);
  x86::Assembler a(&code);
  asmjit::Label labels[4] = {a.newLabel(), a.newLabel(), a.newLabel(), a.newLabel()};
  a.bind(labels[0]), emit_raw_syscall(a);
  a.align(asmjit::AlignMode::kCode, 16), a.bind(labels[1]), emit_sigreturn(a);
  a.align(asmjit::AlignMode::kCode, 16), a.bind(labels[2]), emit_trampoline(a, entry_hook, xsave_area_size());
  a.align(asmjit::AlignMode::kCode, 16), a.bind(labels[3]), emit_trampoline(a, exit_hook, xsave_area_size());
  code.flatten();
  code.resolveUnresolvedLinks();
  if (code.codeSize() > kFixedSize || code.relocateToBase(g_region.rx) != asmjit::kErrorOk)
    return make_error(Errc::unsupported, "syscall code: emission failed");
  code.copyFlattenedData(g_region.rw, kFixedSize, asmjit::CopySectionFlags::kPadSectionBuffer);
  g_region.raw_syscall = g_region.rx + code.labelOffsetFromBase(labels[0]);
  g_region.sigreturn = g_region.rx + code.labelOffsetFromBase(labels[1]);
  g_region.entry_trampoline = g_region.rx + code.labelOffsetFromBase(labels[2]);
  g_region.exit_trampoline = g_region.rx + code.labelOffsetFromBase(labels[3]);
  return {};
}

std::uintptr_t stub_address(std::uint32_t index) { return g_region.rx + kFixedSize + index * kStubSize; }
unsigned char* stub_bytes(std::uint32_t index) { return g_region.rw + kFixedSize + index * kStubSize; }

void put32(unsigned char* p, std::int64_t v) {
  const auto v32 = static_cast<std::int32_t>(v);
  std::memcpy(p, &v32, 4);
}

// The rel32 of an instruction whose displacement is at `at` and which ends at `end` (offsets in the stub).
void put_rel(std::uint32_t index, int at, int end, std::uintptr_t target) {
  put32(stub_bytes(index) + at, static_cast<std::int64_t>(target - (stub_address(index) + end)));
}

constexpr int kRetSlot = 40;
constexpr unsigned char kLeaDown[] = {0x48, 0x8d, 0x64, 0x24, 0x80};                // lea rsp, [rsp - 128]
constexpr unsigned char kLeaUp[] = {0x48, 0x8d, 0xa4, 0x24, 0x90, 0x00, 0x00, 0x00};  // lea rsp, [rsp + 144]

// push qword [rip + ret]; push nr; call trampoline: 16 bytes from `at`.
void put_frame_call(std::uint32_t index, int at, unsigned long nr, std::uintptr_t trampoline) {
  unsigned char* p = stub_bytes(index);
  p[at] = 0xff, p[at + 1] = 0x35, put_rel(index, at + 2, at + 6, stub_address(index) + kRetSlot);
  p[at + 6] = 0x68, put32(p + at + 7, static_cast<std::int64_t>(nr));
  p[at + 11] = 0xe8, put_rel(index, at + 12, at + 16, trampoline);
}

void write_exit_stub(std::uint32_t index, std::uintptr_t ret, unsigned long nr) {
  unsigned char* p = stub_bytes(index);
  std::memset(p, 0xcc, kStubSize);
  p[0] = 0x0f, p[1] = 0x05;
  std::memcpy(p + 2, kLeaDown, sizeof kLeaDown);
  put_frame_call(index, 7, nr, g_region.exit_trampoline);
  std::memcpy(p + 23, kLeaUp, sizeof kLeaUp);
  p[31] = 0xff, p[32] = 0x25, put_rel(index, 33, 37, stub_address(index) + kRetSlot);
  std::memcpy(p + kRetSlot, &ret, 8);
}

void write_entry_stub(std::uint32_t index, std::uintptr_t ret, unsigned long nr, std::uintptr_t exit_stub) {
  unsigned char* p = stub_bytes(index);
  std::memset(p, 0xcc, kStubSize);
  std::memcpy(p, kLeaDown, sizeof kLeaDown);
  put_frame_call(index, 5, nr, g_region.entry_trampoline);
  std::memcpy(p + 21, kLeaUp, sizeof kLeaUp);
  p[29] = 0xb8, put32(p + 30, static_cast<std::int64_t>(nr));
  p[34] = 0xe9, put_rel(index, 35, 39, exit_stub);
  std::memcpy(p + kRetSlot, &ret, 8);
}


std::size_t hash(std::uint64_t key) { return (key * 0x9e3779b97f4a7c15ULL) >> (64 - 14); }
static_assert(kTableSize == 1 << 14);

}  // namespace

Result<void> init_syscall_code(Hook entry_hook, Hook exit_hook) {
  static std::once_flag once;
  std::call_once(once, [entry_hook, exit_hook] {
    g_init_result = map_region();
    if (g_init_result) g_init_result = emit_fixed_code(entry_hook, exit_hook);
  });
  return g_init_result;
}

std::uintptr_t code_begin() { return g_region.rx; }
std::size_t code_size() { return kRegionSize; }
void* sigreturn_code() { return reinterpret_cast<void*>(g_region.sigreturn); }

long raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
  using Fn = long (*)(long, long, long, long, long, long, long);
  return reinterpret_cast<Fn>(g_region.raw_syscall)(nr, a1, a2, a3, a4, a5, a6);
}

namespace {

void lock() {
  while (g_lock.test_and_set(std::memory_order_acquire)) {
  }
}
void unlock() { g_lock.clear(std::memory_order_release); }

// A new stub slot (under the lock), or -1 when all are taken.
long take_slot() { return g_stubs_used < kStubCount ? static_cast<long>(g_stubs_used++) : -1; }

}  // namespace

SiteStub site_stub(std::uintptr_t ret, unsigned long tagged_nr) {
  if (tagged_nr >= 2 * kPrivateChild) return {};
  const std::uint64_t key = ret | static_cast<std::uint64_t>(tagged_nr) << 47;
  std::size_t i = hash(key);
  for (;; i = (i + 1) % kTableSize) {  // lock-free lookup: a key is published after its stub is written
    const std::uint64_t k = g_table[i].key.load(std::memory_order_acquire);
    if (k == key)
      return {stub_address(g_table[i].stub.load(std::memory_order_relaxed)),
              g_table[i].hits.fetch_add(1, std::memory_order_relaxed) + 1};
    if (k == 0) break;
  }
  lock();
  SiteStub result;
  for (;; i = (i + 1) % kTableSize) {  // continue from the first empty slot: another thread may have filled it
    const std::uint64_t k = g_table[i].key.load(std::memory_order_relaxed);
    if (k == key) {
      result = {stub_address(g_table[i].stub.load(std::memory_order_relaxed)), 1};
      break;
    }
    if (k != 0) continue;
    if (const long index = take_slot(); index >= 0) {
      write_exit_stub(static_cast<std::uint32_t>(index), ret, tagged_nr);
      g_table[i].stub.store(static_cast<std::uint32_t>(index), std::memory_order_relaxed);
      g_table[i].hits.store(1, std::memory_order_relaxed);
      g_table[i].key.store(key, std::memory_order_release);
      result = {stub_address(static_cast<std::uint32_t>(index)), 1};
    }
    break;
  }
  unlock();
  return result;
}

std::uintptr_t entry_stub(std::uintptr_t ret, unsigned long nr) {
  const std::uintptr_t exit = site_stub(ret, nr).address;
  if (exit == 0) return 0;
  lock();
  const long index = take_slot();
  if (index >= 0) write_entry_stub(static_cast<std::uint32_t>(index), ret, nr, exit);
  unlock();
  return index < 0 ? 0 : stub_address(static_cast<std::uint32_t>(index));
}

void make_region_private() {
  g_lock.clear(std::memory_order_release);
  const long fd = raw_syscall(SYS_memfd_create, reinterpret_cast<long>("ubee-syscall-code"), MFD_CLOEXEC);
  if (fd < 0) return;  // keeps the shared region: stubs added later may then clash with the parent's
  const auto rx = static_cast<long>(g_region.rx), rw = reinterpret_cast<long>(g_region.rw);
  if (raw_syscall(SYS_ftruncate, fd, kRegionSize) == 0 &&
      raw_syscall(SYS_pwrite64, fd, rw, kRegionSize, 0) == static_cast<long>(kRegionSize)) {
    raw_syscall(SYS_mmap, rx, kRegionSize, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd, 0);
    raw_syscall(SYS_mmap, rw, kRegionSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
  }
  raw_syscall(SYS_close, fd);
}

}  // namespace ubee::attach::detail
