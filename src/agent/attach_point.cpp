#include "attach_point.hpp"

#include <charconv>

#include "syscall_names.hpp"

namespace ubee::agent {
namespace {

// "PATH:FUNC[+OFF]"; the path may itself hold ':' (rare), so the last one splits.
Result<AttachPoint> parse_uprobe(HookKind kind, std::string_view target, std::string_view section) {
  const auto colon = target.rfind(':');
  if (target.empty() || colon == std::string_view::npos || colon == 0 || colon + 1 == target.size())
    return make_error(Errc::invalid_argument, "section '" + std::string(section) +
                                                  "': expected " + (kind == HookKind::uprobe ? "uprobe" : "uretprobe") +
                                                  "/PATH:FUNCTION[+OFFSET]");
  AttachPoint p;
  p.kind = kind;
  p.path = target.substr(0, colon);
  std::string_view function = target.substr(colon + 1);
  if (const auto plus = function.find('+'); plus != std::string_view::npos) {
    const std::string_view off = function.substr(plus + 1);
    const bool hex = off.starts_with("0x");
    const auto digits = hex ? off.substr(2) : off;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p.offset, hex ? 16 : 10);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
      return make_error(Errc::invalid_argument, "section '" + std::string(section) + "': bad offset '" + std::string(off) + "'");
    if (kind == HookKind::uretprobe && p.offset != 0)
      return make_error(Errc::invalid_argument, "section '" + std::string(section) + "': a uretprobe takes no offset");
    function = function.substr(0, plus);
  }
  p.function = function;
  return p;
}

Result<AttachPoint> parse_syscall_tracepoint(std::string_view event, std::string_view section) {
  AttachPoint p;
  std::string_view name;
  if (event.starts_with("sys_enter_")) {
    p.kind = HookKind::syscall_enter;
    name = event.substr(10);
  } else if (event.starts_with("sys_exit_")) {
    p.kind = HookKind::syscall_exit;
    name = event.substr(9);
  } else {
    return make_error(Errc::unsupported, "section '" + std::string(section) +
                                             "': only syscalls/sys_enter_NAME and syscalls/sys_exit_NAME tracepoints exist in user space");
  }
  const auto nr = syscall_number(name);
  if (!nr) return make_error(Errc::not_found, "section '" + std::string(section) + "': no system call named '" + std::string(name) + "'");
  p.syscall = *nr;
  return p;
}

// The text after the first of `prefixes` + '/' that `section` starts with.
bool strip(std::string_view section, std::initializer_list<std::string_view> prefixes, std::string_view& rest) {
  for (std::string_view prefix : prefixes)
    if (section.size() > prefix.size() && section.starts_with(prefix) && section[prefix.size()] == '/') {
      rest = section.substr(prefix.size() + 1);
      return true;
    }
  return false;
}

}  // namespace

Result<AttachPoint> parse_attach_point(std::string_view section) {
  std::string_view rest;
  if (strip(section, {"uprobe", "uprobe.s"}, rest)) return parse_uprobe(HookKind::uprobe, rest, section);
  if (strip(section, {"uretprobe", "uretprobe.s"}, rest)) return parse_uprobe(HookKind::uretprobe, rest, section);
  if (strip(section, {"tracepoint", "tp"}, rest)) {
    if (!rest.starts_with("syscalls/"))
      return make_error(Errc::unsupported, "section '" + std::string(section) + "': only syscalls/ tracepoints exist in user space");
    return parse_syscall_tracepoint(rest.substr(9), section);
  }
  if (strip(section, {"raw_tracepoint", "raw_tp"}, rest)) {
    if (rest == "sys_enter") return AttachPoint{HookKind::raw_syscall_enter, {}, {}, 0, -1, {}};
    if (rest == "sys_exit") return AttachPoint{HookKind::raw_syscall_exit, {}, {}, 0, -1, {}};
    return make_error(Errc::unsupported, "section '" + std::string(section) + "': only raw_tracepoint/sys_enter and sys_exit exist in user space");
  }
  if (strip(section, {"usdt", "usdt.s"}, rest)) return AttachPoint{HookKind::usdt, {}, {}, 0, -1, std::string(rest)};
  return make_error(Errc::unsupported,
                    "section '" + std::string(section) + "' is not a hook ubee trace attaches: uprobe/PATH:FUNC[+OFF], "
                    "uretprobe/PATH:FUNC, tracepoint/syscalls/sys_{enter,exit}_NAME, raw_tracepoint/sys_{enter,exit}, usdt/...");
}

}  // namespace ubee::agent
