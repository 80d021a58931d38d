// Which programs `ubee trace` attaches, where, and whether the verifier accepts them.
#include <fmt/core.h>

#include <filesystem>

#include "../agent/attach_cookie.hpp"
#include "../agent/attach_point.hpp"
#include "cli.hpp"
#include "trace.hpp"
#include "ubee/asm.hpp"
#include "ubee/linux_helpers.hpp"
#include "ubee/verifier.hpp"

namespace ubee::cli {
namespace {

// libbpf passes a uprobe's path to the kernel, which resolves a relative one against the caller's directory;
// the agent runs in the command's, so ubee makes it absolute here. Library names ("libc.so.6") stay as they are.
std::string absolute_target(const ProgramSpec& spec, const agent::AttachPoint& point) {
  if (point.kind != agent::HookKind::uprobe && point.kind != agent::HookKind::uretprobe) return spec.section;
  // /proc/self/exe names the traced program itself, in the agent's process.
  if (point.path.find('/') == std::string::npos || point.path.starts_with("/proc/self/")) return spec.section;
  std::error_code ec;
  const auto path = std::filesystem::canonical(point.path, ec);
  if (ec) fail(fmt::format("program '{}': uprobe target '{}' does not exist", spec.name, point.path));
  const std::string prefix = spec.section.substr(0, spec.section.find('/') + 1);
  const std::string rest = spec.section.substr(prefix.size() + point.path.size());  // ":FUNC[+OFF]"
  return prefix + path.string() + rest;
}

std::string rejection(const ProgramSpec& p, const Error& e) {
  std::string text = fmt::format("program '{}' rejected by the verifier: {}", p.name, e.to_string());
  if (e.insn && *e.insn < p.insns.size()) text += " (" + disassemble_insn(p.insns, *e.insn) + ")";
  return text + "; --unverified runs it unverified, on the checked interpreter";
}

bool wanted(const TraceArgs& args, const std::string& name) {
  return args.programs.empty() || std::find(args.programs.begin(), args.programs.end(), name) != args.programs.end();
}

}  // namespace

std::vector<TraceProgram> prepare_programs(const Object& object, const TraceArgs& args) {
  for (const std::string& name : args.programs)
    if (object.find_program(name) == nullptr) fail("no program named '" + name + "' in " + args.object);
  HelperRegistry helpers;
  add_linux_helpers(helpers);
  agent::add_attach_cookie_helper(helpers);
  std::vector<TraceProgram> out;
  for (const auto& op : object.programs()) {
    const ProgramSpec& spec = op->spec();
    TraceProgram p{spec.name, spec.section, false, false};
    auto point = agent::parse_attach_point(spec.section);
    // Without --program every program with a hook section is attached; the others (tail call targets) ride along.
    if (!point && !args.programs.empty() && wanted(args, spec.name)) fail(fmt::format("program '{}': {}", spec.name, point.error().to_string()));
    p.selected = point.ok() && wanted(args, spec.name);
    if (p.selected) p.target = absolute_target(spec, *point);
    if (!args.unverified) {
      const auto verdict = verify(spec.insns, verifier_options(object.spec(), spec, helpers));
      if (!verdict && p.selected) fail(rejection(spec, verdict.error()));
      p.verified = verdict.ok();
    }
    out.push_back(std::move(p));
  }
  if (std::none_of(out.begin(), out.end(), [](const TraceProgram& p) { return p.selected; }))
    fail(args.object + " has no program with a hook section (uprobe/, uretprobe/, tracepoint/syscalls/, raw_tracepoint/, usdt/)");
  return out;
}

}  // namespace ubee::cli
