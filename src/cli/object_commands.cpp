// Commands on ELF objects: `ubee run OBJ` (BPF_PROG_TEST_RUN, as `bpftool prog run`), `ubee prog show`,
// and `ubee map show|dump|lookup|update|delete` on the maps of the opened object.
#include <bpf/libbpf.h>
#include <fmt/core.h>

#include "cli.hpp"
#include "map_dump.hpp"
#include "object_run.hpp"

namespace ubee::cli {
namespace {

// Commands that only list programs or read maps open objects without verifying them: nothing runs.
std::unique_ptr<Object> open_or_fail(const std::string& path,
                                     const ObjectOptions& options = ObjectOptions::unverified_checked_interpreter()) {
  auto object = Object::open(path, options);
  if (!object) fail(object.error());
  return std::move(*object);
}

const ObjectProgram& pick_program(const Object& object, const std::string& name) {
  if (object.programs().empty()) fail("the object has no programs");
  if (name.empty()) {
    if (object.programs().size() > 1) {
      std::string names;
      for (const auto& p : object.programs()) names += " " + p->name();
      fail("the object has several programs; choose one with --program:" + names);
    }
    return *object.programs().front();
  }
  const ObjectProgram* p = object.find_program(name);
  if (p == nullptr) fail("no program named '" + name + "'");
  return *p;
}

std::vector<std::uint8_t> read_or_fail(const std::string& path) {
  if (path.empty()) return {};
  auto bytes = read_file(path);
  if (!bytes) fail(bytes.error());
  return std::move(*bytes);
}

nlohmann::json all_maps_json(const Object& object) {
  nlohmann::json maps = nlohmann::json::object();
  for (const auto& m : object.maps()) maps[m->spec().name] = dump_map_json(*m, object.spec().btf.get());
  return maps;
}

void print_run(const ObjectRunArgs& args, const Object& object, const TestRunOutput& out) {
  if (args.json) {
    nlohmann::json j{{"retval", out.retval}, {"duration", out.average.count()}, {"repeat", args.repeat}};
    if (args.dump_maps) j["maps"] = all_maps_json(object);
    fmt::print("{}\n", j.dump());
    return;
  }
  fmt::print("Return value: {} ({:#x}), duration (average): {}ns\n", out.retval, out.retval, out.average.count());
  if (!args.dump_maps) return;
  for (const auto& m : object.maps())
    fmt::print("map '{}':\n{}", m->spec().name, dump_map_text(*m, object.spec().btf.get()));
}

ObjectOptions engine_options(const ObjectRunArgs& args) {
  if (args.unverified) {
    if (args.engine == "jit") fail("--unverified runs the checked interpreter; the JIT takes verified programs only");
    fmt::print(stderr, "ubee: warning: --unverified: the programs are not verified; they run on the checked "
                       "interpreter\n");
    return ObjectOptions::unverified_checked_interpreter();
  }
  ObjectOptions options;  // verified on open
  if (args.engine == "interp") options.engine = ObjectEngine::interpreter;
  if (args.engine == "jit") options.engine = ObjectEngine::jit;
  return options;
}

}  // namespace

void run_object(const ObjectRunArgs& args) {
  const auto object = open_or_fail(args.path, engine_options(args));
  const ObjectProgram& program = pick_program(*object, args.program);
  TestRunInput input{read_or_fail(args.data_in), read_or_fail(args.ctx_in), args.repeat};
  auto out = program.test_run(input);
  if (!out) fail(out.error());
  if (!args.data_out.empty())
    if (auto r = write_file(args.data_out, out->data_out); !r) fail(r.error());
  if (!args.ctx_out.empty())
    if (auto r = write_file(args.ctx_out, out->ctx_out); !r) fail(r.error());
  print_run(args, *object, *out);
}

void add_prog_command(CLI::App& app) {
  CLI::App* prog = app.add_subcommand("prog", "Inspect the programs of an object");
  prog->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* show = prog->add_subcommand("show", "List programs: name, section, type, instructions");
  show->add_option("object", *path, "eBPF ELF object")->required();
  show->add_flag("--json", *json, "Print JSON");
  show->callback([path, json] {
    const auto object = open_or_fail(*path);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : object->programs()) {
      const char* type = libbpf_bpf_prog_type_str(p->spec().type);
      list.push_back({{"name", p->name()}, {"section", p->spec().section}, {"type", type ? type : "unknown"},
                      {"insns", p->spec().insns.size()}});
      if (!*json)
        fmt::print("{}: {}  name {}  section {}  insns {}\n", list.size() - 1, type ? type : "unknown", p->name(),
                   p->spec().section, p->spec().insns.size());
    }
    if (*json) fmt::print("{}\n", list.dump());
  });
}

}  // namespace ubee::cli
