#include "attach/probe_dispatch.hpp"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>

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

// Trivially destructible on purpose: probes may be hit on a thread after its C++ thread_local destructors have
// run (in another library's TLS destructor, calling a probed free()); the entries go in a pthread key's
// destructor instead, and come back if a probe is hit even later.
struct ThreadState {
  bool busy;  // inside the dispatcher: probes hit from handlers (or signal handlers meanwhile) run unprobed
  std::uint32_t size;
  std::uint32_t capacity;
  ShadowEntry* entries;
};

// initial-exec: the hot path reads it without __tls_get_addr (the agent is loaded at start-up).
[[gnu::tls_model("initial-exec")]] constinit thread_local ThreadState t_state{};

pthread_key_t g_exit_key;

void free_entries(void*) {
  std::free(t_state.entries);
  t_state.entries = nullptr;
  t_state.size = t_state.capacity = 0;
}

// Room for one more entry. Allocation happens at the first return probe hit of a thread and then only when
// recursion doubles the depth: malloc is not async-signal-safe, so a probe hit in a signal handler that
// interrupted malloc could deadlock only there.
bool reserve_one(ThreadState& t) {
  if (t.size < t.capacity) return true;
  static const bool key_ok = pthread_key_create(&g_exit_key, free_entries) == 0;
  const std::uint32_t capacity = t.capacity == 0 ? 256 : 2 * t.capacity;
  auto* grown = static_cast<ShadowEntry*>(std::realloc(t.entries, capacity * sizeof(ShadowEntry)));
  if (grown == nullptr) return false;
  if (t.entries == nullptr && key_ok) pthread_setspecific(g_exit_key, &t);
  t.entries = grown;
  t.capacity = capacity;
  return true;
}

ShadowEntry* top(ThreadState& t) { return t.size == 0 ? nullptr : &t.entries[t.size - 1]; }

std::uintptr_t g_return_stub = 0;

std::uintptr_t& word_at(std::uintptr_t address) { return *reinterpret_cast<std::uintptr_t*>(address); }

// Entries of frames that are gone: their slot is at or below `sp`, the stack pointer of a live frame.
void discard_dead(ThreadState& t, std::uintptr_t sp) {
  while (t.size != 0 && top(t)->slot <= sp) --t.size;
}

void run(const std::vector<HandlerEntry>& handlers, pt_regs* regs) {
  for (const HandlerEntry& h : handlers) h.fn(regs, h.cookie);
}

// Without room (out of memory) the call simply gives no return event.
void arm_return(ThreadState& t, const Site* site, std::uintptr_t sp) {
  discard_dead(t, sp);
  if (!reserve_one(t)) return;
  t.entries[t.size++] = {sp, word_at(sp), site, false};
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
  const bool nested = t.busy;
  t.busy = true;
  const std::uintptr_t slot = regs->rsp - 8;  // `ret` popped the stub's address from there
  while (t.size != 0 && top(t)->slot < slot) --t.size;  // frames left by longjmp
  if (t.size == 0 || top(t)->slot != slot) lost_return(slot);
  const ShadowEntry entry = t.entries[--t.size];
  regs->rip = entry.real_return;
  if (!nested) run(entry.site->lists.load(std::memory_order_acquire)->ret, regs);
  t.busy = nested;
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
  for (std::uint32_t i = 0; i < t.size; ++i) {
    ShadowEntry& e = t.entries[i];
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
  for (std::uint32_t i = 0; i < t.size; ++i) {
    ShadowEntry& e = t.entries[i];
    if (e.restored && word_at(e.slot) == e.real_return) {
      word_at(e.slot) = g_return_stub;
      e.restored = false;
    }
  }
}

std::size_t pending_returns() { return t_state.size; }

}  // namespace ubee::attach
