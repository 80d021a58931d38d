// Checks shared by every instruction class.
#include <cstdio>

#include "verifier/checker.hpp"

namespace ubee::verifier {

std::string reg_name(int regno) { return "R" + std::to_string(regno); }

std::string tnum_str(Tnum t) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "(0x%llx; 0x%llx)", static_cast<unsigned long long>(t.value),
                static_cast<unsigned long long>(t.mask));
  return buf;
}

// check_reg_arg(..., SRC_OP): reading a register no instruction on this path wrote.
Result<void> check_reg_read(const Env& env, const State& state, int regno) {
  if (state.cur().regs[static_cast<std::size_t>(regno)].type == RegType::not_init)
    return env.fail(reg_name(regno) + " !read_ok");
  return {};
}

}  // namespace ubee::verifier
