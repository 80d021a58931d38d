// Spectre v1 limits (the kernel's retrieve_ptr_limit / sanitize_ptr_alu): for `ptr += scalar` and
// `ptr -= scalar` with a scalar not known exactly, how far the scalar may move the pointer and keep it inside
// its object. The engines clamp the scalar to 0 outside [0, limit), so that a branch mispredicted past the
// bounds check cannot steer a speculative access out of the object. Each path that reaches the instruction
// must agree: a limit holds for all of them, and a path whose scalar may be negative or beyond the limit keeps
// the instruction unmasked rather than change what the program computes.
#include <algorithm>

#include "verifier/checker.hpp"

namespace ubee::verifier {
namespace {

// Bytes from the pointer to the end of its object (add), or from its start (sub), for every offset it may have.
std::optional<std::int64_t> room(const RegState& ptr, bool add) {
  const std::int64_t lo = std::int64_t{ptr.off} + ptr.var.smin;
  const std::int64_t hi = std::int64_t{ptr.off} + ptr.var.smax;
  switch (ptr.type) {
    case RegType::ptr_to_stack: return add ? -hi : lo + static_cast<std::int64_t>(kStackSize) + 1;
    case RegType::ptr_to_map_value: return add ? std::int64_t{ptr.map->value_size} - hi : lo + 1;
    case RegType::ptr_to_mem: return add ? std::int64_t{ptr.mem_size} - hi : lo + 1;
    default: return std::nullopt;  // packets are bounded by their own checks against pkt_end
  }
}

}  // namespace

void record_speculation_limit(Env& env, const RegState& ptr, const Scalar& scalar, bool add) {
  if (scalar.is_const()) return;
  SpeculationLimit& slot = env.speculation[env.insn];
  const auto limit = room(ptr, add);
  if (!limit || *limit <= 0 || scalar.smin < 0 || scalar.umax >= static_cast<std::uint64_t>(*limit)) {
    slot.unmaskable = true;
    return;
  }
  slot.limit = std::max(slot.limit, static_cast<std::uint32_t>(*limit));
}

std::vector<std::uint32_t> speculation_limits(const Env& env) {
  std::vector<std::uint32_t> limits(env.prog.size(), 0);
  for (std::size_t pc = 0; pc < limits.size(); ++pc)
    if (!env.speculation[pc].unmaskable) limits[pc] = env.speculation[pc].limit;
  return limits;
}

}  // namespace ubee::verifier
