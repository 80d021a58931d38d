// Internal to the verifier: the environment every check reads (the program, the options, the instruction being
// checked) and the checks, one file per concern, as kernel/bpf/verifier.c's do_check() dispatches them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ubee/verifier.hpp"
#include "verifier/reg_state.hpp"

// Returns the error of a failed Result<...> from the enclosing function.
#define UBEE_TRY(expr)                        \
  do {                                        \
    if (auto ubee_r_ = (expr); !ubee_r_.ok()) \
      return ubee_r_.error();                 \
  } while (0)

namespace ubee::verifier {

// struct bpf_subprog_info: a function of the program, [start, end).
struct Subprog {
  std::size_t start = 0;
  std::size_t end = 0;
  std::uint32_t stack_depth = 0;  // deepest stack byte it touched, over all paths
  bool has_tail_call = false;
};

// What the paths through one `ptr += scalar` proved (struct bpf_insn_aux_data's alu_limit).
struct SpeculationLimit {
  std::uint32_t limit = 0;
  bool unmaskable = false;
};

// struct bpf_verifier_env, reduced to what the checks need.
struct Env {
  std::span<const Insn> prog;
  const VerifierOptions& options;
  std::vector<Subprog> subprogs;  // by start; [0] is the program's entry
  std::vector<SpeculationLimit> speculation;  // per instruction
  std::size_t insn = 0;          // index of the instruction being checked
  std::uint32_t next_id = 1;     // ids for or_null pointers and packet ranges (env->id_gen)

  // The function whose body holds instruction `pc`.
  [[nodiscard]] std::size_t subprog_at(std::size_t pc) const;
  // The function starting at `pc`, if one does.
  [[nodiscard]] std::optional<std::size_t> subprog_starting(std::size_t pc) const;

  // is_pointer_value(): a pointer an unprivileged program could leak (privileged ones may expose addresses).
  [[nodiscard]] bool leaks(const RegState& reg) const { return !options.privileged && is_pointer(reg.type); }

  [[nodiscard]] Error fail(std::string message) const {
    return insn_error(Errc::invalid_program, insn, std::move(message));
  }
};

// "R%d" + text: most kernel messages start by naming the register.
[[nodiscard]] std::string reg_name(int regno);
// tnum_strn(): "(0x0; 0x0)", as the kernel prints a variable offset (its %#llx prints 0 as 0x0, glibc's as 0).
[[nodiscard]] std::string tnum_str(Tnum t);

// check_reg_arg(SRC_OP): the register must have been written on this path.
Result<void> check_reg_read(const Env& env, const State& state, int regno);

// ALU and ALU64 instructions (check_alu_op, adjust_reg_min_max_vals, adjust_ptr_min_max_vals).
Result<void> check_alu(Env& env, State& state, const Insn& insn);
// BPF_LD | BPF_ABS / BPF_IND: legacy packet loads through the skb in r6 (check_ld_abs).
Result<void> check_ld_abs(Env& env, State& state, const Insn& insn);
// lddw: constants and map references (check_ld_imm).
Result<void> check_ld_imm(Env& env, State& state, const Insn& lo, const Insn& hi);

// Spectre v1 (speculation.cpp): records the limit of the pointer arithmetic at env.insn for one path, and
// gives VerifierStats::speculation_limits once every path is done.
void record_speculation_limit(Env& env, const RegState& ptr, const Scalar& scalar, bool add);
[[nodiscard]] std::vector<std::uint32_t> speculation_limits(const Env& env);

// Loads, stores and atomics (check_mem_access, check_atomic).
Result<void> check_load(Env& env, State& state, const Insn& insn);
Result<void> check_store(Env& env, State& state, const Insn& insn);
Result<void> check_atomic(Env& env, State& state, const Insn& insn);

// Whether memory [reg + off, reg + off + size) may be read (write: written) by an instruction or a helper;
// writes to the stack mark the bytes initialised. `helper` selects the kernel's indirect-access wording.
struct Access {
  int regno = 0;
  std::int32_t off = 0;
  std::uint32_t size = 0;
  bool write = false;
  bool helper = false;
};
Result<void> check_mem_region(Env& env, State& state, const Access& access);

// A callback a helper calls: its function (index in Env::subprogs) and r1-r5 of its frame.
struct CallbackCall {
  std::size_t subprog = 0;
  std::array<RegState, 5> args{};
};
// Helper calls (check_helper_call, check_func_arg); the callback the helper calls, if it calls one.
Result<std::optional<CallbackCall>> check_helper_call(Env& env, State& state, const Insn& insn);
// check_helper_mem_access(): the helper reads (or writes) `size` bytes from the pointer in `regno`.
Result<void> check_helper_mem(Env& env, State& state, int regno, std::uint64_t size, bool write);
// What the kernel's prototypes say and ubee's ArgType cannot yet: map types a helper works on
// (check_map_func_compatibility) and ring buffer records (ARG_PTR_TO_RINGBUF_MEM), after the generic checks.
Result<void> check_helper_rules(const Env& env, const State& state, std::uint32_t helper, const std::string& name,
                                const MapSpec* map);

// A conditional jump's two successors; an impossible side is empty (check_cond_jmp_op).
struct Successors {
  std::optional<State> jump;
  std::optional<State> fall;
};
Result<Successors> check_cond_jmp(Env& env, State state, const Insn& insn);

// The context's fields for the program type (the kernel's is_valid_access callbacks): the type a load of
// `size` bytes at `off` gives, or nothing when the access is not allowed.
std::optional<RegType> ctx_load_type(const VerifierOptions& options, std::int32_t off, std::uint32_t size);
// Whether a store of `size` bytes at `off` into the context is allowed (a scalar, through the unmodified pointer).
bool ctx_store_allowed(const VerifierOptions& options, std::int32_t off, std::uint32_t size);

// Whether the program type may call the helper (the types' get_func_proto): packet helpers for their own
// packets, the probe_read family, stacks and attach cookies for tracing programs.
Result<void> check_helper_allowed(const Env& env, std::uint32_t helper, const std::string& name);
// The kernel's name of a Linux helper ("bpf_probe_write_user"), if `helper` is one.
[[nodiscard]] std::optional<std::string> linux_helper_name(std::uint32_t helper);

}  // namespace ubee::verifier
