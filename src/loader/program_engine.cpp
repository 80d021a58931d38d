// Which engine runs an object's program: verification on load when asked, then the JIT or the interpreter.
// The JIT performs no runtime checks, so it only takes programs someone vouched for: the verifier, or the
// embedder through ExecMode::unchecked.
#include <string>
#include <vector>

#include "ubee/object.hpp"
#include "ubee/verifier.hpp"

namespace ubee {
namespace {

constexpr bool kJitAvailable =
#if defined(__x86_64__)
    true;
#else
    false;
#endif

Error program_error(const ProgramSpec& spec, const std::string& stage, const Error& e) {
  return Error{e.code, "program '" + spec.name + "': " + stage + e.to_string(), {}, {}, {}};
}

bool wants_jit(const ObjectOptions& options) {
  return options.engine == ObjectEngine::jit ||
         (options.engine == ObjectEngine::automatic && options.verify && kJitAvailable);
}

}  // namespace

VerifierOptions verifier_options(const ObjectSpec& object, const ProgramSpec& program, const HelperRegistry& helpers) {
  VerifierOptions options;
  options.type = program.type;
  options.expected_attach_type = program.expected_attach_type;
  options.maps = object.maps;
  options.helpers = &helpers;
  options.btf = object.btf.get();
  return options;
}

Result<ObjectProgram::Engine> Object::load_engine(const ProgramSpec& spec, const Program& resolved,
                                                  const HelperRegistry& helpers, const ObjectOptions& options) {
  std::vector<std::uint32_t> limits;
  if (options.verify) {
    // The verifier reads map references by index, as the ELF left them: it runs on the unresolved program.
    auto stats = verify(spec.insns, verifier_options(spec_, spec, helpers));
    if (!stats) return program_error(spec, "verifier: ", stats.error());
    limits = std::move(stats->speculation_limits);
  }
  const bool trusted = options.verify || options.mode == ExecMode::unchecked;
  if (wants_jit(options)) {
    if (!trusted)
      return make_error(Errc::unsupported, "program '" + spec.name + "': the JIT runs verified programs: set "
                                           "ObjectOptions::verify, or mode = ExecMode::unchecked for trusted ones");
    JitOptions jit_options;
    jit_options.tail_calls = &jit_targets_;
    jit_options.speculation_limits = limits;
    auto jit = JitProgram::compile(resolved, helpers, jit_options);
    if (!jit) return program_error(spec, "", jit.error());
    return ObjectProgram::Engine(std::move(*jit));
  }
  const ExecMode mode = options.verify ? ExecMode::unchecked : options.mode;
  auto vm = Interpreter::load(resolved, helpers, LoadOptions{mode, {}, this});
  if (!vm) return program_error(spec, "", vm.error());
  return ObjectProgram::Engine(std::move(*vm));
}

}  // namespace ubee
