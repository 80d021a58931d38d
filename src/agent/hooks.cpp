#include "hooks.hpp"

#include <asm/unistd_64.h>
#include <link.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cstdlib>

#include "ubee/verifier.hpp"

namespace ubee::agent {
namespace {

// The kernel's tracepoint records for syscalls/sys_enter_* and sys_exit_* (the "format" files under
// /sys/kernel/tracing/events/syscalls): the common header, then the syscall number, then 8-byte fields.
struct TraceEntryHeader {
  std::uint16_t common_type;
  std::uint8_t common_flags;
  std::uint8_t common_preempt_count;
  std::int32_t common_pid;
};
struct SysEnterRecord {
  TraceEntryHeader header;
  std::int32_t syscall_nr;  // offset 8
  std::uint32_t pad;
  std::uint64_t args[6];    // offset 16
};
struct SysExitRecord {
  TraceEntryHeader header;
  std::int32_t syscall_nr;
  std::uint32_t pad;
  std::int64_t ret;         // offset 16
};
static_assert(offsetof(SysEnterRecord, args) == 16 && offsetof(SysExitRecord, ret) == 16);

// System calls glibc makes while holding its allocator's locks: the memory calls inside malloc() and free(),
// and fork (clone) between taking every arena lock and releasing them. A program run there could deadlock
// (the checked interpreter, helpers and printk allocate), so they are not traced: their tracepoints are
// refused and the raw tracepoints skip them.
bool allocator_syscall(std::uint64_t nr) {
  switch (nr) {
    case __NR_brk:
    case __NR_mmap:
    case __NR_munmap:
    case __NR_mremap:
    case __NR_mprotect:
    case __NR_madvise:
    case __NR_clone:
    case __NR_clone3:
    case __NR_fork:
    case __NR_vfork: return true;
    default: return false;
  }
}

// Contexts as large as the verifier lets programs read (see kTracepointContextSize): the record at the start,
// zeros or this thread's earlier records after it, all memory the agent owns.
union TracepointContext {
  SysEnterRecord enter;
  SysExitRecord exit;
  std::uint8_t bytes[kTracepointContextSize];
};

// One per thread, mapped on first use and unmapped when the thread exits: not thread_local, whose static TLS
// block would keep an agent dlopen'ed by --pid from loading.
TracepointContext* thread_tracepoint_context() {
  static const pthread_key_t key = [] {
    pthread_key_t k;
    pthread_key_create(&k, [](void* context) { munmap(context, sizeof(TracepointContext)); });
    return k;
  }();
  auto* context = static_cast<TracepointContext*>(pthread_getspecific(key));
  if (context != nullptr) return context;
  void* p = mmap(nullptr, sizeof(TracepointContext), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  pthread_setspecific(key, p);
  return static_cast<TracepointContext*>(p);
}

using RawTracepointArgs = std::array<std::uint64_t, kRawTracepointContextSize / 8>;

void on_probe(pt_regs* regs, void* cookie) {
  const auto* probe = static_cast<const ProbeCookie*>(cookie);
  probe->program->run(regs, sizeof *regs, probe->cookie);
}

void on_sys_enter(pt_regs* regs, void* cookie) {
  const auto& table = *static_cast<const SyscallTable*>(cookie);
  const std::uint64_t nr = regs->orig_rax;
  if (allocator_syscall(nr)) return;
  TracepointContext* context = nullptr;
  if (nr < SyscallTable::kMaxSyscall && !table.enter[nr].empty() && (context = thread_tracepoint_context())) {
    context->enter = {{0, 0, 0, static_cast<std::int32_t>(gettid())}, static_cast<std::int32_t>(nr), 0,
                      {regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8, regs->r9}};
    for (const AgentProgram* p : table.enter[nr]) p->run(context, sizeof *context, 0);
  }
  RawTracepointArgs args{reinterpret_cast<std::uint64_t>(regs), nr};  // raw_tracepoint/sys_enter: regs, id
  for (const AgentProgram* p : table.raw_enter) p->run(args.data(), sizeof args, 0);
}

void on_sys_exit(pt_regs* regs, void* cookie) {
  const auto& table = *static_cast<const SyscallTable*>(cookie);
  const std::uint64_t nr = regs->orig_rax;
  if (allocator_syscall(nr)) return;
  TracepointContext* context = nullptr;
  if (nr < SyscallTable::kMaxSyscall && !table.exit[nr].empty() && (context = thread_tracepoint_context())) {
    context->exit = {{0, 0, 0, static_cast<std::int32_t>(gettid())}, static_cast<std::int32_t>(nr), 0,
                     static_cast<std::int64_t>(regs->rax)};
    for (const AgentProgram* p : table.exit[nr]) p->run(context, sizeof *context, 0);
  }
  RawTracepointArgs args{reinterpret_cast<std::uint64_t>(regs), regs->rax};  // raw_tracepoint/sys_exit: regs, ret
  for (const AgentProgram* p : table.raw_exit) p->run(args.data(), sizeof args, 0);
}

std::string real_path(const std::string& path) {
  char buffer[PATH_MAX];
  return realpath(path.c_str(), buffer) != nullptr ? std::string(buffer) : path;
}

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

bool SyscallTable::empty() const {
  if (!raw_enter.empty() || !raw_exit.empty()) return false;
  for (std::size_t i = 0; i < kMaxSyscall; ++i)
    if (!enter[i].empty() || !exit[i].empty()) return false;
  return true;
}

bool file_loaded(const std::string& path) {
  struct Search {
    std::string wanted;
    bool by_name;
    bool found = false;
  } search{path.find('/') == std::string::npos ? path : real_path(path), path.find('/') == std::string::npos};
  if (!search.by_name && search.wanted == real_path("/proc/self/exe")) return true;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto& s = *static_cast<Search*>(data);
        if (info->dlpi_name == nullptr || info->dlpi_name[0] == '\0') return 0;
        const std::string name = info->dlpi_name;
        // "libc.so.6" names /lib/x86_64-linux-gnu/libc.so.6; "libfoo.so" also names libfoo.so.1 (its soname).
        const std::string base = base_name(name);
        s.found = s.by_name ? base == s.wanted || base.starts_with(s.wanted + ".") : real_path(name) == s.wanted;
        return s.found ? 1 : 0;
      },
      &search);
  return search.found;
}

namespace {

Result<bool> add_syscall(SyscallTable::Programs& table, int nr, const AgentProgram& program) {
  if (allocator_syscall(static_cast<std::uint64_t>(nr)))
    return make_error(Errc::unsupported, "glibc's allocator makes this system call holding its locks: a program "
                                         "run there could deadlock, so ubee does not trace it");
  if (nr < 0 || static_cast<std::size_t>(nr) >= table.size())
    return make_error(Errc::unsupported, "system call " + std::to_string(nr) + " is beyond ubee's table");
  table[static_cast<std::size_t>(nr)].push_back(&program);
  return true;
}

}  // namespace

Result<bool> Hooks::attach(const AgentProgram& program) {
  auto point = parse_attach_point(program.target());
  if (!point) return point.error();
  switch (point->kind) {
    case HookKind::uprobe:
    case HookKind::uretprobe: return attach_uprobe(program, *point);
    case HookKind::syscall_enter: return add_syscall(syscalls_.enter, point->syscall, program);
    case HookKind::syscall_exit: return add_syscall(syscalls_.exit, point->syscall, program);
    case HookKind::raw_syscall_enter: syscalls_.raw_enter.push_back(&program); return true;
    case HookKind::raw_syscall_exit: syscalls_.raw_exit.push_back(&program); return true;
    case HookKind::usdt:
      if (auto r = attach_usdt(program, point->usdt); !r) return r.error();
      return true;
  }
  return make_error(Errc::unsupported, "unknown hook");
}

Result<bool> Hooks::attach_uprobe(const AgentProgram& program, const AttachPoint& point) {
  auto address = attach::resolve_function(point.path, point.function, point.offset);
  if (!address) {
    if (address.error().code == Errc::not_found && !file_loaded(point.path)) {
      std::lock_guard lock(mutex_);
      pending_.push_back({&program, point});
      return false;
    }
    return address.error();
  }
  auto probe = std::make_unique<ProbeCookie>(ProbeCookie{&program, 0});
  const auto kind = point.kind == HookKind::uprobe ? attach::ProbeKind::entry : attach::ProbeKind::ret;
  auto id = attach::attach_probe(*address, kind, on_probe, probe.get());
  if (!id) return id.error();
  std::lock_guard lock(mutex_);
  probes_.push_back(std::move(probe));
  return true;
}

Result<void> Hooks::start_syscalls() {
  if (syscalls_.empty()) return {};
  return attach::start_syscall_interception({on_sys_enter, on_sys_exit, &syscalls_});
}

void Hooks::retry_pending(Report report) {
  std::vector<Pending> still;
  std::vector<Pending> ready;
  {
    std::lock_guard lock(mutex_);
    for (Pending& p : pending_) (file_loaded(p.point.path) ? ready : still).push_back(std::move(p));
    pending_ = std::move(still);
  }
  for (const Pending& p : ready) {
    auto r = attach_uprobe(*p.program, p.point);
    const std::string what = p.program->name() + ": " + p.program->target();
    if (!r) report(false, what + ": " + r.error().to_string());
    else report(true, what);
  }
}

__attribute__((weak)) Result<void> attach_usdt(const AgentProgram& program, const std::string&) {
  return make_error(Errc::unsupported, "program '" + program.name() + "': usdt/ sections are not supported yet");
}

}  // namespace ubee::agent
