// `ubee verify OBJ [--program NAME]`: runs the verifier on the programs of an object and prints, for each, its
// statistics or the rejection (instruction, its text and the reason); non-zero exit when any is rejected.
#include <bpf/libbpf.h>
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "../agent/attach_cookie.hpp"
#include "cli.hpp"
#include "ubee/asm.hpp"
#include "ubee/elf.hpp"
#include "ubee/linux_helpers.hpp"
#include "ubee/object.hpp"
#include "ubee/verifier.hpp"

namespace ubee::cli {
namespace {

struct VerifyArgs {
  std::string object;
  std::string program;
  bool json = false;
  int verbosity = 0;  // -v: the kernel-style log of the rejected path; -vv: of every path
};

nlohmann::json verify_one(const ObjectSpec& spec, const ProgramSpec& p, const HelperRegistry& helpers,
                          int verbosity) {
  std::string log;
  VerifierOptions options = verifier_options(spec, p, helpers);
  options.log = verbosity > 0 ? &log : nullptr;
  options.verbose = verbosity > 1;
  const auto result = verify(p.insns, options);
  nlohmann::json j{{"name", p.name}, {"section", p.section}, {"accepted", result.ok()}};
  if (verbosity > 0) j["log"] = log;
  if (result.ok()) {
    j["insns_processed"] = result->insns_processed;
    j["states"] = result->states;
    j["peak_states"] = result->peak_states;
    j["duration_ns"] = result->duration.count();
    return j;
  }
  j["error"] = result.error().to_string();
  if (result.error().insn && *result.error().insn < p.insns.size())
    j["insn_text"] = disassemble_insn(p.insns, *result.error().insn);
  return j;
}

void print_text(const nlohmann::json& j) {
  if (j.contains("log")) fmt::print("{}", j["log"].get<std::string>());
  if (j["accepted"]) {
    fmt::print("{}: accepted  processed {} insns, {} states (peak {}), {} us\n", j["name"].get<std::string>(),
               j["insns_processed"].get<std::size_t>(), j["states"].get<std::size_t>(),
               j["peak_states"].get<std::size_t>(), j["duration_ns"].get<long long>() / 1000);
    return;
  }
  fmt::print("{}: rejected  {}{}\n", j["name"].get<std::string>(), j["error"].get<std::string>(),
             j.contains("insn_text") ? " (" + j["insn_text"].get<std::string>() + ")" : "");
}

int run_verify(const VerifyArgs& args) {
  auto spec = parse_object_file(args.object);
  if (!spec) fail(spec.error());
  HelperRegistry helpers;
  add_linux_helpers(helpers);
  agent::add_attach_cookie_helper(helpers);  // as `ubee trace` runs programs: uprobes may ask for their cookie
  nlohmann::json all = nlohmann::json::array();
  bool rejected = false, found = false;
  for (const ProgramSpec& p : spec->programs) {
    if (!args.program.empty() && p.name != args.program) continue;
    found = true;
    nlohmann::json j = verify_one(*spec, p, helpers, args.verbosity);
    rejected |= !j["accepted"].get<bool>();
    if (args.json) all.push_back(j);
    else print_text(j);
  }
  if (!found) fail(args.program.empty() ? "the object has no programs" : "no program named '" + args.program + "'");
  if (args.json) fmt::print("{}\n", all.dump());
  return rejected ? 1 : 0;
}

}  // namespace

void add_verify_command(CLI::App& app) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = app.add_subcommand("verify", "Run the verifier on an object's programs (exit status 1 when any "
                                               "is rejected)");
  cmd->add_option("object", args->object, "eBPF ELF object")->required();
  cmd->add_option("--program", args->program, "Only this program");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->add_flag("-v,--verbose", args->verbosity,
                "Print the kernel-style log of the rejected path; twice (-vv): of every path");
  cmd->callback([args] {
    if (run_verify(*args) != 0) throw Failure{"some programs were rejected"};
  });
}

}  // namespace ubee::cli
