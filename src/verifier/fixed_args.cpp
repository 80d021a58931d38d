// Memory arguments whose size the helper implies (check_func_arg's ARG_PTR_TO_CONST_STR and ARG_PTR_TO_LONG):
// bpf_snprintf's format is a NUL-terminated string in a read-only map (.rodata), known when the program is
// loaded; bpf_strtol/strtoul store their result through a pointer to 8 bytes.
#include <algorithm>

#include "verifier/helper_checks.hpp"

namespace ubee::verifier {

std::optional<FixedArg> fixed_arg(std::uint32_t helper, int regno) {
  if (helper == BPF_FUNC_snprintf && regno == 3) return FixedArg::const_str;
  if ((helper == BPF_FUNC_strtol || helper == BPF_FUNC_strtoul) && regno == 4) return FixedArg::long_out;
  return std::nullopt;
}

Result<void> check_const_str(const Env& env, const RegState& reg, int regno) {
  if (reg.type != RegType::ptr_to_map_value)
    return env.fail(reg_name(regno) + " type=" + reg_type_str(reg.type) + " expected=map_value");
  const MapSpec& map = *reg.map;
  if ((map.flags & BPF_F_RDONLY_PROG) == 0) return env.fail(reg_name(regno) + " does not point to a readonly map'");
  if (!reg.var.is_const()) return env.fail(reg_name(regno) + " is not a constant address'");
  const std::int64_t off = std::int64_t{reg.off} + static_cast<std::int64_t>(reg.var.umin);
  if (off < 0 || off >= static_cast<std::int64_t>(map.value_size))
    return env.fail("invalid access to map value, value_size=" + std::to_string(map.value_size) +
                    " off=" + std::to_string(off) + " size=" + std::to_string(map.value_size - off));
  const auto& bytes = map.initial_value;
  const auto begin = bytes.begin() + std::min<std::int64_t>(off, static_cast<std::int64_t>(bytes.size()));
  // Bytes past the initial value are zero, as in the map the loader creates.
  if (bytes.size() < map.value_size || std::find(begin, bytes.end(), 0) != bytes.end()) return {};
  return env.fail("string is not zero-terminated");
}

}  // namespace ubee::verifier
