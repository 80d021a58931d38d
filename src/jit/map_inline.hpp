// Array map lookups the JIT can do inline (the kernel's array_map_gen_lookup): when r1 at a call to
// bpf_map_lookup_elem is known to hold one array map, the call becomes a bound check and address arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ubee/helpers.hpp"
#include "ubee/isa.hpp"

namespace ubee::jit {

// Per instruction: the constant a lddw put in r1 that r1 still holds when the instruction starts, in
// straight-line code (no jump lands in between, nothing wrote r1); 0 where unknown.
std::vector<std::uint64_t> lddw_in_r1(std::span<const Insn> program);

// Where element i of an array map lives: base + i * stride, for i < max_entries.
struct ArrayLayout {
  std::uint64_t base = 0;
  std::uint32_t stride = 0;
  std::uint32_t max_entries = 0;
};

// The layout of the map at `address` when it is a live BPF_MAP_TYPE_ARRAY whose elements are evenly spaced
// (checked through lookup(), the map's own answer), else nothing.
std::optional<ArrayLayout> array_layout(std::uint64_t address);

// Whether the map at `address` is live and not an array (those are inlined): its lookups may call
// direct_map_lookup instead of the helper.
bool is_direct_lookup_map(std::uint64_t address);

// bpf_map_lookup_elem for a verified program and a known live map: Map::lookup() without the helper's checks
// (map and key arguments, checked-mode regions) and without the abort test after it (lookups never abort).
std::uint64_t direct_map_lookup(std::uint64_t map, std::uint64_t key);

// Whether `fn` is ubee's bpf_map_lookup_elem (an embedder's registry may put another helper under id 1).
bool is_linux_map_lookup(HelperFn fn);

}  // namespace ubee::jit
