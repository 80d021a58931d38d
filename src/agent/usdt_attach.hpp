// The agent's USDT attachment: SEC("usdt/PATH:PROVIDER:NAME") programs, attached through ubee::usdt::Attacher
// (include/ubee/usdt.hpp) at every site with attach::attach_probe(site, ProbeKind::entry, ...), each run with
// bpf_get_attach_cookie() = the site's spec id, as libbpf's usdt.bpf.h expects.
//
// The call for the agent (declared in hooks.hpp too): Hooks::attach() calls
//   attach_usdt(program, point.usdt)   // point.usdt = what follows "usdt/", e.g. "/usr/bin/app:myprov:start"
// for HookKind::usdt. Probes stay attached for the life of the process, as the agent's uprobes do.
#pragma once

#include <string>

#include "ubee/error.hpp"

namespace ubee::agent {

class AgentProgram;

Result<void> attach_usdt(const AgentProgram& program, const std::string& target);

}  // namespace ubee::agent
