// lddw: 64-bit constants and references to the program's maps (check_ld_imm in kernel/bpf/verifier.c).
#include "verifier/checker.hpp"

namespace ubee::verifier {

Result<void> check_ld_imm(Env& env, State& state, const Insn& lo, const Insn& hi) {
  if (lo.dst == kFramePointer) return env.fail("frame pointer is read only");
  RegState& dst = state.reg(lo.dst);
  if (lo.src == 0) {
    dst = RegState::scalar(Scalar::constant(lddw_imm(lo, hi)));
    return {};
  }
  if (lo.src == BPF_PSEUDO_FUNC) {
    // A function's address (a callback); find_subprogs() made every such target a function.
    dst = RegState::pointer(RegType::ptr_to_func);
    dst.subprog = static_cast<std::uint32_t>(*env.subprog_starting(env.insn + 1 + static_cast<std::size_t>(lo.imm)));
    return {};
  }
  if (lo.src != BPF_PSEUDO_MAP_IDX && lo.src != BPF_PSEUDO_MAP_IDX_VALUE)
    return env.fail("lddw with src " + std::to_string(lo.src) +
                    " is not supported: maps are referred to by index (BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE)");
  if (lo.imm < 0 || static_cast<std::size_t>(lo.imm) >= env.options.maps.size())
    return env.fail("map index " + std::to_string(lo.imm) + " is out of range (" +
                    std::to_string(env.options.maps.size()) + " maps)");
  const auto index = static_cast<std::uint32_t>(lo.imm);
  if (lo.src == BPF_PSEUDO_MAP_IDX) {
    dst = RegState::pointer(RegType::const_ptr_to_map);
  } else {
    const std::uint32_t value_size = env.options.maps[index].value_size;
    if (hi.imm < 0 || static_cast<std::uint32_t>(hi.imm) >= value_size)
      return env.fail("invalid access to map value pointer, value_size=" + std::to_string(value_size) +
                      " off=" + std::to_string(static_cast<std::uint32_t>(hi.imm)));
    dst = RegState::pointer(RegType::ptr_to_map_value, hi.imm);
  }
  dst.map = &env.options.maps[index];
  return {};
}

}  // namespace ubee::verifier
