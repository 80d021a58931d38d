// Executable memory for code that must be reached with a rel32 jump (trampolines near the code they patch), and
// writing code into live text. Both write through /proc/self/mem: the kernel writes into the page with
// FOLL_FORCE (copy-on-write for a file's text), so no page of this process is ever writable and executable at
// once, and a page stays executable while another thread runs it (mprotect would have to take X away).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "ubee/error.hpp"

namespace ubee::attach {

// `size` bytes of read+execute memory within ±2 GiB of `near` (anywhere when near is 0), 16-byte aligned.
// Filled with int3 until write_code puts code there. Never freed: threads may still run code in it.
Result<std::uintptr_t> allocate_code(std::uintptr_t near, std::size_t size);

// Writes `bytes` at `address` (any mapped code or data of this process) through /proc/self/mem. Not atomic:
// live text that other threads may run goes through patch_text (patch.hpp) instead.
Result<void> write_code(std::uintptr_t address, std::span<const std::uint8_t> bytes);

// True when [address, address + length) lies in executable mappings of this process (/proc/self/maps).
bool is_executable(std::uintptr_t address, std::size_t length);

// Makes every thread of the process serialize its instruction stream (membarrier SYNC_CORE) so that none runs
// stale bytes after a write_code; a no-op on kernels without it.
void sync_cores();

// True when `target` is reachable with a rel32 displacement from an instruction ending at `from`.
inline bool rel32_reachable(std::uintptr_t from, std::uintptr_t target) {
  const auto delta = static_cast<std::int64_t>(target - from);
  return delta >= INT32_MIN && delta <= INT32_MAX;
}

}  // namespace ubee::attach
