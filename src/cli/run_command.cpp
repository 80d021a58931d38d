// `ubee run`: executes a program on input memory and reports r0, like `bpftool prog run` does for the kernel.
#include <fmt/core.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <climits>
#include <cstring>

#include "cli.hpp"
#include "engine.hpp"
#include "object_run.hpp"
#include "ubee/vm.hpp"

namespace ubee::cli {
namespace {

struct RunArgs {
  std::string program_path;
  std::string mem_path;
  std::uint64_t repeat = 1;
  bool stats = false;
  bool json = false;
  std::string engine;  // "" lets the kind of program choose (see add_engine_option)
  ObjectRunArgs object;  // for ELF objects
};

bool is_elf(const std::string& path) {
  std::FILE* f = path == "-" ? nullptr : std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char magic[4] = {};
  const bool elf = std::fread(magic, 1, 4, f) == 4 && std::memcmp(magic, "\x7f" "ELF", 4) == 0;
  std::fclose(f);
  return elf;
}

struct Outcome {
  std::uint64_t r0 = 0;
  double average_ns = 0;
};

Outcome run_repeatedly(const Engine& vm, std::vector<std::uint8_t> memory, std::uint64_t repeat) {
  // Each run sees the input as given: a program that writes its memory must not see its previous run's output.
  const std::vector<std::uint8_t> pristine = memory;
  Outcome out;
  std::chrono::nanoseconds total{0};
  for (std::uint64_t i = 0; i < repeat; ++i) {
    if (i != 0) memory = pristine;
    const auto start = std::chrono::steady_clock::now();
    auto r0 = vm.run(memory.empty() ? nullptr : memory.data(), memory.size());
    total += std::chrono::steady_clock::now() - start;
    if (!r0) fail(r0.error());
    out.r0 = *r0;
  }
  out.average_ns = static_cast<double>(total.count()) / static_cast<double>(repeat);
  return out;
}

void print_outcome(const RunArgs& args, const Outcome& out) {
  if (args.json) {
    nlohmann::json j{{"retval", out.r0}, {"repeat", args.repeat}};
    if (args.stats) j["duration_ns"] = out.average_ns;
    fmt::print("{}\n", j.dump());
    return;
  }
  fmt::print("{} ({:#x})\n", out.r0, out.r0);
  if (args.stats) fmt::print("runs: {}, average: {:.1f} ns per run\n", args.repeat, out.average_ns);
}

void run_command(RunArgs& args) {
  if (is_elf(args.program_path)) {
    args.object.path = args.program_path;
    args.object.repeat = static_cast<std::uint32_t>(std::min<std::uint64_t>(args.repeat, UINT32_MAX));
    args.object.json = args.json;
    args.object.engine = args.engine;
    return run_object(args.object);
  }
  if (!args.object.program.empty() || !args.object.data_in.empty() || !args.object.ctx_in.empty() ||
      args.object.dump_maps)
    fail("--program, --data-in, --ctx-in and --dump-maps apply to ELF objects; use --mem for raw programs");
  auto program = load_program_file(args.program_path);
  if (!program) fail(program.error());
  std::vector<std::uint8_t> memory;
  if (!args.mem_path.empty()) {
    auto bytes = read_file(args.mem_path);
    if (!bytes) fail(bytes.error());
    memory = std::move(*bytes);
  }
  const HelperRegistry helpers;
  auto vm = Engine::load(*program, helpers, args.engine);
  if (!vm) fail(vm.error());
  print_outcome(args, run_repeatedly(*vm, std::move(memory), args.repeat));
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a program and print its return value (r0)");
  cmd->add_option("program", args->program_path,
                  "An eBPF ELF object, bytecode (.bin, raw little-endian instructions) or assembly (.s)")
      ->required();
  cmd->add_option("--program", args->object.program, "Object: the program to run (by function name)");
  cmd->add_option("--data-in", args->object.data_in, "Object: the packet (xdp, tc, socket programs)");
  cmd->add_option("--ctx-in", args->object.ctx_in, "Object: the context (xdp_md, __sk_buff, or the whole ctx)");
  cmd->add_option("--data-out", args->object.data_out, "Object: write the packet after the run here");
  cmd->add_option("--ctx-out", args->object.ctx_out, "Object: write the context after the run here");
  cmd->add_flag("--dump-maps", args->object.dump_maps, "Object: print every map after the run (bpftool map dump)");
  cmd->add_option("--mem", args->mem_path, "Raw programs: file whose bytes are the input memory (r1 = address, r2 = length)");
  cmd->add_option("--repeat", args->repeat, "Run this many times (the input is restored before each run)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  cmd->add_flag("--stats", args->stats, "Also print the average time per run");
  add_engine_option(*cmd, args->engine);
  cmd->add_flag("--unverified", args->object.unverified,
                "Object: skip the verifier and run the programs on the checked interpreter (unsafe input only)");
  cmd->add_flag("--json", args->json, "Print JSON: {\"retval\": ..., \"repeat\": ..., \"duration_ns\": ...}");
  cmd->callback([args] { run_command(*args); });
}

}  // namespace ubee::cli
