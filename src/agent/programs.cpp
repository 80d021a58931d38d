#include "programs.hpp"

#include "attach_cookie.hpp"
#include "ubee/linux_helpers.hpp"
#include "ubee/map_types.hpp"
#include "ubee/verifier.hpp"

namespace ubee::agent {
namespace {

thread_local bool in_program = false;

Error program_error(const std::string& name, const Error& e) {
  return make_error(e.code, "program '" + name + "': " + e.to_string());
}

}  // namespace

const char* AgentProgram::engine_name() const {
  if (jit) return "jit";
  return unchecked ? "interpreter" : "checked interpreter";
}

void AgentProgram::run(void* ctx, std::size_t size, std::uint64_t cookie) const {
  if (in_program) return;
  in_program = true;
  current_attach_cookie = cookie;
  RunOptions options;
  options.program_type = type();
  Result<std::uint64_t> r = jit         ? jit->run(ctx, size, options)
                            : unchecked ? unchecked->run(ctx, size, options)
                                        : object_program_.run(ctx, size);
  current_attach_cookie = 0;
  in_program = false;
  if (!r && report_fault != nullptr && !fault_reported_.exchange(true))
    report_fault("program '" + name() + "' stopped: " + r.error().to_string() + " (reported once)");
}

Result<std::unique_ptr<Programs>> Programs::load(const std::vector<std::uint8_t>& object_bytes,
                                                 const std::string& name,
                                                 const std::map<std::string, int, std::less<>>& map_fds,
                                                 const std::vector<ProgramRequest>& requests, bool allow_unverified) {
  std::unique_ptr<Programs> programs(new Programs());
  add_linux_helpers(programs->helpers_);
  add_attach_cookie_helper(programs->helpers_);
  ObjectOptions options;
  options.helpers = &programs->helpers_;
  options.shared_map_fds = map_fds;
  auto object = Object::open(object_bytes, name, options);
  if (!object) return object.error();
  programs->object_ = std::move(*object);
  for (const ProgramRequest& request : requests)
    if (auto r = programs->load_one(request, allow_unverified); !r) return r.error();
  return programs;
}

// Verified programs get native code; the agent verifies them again, which also gives the JIT the
// speculation limits. Unverified ones stay on the object's checked interpreter.
Result<void> Programs::load_one(const ProgramRequest& request, bool allow_unverified) {
  const ObjectProgram* object_program = object_->find_program(request.name);
  if (object_program == nullptr) return make_error(Errc::not_found, "no program named '" + request.name + "'");
  auto program = std::make_unique<AgentProgram>(*object_program, request.target);
  if (request.verified) {
    VerifierOptions vo;
    vo.type = object_program->spec().type;
    vo.maps = object_->spec().maps;
    vo.helpers = &helpers_;
    auto stats = verify(object_program->spec().insns, vo);
    if (!stats) return program_error(request.name, stats.error());
    std::vector<MemoryRegion> regions;
    auto resolved = resolve_map_references(object_program->spec().insns, object_->maps(), regions);
    if (!resolved) return program_error(request.name, resolved.error());
    JitOptions jo;
    jo.tail_calls = this;
    jo.speculation_limits = stats->speculation_limits;
    if (auto jit = JitProgram::compile(*resolved, helpers_, jo)) {
      program->jit.emplace(std::move(*jit));
    } else {
      auto interp = Interpreter::load(*resolved, helpers_, LoadOptions{ExecMode::unchecked, {}, object_.get()});
      if (!interp) return program_error(request.name, interp.error());
      program->unchecked.emplace(std::move(*interp));
    }
  } else if (request.selected && !allow_unverified) {
    return make_error(Errc::permission_denied, "program '" + request.name +
                                                   "' was not verified: the agent runs it only with --unverified");
  }
  by_object_id_[object_program->id()] = program.get();
  if (request.selected) selected_.push_back(program.get());
  programs_.push_back(std::move(program));
  return {};
}

// A tail call from native code lands in native code only: a target without a JIT'ed form falls through.
const JitProgram* Programs::target(std::uint64_t map_value, std::uint32_t index) const {
  auto* map = reinterpret_cast<Map*>(map_value);
  if (!is_live_map(map) || map->type() != BPF_MAP_TYPE_PROG_ARRAY) return nullptr;
  const auto id = static_cast<ProgArrayMap*>(map)->program_at(index);
  const auto it = id ? by_object_id_.find(*id) : by_object_id_.end();
  return it != by_object_id_.end() && it->second->jit ? &*it->second->jit : nullptr;
}

}  // namespace ubee::agent
