// An opened eBPF object, the counterpart of libbpf's bpf_object: the ELF read, its maps created with their
// initial contents, its map references resolved, and every program loaded on an engine, ready to run.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ubee/elf.hpp"
#include "ubee/error.hpp"
#include "ubee/helpers.hpp"
#include "ubee/jit.hpp"
#include "ubee/maps.hpp"
#include "ubee/verifier.hpp"
#include "ubee/vm.hpp"

namespace ubee {

// Which engine runs an object's programs.
enum class ObjectEngine : std::uint8_t {
  automatic,    // the JIT on x86-64 when the programs are verified (`verify`), else the interpreter in `mode`
  interpreter,  // the interpreter: in `mode`, or unchecked when verified
  jit,          // native code without runtime checks: needs `verify`, or `mode = ExecMode::unchecked` (trusted)
};

struct ObjectOptions {
  // How unverified programs run (verify off): checked by default; unchecked only for programs the embedder trusts.
  ExecMode mode = ExecMode::checked;
  // Helpers programs may call; null means the Linux helpers. Must outlive the object.
  const HelperRegistry* helpers = nullptr;
  ObjectEngine engine = ObjectEngine::automatic;
  // Runs verify() on every program at open (its type, the object's maps and BTF); a rejection fails the open
  // with the verifier's message. Verified programs run unchecked, on the JIT by default. Turning it off runs
  // programs on the checked interpreter (see unverified_checked_interpreter()).
  bool verify = true;

  // The path for programs nobody verified: the checked interpreter, whatever the defaults become.
  static ObjectOptions unverified_checked_interpreter() {
    ObjectOptions o;
    o.engine = ObjectEngine::interpreter;
    o.mode = ExecMode::checked;
    o.verify = false;
    return o;
  }
  // Maps another process created, by name: fds of their shared regions (Map::shared_fd()), opened with
  // open_shared_map() instead of creating the maps, so that both processes see the same maps (`ubee trace`
  // hands its maps to the agent in the traced process). Maps not named here are created; the fds are dup()ed.
  std::map<std::string, int, std::less<>> shared_map_fds;
};

// How the verifier sees one program of an object: its type and attach type, the object's maps and BTF. The
// options refer to `object` and `helpers`, which must outlive them.
VerifierOptions verifier_options(const ObjectSpec& object, const ProgramSpec& program, const HelperRegistry& helpers);

// One BPF_PROG_TEST_RUN: a packet and/or a context in, the same out, timed over `repeat` runs.
struct TestRunInput {
  std::vector<std::uint8_t> data_in;  // the packet, for packet programs
  std::vector<std::uint8_t> ctx_in;   // the context (or its initial fields, for packet programs)
  std::uint32_t repeat = 1;
};
struct TestRunOutput {
  std::uint64_t retval = 0;
  std::chrono::nanoseconds average{0};
  std::vector<std::uint8_t> data_out;
  std::vector<std::uint8_t> ctx_out;
};

class ObjectProgram {
 public:
  using Engine = std::variant<Interpreter, JitProgram>;
  ObjectProgram(ProgramSpec spec, Engine engine, std::uint32_t id, std::vector<MemoryRegion> regions);
  ~ObjectProgram();
  ObjectProgram(const ObjectProgram&) = delete;
  ObjectProgram& operator=(const ObjectProgram&) = delete;

  [[nodiscard]] const std::string& name() const { return spec_.name; }
  [[nodiscard]] const ProgramSpec& spec() const { return spec_; }
  // The engine the program was loaded on: exactly one of these is non-null.
  [[nodiscard]] const Interpreter* interpreter() const { return std::get_if<Interpreter>(&engine_); }
  [[nodiscard]] const JitProgram* jit() const { return std::get_if<JitProgram>(&engine_); }
  // Process-unique id: the value prog array maps hold.
  [[nodiscard]] std::uint32_t id() const { return id_; }

  // Runs once with r1 = ctx (the context as the program type defines it), r2 = its size.
  Result<std::uint64_t> run(void* ctx, std::size_t size) const;
  // The same with the caller's options (the program type is set from the spec). In checked mode the program
  // may only touch its global data when options.extra_regions includes regions().
  Result<std::uint64_t> run(void* ctx, std::size_t size, RunOptions options) const;
  [[nodiscard]] std::span<const MemoryRegion> regions() const { return regions_; }
  // BPF_PROG_TEST_RUN: builds the program type's context (xdp_md, __sk_buff, ...) around data_in.
  Result<TestRunOutput> test_run(const TestRunInput& input) const;

 private:
  ProgramSpec spec_;
  Engine engine_;
  std::uint32_t id_;
  std::vector<MemoryRegion> regions_;  // global data the program addresses directly (checked mode)
  RunOptions run_options_;  // what run(ctx, size) passes: built once, as a copy per hit costs (uprobes)
};

// The live program with this id in this process, or null.
const ObjectProgram* find_program(std::uint32_t id);

class Object final : public TailCallTargets {
 public:
  static Result<std::unique_ptr<Object>> open(const std::string& path, const ObjectOptions& options = {});
  static Result<std::unique_ptr<Object>> open(std::span<const std::uint8_t> bytes, const std::string& name,
                                              const ObjectOptions& options = {});

  [[nodiscard]] const ObjectSpec& spec() const { return spec_; }
  [[nodiscard]] const std::vector<std::unique_ptr<ObjectProgram>>& programs() const { return programs_; }
  [[nodiscard]] const std::vector<std::shared_ptr<Map>>& maps() const { return maps_; }
  [[nodiscard]] const ObjectProgram* find_program(std::string_view name) const;
  [[nodiscard]] std::shared_ptr<Map> find_map(std::string_view name) const;

  // bpf_tail_call: r2 holds a prog array map, resolved to its Map. A program array may name programs of any
  // object; a target loaded on the other engine cannot be jumped to and falls through.
  [[nodiscard]] const Interpreter* target(std::uint64_t map, std::uint32_t index) const override;
  [[nodiscard]] const JitTailCallTargets& jit_targets() const { return jit_targets_; }

 private:
  // The same prog array lookup, for JIT'ed programs (a separate object: both bases name their method target()).
  class JitTargets final : public JitTailCallTargets {
   public:
    [[nodiscard]] const JitProgram* target(std::uint64_t map, std::uint32_t index) const override;
  };

  Object() = default;
  static Result<std::unique_ptr<Object>> build(ObjectSpec spec, const std::string& name, const ObjectOptions& options);
  Result<void> create_maps(const ObjectOptions& options);
  Result<void> load_programs(const ObjectOptions& options);
  Result<ObjectProgram::Engine> load_engine(const ProgramSpec& spec, const Program& resolved,
                                            const HelperRegistry& helpers, const ObjectOptions& options);
  Result<void> fill_initial_slots();
  Result<void> fill_kconfig();

  ObjectSpec spec_;
  std::vector<std::shared_ptr<Map>> maps_;
  std::vector<std::unique_ptr<ObjectProgram>> programs_;
  std::unique_ptr<HelperRegistry> own_helpers_;
  JitTargets jit_targets_;
};

// Rewrites BPF_PSEUDO_MAP_IDX / MAP_IDX_VALUE references into the addresses of `maps` (a map, or a value in an
// array map), and returns the regions of the values addressed directly.
Result<Program> resolve_map_references(std::span<const Insn> program, std::span<const std::shared_ptr<Map>> maps,
                                       std::vector<MemoryRegion>& direct_values);

}  // namespace ubee
