#include "attach/probe_dispatch.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <vector>

#include "attach/probe_site.hpp"
#include "attach/probe_trampoline.hpp"

namespace ubee::attach {

namespace {

struct ShadowEntry {
  std::uintptr_t slot;         // where the return address was (the probed function's sp at entry)
  std::uintptr_t real_return;  // what was there
  const Site* site;
  bool restored;               // the real address is back in the slot (an exception is unwinding)
};

struct ThreadState {
  bool busy = false;  // inside handlers: probes hit from there run unprobed
  std::vector<ShadowEntry> shadow;
};

// initial-exec: the hot path reads it without __tls_get_addr, and the agent is loaded at start-up.
[[gnu::tls_model("initial-exec")]] thread_local ThreadState t_state;

std::uintptr_t g_return_stub = 0;

std::uintptr_t& word_at(std::uintptr_t address) { return *reinterpret_cast<std::uintptr_t*>(address); }

// Entries of frames that are gone: their slot is at or below `sp`, the stack pointer of a live frame.
void discard_dead(ThreadState& t, std::uintptr_t sp) {
  while (!t.shadow.empty() && t.shadow.back().slot <= sp) t.shadow.pop_back();
}

void run(const std::vector<HandlerEntry>& handlers, pt_regs* regs) {
  for (const HandlerEntry& h : handlers) h.fn(regs, h.cookie);
}

void arm_return(ThreadState& t, const Site* site, std::uintptr_t sp) {
  discard_dead(t, sp);
  t.shadow.push_back({sp, word_at(sp), site, false});
  word_at(sp) = g_return_stub;
}

[[noreturn]] void lost_return(std::uintptr_t slot) {
  std::fprintf(stderr, "ubee: return probe: no shadow entry for the return through slot %#lx; aborting\n",
               static_cast<unsigned long>(slot));
  std::abort();
}

}  // namespace

void dispatch_entry(Site* site, pt_regs* regs) noexcept {
  ThreadState& t = t_state;
  if (t.busy) return;
  t.busy = true;
  const std::uintptr_t sp = regs->rsp;  // before handlers, which might change regs
  const HandlerLists* lists = site->lists.load(std::memory_order_acquire);
  run(lists->entry, regs);
  if (!lists->ret.empty()) arm_return(t, site, sp);
  t.busy = false;
}

std::uintptr_t dispatch_return(pt_regs* regs) noexcept {
  ThreadState& t = t_state;
  const std::uintptr_t slot = regs->rsp - 8;  // `ret` popped the stub's address from there
  while (!t.shadow.empty() && t.shadow.back().slot < slot) t.shadow.pop_back();  // left by longjmp
  if (t.shadow.empty() || t.shadow.back().slot != slot) lost_return(slot);
  const ShadowEntry entry = t.shadow.back();
  t.shadow.pop_back();
  regs->rip = entry.real_return;
  if (!t.busy) {
    t.busy = true;
    run(entry.site->lists.load(std::memory_order_acquire)->ret, regs);
    t.busy = false;
  }
  return entry.real_return;
}

Result<std::uintptr_t> return_stub() {
  static std::once_flag once;
  static Result<std::uintptr_t> built = make_error(Errc::unsupported, "not built");
  std::call_once(once, [] {
    built = build_return_stub(dispatch_return);
    if (built) g_return_stub = *built;
  });
  return built;
}

void restore_return_addresses(pt_regs* regs, void*) {
  ThreadState& t = t_state;
  discard_dead(t, regs->rsp);  // their slots may now be this very dispatcher's stack
  for (ShadowEntry& e : t.shadow) {
    if (!e.restored) word_at(e.slot) = e.real_return;
    e.restored = true;
  }
}

void rearm_return_addresses(pt_regs* regs, void*) {
  // Another exception still propagating (a throw caught inside a destructor run by unwinding) will walk the
  // outer frames again: leave them restored until the outermost catch.
  if (std::uncaught_exceptions() > 1) return;
  ThreadState& t = t_state;
  discard_dead(t, regs->rsp);
  for (ShadowEntry& e : t.shadow) {
    if (e.restored && word_at(e.slot) == e.real_return) {
      word_at(e.slot) = g_return_stub;
      e.restored = false;
    }
  }
}

std::size_t pending_returns() { return t_state.shadow.size(); }

}  // namespace ubee::attach
