// Legacy packet loads, BPF_LD | BPF_ABS / BPF_IND (check_ld_abs in kernel/bpf/verifier.c): a socket filter's or
// tc program's way to read the packet through the skb in r6, which ends the program with 0 when out of range.
// They behave as a helper call: r1-r5 are clobbered and r0 holds the bytes read.
#include "verifier/checker.hpp"

namespace ubee::verifier {
namespace {

bool may_access_skb(bpf_prog_type type) {
  return type == BPF_PROG_TYPE_SOCKET_FILTER || type == BPF_PROG_TYPE_SCHED_CLS || type == BPF_PROG_TYPE_SCHED_ACT;
}

}  // namespace

Result<void> check_ld_abs(Env& env, State& state, const Insn& insn) {
  if (!may_access_skb(env.options.type))
    return env.fail("BPF_LD_[ABS|IND] instructions not allowed for this program type");
  if (state.lock) return env.fail("BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region");
  if (!state.refs.empty()) return env.fail("BPF_LD_[ABS|IND] cannot be mixed with socket references");
  UBEE_TRY(check_reg_read(env, state, 6));
  if (insn.mode() == BPF_IND) {
    UBEE_TRY(check_reg_read(env, state, insn.src));
    if (!state.reg(insn.src).is_scalar())
      return env.fail(reg_name(insn.src) + " type=" + reg_type_str(state.reg(insn.src).type) + " expected=scalar");
  }
  if (state.reg(6).type != RegType::ptr_to_ctx)
    return env.fail("at the time of BPF_LD_ABS|IND R6 != pointer to skb");
  for (int regno = 1; regno <= 5; ++regno) state.reg(regno) = RegState{};
  const unsigned bits = static_cast<unsigned>(access_width(insn.size())) * 8;
  state.reg(0) = RegState::scalar(Scalar::range(0, (std::uint64_t{1} << bits) - 1));
  return {};
}

}  // namespace ubee::verifier
