// Helper calls, checked against the helper's prototype (check_helper_call, check_func_arg,
// check_helper_mem_access, check_mem_size_reg in kernel/bpf/verifier.c).
#include <utility>

#include "verifier/helper_checks.hpp"

namespace ubee::verifier {
namespace {

constexpr std::uint64_t kMaxVarSize = std::uint64_t{1} << 29;  // BPF_MAX_VAR_SIZ
constexpr const char* kMemTypes = "fp, pkt, pkt_meta, map_value, mem";

// What earlier arguments tell later ones and the return value (struct bpf_call_arg_meta).
struct CallMeta {
  const MapSpec* map = nullptr;      // from the const_map_ptr argument
  int mem_regno = 0;                 // the memory argument waiting for its size
  bool mem_write = false;            // ptr_to_uninit_mem: the helper writes it
  std::optional<Scalar> alloc_size;  // the scalar right after the map (ringbuf_reserve's size)
  ArgType previous = ArgType::none;
  std::uint32_t helper = 0;
  std::optional<std::uint64_t> const_key;  // the map key argument, when known (the kernel's const_map_key)
};

Error type_error(const Env& env, int regno, const RegState& reg, const char* expected) {
  return env.fail(reg_name(regno) + " type=" + reg_type_str(reg.type) + " expected=" + expected);
}

bool is_mem_pointer(RegType type) {
  return type == RegType::ptr_to_stack || type == RegType::ptr_to_packet || type == RegType::ptr_to_packet_meta ||
         type == RegType::ptr_to_map_value || type == RegType::ptr_to_mem;
}

// check_mem_size_reg(): the size must be a bounded, non-negative scalar; its maximum is what gets checked.
Result<void> check_size_arg(Env& env, State& state, int regno, CallMeta& meta, bool zero_ok) {
  const RegState& size = state.reg(regno);
  if (!size.is_scalar()) return type_error(env, regno, size, "scalar");
  if (meta.mem_regno == 0) return env.fail(reg_name(regno) + " size argument without a memory argument");
  if (size.var.smin < 0)
    return env.fail(reg_name(regno) + " min value is negative, either use unsigned or 'var &= const'");
  if (size.var.umin == 0 && !zero_ok)
    return env.fail(reg_name(regno) + " invalid zero-sized read: u64=[" + std::to_string(size.var.umin) + "," +
                    std::to_string(size.var.umax) + "]");
  if (size.var.umax >= kMaxVarSize)
    return env.fail(reg_name(regno) + " unbounded memory access, use 'var &= const' or 'if (var < const)'");
  const int mem_regno = std::exchange(meta.mem_regno, 0);
  return check_helper_mem(env, state, mem_regno, size.var.umax, meta.mem_write);
}

// A memory argument no size follows: the kernel's ARG_PTR_TO_MAP_VALUE | MEM_UNINIT (map_pop_elem) is sized by
// the map; other fixed-size kinds (ARG_PTR_TO_LONG, ARG_PTR_TO_CONST_STR) are beyond ubee's prototypes so far.
Result<void> check_unsized_mem(Env& env, State& state, CallMeta& meta) {
  const int regno = std::exchange(meta.mem_regno, 0);
  if (regno == 0) return {};
  if (!meta.map)
    return env.fail(reg_name(regno) + " memory argument without a size is not supported by the verifier yet");
  return check_helper_mem(env, state, regno, meta.map->value_size, meta.mem_write);
}

// get_constant_map_key(), for privileged programs: a key on the stack whose bytes are all known zero is 0.
// (The kernel also reads constant 8-byte spills; array keys are 4 bytes, which ubee does not keep as spills.)
std::optional<std::uint64_t> constant_key(const Env& env, const State& state, const RegState& key,
                                          std::uint32_t key_size) {
  if (!env.options.privileged || key.type != RegType::ptr_to_stack || !key.var.is_const()) return std::nullopt;
  const std::int64_t off = std::int64_t{key.off} + key.var.smin;
  if (off < -static_cast<std::int64_t>(kStackSize) || off + key_size > 0) return std::nullopt;
  const Frame& frame = state.frames.at(key.frameno);
  const std::size_t begin = static_cast<std::size_t>(off + static_cast<std::int64_t>(kStackSize));
  for (std::size_t i = begin; i < begin + key_size; ++i)
    if (frame.stack[i] != SlotType::zero) return std::nullopt;
  return 0;
}

Result<void> check_map_arg(Env& env, State& state, int regno, bool key, CallMeta& meta) {
  if (!meta.map) return env.fail(std::string("invalid map_ptr to access map->") + (key ? "key" : "value"));
  const MapSpec& map = *meta.map;
  const std::uint32_t size = key ? map.key_size : map.value_size;
  // check_stack_range_initialized() without zero_size_allowed: found before the map type is (queues and ring
  // buffers have no key; no helper taking a key works on them).
  if (size == 0) return env.fail("invalid zero-sized read");
  UBEE_TRY(check_helper_mem(env, state, regno, size, false));
  if (key) meta.const_key = constant_key(env, state, state.reg(regno), map.key_size);
  return {};
}

// can_elide_value_nullness(): an array lookup with a key known to be in range cannot fail.
bool lookup_never_null(const CallMeta& meta) {
  const bool array = meta.map->type == BPF_MAP_TYPE_ARRAY || meta.map->type == BPF_MAP_TYPE_PERCPU_ARRAY;
  return meta.helper == BPF_FUNC_map_lookup_elem && array && meta.const_key && *meta.const_key < meta.map->max_entries;
}

Result<void> check_ctx_arg(const Env& env, const RegState& reg, int regno) {
  if (reg.type != RegType::ptr_to_ctx) return type_error(env, regno, reg, "ctx");
  if (reg.off != 0 || !reg.var.is_const() || reg.var.umin != 0)
    return env.fail("dereference of modified ctx ptr " + reg_name(regno) + " off=" + std::to_string(reg.off) +
                    " disallowed");
  return {};
}

// ARG_PTR_TO_CONST_STR and ARG_PTR_TO_LONG (sizeof(long): 8 bytes written).
Result<void> check_fixed_arg(Env& env, State& state, int regno, FixedArg kind) {
  if (kind == FixedArg::const_str) return check_const_str(env, state.reg(regno), regno);
  return check_helper_mem(env, state, regno, sizeof(std::uint64_t), true);
}

// check_func_arg(): one argument against its ArgType.
Result<void> check_arg(Env& env, State& state, int regno, ArgType type, CallMeta& meta) {
  if (type == ArgType::none) return {};
  UBEE_TRY(check_reg_read(env, state, regno));
  if (const auto kind = fixed_arg(meta.helper, regno)) {
    UBEE_TRY(check_unsized_mem(env, state, meta));
    return check_fixed_arg(env, state, regno, *kind);
  }
  const RegState& reg = state.reg(regno);
  switch (type) {
    case ArgType::scalar:
      if (!reg.is_scalar()) return type_error(env, regno, reg, "scalar");
      if (meta.previous == ArgType::const_map_ptr) meta.alloc_size = reg.var;
      return {};
    case ArgType::ptr_to_ctx: return check_ctx_arg(env, reg, regno);
    case ArgType::const_map_ptr:
      if (reg.type != RegType::const_ptr_to_map) return type_error(env, regno, reg, "map_ptr");
      meta.map = reg.map;
      return {};
    case ArgType::ptr_to_map_key: return check_map_arg(env, state, regno, true, meta);
    case ArgType::ptr_to_map_value: return check_map_arg(env, state, regno, false, meta);
    case ArgType::ptr_to_mem:
    case ArgType::ptr_to_uninit_mem:
      if (!is_mem_pointer(reg.type)) return type_error(env, regno, reg, kMemTypes);
      UBEE_TRY(check_unsized_mem(env, state, meta));
      meta.mem_regno = regno;
      meta.mem_write = type == ArgType::ptr_to_uninit_mem;
      return {};
    case ArgType::const_size: return check_size_arg(env, state, regno, meta, false);
    case ArgType::const_size_or_zero: return check_size_arg(env, state, regno, meta, true);
    default:  // ArgType::anything: initialised is enough, but no address may leave an unprivileged program
      if (env.leaks(reg)) return env.fail(reg_name(regno) + " leaks addr into helper function");
      return {};
  }
}

// The register r0 holds after the call (check_helper_call's return-type switch).
Result<RegState> return_value(Env& env, State& state, const HelperProto& proto, const CallMeta& meta) {
  switch (proto.ret) {
    case RetType::integer: return RegState::unknown();
    case RetType::none: return RegState{};
    case RetType::ptr_to_map_value_or_null: {
      if (!meta.map) return env.fail("helper " + proto.name + " returns a map value but takes no map");
      const bool of_maps = meta.map->inner != nullptr;  // its values are maps (the kernel's inner_map_meta)
      RegState r0 = RegState::pointer(of_maps ? RegType::const_ptr_to_map_or_null : RegType::ptr_to_map_value_or_null);
      r0.map = of_maps ? meta.map->inner.get() : meta.map;
      if (lookup_never_null(meta)) {
        r0.type = RegType::ptr_to_map_value;
        return r0;
      }
      r0.id = env.next_id++;
      return r0;
    }
    case RetType::ptr_to_mem_or_null: {
      if (!meta.alloc_size || !meta.alloc_size->is_const()) return env.fail("R2 is not a known constant'");
      RegState r0 = RegState::pointer(RegType::ptr_to_mem_or_null);
      r0.mem_size = static_cast<std::uint32_t>(meta.alloc_size->umin);
      r0.id = env.next_id++;
      acquire_reference(env, state, r0);
      return r0;
    }
  }
  return RegState::unknown();
}

// The generic checks of every argument against the prototype, then what a prototype cannot say.
Result<CallMeta> check_args(Env& env, State& state, std::uint32_t helper, const HelperProto& proto) {
  CallMeta meta;
  meta.helper = helper;
  for (int i = 0; i < 5; ++i) {
    UBEE_TRY(check_arg(env, state, i + 1, proto.args[i], meta));
    meta.previous = proto.args[i];
  }
  UBEE_TRY(check_unsized_mem(env, state, meta));
  UBEE_TRY(check_helper_rules(env, state, helper, proto.name, meta.map));
  if (helper == BPF_FUNC_spin_lock || helper == BPF_FUNC_spin_unlock)
    UBEE_TRY(check_spin_lock(env, state, helper == BPF_FUNC_spin_lock));
  if (helper == BPF_FUNC_ringbuf_submit || helper == BPF_FUNC_ringbuf_discard)
    UBEE_TRY(release_reference(env, state, 1));
  return meta;
}

Result<const HelperProto*> find_proto(const Env& env, std::int32_t id) {
  const HelperProto* proto = env.options.helpers != nullptr ? env.options.helpers->find(id) : nullptr;
  if (proto != nullptr) return proto;
  // A Linux helper ubee does not provide is one no program type may use here, as the kernel says of helpers its
  // get_func_proto() does not give; only ids past the kernel's list are unknown functions.
  if (const auto name = linux_helper_name(static_cast<std::uint32_t>(id)); name)
    return env.fail("program of this type cannot use helper " + *name + "#" + std::to_string(id));
  return env.fail("invalid func unknown#" + std::to_string(id));
}

}  // namespace

Result<void> check_helper_mem(Env& env, State& state, int regno, std::uint64_t size, bool write) {
  if (!is_mem_pointer(state.reg(regno).type)) return type_error(env, regno, state.reg(regno), kMemTypes);
  if (size == 0) return {};
  return check_mem_region(env, state, Access{regno, 0, static_cast<std::uint32_t>(size), write, true});
}

Result<std::optional<CallbackCall>> check_helper_call(Env& env, State& state, const Insn& insn) {
  if (insn.src != 0) return env.fail("calls of kind " + std::to_string(insn.src) + " are not supported yet");
  const auto helper = static_cast<std::uint32_t>(insn.imm);
  if (state.lock && helper != BPF_FUNC_spin_unlock)
    return env.fail("function calls are not allowed while holding a lock");
  if (helper == BPF_FUNC_tail_call) {
    UBEE_TRY(check_tail_call(env, state));
    return std::optional<CallbackCall>{};
  }
  auto proto = find_proto(env, insn.imm);
  if (!proto.ok()) return proto.error();
  UBEE_TRY(check_helper_allowed(env, helper, (*proto)->name));
  auto meta = check_args(env, state, helper, **proto);
  if (!meta.ok()) return meta.error();
  std::optional<CallbackCall> callback;
  if (calls_callback(insn.imm)) {
    auto call = check_callback_args(env, state, helper, meta->map);
    if (!call.ok()) return call.error();
    callback = *call;
  }
  auto r0 = return_value(env, state, **proto, *meta);
  if (!r0.ok()) return r0.error();
  for (int regno = 1; regno <= 5; ++regno) state.reg(regno) = RegState{};  // caller-saved: clobbered
  state.reg(0) = *r0;
  return callback;
}

}  // namespace ubee::verifier
