#include <fmt/core.h>

#include "cli.hpp"
#include "trace.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ubee: the eBPF system in user space"};
  app.set_version_flag("--version", std::string("ubee 0.1.0"));
  app.require_subcommand(1);
  ubee::cli::add_run_command(app);
  ubee::cli::add_disasm_command(app);
  ubee::cli::add_asm_command(app);
  ubee::cli::add_prog_command(app);
  ubee::cli::add_map_command(app);
  ubee::cli::add_verify_command(app);
  ubee::cli::add_conformance_plugin_command(app);
  ubee::cli::add_jit_dump_command(app);
  ubee::cli::add_trace_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ubee::cli::Failure& f) {
    fmt::print(stderr, "ubee: error: {}\n", f.message);
    return 1;
  }
  return 0;
}
