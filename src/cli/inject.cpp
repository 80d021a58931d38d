// Injection by ptrace: the target's thread runs dlopen() as if it had called it, returning to address 0, where
// the fault stops it again for us. The path goes on its stack below the red zone (the 128 bytes under rsp a
// leaf function may use without moving rsp), and the return address just below it.
#include "inject.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace ubee::cli {
namespace {

constexpr std::uint64_t kRedZone = 128;
constexpr int kCallTimeoutMs = 10000;

std::string pid_text(pid_t pid) { return "process " + std::to_string(pid); }

Error errno_error(pid_t pid, const std::string& what, int err) {
  if (err == ESRCH) return make_error(Errc::not_found, pid_text(pid) + " is gone (" + what + ")");
  if (err == EPERM)
    return make_error(Errc::permission_denied,
                      pid_text(pid) + ": ptrace not permitted (kernel.yama.ptrace_scope / not the same user / no "
                                      "CAP_SYS_PTRACE)");
  return make_error(Errc::io, pid_text(pid) + ": " + what + ": " + std::strerror(err));
}

// ---- Finding dlopen in the target: its libc's mapping in /proc/PID/maps, and the symbol in that file.
struct Library {
  std::string path;
  std::uint64_t bias = 0;  // runtime address - link-time address
};

bool is_libc(const std::string& path) {
  const std::string base = path.substr(path.rfind('/') + 1);
  return base.starts_with("libc.so") || (base.starts_with("libc-") && base.ends_with(".so"));
}

// A shared library's first segment maps file offset 0 at link-time address 0, so the mapping of offset 0 is the
// load bias.
Result<Library> find_libc(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  if (!maps) return make_error(Errc::not_found, pid_text(pid) + " is gone (no /proc/" + std::to_string(pid) + "/maps)");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, path;
    fields >> range >> perms >> offset >> device >> inode >> path;
    if (path.empty() || !is_libc(path) || std::strtoull(offset.c_str(), nullptr, 16) != 0) continue;
    return Library{path, std::strtoull(range.c_str(), nullptr, 16)};
  }
  return make_error(Errc::not_found, pid_text(pid) + " has no libc mapped (a static program cannot dlopen)");
}

struct ElfCloser {
  void operator()(Elf* e) const { elf_end(e); }
};

// The default version of a dynamic symbol (dlopen@@GLIBC_2.34 rather than the compat dlopen@GLIBC_2.2.5).
std::optional<std::uint64_t> dynamic_symbol(Elf* elf, const char* name) {
  Elf_Scn* symbols = nullptr;
  Elf_Scn* versions = nullptr;
  std::size_t link = 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) continue;
    if (sh.sh_type == SHT_DYNSYM) symbols = scn, link = sh.sh_link;
    if (sh.sh_type == SHT_GNU_versym) versions = scn;
  }
  if (symbols == nullptr) return std::nullopt;
  Elf_Data* data = elf_getdata(symbols, nullptr);
  Elf_Data* version_data = versions != nullptr ? elf_getdata(versions, nullptr) : nullptr;
  std::optional<std::uint64_t> found;
  GElf_Sym sym;
  for (int i = 0; data != nullptr && gelf_getsym(data, i, &sym) != nullptr; ++i) {
    const char* n = elf_strptr(elf, link, sym.st_name);
    if (n == nullptr || std::strcmp(n, name) != 0 || sym.st_shndx == SHN_UNDEF || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
      continue;
    GElf_Versym version = 0;
    const bool hidden = version_data != nullptr && gelf_getversym(version_data, i, &version) != nullptr &&
                        (version & 0x8000) != 0;  // VERSYM_HIDDEN: a non-default version
    if (!hidden) return sym.st_value;
    found = sym.st_value;
  }
  return found;
}

Result<std::uint64_t> find_in_libc(pid_t pid, const Library& libc, const char* name) {
  elf_version(EV_CURRENT);
  // The target's view of the file: /proc/PID/root keeps working when it runs in another mount namespace.
  const std::string file = "/proc/" + std::to_string(pid) + "/root" + libc.path;
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fd = open(libc.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, "'" + libc.path + "': " + std::strerror(errno));
  std::optional<std::uint64_t> value;
  {
    std::unique_ptr<Elf, ElfCloser> elf(elf_begin(fd, ELF_C_READ, nullptr));
    if (elf) value = dynamic_symbol(elf.get(), name);
  }
  close(fd);
  if (!value)
    return make_error(Errc::not_found, "'" + libc.path + "' exports no " + name + " (glibc before 2.34 keeps it in libdl)");
  return libc.bias + *value;
}

// ---- The stopped thread.
class Tracee {
 public:
  explicit Tracee(pid_t pid) : pid_(pid) {}
  Tracee(const Tracee&) = delete;
  Tracee& operator=(const Tracee&) = delete;
  ~Tracee() {
    if (attached_) ptrace(PTRACE_DETACH, pid_, nullptr, nullptr);
  }

  Result<void> attach() {
    if (ptrace(PTRACE_SEIZE, pid_, nullptr, nullptr) != 0) return errno_error(pid_, "PTRACE_SEIZE", errno);
    attached_ = true;
    if (ptrace(PTRACE_INTERRUPT, pid_, nullptr, nullptr) != 0) return errno_error(pid_, "PTRACE_INTERRUPT", errno);
    int status = 0;
    if (auto r = wait_stop(status); !r) return r;
    return {};
  }

  Result<void> wait_stop(int& status, int timeout_ms = kCallTimeoutMs) {
    // A bounded wait: a thread stopped while holding a lock dlopen needs would never return. Polled finely at
    // first, since single steps stop within microseconds.
    for (int poll = 0, waited_us = 0; waited_us < timeout_ms * 1000; ++poll) {
      const pid_t r = waitpid(pid_, &status, __WALL | WNOHANG);
      if (r < 0) return errno_error(pid_, "waitpid", errno);
      if (r == pid_) {
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
          attached_ = false;
          return make_error(Errc::not_found, pid_text(pid_) + " is gone (it exited while stopped for injection)");
        }
        return {};
      }
      const int pause_us = poll < 100 ? 10 : 1000;
      const timespec pause{0, pause_us * 1000L};
      nanosleep(&pause, nullptr);
      waited_us += pause_us;
    }
    return make_error(Errc::io, pid_text(pid_) + ": no stop within " + std::to_string(timeout_ms) + " ms");
  }

  // The agent patches code (inline probes) inside the dlopen, while this thread is stopped where it was
  // interrupted: resumed in the middle of bytes that became a jump, it would crash. A thread blocked in a system
  // call is resumed just after its `syscall` instruction, which nothing patches. One running user code is
  // stepped until it executes a call: a function's first instruction is either untouched or the start of a
  // patch, and both are safe to resume at. Gives up quietly after kMaxSteps (a loop without calls).
  Result<void> step_to_safe_point() {
    constexpr int kMaxSteps = 20000;
    auto regs = registers();
    if (!regs) return regs.error();
    if (static_cast<long>(regs->orig_rax) >= 0) return {};  // in a system call
    int signal = 0;
    for (int step = 0; step < kMaxSteps; ++step) {
      const user_regs_struct before = *regs;
      if (ptrace(PTRACE_SINGLESTEP, pid_, nullptr, reinterpret_cast<void*>(static_cast<long>(signal))) != 0)
        return errno_error(pid_, "PTRACE_SINGLESTEP", errno);
      int status = 0;
      if (auto r = wait_stop(status); !r) return r;
      signal = WSTOPSIG(status) == SIGTRAP || (status >> 16) != 0 ? 0 : WSTOPSIG(status);  // the process's own
      regs = registers();
      if (!regs) return regs.error();
      std::uint64_t pushed = 0;
      // A call pushed the address of the instruction after it (at most 15 bytes on) and went elsewhere.
      if (regs->rsp == before.rsp - 8 && read(regs->rsp, &pushed, 8) && pushed > before.rip && pushed <= before.rip + 15 &&
          regs->rip != pushed)
        return {};
    }
    return {};
  }

  Result<user_regs_struct> registers() {
    user_regs_struct regs{};
    if (ptrace(PTRACE_GETREGS, pid_, nullptr, &regs) != 0) return errno_error(pid_, "PTRACE_GETREGS", errno);
    return regs;
  }
  Result<void> set_registers(const user_regs_struct& regs) {
    if (ptrace(PTRACE_SETREGS, pid_, nullptr, &regs) != 0) return errno_error(pid_, "PTRACE_SETREGS", errno);
    return {};
  }

  Result<void> read(std::uint64_t address, void* out, std::size_t size) {
    iovec local{out, size}, remote{reinterpret_cast<void*>(address), size};
    if (process_vm_readv(pid_, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(size))
      return errno_error(pid_, "reading its memory", errno);
    return {};
  }
  Result<void> write(std::uint64_t address, const void* data, std::size_t size) {
    iovec local{const_cast<void*>(data), size}, remote{reinterpret_cast<void*>(address), size};
    if (process_vm_writev(pid_, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(size))
      return errno_error(pid_, "writing its memory", errno);
    return {};
  }

  // Calls function(data, second) on the thread, `data` copied onto its stack as a C string; returns rax.
  Result<std::uint64_t> call(const user_regs_struct& saved, std::uint64_t function, const std::string& data,
                             std::uint64_t second) {
    // [ret addr 0][data, NUL][padding] ... red zone ... original rsp
    const std::uint64_t data_at = (saved.rsp - kRedZone - data.size() - 1) & ~std::uint64_t{15};
    const std::uint64_t sp = data_at - 8;  // at entry rsp + 8 is 16-byte aligned, as the ABI wants after a call
    const std::size_t used = saved.rsp - kRedZone - sp;
    std::vector<std::uint8_t> original(used);
    if (auto r = read(sp, original.data(), used); !r) return r.error();
    std::vector<std::uint8_t> frame(used, 0);
    std::memcpy(frame.data() + 8, data.c_str(), data.size() + 1);
    if (auto r = write(sp, frame.data(), used); !r) return r.error();
    user_regs_struct regs = saved;
    regs.rip = function;
    regs.rsp = sp;
    regs.rdi = data_at;
    regs.rsi = second;
    regs.rax = 0;
    regs.orig_rax = static_cast<std::uint64_t>(-1);  // not in a system call: no restart may rewrite rip/rax
    auto result = run_to_fault(regs);
    // The stack bytes go back whatever happened, so the thread's frame is as it was.
    if (auto r = write(sp, original.data(), used); !r) return r.error();
    return result;
  }

  void detach() {
    if (attached_ && ptrace(PTRACE_DETACH, pid_, nullptr, nullptr) == 0) attached_ = false;
  }

 private:
  Result<std::uint64_t> run_to_fault(const user_regs_struct& regs) {
    if (auto r = set_registers(regs); !r) return r.error();
    int status = 0;
    // Resume until the return to address 0 faults; other stops (a signal for the process) are passed through.
    for (int sig = 0;;) {
      if (ptrace(PTRACE_CONT, pid_, nullptr, reinterpret_cast<void*>(static_cast<long>(sig))) != 0)
        return errno_error(pid_, "PTRACE_CONT", errno);
      if (auto r = wait_stop(status); !r) return r.error();
      const int stop = WSTOPSIG(status);
      if (stop == SIGSEGV) break;
      sig = (status >> 16) == 0 && stop != SIGSTOP && stop != SIGTRAP ? stop : 0;
    }
    auto after = registers();
    if (!after) return after.error();
    if (after->rip != 0)
      return make_error(Errc::io, pid_text(pid_) + ": crashed inside the injected call (SIGSEGV at 0x" +
                                      to_hex(after->rip) + ")");
    return after->rax;
  }

  static std::string to_hex(std::uint64_t v) {
    std::ostringstream s;
    s << std::hex << v;
    return s.str();
  }

  pid_t pid_;
  bool attached_ = false;
};

Result<std::string> absolute(const std::string& path) {
  char buffer[PATH_MAX];
  if (realpath(path.c_str(), buffer) == nullptr) return make_error(Errc::not_found, "'" + path + "': " + std::strerror(errno));
  return std::string(buffer);
}

// dlerror()'s message in the target, or a generic one when it cannot be read.
std::string remote_dlerror(Tracee& tracee, const user_regs_struct& saved, std::uint64_t dlerror_address) {
  auto text = tracee.call(saved, dlerror_address, "", 0);
  if (!text || *text == 0) return "dlopen returned NULL";
  char buffer[512] = {};
  if (!tracee.read(*text, buffer, sizeof buffer - 1)) return "dlopen returned NULL";
  return buffer;
}

}  // namespace

Result<void> inject_agent(pid_t pid, const std::string& library_path) {
  auto path = absolute(library_path);
  if (!path) return path.error();
  auto libc = find_libc(pid);
  if (!libc) return libc.error();
  auto dlopen_address = find_in_libc(pid, *libc, "dlopen");
  if (!dlopen_address) return dlopen_address.error();
  Tracee tracee(pid);
  if (auto r = tracee.attach(); !r) return r;
  if (auto r = tracee.step_to_safe_point(); !r) return r;
  auto saved = tracee.registers();
  if (!saved) return saved.error();
  auto handle = tracee.call(*saved, *dlopen_address, *path, RTLD_NOW);
  std::string failure;
  if (handle && *handle == 0) {
    auto dlerror_address = find_in_libc(pid, *libc, "dlerror");
    failure = dlerror_address ? remote_dlerror(tracee, *saved, *dlerror_address) : "dlopen returned NULL";
  }
  // The registers as they were, including orig_rax: a system call the thread was in restarts on resume.
  if (auto r = tracee.set_registers(*saved); !r) return r;
  tracee.detach();
  if (!handle) return handle.error();
  if (!failure.empty())
    return make_error(Errc::invalid_argument, pid_text(pid) + ": dlopen(\"" + *path + "\") failed: " + failure);
  return {};
}

}  // namespace ubee::cli
