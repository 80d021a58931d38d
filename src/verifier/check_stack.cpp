// The stack: 512 bytes per frame, each byte invalid, spilled register, data or zero
// (check_stack_access_within_bounds, check_stack_read_fixed_off, check_stack_write_fixed_off).
#include <algorithm>

#include "verifier/checker.hpp"
#include "verifier/stack.hpp"

namespace ubee::verifier {
namespace {

constexpr std::int64_t kMaxVarOff = std::int64_t{1} << 29;  // BPF_MAX_VAR_OFF

// check_stack_read_fixed_off() and check_stack_range_initialized(): every byte read must be readable.
Result<void> check_initialised(const Env& env, const Frame& frame, const Access& access, std::int32_t off) {
  for (std::uint32_t i = 0; i < access.size; ++i) {
    if (stack_byte_readable(env, frame, byte_index(off) + i, access.helper)) continue;
    const std::string where = std::to_string(off) + "+" + std::to_string(i) + " size " + std::to_string(access.size);
    if (access.helper) return env.fail("invalid indirect read from stack " + reg_name(access.regno) + " off " + where);
    return env.fail("invalid read from stack off " + where);
  }
  return {};
}

}  // namespace

bool stack_byte_readable(const Env& env, const Frame& frame, std::size_t index, bool helper) {
  switch (frame.stack[index]) {
    // allow_uninit_stack (CAP_PERFMON): the program only learns what it could read anyway; the value is unknown.
    case SlotType::invalid: return env.options.privileged;
    // An instruction's fill gets the pointer back as a pointer, but a helper reads raw bytes, which would hand
    // the address to the helper's output (a map value, a packet) as a number: not without allow_ptr_leaks.
    case SlotType::spill:
      return !helper || env.options.privileged || frame.spilled.at(static_cast<std::uint8_t>(index / 8)).is_scalar();
    case SlotType::misc:
    case SlotType::zero: return true;
  }
  return false;
}

Result<void> check_spill_overwrite(const Env& env, const Frame& frame, std::int32_t off, std::uint32_t size) {
  if (env.options.privileged || size == 8) return {};
  const std::size_t slot = byte_index(off) / 8;
  const auto spilled = frame.spilled.find(static_cast<std::uint8_t>(slot));
  if (frame.stack[slot * 8] == SlotType::spill && spilled != frame.spilled.end() && !spilled->second.is_scalar())
    return env.fail("attempt to corrupt spilled pointer on stack");
  return {};
}

const char* access_words(const Access& access) {
  if (access.helper) return " indirect access to";
  return access.write ? " write to" : " read from";
}

Result<StackRange> stack_range(Env& env, const State& state, const RegState& reg, const Access& access) {
  const std::int64_t off = std::int64_t{reg.off} + access.off;
  const char* words = access_words(access);
  // check_ptr_alignment() comes before the bounds (check_mem_access): stack accesses are always strictly aligned,
  // at every offset the pointer may have.
  if (!access.helper && !tnum_is_aligned(tnum_add(reg.var.var_off, tnum_const(static_cast<std::uint64_t>(off))),
                                         access.size))
    return env.fail("misaligned stack access off " + tnum_str(reg.var.var_off) + "+" + std::to_string(reg.off) +
                    "+" + std::to_string(access.off) + " size " + std::to_string(access.size));
  const std::string regname = reg_name(access.regno);
  if (!reg.var.is_const() && (reg.var.smax >= kMaxVarOff || reg.var.smin <= -kMaxVarOff))
    return env.fail(std::string("invalid unbounded variable-offset") + words + " stack " + regname);
  const std::int64_t min_off = off + reg.var.smin;
  const std::int64_t max_off = off + reg.var.smax;
  if (min_off < -static_cast<std::int64_t>(kStackSize) || max_off + access.size > 0 || access.size == 0) {
    if (reg.var.is_const())
      return env.fail(std::string("invalid") + words + " stack " + regname + " off=" + std::to_string(min_off) +
                      " size=" + std::to_string(access.size));
    return env.fail(std::string("invalid variable-offset") + words + " stack " + regname + " var_off=" +
                    tnum_str(reg.var.var_off) + " off=" + std::to_string(off) + " size=" + std::to_string(access.size));
  }
  Subprog& sub = env.subprogs[state.frames.at(reg.frameno).subprog];
  sub.stack_depth = std::max(sub.stack_depth, static_cast<std::uint32_t>(-min_off));
  return StackRange{static_cast<std::int32_t>(min_off), static_cast<std::int32_t>(max_off)};
}

Result<void> check_stack_access(Env& env, State& state, const Access& access) {
  const RegState reg = state.reg(access.regno);
  const auto range = stack_range(env, state, reg, access);
  if (!range.ok()) return range.error();
  Frame& frame = stack_frame(state, reg);
  if (!range->fixed()) return stack_access_var(env, frame, reg, *range, access);
  if (!access.write) return check_initialised(env, frame, access, range->min);
  // A helper's write is checked byte by byte, as the kernel does after the call (check_helper_call's BPF_B
  // writes for raw_mode arguments), so that no part of a spilled pointer is overwritten either.
  const std::uint32_t step = access.helper ? 1 : access.size;
  for (std::int32_t off = range->min; off < range->min + static_cast<std::int32_t>(access.size);
       off += static_cast<std::int32_t>(step))
    UBEE_TRY(check_spill_overwrite(env, frame, off, step));
  stack_mark(frame, range->min, access.size, SlotType::misc);
  return {};
}

void stack_mark(Frame& frame, std::int32_t off, std::uint32_t size, SlotType type) {
  const std::size_t begin = byte_index(off);
  // A partly overwritten spill is no longer a register: its other bytes become data (__mark_reg_unknown's
  // counterpart on the stack in check_stack_write_fixed_off).
  for (std::size_t slot = begin / 8; slot <= (begin + size - 1) / 8; ++slot)
    if (frame.stack[slot * 8] == SlotType::spill) {
      for (std::size_t i = slot * 8; i < slot * 8 + 8; ++i) frame.stack[i] = SlotType::misc;
      frame.spilled.erase(static_cast<std::uint8_t>(slot));
    }
  for (std::size_t i = begin; i < begin + size; ++i) frame.stack[i] = type;
}

void stack_spill(Frame& frame, std::int32_t off, const RegState& value) {
  const std::size_t begin = byte_index(off);
  for (std::size_t i = begin; i < begin + 8; ++i) frame.stack[i] = SlotType::spill;
  frame.spilled[static_cast<std::uint8_t>(begin / 8)] = value;
}

Result<RegState> stack_fill(const Env& env, const Frame& frame, std::int32_t off, std::uint32_t size) {
  const std::size_t begin = byte_index(off);
  if (frame.stack[begin] == SlotType::spill) {
    const RegState& spilled = frame.spilled.at(static_cast<std::uint8_t>(begin / 8));
    if (size == 8 && begin % 8 == 0) return spilled;
    if (is_pointer(spilled.type)) return env.fail("invalid size of register fill");
    return RegState::unknown();
  }
  for (std::size_t i = begin; i < begin + size; ++i)
    if (frame.stack[i] != SlotType::zero) return RegState::unknown();
  return RegState::scalar(Scalar::constant(0));
}

}  // namespace ubee::verifier
