// Stack accesses through a pointer with a variable offset, which privileged programs may make
// (check_stack_read_var_off, check_stack_write_var_off, check_stack_range_initialized): the access may touch
// any byte of [min, max + size), so reads need all of them initialised and writes make all of them data.
#include "verifier/checker.hpp"
#include "verifier/stack.hpp"

namespace ubee::verifier {
namespace {

// The first byte an access may read that it may not, if any.
std::optional<std::int32_t> first_invalid(const Env& env, const Frame& frame, const StackRange& range,
                                          const Access& access) {
  for (std::int32_t off = range.min; off < range.max + static_cast<std::int32_t>(access.size); ++off)
    if (!stack_byte_readable(env, frame, byte_index(off), access.helper)) return off;
  return std::nullopt;
}

Result<void> check_initialised_var(const Env& env, const Frame& frame, const RegState& reg, const StackRange& range,
                                   const Access& access) {
  const auto invalid = first_invalid(env, frame, range, access);
  if (!invalid) return {};
  return env.fail(std::string("invalid") + (access.helper ? " indirect" : " variable-offset") + " read from stack " +
                  reg_name(access.regno) + " var_off=" + tnum_str(reg.var.var_off) +
                  " off=" + std::to_string(*invalid - range.min) + " size=" + std::to_string(access.size));
}

}  // namespace

Result<void> stack_access_var(const Env& env, Frame& frame, const RegState& reg, const StackRange& range,
                              const Access& access) {
  // A helper's writes too need initialised bytes: which of them it writes is unknown, so none may be taken as
  // initialised afterwards that was not before.
  UBEE_TRY(check_initialised_var(env, frame, reg, range, access));
  if (access.write) stack_write_var(frame, range, access.size, RegState::unknown());
  return {};
}

Result<RegState> stack_read_var(const Env& env, const Frame& frame, const RegState& reg, const StackRange& range,
                                const Access& access) {
  UBEE_TRY(check_initialised_var(env, frame, reg, range, access));
  for (std::int32_t off = range.min; off < range.max + static_cast<std::int32_t>(access.size); ++off)
    if (frame.stack[byte_index(off)] != SlotType::zero) return RegState::unknown();
  return RegState::scalar(Scalar::constant(0));
}

void stack_write_var(Frame& frame, const StackRange& range, std::uint32_t size, const RegState& value) {
  const std::int32_t end = range.max + static_cast<std::int32_t>(size);
  const bool zero = value.is_const_zero();
  for (std::int32_t off = range.min; off < end; ++off) {
    const SlotType old = frame.stack[byte_index(off)];
    stack_mark(frame, off, 1, zero && old == SlotType::zero ? SlotType::zero : SlotType::misc);
  }
}

}  // namespace ubee::verifier
