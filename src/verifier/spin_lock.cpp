// bpf_spin_lock / bpf_spin_unlock (process_spin_lock in kernel/bpf/verifier.c). The lock is a struct
// bpf_spin_lock inside a map value, found through the object's BTF (required, as in the kernel); while it is held the program may call no
// helper but bpf_spin_unlock (check_helper_call) and may not exit (calls.cpp).
#include <bpf/btf.h>

#include "verifier/helper_checks.hpp"

namespace ubee::verifier {
namespace {

// The top-level member of the value's struct whose type is struct bpf_spin_lock.
std::optional<std::uint32_t> find_lock_member(const struct btf* btf, std::uint32_t type_id) {
  const auto value_id = btf__resolve_type(btf, type_id);
  if (value_id < 0) return std::nullopt;
  const btf_type* value = btf__type_by_id(btf, static_cast<std::uint32_t>(value_id));
  if (value == nullptr || !btf_is_struct(value)) return std::nullopt;
  const btf_member* members = btf_members(value);
  for (std::uint16_t i = 0; i < btf_vlen(value); ++i) {
    const auto member_id = btf__resolve_type(btf, members[i].type);
    if (member_id < 0) continue;
    const btf_type* member = btf__type_by_id(btf, static_cast<std::uint32_t>(member_id));
    if (member != nullptr && btf_is_struct(member) &&
        std::string_view(btf__name_by_offset(btf, member->name_off)) == "bpf_spin_lock")
      return btf_member_bit_offset(value, i) / 8;
  }
  return std::nullopt;
}

// Which lock a pointer designates, after the kernel's checks on the pointer.
Result<HeldLock> lock_of(const Env& env, const RegState& reg) {
  if (reg.type != RegType::ptr_to_map_value)
    return env.fail(std::string("R1 type=") + reg_type_str(reg.type) + " expected=map_value");
  if (!reg.var.is_const())
    return env.fail("R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset");
  const std::int64_t off = std::int64_t{reg.off} + static_cast<std::int64_t>(reg.var.umin);
  const MapSpec& map = *reg.map;
  if (env.options.btf == nullptr || map.btf_value_type_id == 0)
    return env.fail("map '" + map.name + "' has to have BTF in order to use bpf_spin_lock");
  const auto lock_off = spin_lock_offset(env.options, map);
  if (!lock_off) return env.fail("map '" + map.name + "' has no valid bpf_spin_lock");
  if (off != *lock_off)
    return env.fail("off " + std::to_string(off) + " doesn't point to 'struct bpf_spin_lock' that is at " +
                    std::to_string(*lock_off));
  return HeldLock{reg.map, reg.id};
}

}  // namespace

std::optional<std::uint32_t> spin_lock_offset(const VerifierOptions& options, const MapSpec& map) {
  if (options.btf == nullptr || map.btf_value_type_id == 0) return std::nullopt;
  return find_lock_member(options.btf, map.btf_value_type_id);
}

Result<void> check_spin_lock(const Env& env, State& state, bool lock) {
  auto which = lock_of(env, state.reg(1));
  if (!which.ok()) return which.error();
  if (lock) {
    if (state.lock) return env.fail("Locking two bpf_spin_locks are not allowed");
    state.lock = *which;
    return {};
  }
  if (!state.lock) return env.fail("bpf_spin_unlock without taking a lock");
  if (*state.lock != *which) return env.fail("bpf_spin_unlock of different lock");
  state.lock.reset();
  return {};
}

}  // namespace ubee::verifier
