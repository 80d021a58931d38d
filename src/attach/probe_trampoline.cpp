#include "attach/probe_trampoline.hpp"

#include <asmjit/x86.h>

#include <cstddef>
#include <vector>

#include "attach/code_memory.hpp"

namespace ubee::attach {

namespace {

namespace x86 = asmjit::x86;

constexpr int kRedZone = 128;
constexpr int kXmmOffset = sizeof(pt_regs);
constexpr int kFrame = sizeof(pt_regs) + 16 * 16 + 8;  // pt_regs, xmm0-15, padding
constexpr int kAbove = kRedZone + kFrame;              // from the frame's base to rsp at the site
constexpr std::size_t kTrampolineSize = 1024;
constexpr std::size_t kStubSize = 1024;

struct SavedGp {
  x86::Gp reg;
  int offset;
};

const SavedGp kGps[] = {
    {x86::r15, offsetof(pt_regs, r15)}, {x86::r14, offsetof(pt_regs, r14)}, {x86::r13, offsetof(pt_regs, r13)},
    {x86::r12, offsetof(pt_regs, r12)}, {x86::rbp, offsetof(pt_regs, rbp)}, {x86::rbx, offsetof(pt_regs, rbx)},
    {x86::r11, offsetof(pt_regs, r11)}, {x86::r10, offsetof(pt_regs, r10)}, {x86::r9, offsetof(pt_regs, r9)},
    {x86::r8, offsetof(pt_regs, r8)},   {x86::rax, offsetof(pt_regs, rax)}, {x86::rcx, offsetof(pt_regs, rcx)},
    {x86::rdx, offsetof(pt_regs, rdx)}, {x86::rsi, offsetof(pt_regs, rsi)}, {x86::rdi, offsetof(pt_regs, rdi)},
};

x86::Mem slot(int offset) { return x86::qword_ptr(x86::rsp, offset); }

// What the code keeps. At a call boundary (a function's entry, a return) the SysV ABI makes the flags and
// xmm8-15 (entry) or xmm2-15 (return) dead, and popfq and vector moves are most of a hit's cost.
struct Keep {
  std::uint32_t xmm;  // xmm0 .. xmm<n-1>
  bool flags;         // restore the flags (they are always saved into pt_regs)
};
constexpr Keep kAnywhere{16, true};
constexpr Keep kAtEntry{8, false};
constexpr Keep kAtReturn{2, false};

x86::Mem xmm_slot(std::uint32_t i) { return x86::xmmword_ptr(x86::rsp, kXmmOffset + 16 * static_cast<int>(i)); }

// rsp -> frame base, every register into it; rax, flags-changing instructions only after they are saved.
void emit_save(x86::Assembler& a, Keep keep) {
  a.lea(x86::rsp, x86::ptr(x86::rsp, -kAbove));
  for (const SavedGp& g : kGps) a.mov(slot(g.offset), g.reg);
  for (std::uint32_t i = 0; i < keep.xmm; ++i) a.movdqu(xmm_slot(i), x86::xmm(i));
  a.pushfq();
  a.pop(x86::rax);
  a.mov(slot(offsetof(pt_regs, eflags)), x86::rax);
  a.lea(x86::rax, x86::ptr(x86::rsp, kAbove));
  a.mov(slot(offsetof(pt_regs, rsp)), x86::rax);
  a.mov(slot(offsetof(pt_regs, cs)), 0x33);  // the user code and stack selectors of x86-64 Linux
  a.mov(slot(offsetof(pt_regs, ss)), 0x2b);
  a.mov(slot(offsetof(pt_regs, orig_rax)), -1);  // not in a system call, as the kernel marks it
}

// dispatch(first, regs) or dispatch(regs) with rsp aligned; rbx (saved) keeps the frame base.
void emit_call(x86::Assembler& a, std::uintptr_t function, const Site* first) {
  a.mov(x86::rbx, x86::rsp);
  a.and_(x86::rsp, -16);
  if (first != nullptr) {
    a.mov(x86::rdi, reinterpret_cast<std::uint64_t>(first));
    a.mov(x86::rsi, x86::rbx);
  } else {
    a.mov(x86::rdi, x86::rbx);
  }
  a.mov(x86::rax, function);
  a.call(x86::rax);
  a.mov(x86::rsp, x86::rbx);
}

// Every register back from the frame (rsp stays on the frame base); flags last of all changes.
void emit_restore(x86::Assembler& a, Keep keep) {
  for (std::uint32_t i = 0; i < keep.xmm; ++i) a.movdqu(x86::xmm(i), xmm_slot(i));
  if (keep.flags) {
    a.push(slot(offsetof(pt_regs, eflags)));
    a.popfq();
  }
  for (const SavedGp& g : kGps) a.mov(g.reg, slot(g.offset));
}

class CodeBuilder {
 public:
  explicit CodeBuilder(std::uintptr_t base) : base_(base) {
    code_.init(asmjit::Environment::host(), base);
    code_.attach(&a_);
  }
  x86::Assembler& a() { return a_; }
  [[nodiscard]] std::uintptr_t here() const { return base_ + a_.offset(); }

  // Writes the code at base (at most `room` bytes).
  Result<void> install(std::size_t room) {
    std::vector<std::uint8_t> bytes(code_.codeSize());
    if (code_.flatten() != asmjit::kErrorOk || code_.relocateToBase(base_) != asmjit::kErrorOk ||
        code_.copyFlattenedData(bytes.data(), bytes.size()) != asmjit::kErrorOk)
      return make_error(Errc::unsupported, "assembling a trampoline failed");
    if (bytes.size() > room) return make_error(Errc::unsupported, "trampoline larger than its room");
    return write_code(base_, bytes);
  }

 private:
  std::uintptr_t base_;
  asmjit::CodeHolder code_;
  x86::Assembler a_;
};

}  // namespace

Result<Trampoline> build_trampoline(const Displacement& displacement, EntryDispatch dispatch, Site* site,
                                    bool function_entry) {
  const Keep keep = function_entry ? kAtEntry : kAnywhere;
  auto base = allocate_code(displacement.address, kTrampolineSize);
  if (!base) return base.error();
  CodeBuilder b(*base);
  emit_save(b.a(), keep);
  b.a().mov(x86::rax, displacement.address);
  b.a().mov(slot(offsetof(pt_regs, rip)), x86::rax);
  emit_call(b.a(), reinterpret_cast<std::uintptr_t>(dispatch), site);
  emit_restore(b.a(), keep);
  b.a().lea(x86::rsp, x86::ptr(x86::rsp, kAbove));
  const std::uintptr_t bypass = b.here();
  auto relocated = relocate(displacement, bypass);
  if (!relocated) return relocated.error();
  b.a().embed(relocated->data(), relocated->size());
  if (auto r = b.install(kTrampolineSize); !r) return r.error();
  return Trampoline{*base, bypass};
}

Result<std::uintptr_t> build_return_stub(ReturnDispatch dispatch) {
  auto base = allocate_code(0, kStubSize);
  if (!base) return base.error();
  CodeBuilder b(*base);
  x86::Assembler& a = b.a();
  emit_save(a, kAtReturn);
  a.mov(slot(offsetof(pt_regs, rip)), 0);
  emit_call(a, reinterpret_cast<std::uintptr_t>(dispatch), nullptr);
  // The real return address goes where the original one was (rsp - 8 at the return, inside the skipped red
  // zone, so nothing has used it since; signal frames skip the red zone too), and an indirect jmp takes it
  // from there once rsp is as the real return leaves it. Not `ret`: the return stack buffer is already off by
  // one (the function's own ret came here), the branch target buffer predicts this jmp in a loop.
  a.mov(slot(kAbove - 8), x86::rax);
  emit_restore(a, kAtReturn);
  a.lea(x86::rsp, x86::ptr(x86::rsp, kAbove));
  a.jmp(x86::qword_ptr(x86::rsp, -8));
  if (auto r = b.install(kStubSize); !r) return r.error();
  return *base;
}

}  // namespace ubee::attach
