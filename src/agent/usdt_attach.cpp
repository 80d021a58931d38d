// attach_usdt() for the agent: the object's USDT maps, one Attacher per object, and the probe handler that runs
// the program with the spec id as its cookie.
#include "usdt_attach.hpp"

#include <memory>
#include <mutex>
#include <string_view>

#include "hooks.hpp"
#include "programs.hpp"
#include "ubee/attach.hpp"
#include "ubee/usdt.hpp"

namespace ubee::agent {
namespace {

void on_usdt_site(pt_regs* regs, void* cookie) {
  const auto* probe = static_cast<const ProbeCookie*>(cookie);
  probe->program->run(regs, sizeof *regs, probe->cookie);
}

// The live map named `name` with the highest id: the agent opens one object, whose maps are the newest.
// (AgentProgram does not expose its Object; the map registry does, by id, and ids only grow.)
std::shared_ptr<Map> newest_map(std::string_view name) {
  constexpr std::uint32_t kGiveUpAfter = 4096;  // consecutive unused ids past the last live map
  std::shared_ptr<Map> found;
  for (std::uint32_t id = 1, misses = 0; misses < kGiveUpAfter; ++id) {
    auto map = find_map(id);
    misses = map ? 0 : misses + 1;
    if (map && map->spec().name == name) found = std::move(map);
  }
  return found;
}

struct State {
  std::mutex mutex;
  std::unique_ptr<usdt::Attacher> attacher;
  std::vector<std::unique_ptr<ProbeCookie>> probes;  // cookies of attached probes: never freed while attached
};

State& state() {
  static auto* s = new State;  // never destroyed: probes may fire while the process exits
  return *s;
}

}  // namespace

Result<void> attach_usdt(const AgentProgram& program, const std::string& text) {
  auto target = usdt::parse_target(text);
  if (!target) return target.error();
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.attacher) {
    auto specs = newest_map(usdt::kSpecsMap);
    if (!specs)
      return make_error(Errc::invalid_argument, "program '" + program.name() + "': the object has no " +
                                                    std::string(usdt::kSpecsMap) + " map (include <bpf/usdt.bpf.h>)");
    s.attacher = std::make_unique<usdt::Attacher>(std::move(specs), newest_map(usdt::kIpToSpecIdMap));
  }
  auto sites = s.attacher->attach(*target, 0, [&](std::uintptr_t address, std::uint64_t spec_id) -> Result<void> {
    auto probe = std::make_unique<ProbeCookie>(ProbeCookie{&program, spec_id});
    auto id = attach::attach_probe(address, attach::ProbeKind::entry, on_usdt_site, probe.get());
    if (!id) return id.error();
    s.probes.push_back(std::move(probe));
    return {};
  });
  if (!sites) {
    Error e = sites.error();
    e.message = "program '" + program.name() + "': " + e.message;
    return e;
  }
  return {};
}

}  // namespace ubee::agent
