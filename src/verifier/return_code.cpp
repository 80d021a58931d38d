// What each program type may return (check_return_code in kernel/bpf/verifier.c): cgroup and socket-lookup
// programs return a verdict in a fixed range; the other types any number. A pointer is never a verdict, and
// unprivileged programs may return none at all.
#include <climits>

#include "verifier/calls.hpp"

namespace ubee::verifier {
namespace {

std::optional<RetRange> verdict_range(const VerifierOptions& options) {
  switch (options.type) {
    case BPF_PROG_TYPE_CGROUP_SKB:
      // Egress programs may also ask for congestion notification (bits 1: cn).
      if (options.expected_attach_type == BPF_CGROUP_INET_EGRESS) return RetRange{0, 3};
      return RetRange{0, 1};
    case BPF_PROG_TYPE_CGROUP_SOCK:
    case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
    case BPF_PROG_TYPE_SOCK_OPS:
    case BPF_PROG_TYPE_CGROUP_DEVICE:
    case BPF_PROG_TYPE_CGROUP_SYSCTL:
    case BPF_PROG_TYPE_CGROUP_SOCKOPT:
    case BPF_PROG_TYPE_SK_LOOKUP: return RetRange{0, 1};
    default: return std::nullopt;
  }
}

}  // namespace

std::string invalid_scalar(const char* context, const Scalar& value, const RetRange& range) {
  std::string text = std::string(context) + " the register R0 has";
  if (value.smin > LLONG_MIN) text += " smin=" + std::to_string(value.smin);
  if (value.smax < LLONG_MAX) text += " smax=" + std::to_string(value.smax);
  if (value.smin == LLONG_MIN && value.smax == LLONG_MAX) text += " unknown scalar value";
  return text + " should have been in [" + std::to_string(range.min) + ", " + std::to_string(range.max) + "]";
}

Result<void> check_return_code(const Env& env, const RegState& r0) {
  if (is_pointer(r0.type) && !env.options.privileged) return env.fail("R0 leaks addr as return value");
  const auto range = verdict_range(env.options);
  if (!range) return {};
  if (!r0.is_scalar())
    return env.fail(std::string("At program exit the register R0 is not a known value (") + reg_type_str(r0.type) +
                    ")");
  if (range->contains(r0.var)) return {};
  return env.fail(invalid_scalar("At program exit", r0.var, *range));
}

}  // namespace ubee::verifier
