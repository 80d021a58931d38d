#include "programs.hpp"

#include <algorithm>

#include "attach_cookie.hpp"
#include "ubee/linux_helpers.hpp"

namespace ubee::agent {
namespace {

// initial-exec: no __tls_get_addr call on every hit (a few bytes of static TLS, which an injected agent can have).
[[gnu::tls_model("initial-exec")]] constinit thread_local bool in_program = false;

}  // namespace

const char* AgentProgram::engine_name() const {
  if (object_program_.jit() != nullptr) return "jit";
  return object_program_.interpreter()->mode() == ExecMode::unchecked ? "interpreter" : "checked interpreter";
}

void AgentProgram::run(void* ctx, std::size_t size, std::uint64_t cookie) const {
  if (in_program) return;
  in_program = true;
  current_attach_cookie = cookie;
  const Result<std::uint64_t> r = object_program_.run(ctx, size);
  current_attach_cookie = 0;
  in_program = false;
  if (!r && report_fault != nullptr && !fault_reported_.exchange(true))
    report_fault("program '" + name() + "' stopped: " + r.error().to_string() + " (reported once)");
}

// The CLI verified the programs; the agent verifies them again on open, because it runs only what it proved
// itself (the loader then compiles them with the JIT, tail calls and speculation masking included).
Result<std::unique_ptr<Programs>> Programs::load(const std::vector<std::uint8_t>& object_bytes,
                                                 const std::string& name,
                                                 const std::map<std::string, int, std::less<>>& map_fds,
                                                 const std::vector<ProgramRequest>& requests, bool allow_unverified) {
  std::unique_ptr<Programs> programs(new Programs());
  add_linux_helpers(programs->helpers_);
  add_attach_cookie_helper(programs->helpers_);
  const bool all_verified =
      std::all_of(requests.begin(), requests.end(), [](const ProgramRequest& r) { return r.verified; });
  if (!all_verified && !allow_unverified) {
    for (const ProgramRequest& request : requests)
      if (!request.verified)
        return make_error(Errc::permission_denied, "program '" + request.name +
                                                       "' was not verified: the agent runs it only with --unverified");
  }
  ObjectOptions options = all_verified ? ObjectOptions{} : ObjectOptions::unverified_checked_interpreter();
  options.helpers = &programs->helpers_;
  options.shared_map_fds = map_fds;
  auto object = Object::open(object_bytes, name, options);
  if (!object) return object.error();
  programs->object_ = std::move(*object);
  for (const ProgramRequest& request : requests)
    if (auto r = programs->add(request); !r) return r.error();
  return programs;
}

Result<void> Programs::add(const ProgramRequest& request) {
  const ObjectProgram* object_program = object_->find_program(request.name);
  if (object_program == nullptr) return make_error(Errc::not_found, "no program named '" + request.name + "'");
  auto program = std::make_unique<AgentProgram>(*object_program, request.target);
  if (request.selected) selected_.push_back(program.get());
  programs_.push_back(std::move(program));
  return {};
}

}  // namespace ubee::agent
