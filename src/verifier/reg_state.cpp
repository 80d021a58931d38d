// Register and stack state: names, the entry state, and the subsumption test used for pruning.
#include "verifier/reg_state.hpp"

#include <utility>

namespace ubee::verifier {

const char* reg_type_str(RegType type) {
  switch (type) {
    case RegType::not_init: return "?";
    case RegType::scalar: return "scalar";
    case RegType::ptr_to_ctx: return "ctx";
    case RegType::ptr_to_stack: return "fp";
    case RegType::const_ptr_to_map: return "map_ptr";
    case RegType::const_ptr_to_map_or_null: return "map_ptr_or_null";
    case RegType::ptr_to_map_value: return "map_value";
    case RegType::ptr_to_map_value_or_null: return "map_value_or_null";
    case RegType::ptr_to_packet: return "pkt";
    case RegType::ptr_to_packet_end: return "pkt_end";
    case RegType::ptr_to_packet_meta: return "pkt_meta";
    // ubee's only memory returned by a helper is a ring buffer record (PTR_TO_MEM | MEM_RINGBUF).
    case RegType::ptr_to_mem: return "ringbuf_mem";
    case RegType::ptr_to_mem_or_null: return "ringbuf_mem_or_null";
    case RegType::ptr_to_map_key: return "map_key";
    case RegType::ptr_to_func: return "func";
  }
  return "?";
}

bool is_pointer(RegType type) { return type != RegType::not_init && type != RegType::scalar; }

bool is_or_null(RegType type) {
  return type == RegType::ptr_to_map_value_or_null || type == RegType::ptr_to_mem_or_null ||
         type == RegType::const_ptr_to_map_or_null;
}

RegType without_null(RegType type) {
  if (type == RegType::ptr_to_map_value_or_null) return RegType::ptr_to_map_value;
  if (type == RegType::ptr_to_mem_or_null) return RegType::ptr_to_mem;
  if (type == RegType::const_ptr_to_map_or_null) return RegType::const_ptr_to_map;
  return type;
}

State initial_state() {
  State state;
  state.frames.resize(1);
  state.reg(1) = RegState::pointer(RegType::ptr_to_ctx);
  state.reg(kFramePointer) = RegState::pointer(RegType::ptr_to_stack);
  return state;
}

namespace {

// range_within() and tnum_in(): every value of `cur` is a value of `old`.
bool scalar_within(const Scalar& old, const Scalar& cur) {
  return old.umin <= cur.umin && old.umax >= cur.umax && old.smin <= cur.smin && old.smax >= cur.smax &&
         old.u32_min <= cur.u32_min && old.u32_max >= cur.u32_max && old.s32_min <= cur.s32_min &&
         old.s32_max >= cur.s32_max && tnum_in(old.var_off, cur.var_off);
}

// check_ids(): ids must correspond one to one between the two states.
class IdMap {
 public:
  bool check(std::uint32_t old_id, std::uint32_t cur_id) {
    if (old_id == 0 || cur_id == 0) return old_id == cur_id;
    for (const auto& [o, c] : pairs_)
      if (o == old_id || c == cur_id) return o == old_id && c == cur_id;
    pairs_.emplace_back(old_id, cur_id);
    return true;
  }

 private:
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs_;
};

// regsafe(): an uninitialised old register was never read on the proven path, so anything is fine.
bool reg_safe(const RegState& old, const RegState& cur, IdMap& ids) {
  if (old.type == RegType::not_init) return true;
  if (old.type != cur.type) return false;
  // check_scalar_ids(): a proof that used the link between two old scalars holds only where they are linked too.
  if (old.type == RegType::scalar)
    return scalar_within(old.var, cur.var) && (old.id == 0 || ids.check(old.id, cur.id));
  return old.off == cur.off && old.map == cur.map && old.mem_size == cur.mem_size && old.range <= cur.range &&
         old.frameno == cur.frameno && old.subprog == cur.subprog && scalar_within(old.var, cur.var) &&
         ids.check(old.id, cur.id) && ids.check(old.ref_obj_id, cur.ref_obj_id);
}

// stacksafe(): an old MISC byte accepts a ZERO one (not a spill: a filled pointer is no scalar); spilled
// registers compare as registers.
bool stack_safe(const Frame& old, const Frame& cur, IdMap& ids) {
  for (std::size_t i = 0; i < kStackSize; ++i) {
    const SlotType o = old.stack[i];
    const SlotType c = cur.stack[i];
    if (o == SlotType::invalid || o == c) continue;
    if (o == SlotType::misc && c == SlotType::zero) continue;
    return false;
  }
  for (const auto& [slot, reg] : old.spilled) {
    const auto other = cur.spilled.find(slot);
    if (other != cur.spilled.end() && !reg_safe(reg, other->second, ids)) return false;
  }
  return true;
}

}  // namespace

namespace {

// FNV-1a over the fields operator== compares.
struct Hasher {
  std::uint64_t h = 14695981039346656037ull;
  void add(std::uint64_t v) {
    for (int i = 0; i < 8; ++i, v >>= 8) h = (h ^ (v & 0xff)) * 1099511628211ull;
  }
  void add(const RegState& r) {
    add(static_cast<std::uint64_t>(r.type) | (std::uint64_t{static_cast<std::uint32_t>(r.off)} << 8));
    add(r.var.var_off.value ^ (r.var.var_off.mask << 1));
    add(r.var.umin ^ (r.var.umax << 1));
    add(static_cast<std::uint64_t>(r.var.smin) ^ (static_cast<std::uint64_t>(r.var.smax) << 1));
    add((r.id | (std::uint64_t{r.mem_size} << 32)) ^ static_cast<std::uint32_t>(r.range));
    add((r.ref_obj_id | (std::uint64_t{r.subprog} << 32)) ^ (std::uint64_t{r.frameno} << 24));
  }
};

}  // namespace

std::uint64_t state_hash(const State& state) {
  Hasher hasher;
  for (const Frame& frame : state.frames) {
    hasher.add(frame.callsite ^ (std::uint64_t{frame.callback} << 63));
    for (const RegState& reg : frame.regs) hasher.add(reg);
    for (std::size_t i = 0; i < kStackSize; i += 8) {
      std::uint64_t bytes = 0;
      for (std::size_t j = 0; j < 8; ++j)
        bytes |= std::uint64_t{static_cast<std::uint8_t>(frame.stack[i + j])} << (8 * j);
      hasher.add(bytes);
    }
    for (const auto& [slot, reg] : frame.spilled) hasher.add(reg);
  }
  return hasher.h;
}

namespace {

// refsafe() and the lock: the same references held (ids mapped as registers' are) and the same lock.
bool refs_safe(const State& old, const State& cur, IdMap& ids) {
  if (old.refs.size() != cur.refs.size() || old.lock.has_value() != cur.lock.has_value()) return false;
  if (old.lock && (old.lock->map != cur.lock->map || !ids.check(old.lock->id, cur.lock->id))) return false;
  for (std::size_t i = 0; i < old.refs.size(); ++i)
    if (!ids.check(old.refs[i].id, cur.refs[i].id)) return false;
  return true;
}

}  // namespace

bool state_subsumes(const State& old, const State& cur) {
  if (old.frames.size() != cur.frames.size()) return false;
  IdMap ids;
  if (!refs_safe(old, cur, ids)) return false;
  for (std::size_t f = 0; f < old.frames.size(); ++f) {
    const Frame& o = old.frames[f];
    const Frame& c = cur.frames[f];
    if (o.callsite != c.callsite || o.callback != c.callback || o.subprog != c.subprog) return false;
    for (int r = 0; r < kRegCount; ++r)
      if (!reg_safe(o.regs[r], c.regs[r], ids)) return false;
    if (!stack_safe(o, c, ids)) return false;
  }
  return true;
}

}  // namespace ubee::verifier

namespace ubee::verifier {
namespace {

// Unlinking a scalar only forgets what it shares with its copies: the widened state covers an unlinked old one.
void widen_reg(const RegState& old, RegState& cur) {
  if (!old.is_scalar() || !cur.is_scalar()) return;
  if (!scalar_within(old.var, cur.var)) cur = RegState::unknown();
  else if (old.id == 0) cur.id = 0;
}

// A slot that held data on one pass and a spilled number on the other holds an unknown number.
void widen_stack(const Frame& old, Frame& cur) {
  for (auto it = cur.spilled.begin(); it != cur.spilled.end();) {
    const auto other = old.spilled.find(it->first);
    if (other != old.spilled.end()) widen_reg(other->second, it->second);
    const std::size_t begin = std::size_t{it->first} * 8;
    if (other == old.spilled.end() && old.stack[begin] == SlotType::misc && it->second.is_scalar()) {
      for (std::size_t i = begin; i < begin + 8; ++i) cur.stack[i] = SlotType::misc;
      it = cur.spilled.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace

void widen(const State& old, State& cur) {
  if (old.frames.size() != cur.frames.size()) return;
  for (std::size_t f = 0; f < old.frames.size(); ++f) {
    for (int r = 0; r < kRegCount; ++r) widen_reg(old.frames[f].regs[r], cur.frames[f].regs[r]);
    widen_stack(old.frames[f], cur.frames[f]);
  }
}

}  // namespace ubee::verifier
