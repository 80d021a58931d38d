// Machine code (through asmjit) that turns a jump from probed code into a call of a C++ dispatcher with the
// registers in a struct pt_regs, and back.
//
// Frame: the code first moves rsp below the 128-byte red zone (a mid-function site may keep data there), then
// below a frame holding pt_regs and the xmm registers (caller-saved, so a C++ handler may clobber them). The
// flags are saved before any instruction that changes them. The stack is aligned to 16 for the call.
// What is restored depends on the site. Anywhere inside a function: every general register, the flags and
// xmm0-15. At a function's entry and in the return stub, only what the SysV ABI lets be live at a call
// boundary: the flags are not restored, and only xmm0-7 (arguments) or xmm0-1 (return value) are kept.
// Never kept: ymm/zmm upper halves and x87 state: handlers must not use AVX state the probed code keeps live
// across a mid-function site (a handler's libc call may run vzeroupper).
#pragma once

#include <asm/ptrace.h>

#include <cstdint>

#include "attach/patch_relocate.hpp"
#include "ubee/error.hpp"

namespace ubee::attach {

struct Site;

using EntryDispatch = void (*)(Site* site, pt_regs* regs) noexcept;
// Returns the address to continue at (the real return address); may change regs (but not ip or sp).
using ReturnDispatch = std::uintptr_t (*)(pt_regs* regs) noexcept;

struct Trampoline {
  std::uintptr_t entry = 0;
  std::uintptr_t bypass = 0;
};

// Code within ±2 GiB of the site: saves pt_regs (ip = the site, sp = rsp at the site), calls
// dispatch(site, regs), restores every register from regs except ip and sp, runs the relocated displaced
// instructions (`bypass` starts there) and jumps back after them. `function_entry`: the site is the first
// instruction of a function (see above).
Result<Trampoline> build_trampoline(const Displacement& displacement, EntryDispatch dispatch, Site* site,
                                    bool function_entry);

// The stub return probes put in place of return addresses: saves pt_regs as the function returns, calls
// dispatch(regs), restores the registers and jumps to the address dispatch returned, with rsp as the real
// return would leave it.
Result<std::uintptr_t> build_return_stub(ReturnDispatch dispatch);

}  // namespace ubee::attach
