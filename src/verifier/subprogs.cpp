// The program's functions: where each starts and ends (check_subprogs), and the stack the deepest chain of calls
// needs once every path has been explored (check_max_stack_depth in kernel/bpf/verifier.c).
#include <algorithm>
#include <set>

#include "verifier/subprogs.hpp"

namespace ubee::verifier {
namespace {

constexpr std::uint32_t kTailCallStackLimit = 256;  // MAX_BPF_STACK / 2: caller frames below a tail call

bool is_pseudo_call(const Insn& insn) {
  return insn.opcode == (BPF_JMP | BPF_CALL) && insn.src == BPF_PSEUDO_CALL;
}
bool is_pseudo_func(const Insn& insn) { return insn.is_lddw() && insn.src == BPF_PSEUDO_FUNC; }
bool is_tail_call(const Insn& insn) {
  return insn.opcode == (BPF_JMP | BPF_CALL) && insn.src == 0 && insn.imm == BPF_FUNC_tail_call;
}

// The instruction a call or a callback address refers to.
std::int64_t target_of(std::size_t pc, const Insn& insn) { return static_cast<std::int64_t>(pc) + 1 + insn.imm; }

// Every jump stays inside its function, and every function ends with an exit or a jump.
Result<void> check_jumps(std::span<const Insn> prog, const Subprog& sub) {
  for (std::size_t pc = sub.start; pc < sub.end; ++pc) {
    const Insn& insn = prog[pc];
    if (insn.is_lddw()) {
      ++pc;
      continue;
    }
    const bool jmp = insn.cls() == BPF_JMP || insn.cls() == BPF_JMP32;
    if (!jmp || insn.op() == BPF_CALL || insn.op() == BPF_EXIT) continue;
    const std::int64_t off = insn.cls() == BPF_JMP32 && insn.op() == BPF_JA ? insn.imm : insn.off;
    const std::int64_t to = static_cast<std::int64_t>(pc) + 1 + off;
    if (to < static_cast<std::int64_t>(sub.start) || to >= static_cast<std::int64_t>(sub.end))
      return insn_error(Errc::invalid_program, pc,
                        "jump out of range from insn " + std::to_string(pc) + " to " + std::to_string(to));
  }
  const Insn& last = prog[sub.end - 1];
  const bool ends = (last.cls() == BPF_JMP || last.cls() == BPF_JMP32) &&
                    (last.op() == BPF_EXIT || last.op() == BPF_JA) && !(sub.end >= 2 && prog[sub.end - 2].is_lddw());
  if (!ends) return insn_error(Errc::invalid_program, sub.end - 1, "last insn is not an exit or jmp");
  return {};
}

// The instructions control may go to from `pc`, whatever the values: the next one, a jump's target, a
// function called or given as a callback.
std::vector<std::size_t> successors(std::span<const Insn> prog, std::size_t pc) {
  const Insn& insn = prog[pc];
  if (insn.is_lddw()) {
    if (is_pseudo_func(insn)) return {pc + 2, static_cast<std::size_t>(target_of(pc, insn))};
    return {pc + 2};
  }
  const bool jmp = insn.cls() == BPF_JMP || insn.cls() == BPF_JMP32;
  if (!jmp) return {pc + 1};
  if (insn.op() == BPF_EXIT) return {};
  if (insn.op() == BPF_CALL) {
    if (is_pseudo_call(insn)) return {pc + 1, static_cast<std::size_t>(target_of(pc, insn))};
    return {pc + 1};
  }
  const std::int64_t off = insn.cls() == BPF_JMP32 && insn.op() == BPF_JA ? insn.imm : insn.off;
  const auto target = static_cast<std::size_t>(static_cast<std::int64_t>(pc) + 1 + off);
  if (insn.op() == BPF_JA) return {target};
  return {pc + 1, target};
}

// check_cfg(): every instruction can be reached from the entry (the kernel refuses dead code).
Result<void> check_reachable(std::span<const Insn> prog) {
  std::vector<bool> seen(prog.size() + 2, false);
  std::vector<std::size_t> todo{0};
  seen[0] = true;
  while (!todo.empty()) {
    const std::size_t pc = todo.back();
    todo.pop_back();
    if (prog[pc].is_lddw()) seen[pc + 1] = true;
    for (std::size_t next : successors(prog, pc)) {
      if (next >= prog.size() || seen[next]) continue;
      seen[next] = true;
      todo.push_back(next);
    }
  }
  for (std::size_t pc = 0; pc < prog.size(); ++pc)
    if (!seen[pc]) return insn_error(Errc::invalid_program, pc, "unreachable insn " + std::to_string(pc));
  return {};
}

std::uint32_t round_up_depth(std::uint32_t depth) { return (std::max<std::uint32_t>(depth, 1) + 31) / 32 * 32; }

// One chain of calls from `idx`, depth first (the kernel's iterative walk, written recursively: chains are at
// most 8 deep because longer ones are refused).
class DepthWalk {
 public:
  DepthWalk(const Env& env) : env_(env) {}

  Result<void> walk(std::size_t idx, std::uint32_t depth, int frame) {
    const Subprog& sub = env_.subprogs[idx];
    if (idx != 0 && sub.has_tail_call && depth >= kTailCallStackLimit)
      return fail(sub.start, "tail_calls are not allowed when call stack of previous frames is " +
                                 std::to_string(depth) + " bytes. Too large");
    depth += round_up_depth(sub.stack_depth);
    if (depth > kStackSize)
      return fail(sub.start, "combined stack size of " + std::to_string(frame + 1) + " calls is " +
                                 std::to_string(depth) + ". Too large");
    for (std::size_t pc = sub.start; pc < sub.end; ++pc) {
      const Insn& insn = env_.prog[pc];
      if (!is_pseudo_call(insn) && !is_pseudo_func(insn)) continue;
      const auto callee = env_.subprog_starting(static_cast<std::size_t>(target_of(pc, insn)));
      if (!callee) continue;
      if (frame + 1 >= kMaxCallFrames)
        return fail(pc, "the call stack of " + std::to_string(frame + 1) + " frames is too deep !");
      UBEE_TRY(walk(*callee, depth, frame + 1));
    }
    return {};
  }

 private:
  [[nodiscard]] static Error fail(std::size_t pc, std::string message) {
    return insn_error(Errc::invalid_program, pc, std::move(message));
  }
  const Env& env_;
};

}  // namespace

std::size_t Env::subprog_at(std::size_t pc) const {
  const auto after = std::upper_bound(subprogs.begin(), subprogs.end(), pc,
                                      [](std::size_t p, const Subprog& s) { return p < s.start; });
  return static_cast<std::size_t>(after - subprogs.begin()) - 1;
}

std::optional<std::size_t> Env::subprog_starting(std::size_t pc) const {
  const std::size_t idx = subprog_at(pc);
  if (subprogs[idx].start != pc) return std::nullopt;
  return idx;
}

Result<std::vector<Subprog>> find_subprogs(std::span<const Insn> prog) {
  std::set<std::size_t> starts{0};
  for (std::size_t pc = 0; pc < prog.size(); ++pc) {
    const Insn& insn = prog[pc];
    if (!is_pseudo_call(insn) && !is_pseudo_func(insn)) continue;
    const std::int64_t to = target_of(pc, insn);
    if (to < 0 || to >= static_cast<std::int64_t>(prog.size()))
      return insn_error(Errc::invalid_program, pc, "call to invalid destination");
    starts.insert(static_cast<std::size_t>(to));
  }
  std::vector<Subprog> subprogs;
  for (auto it = starts.begin(); it != starts.end(); ++it) {
    const auto next = std::next(it);
    subprogs.push_back(Subprog{*it, next == starts.end() ? prog.size() : *next});
  }
  for (Subprog& sub : subprogs) {
    UBEE_TRY(check_jumps(prog, sub));
    for (std::size_t pc = sub.start; pc < sub.end; ++pc) sub.has_tail_call |= is_tail_call(prog[pc]);
  }
  UBEE_TRY(check_reachable(prog));
  return subprogs;
}

Result<void> check_max_stack_depth(const Env& env) { return DepthWalk(env).walk(0, 0, 0); }

}  // namespace ubee::verifier
