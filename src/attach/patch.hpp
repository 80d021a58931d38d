// Rewriting instructions that other threads may be running, with the protocol of the kernel's text_poke_bp:
//   1. an int3 on the first byte (threads that reach it trap, see below), then every core serializes;
//   2. the remaining bytes, then every core serializes;
//   3. the first byte, then every core serializes.
// At no point can a thread decode a mix of old and new bytes from the start of the patch: it runs the old
// instruction, traps on the int3 or runs the new one. A thread that traps on the int3 is sent (by a SIGTRAP
// handler) to `trap_target`, code with the same effect as the patched site. The redirection stays registered
// after the patch because a trapped thread may only run its signal handler later.
// Not covered (as with the kernel's optprobes without its RCU-tasks wait): a thread preempted exactly on an
// instruction boundary inside the patched bytes other than the first, at the moment they change.
#pragma once

#include <cstdint>
#include <span>

#include "ubee/error.hpp"

namespace ubee::attach {

// Replaces the bytes at `address` with `bytes` (1 to 16 of them) safely while other threads run them.
// Callers serialize patches of the same address.
Result<void> patch_text(std::uintptr_t address, std::span<const std::uint8_t> bytes, std::uintptr_t trap_target);

}  // namespace ubee::attach
