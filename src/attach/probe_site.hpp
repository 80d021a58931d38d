// One patched address: its trampoline, the instructions it displaced and the handlers attached there.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "attach/patch_relocate.hpp"
#include "ubee/attach.hpp"

namespace ubee::attach {

struct HandlerEntry {
  Handler fn = nullptr;
  void* cookie = nullptr;
};

// An immutable snapshot: attach/detach publish a new one, and the old ones are never freed because a thread
// may still be walking them (a few bytes per attach or detach).
struct HandlerLists {
  std::vector<HandlerEntry> entry;  // in attach order
  std::vector<HandlerEntry> ret;
};

struct Site {
  std::uintptr_t address = 0;
  Displacement displacement;
  std::uintptr_t trampoline = 0;  // saves pt_regs, runs the handlers, then the displaced instructions
  std::uintptr_t bypass = 0;      // the displaced instructions alone, then back to the code after them
  std::atomic<const HandlerLists*> lists{nullptr};
  bool patched = false;  // the jump is in place (under the registry's lock)
};

}  // namespace ubee::attach
