// Loading catalogue entries into the running kernel with libbpf: the maps are created (with a small BTF when a
// value holds a bpf_spin_lock, which the kernel only allows for BTF-described values), the map lddws are patched
// from map_idx / map_idx_value to map fds, and BPF_PROG_LOAD runs the kernel's verifier. Unprivileged entries
// load in a child process that drops CAP_PERFMON and CAP_SYS_ADMIN but keeps CAP_BPF and CAP_NET_ADMIN: bpf(2)
// still works (unprivileged_bpf_disabled only stops callers without CAP_BPF) while the verifier runs with
// allow_ptr_leaks off, the pointer-leak rules of unprivileged programs.
#pragma once

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "catalogue.hpp"

namespace ubee::catalogue {

struct KernelVerdict {
  bool loaded = false;
  int error = 0;    // errno of a refused load
  std::string log;  // the verifier's log (level 1 | stats)
};

// Closes the fds it holds: maps and BTF objects of one load.
class Fds {
 public:
  Fds() = default;
  Fds(const Fds&) = delete;
  Fds& operator=(const Fds&) = delete;
  ~Fds() {
    for (int fd : fds_) close(fd);
  }
  int keep(int fd) {
    if (fd >= 0) fds_.push_back(fd);
    return fd;
  }

 private:
  std::vector<int> fds_;
};

// The kernel map for one catalogue map, or -errno; `btf_fd` holds the map's BTF types when it has ids.
inline int create_kernel_map(const MapSpec& spec, int btf_fd, Fds& fds) {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = spec.flags);
  if (spec.btf_value_type_id != 0) {
    opts.btf_fd = static_cast<std::uint32_t>(btf_fd);
    opts.btf_key_type_id = spec.btf_key_type_id;
    opts.btf_value_type_id = spec.btf_value_type_id;
  }
  const int fd = bpf_map_create(static_cast<bpf_map_type>(spec.type), spec.name.c_str(), spec.key_size,
                                spec.value_size, spec.max_entries, &opts);
  return fd < 0 ? -errno : fds.keep(fd);
}

// map_idx(N) -> map_fd(fd N), map_idx_value(N, off) -> map_value(fd N, off).
inline void patch_map_references(Program& program, std::span<const int> map_fds) {
  for (Insn& in : program) {
    if (!in.is_lddw()) continue;
    if (in.src != BPF_PSEUDO_MAP_IDX && in.src != BPF_PSEUDO_MAP_IDX_VALUE) continue;
    const auto index = static_cast<std::size_t>(in.imm);
    in.src = in.src == BPF_PSEUDO_MAP_IDX ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE;
    in.imm = index < map_fds.size() ? map_fds[index] : -1;
  }
}

// Where the program's functions start: 0, the targets of bpf-to-bpf calls and of callback addresses (lddw
// BPF_PSEUDO_FUNC); sorted, unique.
inline std::vector<std::uint32_t> subprogram_starts(std::span<const Insn> program) {
  std::vector<std::uint32_t> starts{0};
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const Insn& in = program[pc];
    const bool call = in.opcode == (BPF_JMP | BPF_CALL) && in.src == BPF_PSEUDO_CALL;
    const bool func = in.is_lddw() && in.src == BPF_PSEUDO_FUNC;
    const std::int64_t target = static_cast<std::int64_t>(pc) + 1 + in.imm;
    if ((call || func) && target >= 0 && target < static_cast<std::int64_t>(program.size()))
      starts.push_back(static_cast<std::uint32_t>(target));
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  return starts;
}

// The kernel wants BTF function records for programs with callbacks: one static `int fN(void)` per function.
struct FuncInfo {
  int btf_fd = -1;
  std::vector<bpf_func_info> records;
};
inline FuncInfo func_info(std::span<const Insn> program, Fds& fds) {
  FuncInfo info;
  btf* b = btf__new_empty();
  if (b == nullptr) return info;
  const int int_id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
  const int proto_id = btf__add_func_proto(b, int_id);
  for (std::uint32_t start : subprogram_starts(program)) {
    const std::string name = "f" + std::to_string(start);
    const int id = btf__add_func(b, name.c_str(), BTF_FUNC_STATIC, proto_id);
    info.records.push_back(bpf_func_info{start, static_cast<std::uint32_t>(id)});
  }
  if (btf__load_into_kernel(b) == 0) info.btf_fd = fds.keep(dup(btf__fd(b)));
  btf__free(b);
  return info;
}

// BPF_PROG_LOAD with the verifier's log; `log_level` 1 | BPF_LOG_STATS by default.
inline KernelVerdict prog_load(bpf_prog_type type, std::span<const Insn> program, std::uint32_t log_level = 1 | 4) {
  std::string log(1 << 20, '\0');
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = log_level, .log_size = static_cast<std::uint32_t>(log.size()),
              .log_buf = log.data());
  Fds fds;
  const FuncInfo funcs = func_info(program, fds);
  if (funcs.btf_fd >= 0) {
    opts.prog_btf_fd = static_cast<std::uint32_t>(funcs.btf_fd);
    opts.func_info = funcs.records.data();
    opts.func_info_cnt = static_cast<std::uint32_t>(funcs.records.size());
    opts.func_info_rec_size = sizeof(bpf_func_info);
  }
  static_assert(sizeof(Insn) == sizeof(bpf_insn));
  const int fd = bpf_prog_load(type, "catalogue", "GPL", reinterpret_cast<const bpf_insn*>(program.data()),
                               program.size(), &opts);
  KernelVerdict verdict{fd >= 0, fd >= 0 ? 0 : errno, {}};
  if (fd >= 0) close(fd);
  log.resize(log.find('\0') == std::string::npos ? log.size() : log.find('\0'));
  verdict.log = std::move(log);
  return verdict;
}

// Drops CAP_PERFMON and CAP_SYS_ADMIN from this process (the caller is a child made for it).
inline bool drop_leak_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  for (int cap : {CAP_PERFMON, CAP_SYS_ADMIN}) {
    data[cap / 32].effective &= ~(1u << (cap % 32));
    data[cap / 32].permitted &= ~(1u << (cap % 32));
  }
  return syscall(SYS_capset, &header, data) == 0;
}

// prog_load in a child without the leak capabilities; the child reports its verdict and log through a pipe.
inline KernelVerdict prog_load_unprivileged(bpf_prog_type type, std::span<const Insn> program) {
  int fds[2];
  if (pipe(fds) != 0) return KernelVerdict{false, errno, "pipe failed"};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (!drop_leak_capabilities()) _exit(255);
    const KernelVerdict v = prog_load(type, program);
    const std::string out = std::to_string(v.loaded) + " " + std::to_string(v.error) + "\n" + v.log;
    for (std::size_t done = 0; done < out.size();) {
      const ssize_t n = write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return KernelVerdict{false, ECHILD, "could not drop capabilities"};
  KernelVerdict v;
  v.loaded = out.starts_with("1");
  v.error = std::atoi(out.c_str() + out.find(' ') + 1);
  v.log = out.substr(out.find('\n') + 1);
  return v;
}

// The kernel's verdict on an entry; nullopt when its maps could not be created (errno in `map_error`).
inline std::optional<KernelVerdict> kernel_verdict(const Entry& e, Program program, int* map_error = nullptr) {
  Fds fds;
  const EntryBtf types = entry_btf(e);
  int btf_fd = -1;
  if (types.types && btf__load_into_kernel(types.types.get()) == 0) btf_fd = btf__fd(types.types.get());
  std::vector<int> map_fds;
  for (const MapSpec& spec : types.maps) {
    const int fd = create_kernel_map(spec, btf_fd, fds);
    if (fd < 0) {
      if (map_error) *map_error = -fd;
      return std::nullopt;
    }
    map_fds.push_back(fd);
  }
  patch_map_references(program, map_fds);
  return e.privileged.value_or(true) ? prog_load(e.type, program) : prog_load_unprivileged(e.type, program);
}

// Whether bpf(2) loads programs here (root, not refused by a seccomp filter or a lockdown).
inline bool kernel_bpf_available() {
  const Insn prog[] = {Insn{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0}, Insn{BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
  return prog_load(BPF_PROG_TYPE_SOCKET_FILTER, prog, 0).loaded;
}

}  // namespace ubee::catalogue
