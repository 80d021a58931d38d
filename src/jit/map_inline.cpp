#include "map_inline.hpp"

#include <linux/bpf.h>

#include "ubee/linux_helpers.hpp"
#include "ubee/maps.hpp"

namespace ubee::jit {
namespace {

// Instructions control can reach other than from the instruction before: jump, call and callback targets.
std::vector<bool> entry_points(std::span<const Insn> program) {
  std::vector<bool> entry(program.size() + 1, false);
  const auto mark = [&](std::int64_t target) {
    if (target >= 0 && static_cast<std::size_t>(target) < program.size()) entry[static_cast<std::size_t>(target)] = true;
  };
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const Insn& in = program[pc];
    const auto next = static_cast<std::int64_t>(pc) + 1;
    if (in.is_lddw()) {
      if (in.src == BPF_PSEUDO_FUNC) mark(next + in.imm);
      ++pc;
    } else if (in.cls() == BPF_JMP || in.cls() == BPF_JMP32) {
      if (in.op() == BPF_CALL) {
        if (in.src == BPF_PSEUDO_CALL) mark(next + in.imm);
      } else if (in.op() != BPF_EXIT) {
        mark(next + (in.opcode == (BPF_JMP32 | BPF_JA) ? in.imm : in.off));
      }
    }
  }
  return entry;
}

// Whether the instruction may change r1 (conservatively: calls clobber it, legacy packet loads may end the run).
bool may_write_r1(const Insn& in) {
  switch (in.cls()) {
    case BPF_ALU:
    case BPF_ALU64:
    case BPF_LDX: return in.dst == 1;
    case BPF_STX: return in.mode() == BPF_ATOMIC && in.src == 1;
    case BPF_JMP:
    case BPF_JMP32: return in.op() == BPF_CALL;
    case BPF_LD: return true;
    default: return false;
  }
}

}  // namespace

std::vector<std::uint64_t> lddw_in_r1(std::span<const Insn> program) {
  const std::vector<bool> entry = entry_points(program);
  std::vector<std::uint64_t> known(program.size(), 0);
  std::uint64_t r1 = 0;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    if (entry[pc]) r1 = 0;
    known[pc] = r1;
    const Insn& in = program[pc];
    if (in.is_lddw() && pc + 1 < program.size()) {
      if (in.dst == 1) r1 = in.src == 0 ? lddw_imm(in, program[pc + 1]) : 0;
      ++pc;
    } else if (may_write_r1(in)) {
      r1 = 0;
    }
  }
  return known;
}

std::optional<ArrayLayout> array_layout(std::uint64_t address) {
  auto* map = reinterpret_cast<Map*>(address);
  if (address == 0 || !is_live_map(map) || map->type() != BPF_MAP_TYPE_ARRAY || map->key_size() != 4 ||
      map->max_entries() == 0)
    return std::nullopt;
  const auto at = [&](std::uint32_t i) { return reinterpret_cast<std::uint64_t>(map->lookup(&i)); };
  const std::uint32_t last = map->max_entries() - 1;
  const std::uint64_t base = at(0);
  const std::uint64_t stride = last == 0 ? map->value_size() : at(1) - base;
  if (base == 0 || stride == 0 || stride > 0x7fffffff || at(last) != base + last * stride) return std::nullopt;
  return ArrayLayout{base, static_cast<std::uint32_t>(stride), map->max_entries()};
}

bool is_direct_lookup_map(std::uint64_t address) {
  auto* map = reinterpret_cast<Map*>(address);
  return address != 0 && is_live_map(map) && map->type() != BPF_MAP_TYPE_ARRAY;
}

std::uint64_t direct_map_lookup(std::uint64_t map, std::uint64_t key) {
  return reinterpret_cast<std::uint64_t>(reinterpret_cast<Map*>(map)->lookup(reinterpret_cast<const void*>(key)));
}

bool is_linux_map_lookup(HelperFn fn) {
  static const HelperFn linux_lookup = [] {
    HelperRegistry linux;
    add_linux_helpers(linux);
    const HelperProto* proto = linux.find(BPF_FUNC_map_lookup_elem);
    return proto == nullptr ? nullptr : proto->fn;
  }();
  return fn != nullptr && fn == linux_lookup;
}

}  // namespace ubee::jit
