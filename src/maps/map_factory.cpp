// create_map() and open_shared_map(): check the spec as bpf(BPF_MAP_CREATE) does, build the map of its type,
// and make it findable by id.
#include <cerrno>

#include "map_types.hpp"

namespace ubee {
namespace {

using Maker = Result<std::shared_ptr<Map>> (*)(const MapSpec&, int);

Maker maker_for(std::uint32_t type) {
  switch (type) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY: return make_array_map;
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH: return make_hash_map;
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK: return make_queue_stack_map;
    case BPF_MAP_TYPE_BLOOM_FILTER: return make_bloom_filter_map;
    case BPF_MAP_TYPE_PROG_ARRAY: return make_prog_array_map;
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS: return make_map_of_maps;
    case BPF_MAP_TYPE_RINGBUF: return make_ringbuf_map;
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY: return make_perf_event_array_map;
    case BPF_MAP_TYPE_STACK_TRACE: return make_stack_trace_map;
    case BPF_MAP_TYPE_LPM_TRIE: return make_lpm_trie_map;
    default: return nullptr;
  }
}

Result<std::shared_ptr<Map>> build(const MapSpec& spec, int fd) {
  if (auto valid = validate_map_spec(spec); !valid) return valid.error();
  const Maker make = maker_for(spec.type);
  if (make == nullptr) {
    return map_error(spec, "map type " + std::to_string(spec.type) + " is not supported", Errc::unsupported);
  }
  auto map = make(spec, fd);
  if (map) register_map(*map);
  return map;
}

}  // namespace

Result<std::shared_ptr<Map>> create_map(const MapSpec& spec) { return build(spec, -1); }

Result<std::shared_ptr<Map>> open_shared_map(const MapSpec& spec, int fd) {
  if (fd < 0) return map_error(spec, "open_shared_map needs the fd of a map's shared region");
  return build(spec, fd);
}

}  // namespace ubee
