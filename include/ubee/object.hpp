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
#include <vector>

#include "ubee/elf.hpp"
#include "ubee/error.hpp"
#include "ubee/helpers.hpp"
#include "ubee/maps.hpp"
#include "ubee/vm.hpp"

namespace ubee {

struct ObjectOptions {
  // Until the verifier proves programs safe, they run in checked mode.
  ExecMode mode = ExecMode::checked;
  // Helpers programs may call; null means the Linux helpers. Must outlive the object.
  const HelperRegistry* helpers = nullptr;
  // Maps another process created, by name: fds of their shared regions (Map::shared_fd()), opened with
  // open_shared_map() instead of creating the maps, so that both processes see the same maps (`ubee trace`
  // hands its maps to the agent in the traced process). Maps not named here are created; the fds are dup()ed.
  std::map<std::string, int, std::less<>> shared_map_fds;
};

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
  ObjectProgram(ProgramSpec spec, Interpreter engine, std::uint32_t id, std::vector<MemoryRegion> regions);
  ~ObjectProgram();
  ObjectProgram(const ObjectProgram&) = delete;
  ObjectProgram& operator=(const ObjectProgram&) = delete;

  [[nodiscard]] const std::string& name() const { return spec_.name; }
  [[nodiscard]] const ProgramSpec& spec() const { return spec_; }
  [[nodiscard]] const Interpreter& engine() const { return engine_; }
  // Process-unique id: the value prog array maps hold.
  [[nodiscard]] std::uint32_t id() const { return id_; }

  // Runs once with r1 = ctx (the context as the program type defines it), r2 = its size.
  Result<std::uint64_t> run(void* ctx, std::size_t size) const;
  // BPF_PROG_TEST_RUN: builds the program type's context (xdp_md, __sk_buff, ...) around data_in.
  Result<TestRunOutput> test_run(const TestRunInput& input) const;

 private:
  ProgramSpec spec_;
  Interpreter engine_;
  std::uint32_t id_;
  std::vector<MemoryRegion> regions_;  // global data the program addresses directly (checked mode)
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

  // bpf_tail_call: r2 holds a prog array map, resolved to its Map.
  [[nodiscard]] const Interpreter* target(std::uint64_t map, std::uint32_t index) const override;

 private:
  Object() = default;
  static Result<std::unique_ptr<Object>> build(ObjectSpec spec, const std::string& name, const ObjectOptions& options);
  Result<void> create_maps(const ObjectOptions& options);
  Result<void> load_programs(const ObjectOptions& options);
  Result<void> fill_initial_slots();
  Result<void> fill_kconfig();

  ObjectSpec spec_;
  std::vector<std::shared_ptr<Map>> maps_;
  std::vector<std::unique_ptr<ObjectProgram>> programs_;
  std::unique_ptr<HelperRegistry> own_helpers_;
};

// Rewrites BPF_PSEUDO_MAP_IDX / MAP_IDX_VALUE references into the addresses of `maps` (a map, or a value in an
// array map), and returns the regions of the values addressed directly.
Result<Program> resolve_map_references(std::span<const Insn> program, std::span<const std::shared_ptr<Map>> maps,
                                       std::vector<MemoryRegion>& direct_values);

}  // namespace ubee
