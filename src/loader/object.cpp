// Opening an object: parse the ELF, create its maps, resolve map references, load each program on an engine.
#include <sys/utsname.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "ubee/linux_helpers.hpp"
#include "ubee/map_types.hpp"
#include "ubee/object.hpp"

namespace ubee {
namespace {

// Live programs by id, so that prog array maps (which hold ids) can name programs of any object.
struct ProgramRegistry {
  std::mutex mutex;
  std::unordered_map<std::uint32_t, const ObjectProgram*> by_id;
  std::atomic<std::uint32_t> next_id{1};
};
ProgramRegistry& registry() {
  static ProgramRegistry r;
  return r;
}

// The program at `index` of the prog array `map_value` (r2 of a bpf_tail_call), or null.
const ObjectProgram* prog_array_program(std::uint64_t map_value, std::uint32_t index) {
  auto* map = reinterpret_cast<Map*>(map_value);
  if (!is_live_map(map) || map->type() != BPF_MAP_TYPE_PROG_ARRAY) return nullptr;
  const auto id = static_cast<ProgArrayMap*>(map)->program_at(index);
  return id ? ubee::find_program(*id) : nullptr;
}

Error object_error(const std::string& object, const Error& e) {
  Error out = e;
  out.message = "object '" + object + "': " + e.message;
  return out;
}

}  // namespace

const ObjectProgram* find_program(std::uint32_t id) {
  std::lock_guard lock(registry().mutex);
  auto it = registry().by_id.find(id);
  return it == registry().by_id.end() ? nullptr : it->second;
}

ObjectProgram::ObjectProgram(ProgramSpec spec, Engine engine, std::uint32_t id, std::vector<MemoryRegion> regions)
    : spec_(std::move(spec)), engine_(std::move(engine)), id_(id), regions_(std::move(regions)) {
  run_options_.extra_regions = regions_;
  run_options_.program_type = spec_.type;
  std::lock_guard lock(registry().mutex);
  registry().by_id[id_] = this;
}

ObjectProgram::~ObjectProgram() {
  std::lock_guard lock(registry().mutex);
  registry().by_id.erase(id_);
}

Result<std::uint64_t> ObjectProgram::run(void* ctx, std::size_t size) const {
  return std::visit([&](const auto& engine) { return engine.run(ctx, size, run_options_); }, engine_);
}

Result<std::uint64_t> ObjectProgram::run(void* ctx, std::size_t size, RunOptions options) const {
  options.program_type = spec_.type;
  return std::visit([&](const auto& engine) { return engine.run(ctx, size, options); }, engine_);
}

Result<std::unique_ptr<Object>> Object::open(const std::string& path, const ObjectOptions& options) {
  auto spec = parse_object_file(path);
  if (!spec) return spec.error();
  return build(std::move(*spec), path, options);
}

Result<std::unique_ptr<Object>> Object::open(std::span<const std::uint8_t> bytes, const std::string& name,
                                              const ObjectOptions& options) {
  auto spec = parse_object(bytes, name);
  if (!spec) return spec.error();
  return build(std::move(spec.value()), name, options);
}

Result<std::unique_ptr<Object>> Object::build(ObjectSpec spec, const std::string& name, const ObjectOptions& options) {
  std::unique_ptr<Object> object(new Object());
  object->spec_ = std::move(spec);
  Result<void> r = object->create_maps(options);
  if (r) r = object->load_programs(options);
  if (r) r = object->fill_kconfig();
  if (r) r = object->fill_initial_slots();
  if (!r) return object_error(name, r.error());
  return object;
}

Result<void> Object::create_maps(const ObjectOptions& options) {
  for (MapSpec spec : spec_.maps) {
    // libbpf sizes a perf event array left at 0 entries to the possible CPUs; the kernel would refuse 0.
    if (spec.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && spec.max_entries == 0) spec.max_entries = possible_cpus();
    const auto shared = options.shared_map_fds.find(spec.name);
    auto map = shared == options.shared_map_fds.end() ? create_map(spec) : open_shared_map(spec, shared->second);
    if (!map) return map.error();
    maps_.push_back(std::move(*map));
  }
  return {};
}

Result<void> Object::load_programs(const ObjectOptions& options) {
  const HelperRegistry* helpers = options.helpers;
  if (helpers == nullptr) {
    own_helpers_ = std::make_unique<HelperRegistry>();
    add_linux_helpers(*own_helpers_);
    helpers = own_helpers_.get();
  }
  for (const ProgramSpec& spec : spec_.programs) {
    std::vector<MemoryRegion> regions;
    auto resolved = resolve_map_references(spec.insns, maps_, regions);
    if (!resolved) return Error{resolved.error().code, "program '" + spec.name + "': " + resolved.error().to_string(), {}, {}, {}};
    auto engine = load_engine(spec, *resolved, *helpers, options);
    if (!engine) return engine.error();
    const std::uint32_t id = registry().next_id.fetch_add(1);
    programs_.push_back(std::make_unique<ObjectProgram>(spec, std::move(*engine), id, std::move(regions)));
  }
  return {};
}

// `.values` initialisers: program arrays get program ids, maps of maps get inner map ids, as libbpf fills them.
Result<void> Object::fill_initial_slots() {
  for (const MapSlotInit& init : spec_.initial_slots) {
    if (init.map >= maps_.size() || (init.inner_map && *init.inner_map >= maps_.size()))
      return make_error(Errc::invalid_argument, "an initial slot names a map that does not exist");
    Map& outer = *maps_[init.map];
    std::uint32_t value = 0;
    if (init.inner_map) {
      value = maps_[*init.inner_map]->id();
    } else {
      const ObjectProgram* program = find_program(init.program);
      if (program == nullptr)
        return make_error(Errc::invalid_argument, "map '" + outer.spec().name + "' slot " + std::to_string(init.slot) +
                                                      " names program '" + init.program + "', which is not in the object");
      value = program->id();
    }
    if (const long rc = outer.user_update(&init.slot, &value, BPF_ANY); rc != 0)
      return make_error(Errc::invalid_argument, "map '" + outer.spec().name + "': cannot set slot " +
                                                    std::to_string(init.slot) + ": " + std::strerror(static_cast<int>(-rc)));
  }
  return {};
}

// `.kconfig` externs: LINUX_KERNEL_VERSION from uname(2); LINUX_HAS_BPF_COOKIE is 1 (bpf_get_attach_cookie
// works for programs ubee attaches, and libbpf's usdt.bpf.h reads its spec id through it). No CONFIG_* option
// describes a user-space runtime, so those stay 0 when weak and are an error otherwise, as libbpf fails on an
// unknown strong extern.
Result<void> Object::fill_kconfig() {
  if (spec_.kconfig.empty()) return {};
  // The map is named as libbpf names it, "<object prefix>.kconfig" (internal_map_name), not ".kconfig".
  std::shared_ptr<Map> map;
  for (const auto& m : maps_)
    if (m->spec().name.ends_with(".kconfig")) map = m;
  const std::uint32_t zero = 0;
  auto* value = map ? static_cast<std::uint8_t*>(map->lookup(&zero)) : nullptr;
  if (value == nullptr) return make_error(Errc::invalid_argument, "kconfig externs without a .kconfig map");
  for (const KconfigExtern& k : spec_.kconfig) {
    if (k.name == "LINUX_KERNEL_VERSION" && k.size == 4 && k.offset + 4 <= map->value_size()) {
      utsname u{};
      uname(&u);
      unsigned major = 0, minor = 0, patch = 0;
      std::sscanf(u.release, "%u.%u.%u", &major, &minor, &patch);
      const std::uint32_t version = (major << 16) + (minor << 8) + std::min(patch, 255U);
      std::memcpy(value + k.offset, &version, 4);
    } else if (k.name == "LINUX_HAS_BPF_COOKIE" && k.size == 1 && k.offset < map->value_size()) {
      value[k.offset] = 1;
    } else if (!k.weak) {
      return make_error(Errc::unsupported, "kconfig extern '" + k.name + "' has no value in user space");
    }
  }
  return {};
}

const ObjectProgram* Object::find_program(std::string_view name) const {
  for (const auto& p : programs_)
    if (p->name() == name) return p.get();
  return nullptr;
}

std::shared_ptr<Map> Object::find_map(std::string_view name) const {
  for (const auto& m : maps_)
    if (m->spec().name == name) return m;
  return nullptr;
}

const Interpreter* Object::target(std::uint64_t map_value, std::uint32_t index) const {
  const ObjectProgram* program = prog_array_program(map_value, index);
  return program ? program->interpreter() : nullptr;
}

const JitProgram* Object::JitTargets::target(std::uint64_t map_value, std::uint32_t index) const {
  const ObjectProgram* program = prog_array_program(map_value, index);
  return program ? program->jit() : nullptr;
}

}  // namespace ubee
