// The interpreter: runs a validated program on pre-decoded instructions with threaded dispatch.
// Programs the verifier has not proven safe run in checked mode, where every memory access is checked against
// the regions the program may touch and a runaway loop meets an instruction budget; the error names the
// instruction. Unchecked mode compiles none of those checks in: it is for verified programs only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "ubee/error.hpp"
#include "ubee/helpers.hpp"
#include "ubee/isa.hpp"

namespace ubee {

enum class ExecMode : std::uint8_t {
  checked,    // default: bounds-checked memory, bounded instruction count
  unchecked,  // no runtime checks: only for programs the verifier accepted
};

class Interpreter;

// Where a program's tail calls go: the program at `index` of the program array it passed to bpf_tail_call
// (`map` is the value of r2, the map reference as the engine resolved it), or null to fall through.
class TailCallTargets {
 public:
  virtual ~TailCallTargets() = default;
  [[nodiscard]] virtual const Interpreter* target(std::uint64_t map, std::uint32_t index) const = 0;
};

inline constexpr std::uint32_t kMaxTailCalls = 33;  // MAX_TAIL_CALL_CNT: tail calls in one chain

struct LoadOptions {
  ExecMode mode = ExecMode::checked;
  ValidateOptions validate{};
  // Resolves bpf_tail_call (helper 12) when set; must outlive the program. Without it, helper 12 is looked up
  // in the registry like any other.
  const TailCallTargets* tail_calls = nullptr;
};

struct RunOptions {
  void* user_data = nullptr;                     // handed to helpers through RunContext
  std::span<const MemoryRegion> extra_regions{};  // more memory the program may use in checked mode
  std::uint64_t insn_limit = 1'000'000'000;      // checked mode: instructions before the run is stopped
  std::uint64_t* insn_count = nullptr;           // checked mode: receives the number of instructions run
  // The packet legacy packet loads (LD_ABS/LD_IND) read, for socket programs whose r1 is an __sk_buff; when
  // empty they read the run's memory.
  std::span<const std::uint8_t> packet{};
  std::uint32_t program_type = 0;  // enum bpf_prog_type, for helpers that differ by type (RunContext)
};

class Interpreter {
 public:
  // Validates the program and resolves its helper calls against `helpers`, which must outlive the interpreter.
  static Result<Interpreter> load(std::span<const Insn> program, const HelperRegistry& helpers,
                                  const LoadOptions& options = {});

  // Runs with r1 = memory, r2 = its length (both 0 for none): the memory is the program's context or packet.
  Result<std::uint64_t> run(void* memory, std::size_t length, const RunOptions& options = {}) const;

  [[nodiscard]] ExecMode mode() const;
  [[nodiscard]] std::span<const Insn> program() const;

  struct Impl;  // also the form the run loop sees of a tail-call target

  Interpreter(Interpreter&&) noexcept;
  Interpreter& operator=(Interpreter&&) noexcept;
  ~Interpreter();

 private:
  friend const Impl& impl_of(const Interpreter& interpreter);
  explicit Interpreter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ubee
