// JitProgram: compiles into memory that is writable while the code is copied in, then read-only and executable
// (never both), and runs the code through its trampoline with the interpreter's register setup and errors.
#include "ubee/jit.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "jit_state.hpp"
#include "ubee/asm.hpp"
#include "vm/micro_ops.hpp"

namespace ubee {

namespace {

using jit::JitState;
using jit::RunError;

// An anonymous mapping, RW while being filled and R+X afterwards.
class CodeMemory {
 public:
  CodeMemory() = default;
  CodeMemory(const CodeMemory&) = delete;
  CodeMemory& operator=(const CodeMemory&) = delete;
  ~CodeMemory() {
    if (base_ != nullptr) munmap(base_, mapped_);
  }

  std::uint8_t* map(std::size_t size) {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    mapped_ = (size + page) / page * page;  // at least one int3 after the code
    void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    base_ = static_cast<std::uint8_t*>(p);
    std::memset(base_, 0xcc, mapped_);  // int3 after the code: running past its end traps
    size_ = size;
    return base_;
  }
  // W^X: the code becomes executable only once it can no longer be written.
  bool seal() { return mprotect(base_, mapped_, PROT_READ | PROT_EXEC) == 0; }

  [[nodiscard]] std::uint8_t* data() const { return base_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t mapped() const { return mapped_; }

 private:
  std::uint8_t* base_ = nullptr;
  std::size_t mapped_ = 0;
  std::size_t size_ = 0;
};

// Emitted code tests for a helper's abort with one byte compare of the engaged flag of RunContext's
// std::optional<Error> instead of a call. libstdc++ keeps that flag right after the payload; the place is
// checked once against has_value() and the JIT refuses to compile if the library lays it out otherwise.
std::optional<std::size_t> engaged_offset() {
  static const std::optional<std::size_t> offset = []() -> std::optional<std::size_t> {
    constexpr std::size_t at = sizeof(Error);
    if (at >= sizeof(std::optional<Error>)) return std::nullopt;
    std::optional<Error> probe;
    const auto flag = [&] { return reinterpret_cast<const unsigned char*>(&probe)[at]; };
    if (flag() != 0) return std::nullopt;
    probe.emplace(make_error(Errc::invalid_argument, "probe"));
    if (flag() != 1) return std::nullopt;
    probe.reset();
    if (flag() != 0) return std::nullopt;
    return at;
  }();
  return offset;
}

}  // namespace

struct JitProgram::Impl {
  Program program;
  const HelperRegistry* helpers = nullptr;
  const JitTailCallTargets* tail_calls = nullptr;
  CodeMemory memory;
  jit::Compiled compiled;
  std::size_t engaged = 0;

  [[nodiscard]] const void* entry(std::size_t pc) const { return memory.data() + compiled.insn_offsets[pc]; }
  Result<std::uint64_t> enter(JitState& st, std::size_t pc, const std::uint64_t* args, std::uint64_t frame) const;
  [[nodiscard]] Error run_error(const JitState& st) const;
};

namespace {

// A helper's abort names the call that made it, unless the error already names an instruction (a callback's).
Error helper_abort(std::span<const Insn> program, std::size_t pc, const Error& error) {
  if (error.insn) return error;
  return insn_error(error.code, pc, error.message + " (" + disassemble_insn(program, pc) + ")");
}

// What helpers see of a JIT run: callbacks re-enter the code through a nested trampoline on the next frame, in
// the program running at the time (a tail call may have switched it), as the interpreter's.
class JitContext final : public RunContext {
 public:
  JitContext(JitState& st, const RunOptions& options) : RunContext(options.user_data, nullptr), st_(st) {
    set_program_type(options.program_type);
  }

  Result<std::uint64_t> call_function(std::uint64_t function, std::uint64_t r1, std::uint64_t r2, std::uint64_t r3,
                                      std::uint64_t r4, std::uint64_t r5) override {
    const JitProgram::Impl& impl = *st_.current;
    const std::uint64_t slot = function & ~vm::kFunctionTagMask;
    if ((function & vm::kFunctionTagMask) != vm::kFunctionTag || slot >= impl.program.size())
      return make_error(Errc::invalid_argument, "helper was given " + hex(function) + ", which is not a function");
    if (st_.depth + 1 >= kMaxCallDepth)
      return make_error(Errc::call_depth, "callback exceeds the call depth of " + std::to_string(kMaxCallDepth));
    const std::uint64_t args[5] = {r1, r2, r3, r4, r5};
    const std::uint64_t depth = st_.depth;
    st_.depth = depth + 1;
    auto r0 = impl.enter(st_, slot, args, st_.frame_at(depth + 1));
    st_.depth = depth;
    st_.current = &impl;
    st_.registry = impl.helpers;
    return r0;
  }

 private:
  static std::string hex(std::uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
  }

  JitState& st_;
};

}  // namespace

Result<std::uint64_t> JitProgram::Impl::enter(JitState& st, std::size_t pc, const std::uint64_t* args,
                                              std::uint64_t frame) const {
  const auto trampoline = reinterpret_cast<jit::Trampoline>(memory.data() + compiled.trampoline_offset);
  const std::uint64_t r0 = trampoline(&st, entry(pc), args, frame);
  if (st.error_kind == static_cast<std::uint32_t>(RunError::none)) return r0;
  Error error = run_error(st);
  st.error_kind = static_cast<std::uint32_t>(RunError::none);
  return error;
}

// The interpreter's messages for the same failures; the instruction is the failing program's (a tail call's
// target's, perhaps).
Error JitProgram::Impl::run_error(const JitState& st) const {
  const std::size_t pc = st.error_pc;
  const Program& failing = st.current->program;
  switch (static_cast<RunError>(st.error_kind)) {
    case RunError::call_depth:
      return insn_error(Errc::call_depth, pc, "call depth exceeds " + std::to_string(kMaxCallDepth) + " frames");
    case RunError::unknown_callx:
      return insn_error(Errc::unknown_helper, pc, "callx to unknown helper id " + std::to_string(st.callx_id));
    default: return helper_abort(failing, pc, *st.context->aborted());
  }
}

const JitProgram::Impl& jit_impl_of(const JitProgram& program) { return *program.impl_; }

const void* jit::tail_call_thunk(JitState* state, std::uint64_t map, std::uint64_t index) {
  if (state->tail_calls >= kMaxTailCalls) return nullptr;
  const JitProgram* target = state->current->tail_calls->target(map, static_cast<std::uint32_t>(index));
  if (target == nullptr) return nullptr;
  ++state->tail_calls;
  const JitProgram::Impl& impl = jit_impl_of(*target);
  state->current = &impl;
  state->registry = impl.helpers;
  return impl.entry(0);
}

std::uint64_t jit::callx_thunk(std::uint64_t r1, std::uint64_t r2, std::uint64_t r3, std::uint64_t r4,
                               std::uint64_t r5, JitState* state) {
  const HelperProto* proto = state->registry->find(static_cast<std::uint32_t>(state->callx_id));
  if (proto == nullptr) {
    state->error_kind = static_cast<std::uint32_t>(RunError::unknown_callx);
    return 0;
  }
  const std::uint64_t r0 = proto->fn(r1, r2, r3, r4, r5, *state->context);
  if (state->context->aborted()) state->error_kind = static_cast<std::uint32_t>(RunError::helper_abort);
  return r0;
}

Result<JitProgram> JitProgram::compile(std::span<const Insn> program, const HelperRegistry& helpers,
                                       const JitOptions& options) {
  if (options.mode != ExecMode::unchecked)
    return make_error(Errc::unsupported, "jit: checked mode is the interpreter's; the JIT runs verified programs");
  const auto engaged = engaged_offset();
  if (!engaged) return make_error(Errc::unsupported, "jit: unexpected std::optional layout in this C++ library");
  if (auto r = validate(program, options.validate); !r) return r.error();
  if (!options.speculation_limits.empty() && options.speculation_limits.size() != program.size())
    return make_error(Errc::invalid_argument, "jit: speculation_limits must have one entry per instruction");
  auto impl = std::make_unique<Impl>();
  impl->program.assign(program.begin(), program.end());
  impl->helpers = &helpers;
  impl->tail_calls = options.tail_calls;
  impl->engaged = *engaged;
  const jit::EmitOptions emit_options{options.tail_calls != nullptr, options.harden, impl.get(),
                                      options.speculation_limits, options.inline_map_lookups};
  auto compiled = jit::emit(impl->program, helpers, emit_options, [&](std::size_t size) { return impl->memory.map(size); });
  if (!compiled) return compiled.error();
  impl->compiled = std::move(*compiled);
  if (!impl->memory.seal()) return make_error(Errc::io, "jit: cannot make the code executable");
  return JitProgram(std::move(impl));
}

Result<std::uint64_t> JitProgram::run(void* memory, std::size_t length, const RunOptions& options) const {
  if (options.insn_count != nullptr)
    return make_error(Errc::unsupported, "jit: instruction counts are a checked-mode feature");
  JitState st;
  JitContext context(st, options);
  const std::size_t size = memory == nullptr ? 0 : length;
  st.context = &context;
  st.abort_flag = reinterpret_cast<const std::uint8_t*>(&context.aborted()) + impl_->engaged;
  st.registry = impl_->helpers;
  st.current = impl_.get();
  const auto* bytes = static_cast<const std::uint8_t*>(memory);
  st.packet = options.packet.empty() ? bytes : options.packet.data();
  st.packet_len = options.packet.empty() ? size : options.packet.size();
  const std::uint64_t args[5] = {reinterpret_cast<std::uint64_t>(memory), size, 0, 0, 0};
  return impl_->enter(st, 0, args, st.stack_top());
}

std::span<const std::uint8_t> JitProgram::code() const { return {impl_->memory.data(), impl_->memory.size()}; }
std::span<const std::uint8_t> JitProgram::code_pages() const {
  return {impl_->memory.data(), impl_->memory.mapped()};
}
std::span<const Insn> JitProgram::program() const { return impl_->program; }
std::span<const std::uint32_t> JitProgram::insn_offsets() const { return impl_->compiled.insn_offsets; }
std::uint32_t JitProgram::trampoline_offset() const { return impl_->compiled.trampoline_offset; }
std::uint32_t JitProgram::tail_offset() const { return impl_->compiled.tail_offset; }

JitProgram::JitProgram(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitProgram::JitProgram(JitProgram&&) noexcept = default;
JitProgram& JitProgram::operator=(JitProgram&&) noexcept = default;
JitProgram::~JitProgram() = default;

}  // namespace ubee
