// Internal: the constructor of each map family, called by create_map() / open_shared_map() (map_factory.cpp)
// after the spec passed validate_map_spec(). Each family lives in its own file and owns its own layout.
//
// Contract for every make_*_map(spec, fd):
//   - fd == -1: create a new region (ShmRegion::create in shm_region.hpp) and initialise it.
//   - fd >= 0:  map the region another process created for the same spec (ShmRegion::open, which dup()s the
//               fd, so the caller keeps its own) and initialise nothing.
//   - the spec has already passed the kernel's checks for its type (validate_map_spec, map_spec_check.cpp):
//     makers need not repeat them. Errors a maker can still hit (mmap, a region of the wrong shape) use
//     map_error() so every message names the map.
//   - the factory registers the returned map for find_map(); makers must not.
#pragma once

#include <memory>
#include <string>

#include "ubee/error.hpp"
#include "ubee/maps.hpp"

namespace ubee {

// Owned by the kernel-semantics maps (arrays, hashes, queue/stack, bloom, prog array, map-in-map).
Result<std::shared_ptr<Map>> make_array_map(const MapSpec& spec, int fd);          // ARRAY, PERCPU_ARRAY
Result<std::shared_ptr<Map>> make_hash_map(const MapSpec& spec, int fd);           // HASH, PERCPU_HASH, LRU_*
Result<std::shared_ptr<Map>> make_queue_stack_map(const MapSpec& spec, int fd);    // QUEUE, STACK
Result<std::shared_ptr<Map>> make_bloom_filter_map(const MapSpec& spec, int fd);   // BLOOM_FILTER
Result<std::shared_ptr<Map>> make_prog_array_map(const MapSpec& spec, int fd);     // PROG_ARRAY
Result<std::shared_ptr<Map>> make_map_of_maps(const MapSpec& spec, int fd);        // ARRAY_OF_MAPS, HASH_OF_MAPS

// Owned by the event maps (ringbuf*.cpp, perf*.cpp, stack_trace*.cpp, lpm_trie*.cpp).
Result<std::shared_ptr<Map>> make_ringbuf_map(const MapSpec& spec, int fd);            // RINGBUF
Result<std::shared_ptr<Map>> make_perf_event_array_map(const MapSpec& spec, int fd);   // PERF_EVENT_ARRAY
Result<std::shared_ptr<Map>> make_stack_trace_map(const MapSpec& spec, int fd);        // STACK_TRACE
Result<std::shared_ptr<Map>> make_lpm_trie_map(const MapSpec& spec, int fd);           // LPM_TRIE

// The kernel's create-time checks for spec.type (sizes, max_entries, allowed map_flags, map_extra, inner).
Result<void> validate_map_spec(const MapSpec& spec);

// "map 'NAME': WHAT" as an Error of `code`: every map error names the map.
Error map_error(const MapSpec& spec, const std::string& what, Errc code = Errc::invalid_argument);

// Makes `map` visible to find_map() for as long as it lives (the registry holds a weak reference).
void register_map(const std::shared_ptr<Map>& map);

}  // namespace ubee
