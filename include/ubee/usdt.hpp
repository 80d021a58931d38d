// USDT (user statically-defined tracing) probes: the sites <sys/sdt.h> (DTRACE_PROBE / STAP_PROBE) records in an
// ELF file's `.note.stapsdt` notes, where they are in this process, and their argument specs in the layout
// libbpf's <bpf/usdt.bpf.h> reads from its `__bpf_usdt_specs` map, so that BPF_USDT() programs run unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ubee/error.hpp"
#include "ubee/maps.hpp"

namespace ubee::usdt {

// ---- The BPF side's layout. Origin: libbpf's <bpf/usdt.bpf.h> (libbpf 1.1, Debian 12), enum
// __bpf_usdt_arg_type, struct __bpf_usdt_arg_spec and struct __bpf_usdt_spec. Programs index these bytes
// directly, so the sizes and offsets below are checked against that header's.
enum ArgKind : std::uint32_t {
  kArgConst = 0,     // BPF_USDT_ARG_CONST: the value is val_off
  kArgReg = 1,       // BPF_USDT_ARG_REG: the value is the register at reg_off in struct pt_regs
  kArgRegDeref = 2,  // BPF_USDT_ARG_REG_DEREF: the value is in memory at that register + val_off
};

struct BpfUsdtArgSpec {
  std::uint64_t val_off = 0;
  std::uint32_t arg_type = kArgConst;  // enum __bpf_usdt_arg_type (an int-sized enum in C)
  std::int16_t reg_off = 0;            // offsetof(struct pt_regs, <register>)
  bool arg_signed = false;
  std::int8_t arg_bitshift = 0;        // 64 - 8 * size: clears (or sign-extends) the bits above the argument
};
static_assert(sizeof(BpfUsdtArgSpec) == 16);
static_assert(offsetof(BpfUsdtArgSpec, arg_type) == 8 && offsetof(BpfUsdtArgSpec, reg_off) == 12 &&
              offsetof(BpfUsdtArgSpec, arg_signed) == 14 && offsetof(BpfUsdtArgSpec, arg_bitshift) == 15);

inline constexpr std::size_t kMaxArgs = 12;  // BPF_USDT_MAX_ARG_CNT

struct BpfUsdtSpec {
  BpfUsdtArgSpec args[kMaxArgs]{};
  std::uint64_t usdt_cookie = 0;  // what bpf_usdt_cookie() returns
  std::int16_t arg_cnt = 0;
};
static_assert(sizeof(BpfUsdtSpec) == 208);
static_assert(offsetof(BpfUsdtSpec, usdt_cookie) == 192 && offsetof(BpfUsdtSpec, arg_cnt) == 200);

// The names of the maps usdt.bpf.h declares in every object that includes it.
inline constexpr std::string_view kSpecsMap = "__bpf_usdt_specs";            // array: spec id -> BpfUsdtSpec
inline constexpr std::string_view kIpToSpecIdMap = "__bpf_usdt_ip_to_spec_id";  // hash: long ip -> u32 spec id

// Parses a note's argument string ("-4@%edi 8@-8(%rbp) 4@$5", x86-64 AT&T operands as GCC and clang emit them)
// the way libbpf does. Refused, naming the argument: sizes other than 1/2/4/8, unknown registers, and
// operands usdt.bpf.h cannot express (index registers "8@8(%rax,%rdx,8)", symbols "4@counter(%rip)").
Result<BpfUsdtSpec> parse_arguments(std::string_view text, std::uint64_t usdt_cookie = 0);

// The value of argument `index` at a site, computed from the registers as bpf_usdt_arg() does (memory operands
// read directly: the caller vouches that `regs` are this process's registers at the site). For tests and tools.
Result<std::int64_t> read_argument(const BpfUsdtSpec& spec, std::size_t index, const void* pt_regs);

// ---- The ELF side: one `.note.stapsdt` note (type 3, owner "stapsdt").
struct Note {
  std::string provider;
  std::string name;
  std::string arguments;        // the argument string, "" when the probe has none
  std::uint64_t pc = 0;         // the note's site address, as linked
  std::uint64_t base = 0;       // the note's idea of .stapsdt.base's address
  std::uint64_t semaphore = 0;  // the semaphore's address as linked, 0 when the probe has none
  // pc corrected for prelink as libbpf does: pc + (address of .stapsdt.base in the file - base). A link-time
  // virtual address; add the object's load bias for the runtime address.
  std::uint64_t address = 0;
};

struct NoteFile {
  bool position_independent = false;  // ET_DYN: addresses are relative to the load bias
  std::vector<Note> notes;
};

// Every USDT note of the ELF file at `path`; a file without `.note.stapsdt` has none. Fails when a note is
// malformed or a site is outside the file's executable segments.
Result<NoteFile> read_notes(const std::string& path);

// A site in this process: where the probe's instruction is and where its semaphore counter lives.
struct Site {
  Note note;
  std::uintptr_t address = 0;    // runtime address of the site
  std::uintptr_t semaphore = 0;  // runtime address of the 16-bit semaphore, 0 when none
};

// The sites of PROVIDER:NAME in the object `path` loaded in this process: an absolute path or a library's file
// name ("libc.so.6"), as for uprobes. Errc::not_found when the object is not loaded or has no such probe.
Result<std::vector<Site>> find_sites(std::string_view path, std::string_view provider, std::string_view name);

// Semaphores tell a program that a tracer is attached (its STAP_PROBE*_ENABLED() checks them): attaching adds one,
// detaching removes one, atomically, as the kernel's uprobe reference counter does.
void semaphore_add(std::uintptr_t semaphore);
void semaphore_remove(std::uintptr_t semaphore);

// ---- Attaching, as libbpf's usdt.c does for the kernel: every site of the probe gets an entry probe whose
// bpf_get_attach_cookie() is a spec id, the object's __bpf_usdt_specs map holds the argument spec under that id
// (what bpf_usdt_arg() decodes), __bpf_usdt_ip_to_spec_id maps each site's address to it (the lookup usdt.bpf.h
// falls back to without cookies), and semaphores are raised while attached.
struct Target {
  std::string path;  // absolute path or a library's file name, as for uprobes
  std::string provider;
  std::string name;
};

// What follows "usdt/" in libbpf's SEC("usdt/PATH:PROVIDER:NAME"); PATH may hold ':' itself.
Result<Target> parse_target(std::string_view text);

// Called once per site: attach the program at `address` so that its runs see `cookie` from
// bpf_get_attach_cookie().
using AttachAt = std::function<Result<void>(std::uintptr_t address, std::uint64_t cookie)>;

// The USDT state of one object: its two maps and the spec ids handed out. Destroying it lowers the semaphores it
// raised (detach the probes first).
class Attacher {
 public:
  Attacher(std::shared_ptr<Map> specs, std::shared_ptr<Map> ip_to_spec_id);
  ~Attacher();
  Attacher(const Attacher&) = delete;
  Attacher& operator=(const Attacher&) = delete;

  // Attaches at every site of `target` in this process; returns the number of sites. Sites with the same
  // argument string share a spec id, as in libbpf. `usdt_cookie` is what bpf_usdt_cookie() returns.
  Result<std::size_t> attach(const Target& target, std::uint64_t usdt_cookie, const AttachAt& attach_at);

 private:
  Result<std::uint32_t> spec_id(const std::string& arguments, std::uint64_t usdt_cookie);

  std::shared_ptr<Map> specs_;
  std::shared_ptr<Map> ip_to_spec_id_;
  std::map<std::pair<std::string, std::uint64_t>, std::uint32_t> ids_;
  std::vector<std::uintptr_t> semaphores_;
};

}  // namespace ubee::usdt
