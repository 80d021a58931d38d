// attach_probe / detach_probe: the registry of sites (one per patched address, never freed: threads may still
// be in their trampolines, a deliberate leak of under 1 KiB per address ever probed) and of probes.
#include <dlfcn.h>

#include <map>
#include <memory>
#include <mutex>

#include "attach/code_memory.hpp"
#include "attach/patch.hpp"
#include "attach/probe_dispatch.hpp"
#include "attach/probe_site.hpp"
#include "attach/probe_trampoline.hpp"
#include "attach/symbols.hpp"
#include "ubee/attach.hpp"

namespace ubee::attach {

namespace {

struct Probe {
  std::uintptr_t address;
  ProbeKind kind;
  HandlerEntry handler;
};

struct Registry {
  std::mutex mutex;
  std::map<std::uintptr_t, std::unique_ptr<Site>> sites;
  std::map<std::uint64_t, Probe> probes;  // by id: attach order
  std::vector<std::unique_ptr<const HandlerLists>> snapshots;
  std::uint64_t next_id = 1;
  bool unwind_guarded = false;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: trampolines point into it until exit
  return *r;
}

void publish(Registry& r, Site& site) {
  auto lists = std::make_unique<HandlerLists>();
  for (const auto& [id, probe] : r.probes)
    if (probe.address == site.address)
      (probe.kind == ProbeKind::entry ? lists->entry : lists->ret).push_back(probe.handler);
  site.lists.store(lists.get(), std::memory_order_release);
  r.snapshots.push_back(std::move(lists));
}

// A patched site whose displaced bytes overlap [address, address + length), other than `self`.
const Site* overlapping(const Registry& r, std::uintptr_t address, std::size_t length, const Site* self) {
  for (const auto& [at, site] : r.sites) {
    if (site.get() == self || !site->patched) continue;
    if (at < address + length && address < at + site->displacement.original.size()) return site.get();
  }
  return nullptr;
}

Error overlap_error(std::uintptr_t address, const Site& other) {
  return make_error(Errc::unsupported, "cannot probe " + hex(address) +
                                           ": it overlaps the bytes patched for the probe at " + hex(other.address));
}

Result<Site*> new_site(Registry& r, std::uintptr_t address) {
  // Enough for the longest displacement to decode; also keeps a wrong address from faulting here.
  if (!is_executable(address, kJumpSize))
    return make_error(Errc::invalid_argument, "cannot probe " + hex(address) + ": not in executable memory");
  if (const Site* other = overlapping(r, address, 1, nullptr)) return overlap_error(address, *other);
  const auto function = find_function(address);
  auto displacement = plan_displacement(address, function);
  if (!displacement) return displacement.error();
  if (const Site* other = overlapping(r, address, displacement->original.size(), nullptr))
    return overlap_error(address, *other);
  auto site = std::make_unique<Site>();
  site->address = address;
  site->displacement = std::move(*displacement);
  const bool function_entry = function && function->start == address;
  auto trampoline = build_trampoline(site->displacement, dispatch_entry, site.get(), function_entry);
  if (!trampoline) return trampoline.error();
  site->trampoline = trampoline->entry;
  site->bypass = trampoline->bypass;
  publish(r, *site);
  return r.sites.emplace(address, std::move(site)).first->second.get();
}

Result<Site*> site_at(Registry& r, std::uintptr_t address) {
  if (auto it = r.sites.find(address); it != r.sites.end()) return it->second.get();
  return new_site(r, address);
}

Result<void> arm(Registry& r, Site& site) {
  if (site.patched) return {};
  const auto& original = site.displacement.original;
  if (const Site* other = overlapping(r, site.address, original.size(), &site)) return overlap_error(site.address, *other);
  std::vector<std::uint8_t> jump;
  append_jump(jump, site.address, site.trampoline);
  if (jump.size() != kJumpSize) return make_error(Errc::unsupported, "trampoline out of rel32 reach");
  // Threads that trap on the int3 meanwhile run the trampoline: the handlers are already published.
  if (auto w = patch_text(site.address, jump, site.trampoline); !w) return w;
  site.patched = true;
  return {};
}

Result<void> disarm(Site& site) {
  // Threads that trap on the int3 meanwhile run the displaced instructions only.
  if (auto w = patch_text(site.address, site.displacement.original, site.bypass); !w) return w;
  site.patched = false;
  return {};
}

Result<ProbeId> attach_locked(Registry& r, std::uintptr_t address, ProbeKind kind, Handler handler, void* cookie);

// Return probes need the unwinder to see real return addresses: see probe_dispatch.hpp.
Result<void> guard_unwinding(Registry& r) {
  if (r.unwind_guarded) return {};
  if (auto stub = return_stub(); !stub) return stub.error();
  const std::pair<const char*, Handler> guards[] = {{"_Unwind_RaiseException", restore_return_addresses},
                                                     {"_Unwind_ForcedUnwind", restore_return_addresses},
                                                     {"__cxa_begin_catch", rearm_return_addresses}};
  for (const auto& [name, handler] : guards) {
    void* address = dlsym(RTLD_DEFAULT, name);
    if (address == nullptr) continue;  // not loaded: nothing can unwind through it
    auto id = attach_locked(r, reinterpret_cast<std::uintptr_t>(address), ProbeKind::entry, handler, nullptr);
    if (!id)
      return make_error(id.error().code,
                        std::string("return probes need an entry probe on ") + name + ": " + id.error().message);
  }
  r.unwind_guarded = true;
  return {};
}

Result<ProbeId> attach_locked(Registry& r, std::uintptr_t address, ProbeKind kind, Handler handler, void* cookie) {
  if (kind == ProbeKind::ret)
    if (auto g = guard_unwinding(r); !g) return g.error();
  auto site = site_at(r, address);
  if (!site) return site.error();
  const std::uint64_t id = r.next_id++;
  r.probes.emplace(id, Probe{address, kind, {handler, cookie}});
  publish(r, **site);
  if (auto armed = arm(r, **site); !armed) {
    r.probes.erase(id);
    publish(r, **site);
    return armed.error();
  }
  return ProbeId{id};
}

}  // namespace

Result<ProbeId> attach_probe(std::uintptr_t address, ProbeKind kind, Handler handler, void* cookie) {
  if (address == 0 || handler == nullptr) return make_error(Errc::invalid_argument, "probe needs an address and a handler");
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return attach_locked(r, address, kind, handler, cookie);
}

Result<void> detach_probe(ProbeId id) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.probes.find(id.value);
  if (it == r.probes.end()) return make_error(Errc::not_found, "no probe with id " + std::to_string(id.value));
  const std::uintptr_t address = it->second.address;
  r.probes.erase(it);
  Site& site = *r.sites.at(address);
  publish(r, site);
  for (const auto& [other_id, probe] : r.probes)
    if (probe.address == address) return {};
  return disarm(site);
}

}  // namespace ubee::attach
