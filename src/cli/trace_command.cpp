// `ubee trace`: the options, and the run from opening the object to dumping its maps.
#include <fmt/core.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "../agent/attach_cookie.hpp"
#include "cli.hpp"
#include "map_dump.hpp"
#include "trace.hpp"
#include "trace_format.hpp"
#include "ubee/linux_helpers.hpp"

namespace ubee::cli {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != stdout) std::fclose(f);
  }
};

void dump_maps(const Object& object, TraceOutput& out) {
  if (out.json()) {
    nlohmann::json maps = nlohmann::json::object();
    for (const auto& m : object.maps()) maps[m->spec().name] = dump_map_json(*m, object.spec().btf.get());
    out.event("", nlohmann::json{{"type", "maps"}, {"maps", maps}}.dump());
    return;
  }
  for (const auto& m : object.maps())
    out.text(fmt::format("map '{}':\n{}", m->spec().name, dump_map_text(*m, object.spec().btf.get())));
}

int run_trace(const TraceArgs& args) {
  if (args.command.empty() == (args.pid == 0)) fail("give either a command to run (after --) or --pid PID");
  if (!args.format.empty())
    if (auto r = check_record_format(args.format); !r) fail(r.error());
  if (args.unverified)
    fmt::print(stderr, "ubee: warning: --unverified: the programs are not verified; they run on the checked "
                       "interpreter inside the traced process\n");
  HelperRegistry helpers;  // the CLI's object only creates the maps: no program of it runs here
  add_linux_helpers(helpers);
  agent::add_attach_cookie_helper(helpers);
  // Programs are verified below, one by one with the trace's own messages; the agent verifies them again.
  ObjectOptions options = ObjectOptions::unverified_checked_interpreter();
  options.helpers = &helpers;
  auto object = Object::open(args.object, options);
  if (!object) fail(object.error());
  auto programs = prepare_programs(**object, args);
  std::unique_ptr<std::FILE, FileCloser> file(args.output.empty() ? stdout : std::fopen(args.output.c_str(), "w"));
  if (!file) fail("cannot write '" + args.output + "': " + std::strerror(errno));
  TraceOutput out(file.get(), args.json);
  TraceBuffers buffers(**object, args.format, out);
  TraceSession session(**object, std::move(programs), args, out);
  session.start();
  out.flush();
  while (session.step(50)) {
    buffers.consume();
    out.flush();
  }
  session.drain();
  buffers.consume();
  dump_maps(**object, out);
  if (out.json()) out.event("", nlohmann::json{{"type", "exit"}, {"code", session.exit_code()}}.dump());
  out.flush();
  return session.exit_code();
}

}  // namespace

void add_trace_command(CLI::App& app) {
  auto args = std::make_shared<TraceArgs>();
  CLI::App* cmd = app.add_subcommand(
      "trace", "Run a command with an object's uprobes and syscall tracepoints attached inside it; print its "
               "bpf_printk lines and ring/perf buffer records while it runs and its maps when it ends");
  cmd->add_option("object", args->object, "eBPF ELF object")->required()->check(CLI::ExistingFile);
  cmd->add_option("command", args->command, "The command to trace, after --");
  cmd->add_option("--pid", args->pid, "Trace this running process instead (the agent is loaded into it with "
                                      "ptrace; Ctrl-C ends the trace)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--program", args->programs, "Attach only this program (repeatable; default: every program "
                                               "whose section names a hook)")
      ->allow_extra_args(false);
  cmd->add_option("--format", args->format, "Print ring/perf buffer records with this format: %d %u %x %ld %lu %lx "
                                            "%hd %hhu %c %p %s %16s (fields read in order, C struct alignment)");
  cmd->add_option("-o,--output", args->output, "Write ubee's output to this file (default: standard output)");
  cmd->add_flag("--json", args->json, "One JSON object per line: events, then {\"type\":\"maps\"} and {\"type\":\"exit\"}");
  cmd->add_flag("--unverified", args->unverified, "DANGEROUS: skip the verifier; programs run on the checked interpreter");
  cmd->callback([args] {
    const int code = run_trace(*args);
    // The command's exit status is ubee's; main() only knows 0 and 1. Everything run_trace() owned is closed.
    std::fflush(stdout);
    std::exit(code);
  });
}

}  // namespace ubee::cli
