// validate_map_spec(): the checks bpf(BPF_MAP_CREATE) makes before it allocates a map, per type: each type's
// map_alloc_check / map_alloc in kernel/bpf/*.c. Every message names the map and the rule it broke.
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <optional>
#include <string>

#include "map_types.hpp"
#include "value_layout.hpp"

namespace ubee {
namespace {

constexpr std::uint32_t kNonZero = UINT32_MAX;  // a size rule: any non-zero size
constexpr std::uint32_t kAccess = BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
constexpr std::uint32_t kHashFlags =
    BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | kAccess | BPF_F_ZERO_SEED;  // hashtab.c
constexpr std::uint32_t kFdArrayFlags = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;  // no *_PROG on fd maps
constexpr std::uint32_t kMaxValueSize = 1U << 22;   // KMALLOC_MAX_SIZE on x86-64
constexpr std::uint32_t kPercpuMaxValue = 32768;    // PCPU_MIN_UNIT_SIZE
constexpr std::uint32_t kMaxKeySize = 512;          // MAX_BPF_STACK: keys are built on the program's stack
constexpr std::uint32_t kMaxStackDepth = 127;       // sysctl_perf_event_max_stack default

struct TypeRule {
  std::uint32_t type;
  const char* what;
  std::uint32_t key_size;    // the required size, or kNonZero
  std::uint32_t value_size;  // the required size, or kNonZero
  std::uint32_t flags;       // the map_flags allowed
};

// NUMA placement is meaningless here but accepted where the kernel accepts it; per-CPU maps refuse it.
constexpr TypeRule kRules[] = {
    {BPF_MAP_TYPE_ARRAY, "array maps", 4, kNonZero, BPF_F_NUMA_NODE | BPF_F_MMAPABLE | kAccess | BPF_F_INNER_MAP},
    {BPF_MAP_TYPE_PERCPU_ARRAY, "per-CPU array maps", 4, kNonZero, kAccess},
    {BPF_MAP_TYPE_PROG_ARRAY, "program array maps", 4, 4, kFdArrayFlags},
    {BPF_MAP_TYPE_PERF_EVENT_ARRAY, "perf event array maps", 4, 4, kFdArrayFlags | BPF_F_PRESERVE_ELEMS},
    {BPF_MAP_TYPE_ARRAY_OF_MAPS, "array-of-maps maps", 4, 4, kFdArrayFlags},
    {BPF_MAP_TYPE_HASH, "hash maps", kNonZero, kNonZero, kHashFlags & ~BPF_F_NO_COMMON_LRU},
    {BPF_MAP_TYPE_PERCPU_HASH, "per-CPU hash maps", kNonZero, kNonZero,
     kHashFlags & ~(BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE)},
    {BPF_MAP_TYPE_LRU_HASH, "LRU hash maps", kNonZero, kNonZero, kHashFlags},
    {BPF_MAP_TYPE_LRU_PERCPU_HASH, "LRU per-CPU hash maps", kNonZero, kNonZero, kHashFlags & ~BPF_F_NUMA_NODE},
    {BPF_MAP_TYPE_HASH_OF_MAPS, "hash-of-maps maps", kNonZero, 4, kHashFlags & ~BPF_F_NO_COMMON_LRU},
    {BPF_MAP_TYPE_QUEUE, "queue maps", 0, kNonZero, BPF_F_NUMA_NODE | kAccess},
    {BPF_MAP_TYPE_STACK, "stack maps", 0, kNonZero, BPF_F_NUMA_NODE | kAccess},
    {BPF_MAP_TYPE_BLOOM_FILTER, "bloom filter maps", 0, kNonZero, BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | kAccess},
    {BPF_MAP_TYPE_RINGBUF, "ring buffer maps", 0, 0, BPF_F_NUMA_NODE},
    {BPF_MAP_TYPE_STACK_TRACE, "stack trace maps", 4, kNonZero, kFdArrayFlags | BPF_F_STACK_BUILD_ID},
    {BPF_MAP_TYPE_LPM_TRIE, "LPM trie maps", kNonZero, kNonZero, BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | kAccess},
};

const TypeRule* rule_for(std::uint32_t type) {
  for (const TypeRule& rule : kRules) {
    if (rule.type == type) return &rule;
  }
  return nullptr;
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%#x", v);
  return buf;
}

using Problem = std::optional<std::string>;

Problem check_size(const char* field, std::uint32_t size, std::uint32_t rule, const char* what) {
  if (rule == kNonZero && size == 0) return std::string(field) + " must be non-zero for " + what;
  if (rule != kNonZero && size != rule) {
    return std::string(field) + " must be " + std::to_string(rule) + " for " + what;
  }
  return std::nullopt;
}

// The shape every type shares: sizes, max_entries, flags, bpf_map_flags_access_ok().
Problem check_common(const MapSpec& spec, const TypeRule& rule) {
  if (auto p = check_size("key_size", spec.key_size, rule.key_size, rule.what)) return p;
  if (auto p = check_size("value_size", spec.value_size, rule.value_size, rule.what)) return p;
  if (spec.max_entries == 0) return std::string("max_entries must be non-zero");
  if ((spec.flags & ~rule.flags) != 0) {
    return "map_flags " + hex(spec.flags & ~rule.flags) + " not allowed for " + rule.what;
  }
  if ((spec.flags & (BPF_F_RDONLY | BPF_F_WRONLY)) == (BPF_F_RDONLY | BPF_F_WRONLY) ||
      (spec.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) == (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) {
    return std::string("map_flags cannot make the map both read-only and write-only");
  }
  if (spec.value_size > kMaxValueSize) return "value_size must be at most " + std::to_string(kMaxValueSize);
  if (!spec.initial_value.empty() && spec.type != BPF_MAP_TYPE_ARRAY) {
    return std::string("initial_value is only for array maps (global data)");
  }
  if (spec.initial_value.size() > spec.value_size) {
    return "initial_value has " + std::to_string(spec.initial_value.size()) + " bytes, more than value_size " +
           std::to_string(spec.value_size);
  }
  return std::nullopt;
}

bool is_hash(std::uint32_t type) {
  return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_HASH ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}
bool is_lru(std::uint32_t type) { return type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH; }
bool is_percpu(std::uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

// htab_map_alloc_check() and htab_map_alloc().
Problem check_hash(const MapSpec& spec) {
  if (spec.key_size > kMaxKeySize) return "key_size must be at most " + std::to_string(kMaxKeySize);
  if (is_lru(spec.type) && (spec.flags & BPF_F_NO_PREALLOC) != 0) {
    return std::string("LRU hash maps must be preallocated (BPF_F_NO_PREALLOC is not supported)");
  }
  if (is_lru(spec.type) && (spec.flags & (BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE)) ==
                               (BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE)) {
    return std::string("BPF_F_NUMA_NODE cannot be combined with BPF_F_NO_COMMON_LRU");
  }
  if (spec.max_entries > (1U << 31)) return std::string("max_entries must be at most 2^31 for hash maps");
  return std::nullopt;
}

// bloom_map_alloc(): map_extra holds only the number of hash functions.
Problem check_bloom(const MapSpec& spec) {
  if ((spec.map_extra & ~std::uint64_t{0xF}) != 0) {
    return std::string("map_extra must hold only the number of hash functions (0-15) for bloom filter maps");
  }
  return std::nullopt;
}

// ringbuf_map_alloc(): the data area is a power-of-2 number of pages.
Problem check_ringbuf(const MapSpec& spec) {
  const auto page = static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE));
  if (!std::has_single_bit(spec.max_entries) || spec.max_entries % page != 0) {
    return "max_entries must be a power of 2 and a multiple of the page size (" + std::to_string(page) +
           ") for ring buffer maps";
  }
  return std::nullopt;
}

// stack_map_alloc(): whole u64 instruction pointers (or 32-byte build-id records), at most
// perf_event_max_stack of them.
Problem check_stack_trace(const MapSpec& spec) {
  const std::uint32_t record = (spec.flags & BPF_F_STACK_BUILD_ID) != 0 ? 32 : 8;
  if (spec.value_size % record != 0 || spec.value_size / record > kMaxStackDepth) {
    return "value_size must be a multiple of " + std::to_string(record) + " and at most " +
           std::to_string(record * kMaxStackDepth) + " for stack trace maps";
  }
  return std::nullopt;
}

// trie_alloc(): a u32 prefix length and 1..256 bytes of data; never preallocated.
Problem check_lpm_trie(const MapSpec& spec) {
  if (spec.key_size < 5 || spec.key_size > 4 + 256) {
    return std::string("key_size must be 5..260 (u32 prefixlen + 1..256 data bytes) for LPM trie maps");
  }
  if ((spec.flags & BPF_F_NO_PREALLOC) == 0) return std::string("LPM trie maps require BPF_F_NO_PREALLOC");
  return std::nullopt;
}

// bpf_map_meta_alloc(): an inner map template is required, and maps of maps do not nest.
Problem check_inner(const MapSpec& spec) {
  if (spec.inner == nullptr) return std::string("maps of maps need the inner map's spec (spec.inner)");
  if (spec.inner->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || spec.inner->type == BPF_MAP_TYPE_HASH_OF_MAPS) {
    return std::string("inner maps cannot themselves be maps of maps");
  }
  if (auto inner = validate_map_spec(*spec.inner); !inner) return "inner map: " + inner.error().message;
  return std::nullopt;
}

Problem check_type(const MapSpec& spec) {
  if (is_percpu(spec.type) && detail::round_up8(spec.value_size) > kPercpuMaxValue) {
    return "value_size must be at most " + std::to_string(kPercpuMaxValue) + " for per-CPU maps";
  }
  if (is_hash(spec.type)) {
    if (auto p = check_hash(spec)) return p;
  }
  switch (spec.type) {
    case BPF_MAP_TYPE_BLOOM_FILTER: return check_bloom(spec);
    case BPF_MAP_TYPE_RINGBUF: return check_ringbuf(spec);
    case BPF_MAP_TYPE_STACK_TRACE: return check_stack_trace(spec);
    case BPF_MAP_TYPE_LPM_TRIE: return check_lpm_trie(spec);
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS: return check_inner(spec);
    default: return std::nullopt;
  }
}

}  // namespace

Result<void> validate_map_spec(const MapSpec& spec) {
  const TypeRule* rule = rule_for(spec.type);
  if (rule == nullptr) {
    return map_error(spec, "map type " + std::to_string(spec.type) + " is not supported", Errc::unsupported);
  }
  if (auto problem = check_common(spec, *rule)) return map_error(spec, *problem);
  if (auto problem = check_type(spec)) return map_error(spec, *problem);
  return {};
}

}  // namespace ubee
