// Path exploration (do_check and is_state_visited in kernel/bpf/verifier.c): every path of the program is
// executed over abstract states, depth first, the fall-through side of a branch before the jump side. At prune
// points (jump targets and the instruction after a conditional jump) states are stored; a new state that a
// finished stored state subsumes ends its path, and one equal to an unfinished state on its own path is a loop
// that can repeat forever. Calls push a frame and exits pop it; a helper's callback is a path of its own that
// returns to the helper call, so that the callback is verified for any number of calls (a fixed point reached
// by widening the scalars it changes, as the kernel's callback iteration does with imprecise scalars).
#include <chrono>
#include <deque>

#include "verifier/calls.hpp"
#include "verifier/checker.hpp"
#include "verifier/helper_checks.hpp"
#include "verifier/liveness.hpp"
#include "verifier/log.hpp"
#include "verifier/subprogs.hpp"

namespace ubee::verifier {
namespace {

// Stored states are capped per instruction and in all, so memory stays bounded (the kernel frees states that
// rarely prune instead). Past a cap, paths simply go on unpruned, up to the instruction limit.
constexpr std::size_t kMaxStatesPerInsn = 1024;
constexpr std::size_t kMaxStoredStates = std::size_t{1} << 16;

// struct bpf_verifier_state_list: a stored state and how many paths below it are still being explored.
struct Checkpoint {
  State state;
  std::uint64_t hash = 0;  // state_hash(state): most comparisons with unfinished states end here
  int branches = 1;
  Checkpoint* parent = nullptr;
};

struct Path {
  State state;
  std::size_t pc = 0;
  Checkpoint* parent = nullptr;  // the latest checkpoint this path passed
  std::string trace;             // with VerifierOptions::log: the log of this path so far
};

bool is_call(const Insn& insn) { return insn.opcode == (BPF_JMP | BPF_CALL); }

// A helper call that calls one of the program's functions back: a loop head for the explorer.
bool is_callback_site(const Insn& insn) { return is_call(insn) && insn.src == 0 && calls_callback(insn.imm); }

std::vector<bool> prune_points(std::span<const Insn> prog) {
  std::vector<bool> points(prog.size() + 1, false);
  for (std::size_t pc = 0; pc < prog.size(); ++pc) {
    const Insn& insn = prog[pc];
    if (insn.is_lddw()) ++pc;
    if (is_call(insn) && (insn.src == BPF_PSEUDO_CALL || is_callback_site(insn))) points[pc] = points[pc + 1] = true;
    if ((insn.cls() != BPF_JMP && insn.cls() != BPF_JMP32) || insn.op() == BPF_CALL || insn.op() == BPF_EXIT)
      continue;
    const bool gotol = insn.cls() == BPF_JMP32 && insn.op() == BPF_JA;
    points[static_cast<std::size_t>(static_cast<std::int64_t>(pc) + 1 + (gotol ? insn.imm : insn.off))] = true;
    if (insn.op() != BPF_JA) points[pc + 1] = true;
  }
  return points;
}

class Explorer {
 public:
  Explorer(std::span<const Insn> prog, const VerifierOptions& options, std::vector<Subprog> subprogs)
      : env_{prog, options, std::move(subprogs), std::vector<SpeculationLimit>(prog.size())},
        prune_points_(prune_points(prog)),
        live_(live_registers(prog)),
        stored_(prog.size()) {}

  Result<VerifierStats> run() {
    const auto start = std::chrono::steady_clock::now();
    pending_.push_back(Path{initial_state(), 0, nullptr, {}});
    while (!pending_.empty()) {
      Path path = std::move(pending_.back());
      pending_.pop_back();
      if (auto explored = explore(std::move(path)); !explored.ok()) return explored.error();
    }
    env_.insn = 0;
    if (auto depth = check_max_stack_depth(env_); !depth.ok()) {
      if (env_.options.log != nullptr) *env_.options.log += depth.error().message + "\n";
      return depth.error();
    }
    stats_.speculation_limits = speculation_limits(env_);
    stats_.peak_states = stats_.states;  // stored states are never freed yet
    if (env_.options.log != nullptr)
      *env_.options.log += "processed " + std::to_string(stats_.insns_processed) + " insns, total_states " +
                           std::to_string(stats_.states) + ", peak_states " + std::to_string(stats_.peak_states) + "\n";
    stats_.duration = std::chrono::steady_clock::now() - start;
    return stats_;
  }

 private:
  // One path from its start to its exit, a pruning state, or an error; branches go to pending_.
  Result<void> explore(Path path) {
    for (;;) {
      env_.insn = path.pc;
      if (prune_points_[path.pc]) {
        auto pruned = visit_prune_point(path);
        if (!pruned.ok()) return rejected(path, pruned.error());
        if (*pruned) {
          log(path, std::to_string(path.pc) + ": safe\n");
          return end_path(path.parent);
        }
      }
      if (++stats_.insns_processed > kMaxInsns)
        return rejected(path, env_.fail("BPF program is too large. Processed " +
                                        std::to_string(stats_.insns_processed) + " insn"));
      auto next = step(path);
      if (!next.ok()) return rejected(path, next.error());
      if (env_.options.log != nullptr) log(path, log_line(env_.prog, path.pc, path.state));
      if (!*next) return end_path(path.parent);
      path.pc = **next;
    }
  }

  // The log: every path as it runs when verbose, otherwise only the rejected one (kept per path until then).
  void log(Path& path, const std::string& line) {
    if (env_.options.log == nullptr) return;
    (env_.options.verbose ? *env_.options.log : path.trace) += line;
  }

  Error rejected(Path& path, Error error) {
    if (env_.options.log != nullptr) {
      if (!env_.options.verbose) *env_.options.log += path.trace;
      *env_.options.log += error.message + "\nprocessed " + std::to_string(stats_.insns_processed) + " insns\n";
    }
    return error;
  }

  // is_state_visited(): true when a stored state proves this one safe.
  Result<bool> visit_prune_point(Path& path) {
    clean_dead_registers(path.state, live_[path.pc]);
    std::vector<Checkpoint*>& here = stored_[path.pc];
    const bool callback_site = is_callback_site(env_.prog[path.pc]);
    std::uint64_t hash = state_hash(path.state);
    for (Checkpoint* old : here) {
      if (old->branches > 0 && callback_site) {
        // The callback has run once more from a state this path already passed: stop when nothing new can
        // happen, otherwise forget what the callback changes so that the next round reaches a fixed point.
        if (state_subsumes(old->state, path.state)) return true;
        widen(old->state, path.state);
        hash = state_hash(path.state);
      } else if (old->branches > 0) {
        if (old->hash == hash && old->state == path.state)
          return env_.fail("infinite loop detected at insn " + std::to_string(path.pc));
      } else if (state_subsumes(old->state, path.state)) {
        return true;
      }
    }
    if (here.size() >= kMaxStatesPerInsn || checkpoints_.size() >= kMaxStoredStates) return false;
    checkpoints_.push_back(Checkpoint{path.state, hash, 1, path.parent});
    path.parent = &checkpoints_.back();
    here.push_back(path.parent);
    ++stats_.states;
    return false;
  }

  // update_branch_counts(): a finished path may finish the stored states above it.
  static Result<void> end_path(Checkpoint* checkpoint) {
    for (; checkpoint != nullptr; checkpoint = checkpoint->parent)
      if (--checkpoint->branches > 0) break;
    return {};
  }

  // Executes the instruction at path.pc; the next pc, or nothing when the path ends.
  Result<std::optional<std::size_t>> step(Path& path) {
    const Insn& insn = env_.prog[path.pc];
    switch (insn.cls()) {
      case BPF_ALU:
      case BPF_ALU64: UBEE_TRY(check_alu(env_, path.state, insn)); break;
      case BPF_LDX: UBEE_TRY(check_load(env_, path.state, insn)); break;
      case BPF_ST: UBEE_TRY(check_store(env_, path.state, insn)); break;
      case BPF_STX:
        UBEE_TRY(insn.mode() == BPF_ATOMIC ? check_atomic(env_, path.state, insn)
                                           : check_store(env_, path.state, insn));
        break;
      case BPF_LD:
        if (!insn.is_lddw()) {
          UBEE_TRY(check_ld_abs(env_, path.state, insn));
          break;
        }
        UBEE_TRY(check_ld_imm(env_, path.state, insn, env_.prog[path.pc + 1]));
        return std::optional<std::size_t>{path.pc + 2};
      default: return step_jump(path, insn);
    }
    return std::optional<std::size_t>{path.pc + 1};
  }

  Result<std::optional<std::size_t>> step_jump(Path& path, const Insn& insn) {
    const std::size_t next = path.pc + 1;
    switch (insn.op()) {
      case BPF_JA:
        return std::optional<std::size_t>{next + (insn.cls() == BPF_JMP32 ? insn.imm : insn.off)};
      case BPF_EXIT: return check_exit(env_, path.state);
      case BPF_CALL: {
        if (insn.source() == BPF_X) return env_.fail("callx is not supported by the verifier");
        if (insn.src != BPF_PSEUDO_CALL) return step_helper(path, insn);
        auto target = check_subprog_call(env_, path.state, insn);
        if (!target.ok()) return target.error();
        return std::optional<std::size_t>{*target};
      }
      default: return step_branch(path, insn);
    }
  }

  // A helper call; one that calls a callback also starts the callback's path from the state before the call.
  Result<std::optional<std::size_t>> step_helper(Path& path, const Insn& insn) {
    std::optional<State> before;
    if (is_callback_site(insn)) before = path.state;
    auto callback = check_helper_call(env_, path.state, insn);
    if (!callback.ok()) return callback.error();
    if (*callback) {
      ++before->callback_rounds;
      UBEE_TRY(push_frame(env_, *before, (*callback)->subprog, (*callback)->args, true));
      fork(path, Path{std::move(*before), env_.subprogs[(*callback)->subprog].start, path.parent, {}});
    }
    return std::optional<std::size_t>{path.pc + 1};
  }

  // push_stack(): a path to explore later, below the same checkpoint.
  void fork(const Path& from, Path path) {
    if (path.parent != nullptr) ++path.parent->branches;
    if (env_.options.log != nullptr) {
      if (!env_.options.verbose) path.trace = from.trace + log_line(env_.prog, from.pc, path.state);
      log(path, "from " + std::to_string(from.pc) + " to " + std::to_string(path.pc) + ":" + state_text(path.state) +
                    "\n");
    }
    pending_.push_back(std::move(path));
  }

  // Continues on the fall-through side and leaves the jump side for later (push_stack).
  Result<std::optional<std::size_t>> step_branch(Path& path, const Insn& insn) {
    auto successors = check_cond_jmp(env_, path.state, insn);
    if (!successors.ok()) return successors.error();
    const std::size_t target = path.pc + 1 + static_cast<std::size_t>(static_cast<std::int64_t>(insn.off));
    Successors& both = *successors;
    if (both.jump && both.fall) {
      fork(path, Path{std::move(*both.jump), target, path.parent, {}});
    } else if (both.jump) {
      path.state = std::move(*both.jump);
      return std::optional<std::size_t>{target};
    }
    if (!both.fall) return std::optional<std::size_t>{};
    path.state = std::move(*both.fall);
    return std::optional<std::size_t>{path.pc + 1};
  }

  Env env_;
  std::vector<bool> prune_points_;
  std::vector<RegMask> live_;
  std::vector<std::vector<Checkpoint*>> stored_;
  std::deque<Checkpoint> checkpoints_;  // stable addresses for the parent links
  std::vector<Path> pending_;
  VerifierStats stats_;
};

}  // namespace
}  // namespace ubee::verifier

namespace ubee {

Result<VerifierStats> verify(std::span<const Insn> program, const VerifierOptions& options) {
  if (auto valid = validate(program, ValidateOptions{.allow_callx = false}); !valid.ok()) return valid.error();
  auto subprogs = verifier::find_subprogs(program);
  if (!subprogs.ok()) return subprogs.error();
  verifier::Explorer explorer(program, options, std::move(*subprogs));
  return explorer.run();
}

}  // namespace ubee
