// Map references as the loader leaves them (BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE: an index into the
// object's maps) become what engines run: the address of the Map, or of a value inside an array map, the way
// the kernel turns map fds into map pointers after verification.
#include <string>

#include "ubee/object.hpp"

namespace ubee {
namespace {

Error reference_error(std::size_t pc, const std::string& why) { return insn_error(Errc::invalid_program, pc, why); }

// The address of element 0 of an array map: direct value access exists only for arrays (the kernel's
// map_direct_value_addr), which is how global data (.data, .rodata, .bss) is addressed.
Result<std::uint64_t> direct_value(Map& map, std::uint32_t offset, std::size_t pc, std::vector<MemoryRegion>& regions) {
  if (map.type() != BPF_MAP_TYPE_ARRAY)
    return reference_error(pc, "map '" + map.spec().name + "' is not an array: its values cannot be addressed directly");
  if (offset >= map.value_size())
    return reference_error(pc, "offset " + std::to_string(offset) + " is outside the value of map '" + map.spec().name +
                                   "' (" + std::to_string(map.value_size()) + " bytes)");
  const std::uint32_t zero = 0;
  auto* base = static_cast<std::uint8_t*>(map.lookup(&zero));
  if (base == nullptr) return reference_error(pc, "map '" + map.spec().name + "' has no element 0");
  regions.push_back({reinterpret_cast<std::uintptr_t>(base), map.value_size(),
                     (map.spec().flags & BPF_F_RDONLY_PROG) == 0});
  return reinterpret_cast<std::uint64_t>(base) + offset;
}

Result<std::uint64_t> resolve(const Insn& lo, const Insn& hi, std::size_t pc, std::span<const std::shared_ptr<Map>> maps,
                              std::vector<MemoryRegion>& regions) {
  const auto index = static_cast<std::uint32_t>(lo.imm);
  if (index >= maps.size())
    return reference_error(pc, "map index " + std::to_string(index) + " is out of range (" +
                                   std::to_string(maps.size()) + " maps)");
  if (lo.src == BPF_PSEUDO_MAP_IDX) return reinterpret_cast<std::uint64_t>(maps[index].get());
  return direct_value(*maps[index], static_cast<std::uint32_t>(hi.imm), pc, regions);
}

}  // namespace

Result<Program> resolve_map_references(std::span<const Insn> program, std::span<const std::shared_ptr<Map>> maps,
                                       std::vector<MemoryRegion>& direct_values) {
  Program out(program.begin(), program.end());
  for (std::size_t pc = 0; pc + 1 < out.size(); ++pc) {
    Insn& lo = out[pc];
    if (!lo.is_lddw()) continue;
    if (lo.src == BPF_PSEUDO_MAP_IDX || lo.src == BPF_PSEUDO_MAP_IDX_VALUE) {
      auto address = resolve(lo, out[pc + 1], pc, maps, direct_values);
      if (!address) return address.error();
      const auto pair = make_lddw(lo.dst, *address);
      lo = pair[0];
      out[pc + 1] = pair[1];
    } else if (lo.src == BPF_PSEUDO_MAP_FD || lo.src == BPF_PSEUDO_MAP_VALUE) {
      return reference_error(pc, "map file descriptors have no meaning here: reference maps by index");
    } else if (lo.src == BPF_PSEUDO_BTF_ID) {
      return insn_error(Errc::unsupported, pc, "kernel BTF objects (ksyms) do not exist in user space");
    }
    ++pc;  // skip the second slot
  }
  return out;
}

}  // namespace ubee
