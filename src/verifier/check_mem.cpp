// Loads, stores and atomics through typed pointers (check_mem_access, check_mem_region_access,
// check_packet_access, check_ctx_access, check_atomic in kernel/bpf/verifier.c).
#include "verifier/helper_checks.hpp"
#include "verifier/stack.hpp"

namespace ubee::verifier {
namespace {

constexpr std::uint64_t kMaxVarOff = std::uint64_t{1} << 29;  // BPF_MAX_VAR_OFF

std::string off_size(std::int64_t off, std::uint32_t size) {
  return " off=" + std::to_string(off) + " size=" + std::to_string(size);
}

// check_mem_region_access(): both ends of the variable offset must land inside [0, mem_size).
Result<void> check_region(const Env& env, const RegState& reg, const Access& access, std::uint32_t mem_size,
                          const std::string& what) {
  const std::int64_t off = std::int64_t{reg.off} + access.off;
  const std::string regname = reg_name(access.regno);
  const auto outside = [&](std::int64_t at) {
    return at < 0 || access.size > mem_size || at > static_cast<std::int64_t>(mem_size - access.size);
  };
  // (A bound below -BPF_MAX_VAR_OFF is refused before adding, so the sum cannot overflow.)
  if (reg.var.smin < 0 && (reg.var.smin <= -static_cast<std::int64_t>(kMaxVarOff) || off + reg.var.smin < 0))
    return env.fail(regname + " min value is negative, either use unsigned index or do a if (index >=0) check.");
  if (outside(off + reg.var.smin))
    return env.fail("invalid access to " + what + off_size(off + reg.var.smin, access.size));
  if (reg.var.umax >= kMaxVarOff)
    return env.fail(regname + " unbounded memory access, make sure to bounds check any such access");
  const std::int64_t max_off = off + static_cast<std::int64_t>(reg.var.umax);
  if (outside(max_off)) return env.fail("invalid access to " + what + off_size(max_off, access.size));
  return {};
}

// check_packet_access(): only bytes a comparison with pkt_end proved present. reg->range counts from the
// pointer's variable part, which every register of its id shares, so only the fixed offset is added.
Result<void> check_packet(const Env& env, const RegState& reg, const Access& access) {
  if (reg.var.smin < 0)
    return env.fail(reg_name(access.regno) +
                    " min value is negative, either use unsigned index or do a if (index >=0) check.");
  const std::int64_t off = std::int64_t{reg.off} + access.off;
  if (off < 0 || off + access.size > reg.range)
    return env.fail("invalid access to packet, off=" + std::to_string(off) + " size=" +
                    std::to_string(access.size) + ", " + reg_name(access.regno) + "(id=" + std::to_string(reg.id) +
                    ",off=" + std::to_string(reg.off) + ",r=" + std::to_string(reg.range) + ")");
  return {};
}

// coerce_reg_to_size() and its sign-extending twin: what a load of `size` bytes can give.
Scalar loaded_value(std::uint32_t size, bool sign_extend) {
  if (size == 8) return Scalar::unknown();
  const unsigned bits = size * 8;
  if (!sign_extend) return Scalar::range(0, (std::uint64_t{1} << bits) - 1);
  Scalar value = Scalar::unknown();
  value.smin = -(std::int64_t{1} << (bits - 1));
  value.smax = (std::int64_t{1} << (bits - 1)) - 1;
  reg_bounds_sync(value);
  return value;
}

// check_ctx_access(): the context is read only through its unmodified pointer, field by field.
Result<RegState> load_ctx(const Env& env, const RegState& reg, const Access& access) {
  if (reg.off != 0)
    return env.fail("dereference of modified ctx ptr " + reg_name(access.regno) + " off=" + std::to_string(reg.off) +
                    " disallowed");
  if (!reg.var.is_const() || reg.var.umin != 0) return env.fail("variable ctx access disallowed");
  const auto type = ctx_load_type(env.options, access.off, access.size);
  if (!type || access.write)
    return env.fail("invalid bpf_context access" + off_size(access.off, access.size));
  if (*type == RegType::scalar) return RegState::scalar(loaded_value(access.size, false));
  return RegState::pointer(*type);
}

// check_map_access_type() and check_map_access(): read-only maps (.rodata) refuse the program's writes.
Result<void> check_map_value(const Env& env, const RegState& reg, const Access& access) {
  const std::uint32_t value_size = reg.map->value_size;
  if (const auto lock = spin_lock_offset(env.options, *reg.map)) {
    const std::int64_t lo = std::int64_t{reg.off} + access.off + reg.var.smin;
    const std::int64_t hi = std::int64_t{reg.off} + access.off + reg.var.smax + access.size;
    if (lo < std::int64_t{*lock} + 4 && hi > std::int64_t{*lock})
      return env.fail("bpf_spin_lock cannot be accessed directly by load/store");
  }
  if (access.write && (reg.map->flags & BPF_F_RDONLY_PROG) != 0)
    return env.fail("write into map forbidden, value_size=" + std::to_string(value_size) +
                    off_size(std::int64_t{reg.off} + access.off, access.size));
  return check_region(env, reg, access, value_size, "map value, value_size=" + std::to_string(value_size));
}

// Where a stored pointer would leak to, in the kernel's words.
const char* leak_target(RegType type) {
  switch (type) {
    case RegType::ptr_to_map_value: return "map";
    case RegType::ptr_to_packet:
    case RegType::ptr_to_packet_meta: return "packet";
    default: return "mem";
  }
}

bool is_load_sign_extending(const Insn& insn) { return insn.mode() == BPF_MEMSX; }

}  // namespace

Result<void> check_mem_region(Env& env, State& state, const Access& access) {
  const RegState& reg = state.reg(access.regno);
  switch (reg.type) {
    case RegType::ptr_to_stack: return check_stack_access(env, state, access);
    case RegType::ptr_to_map_value: return check_map_value(env, reg, access);
    case RegType::ptr_to_map_key:
      if (access.write) return env.fail("write to change key " + reg_name(access.regno) + " not allowed");
      return check_region(env, reg, access, reg.map->key_size,
                          "map key, key_size=" + std::to_string(reg.map->key_size));
    case RegType::ptr_to_mem:
      return check_region(env, reg, access, reg.mem_size, "memory, mem_size=" + std::to_string(reg.mem_size));
    case RegType::ptr_to_packet:
    case RegType::ptr_to_packet_meta: return check_packet(env, reg, access);
    default:
      return env.fail(reg_name(access.regno) + " invalid mem access '" + reg_type_str(reg.type) + "'");
  }
}

Result<void> check_load(Env& env, State& state, const Insn& insn) {
  UBEE_TRY(check_reg_read(env, state, insn.src));
  if (insn.dst == kFramePointer) return env.fail("frame pointer is read only");
  const Access access{insn.src, insn.off, static_cast<std::uint32_t>(access_width(insn.size())), false, false};
  const RegState src = state.reg(insn.src);
  Result<RegState> value = RegState::unknown();
  if (src.type == RegType::ptr_to_ctx) {
    value = load_ctx(env, src, access);
  } else if (src.type == RegType::ptr_to_stack) {
    const auto range = stack_range(env, state, src, access);
    if (!range.ok()) return range.error();
    const Frame& frame = stack_frame(state, src);
    if (range->fixed()) {
      UBEE_TRY(check_mem_region(env, state, access));
      value = stack_fill(env, frame, range->min, access.size);
    } else {
      value = stack_read_var(env, frame, src, *range, access);
    }
  } else {
    UBEE_TRY(check_mem_region(env, state, access));
    value = RegState::scalar(loaded_value(access.size, is_load_sign_extending(insn)));
  }
  if (!value.ok()) return value.error();
  state.reg(insn.dst) = *value;
  return {};
}

// check_stack_write_fixed_off(): registers spill whole; smaller stores are data, or zero when storing 0.
Result<void> store_to_stack(Env& env, State& state, const Access& access, const RegState& value) {
  const RegState ptr = state.reg(access.regno);
  const auto range = stack_range(env, state, ptr, access);
  if (!range.ok()) return range.error();
  Frame& frame = stack_frame(state, ptr);
  // A callee's stack dies with it: no caller may keep a pointer to it.
  if (value.type == RegType::ptr_to_stack && ptr.frameno + 1u != state.frames.size())
    return env.fail("cannot spill pointers to stack into stack frame of the caller");
  if (!range->fixed()) {
    stack_write_var(frame, *range, access.size, value);
    return {};
  }
  if (access.size == 8) {
    stack_spill(frame, range->min, value);
    return {};
  }
  if (is_pointer(value.type)) return env.fail("invalid size of register spill");
  UBEE_TRY(check_spill_overwrite(env, frame, range->min, access.size));
  stack_mark(frame, range->min, access.size, value.is_const_zero() ? SlotType::zero : SlotType::misc);
  return {};
}

// check_ctx_access() for writes: whole writable fields, numbers only, through the context pointer itself.
Result<void> store_to_ctx(const Env& env, const RegState& ctx, const Access& access, const RegState& value,
                          int value_regno) {
  if (ctx.off != 0 || !ctx.var.is_const() || ctx.var.umin != 0)
    return env.fail("dereference of modified ctx ptr " + reg_name(access.regno) + " off=" + std::to_string(ctx.off) +
                    " disallowed");
  if (!ctx_store_allowed(env.options, access.off, access.size))
    return env.fail("invalid bpf_context access" + off_size(access.off, access.size));
  if (env.leaks(value)) return env.fail(reg_name(value_regno) + " leaks addr into ctx");
  return {};
}

Result<void> check_store(Env& env, State& state, const Insn& insn) {
  UBEE_TRY(check_reg_read(env, state, insn.dst));
  const bool from_reg = insn.cls() == BPF_STX;
  if (from_reg) UBEE_TRY(check_reg_read(env, state, insn.src));
  const RegState value = from_reg ? state.reg(insn.src) : RegState::scalar(imm_operand(insn.imm));
  const Access access{insn.dst, insn.off, static_cast<std::uint32_t>(access_width(insn.size())), true, false};
  const RegState& dst = state.reg(insn.dst);
  if (dst.type == RegType::ptr_to_ctx) return store_to_ctx(env, dst, access, value, insn.src);
  if (dst.type == RegType::ptr_to_stack) return store_to_stack(env, state, access, value);
  if (env.leaks(value)) return env.fail(reg_name(insn.src) + " leaks addr into " + leak_target(dst.type));
  // may_access_direct_pkt_data(): cgroup skb programs read their packet but may not change it.
  const bool packet = dst.type == RegType::ptr_to_packet || dst.type == RegType::ptr_to_packet_meta;
  if (packet && env.options.type == BPF_PROG_TYPE_CGROUP_SKB) return env.fail("cannot write into packet");
  return check_mem_region(env, state, access);
}

// check_generic_ptr_alignment() with strict alignment, which atomics always get (check_atomic passes
// strict_alignment_once): every possible address must be a multiple of the size.
Result<void> check_atomic_alignment(const Env& env, const RegState& reg, const Access& access) {
  if (reg.type == RegType::ptr_to_stack) return {};  // stack_offset() already requires it
  const std::int64_t fixed = std::int64_t{reg.off} + access.off;
  if (tnum_is_aligned(tnum_add(reg.var.var_off, tnum_const(static_cast<std::uint64_t>(fixed))), access.size))
    return {};
  const char* what = reg.type == RegType::ptr_to_map_value ? "value " : "";
  return env.fail(std::string("misaligned ") + what + "access off " + tnum_str(reg.var.var_off) + "+" +
                  std::to_string(reg.off) + "+" + std::to_string(access.off) + " size " + std::to_string(access.size));
}

// check_stack_read_fixed_off() without a destination register: an atomic computes with the slot's bits as a
// number, which a spilled pointer's must not become for an unprivileged program (fetched or read back later).
Result<void> check_atomic_stack_slot(const Env& env, const State& state, const Access& access) {
  const RegState& reg = state.cur().regs[static_cast<std::size_t>(access.regno)];
  if (reg.type != RegType::ptr_to_stack || env.options.privileged || !reg.var.is_const()) return {};
  const std::int64_t off = std::int64_t{reg.off} + access.off + reg.var.smin;
  const Frame& frame = state.frames.at(reg.frameno);
  const std::size_t index = byte_index(static_cast<std::int32_t>(off));
  const auto spilled = frame.spilled.find(static_cast<std::uint8_t>(index / 8));
  if (frame.stack[index] != SlotType::spill || spilled == frame.spilled.end() || spilled->second.is_scalar()) return {};
  return env.fail("leaking pointer from stack off " + std::to_string(off));
}

// check_atomic(): a read and a write of the same memory; only scalars go in, the old value comes out.
Result<void> check_atomic(Env& env, State& state, const Insn& insn) {
  const bool cmpxchg = insn.imm == BPF_CMPXCHG;
  UBEE_TRY(check_reg_read(env, state, insn.src));
  UBEE_TRY(check_reg_read(env, state, insn.dst));
  if (cmpxchg) UBEE_TRY(check_reg_read(env, state, 0));
  if (insn.size() != BPF_W && insn.size() != BPF_DW) return env.fail("invalid atomic operand size");
  if (env.leaks(state.reg(insn.src))) return env.fail(reg_name(insn.src) + " leaks addr into mem");
  const RegType target = state.reg(insn.dst).type;
  if (target == RegType::ptr_to_ctx || target == RegType::ptr_to_packet || target == RegType::ptr_to_packet_meta)
    return env.fail(std::string("BPF_ATOMIC stores into ") + reg_name(insn.dst) + " " + reg_type_str(target) +
                    " is not allowed");
  Access access{insn.dst, insn.off, static_cast<std::uint32_t>(access_width(insn.size())), false, false};
  UBEE_TRY(check_mem_region(env, state, access));
  UBEE_TRY(check_atomic_stack_slot(env, state, access));
  UBEE_TRY(check_atomic_alignment(env, state.reg(insn.dst), access));
  access.write = true;
  UBEE_TRY(check_mem_region(env, state, access));
  if (cmpxchg || (insn.imm & BPF_FETCH) != 0)
    state.reg(cmpxchg ? 0 : insn.src) = RegState::scalar(loaded_value(access.size, false));
  return {};
}

}  // namespace ubee::verifier
