// `ubee conformance-plugin`: the plugin protocol of the bpf_conformance suite. The program arrives on standard
// input and the input memory as the first argument, both as hex bytes separated by white space; r0 is printed
// in hex, and a failure exits non-zero with its message.
#include <fmt/core.h>

#include <cctype>
#include <iostream>
#include <iterator>

#include "cli.hpp"
#include "engine.hpp"
#include "ubee/vm.hpp"

namespace ubee::cli {
namespace {

Result<std::vector<std::uint8_t>> parse_hex_bytes(const std::string& text) {
  std::vector<std::uint8_t> bytes;
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && std::isxdigit(static_cast<unsigned char>(text[end]))) ++end;
    if (end - i != 2) return make_error(Errc::invalid_argument, "expected a hex byte at offset " + std::to_string(i));
    bytes.push_back(static_cast<std::uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
    i = end;
  }
  return bytes;
}

// The suite's helper 5 (uBPF's "unwind" test helper) returns its first argument; it is the only helper its
// programs call, directly or through callx.
std::uint64_t conformance_helper(std::uint64_t r1, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                 RunContext&) {
  return r1;
}

void run_plugin(const std::vector<std::string>& args, const std::string& engine) {
  std::vector<std::uint8_t> memory;
  if (!args.empty()) {
    auto mem = parse_hex_bytes(args.front());
    if (!mem) fail(mem.error());
    memory = std::move(*mem);
  }
  const std::string input{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  auto bytes = parse_hex_bytes(input);
  if (!bytes) fail(bytes.error());
  auto program = decode(*bytes);
  if (!program) fail(program.error());
  HelperRegistry helpers;
  if (auto r = helpers.add(5, HelperProto{"conformance_unwind", conformance_helper, RetType::integer, {ArgType::anything}});
      !r)
    fail(r.error());
  auto vm = Engine::load(*program, helpers, engine);
  if (!vm) fail(vm.error());
  auto r0 = vm->run(memory.empty() ? nullptr : memory.data(), memory.size());
  if (!r0) fail(r0.error());
  fmt::print("{:x}\n", *r0);
}

}  // namespace

void add_conformance_plugin_command(CLI::App& app) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto engine = std::make_shared<std::string>("interp");
  CLI::App* cmd = app.add_subcommand(
      "conformance-plugin", "Run one program as a plugin of the bpf_conformance suite (program as hex on stdin)");
  cmd->add_option("memory", *args, "Input memory as hex bytes (\"00  01  ...\")");
  add_engine_option(*cmd, *engine);
  cmd->callback([args, engine] { run_plugin(*args, *engine); });
}

}  // namespace ubee::cli
