// Helper-specific rules from the kernel's prototypes and check_map_func_compatibility() that ubee's generic
// HelperProto (ArgType / RetType) does not express yet.
#include <algorithm>
#include <array>

#include "verifier/checker.hpp"

namespace ubee::verifier {
namespace {

struct MapRule {
  std::uint32_t helper;
  std::array<std::uint32_t, 3> map_types;  // unused entries are BPF_MAP_TYPE_UNSPEC
};

// check_map_func_compatibility(), helper side: these helpers treat the map as one specific kind.
constexpr MapRule kMapRules[] = {
    {BPF_FUNC_ringbuf_output, {BPF_MAP_TYPE_RINGBUF}},
    {BPF_FUNC_ringbuf_reserve, {BPF_MAP_TYPE_RINGBUF}},
    {BPF_FUNC_ringbuf_query, {BPF_MAP_TYPE_RINGBUF}},
    {BPF_FUNC_perf_event_output, {BPF_MAP_TYPE_PERF_EVENT_ARRAY}},
    {BPF_FUNC_get_stackid, {BPF_MAP_TYPE_STACK_TRACE}},
    {BPF_FUNC_map_push_elem, {BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_BLOOM_FILTER}},
    {BPF_FUNC_map_pop_elem, {BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK}},
    {BPF_FUNC_map_peek_elem, {BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_BLOOM_FILTER}},
    {BPF_FUNC_map_lookup_percpu_elem,
     {BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_LRU_PERCPU_HASH}},
};

// bpf_for_each_map_elem walks maps whose elements it can enumerate.
bool for_each_allows(std::uint32_t type) {
  switch (type) {
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY: return true;
    default: return false;
  }
}

Error incompatible(const Env& env, const MapSpec& map, std::uint32_t helper, const std::string& name) {
  return env.fail("cannot pass map_type " + std::to_string(map.type) + " into func bpf_" + name + "#" +
                  std::to_string(helper));
}

// check_map_func_compatibility(), map side: maps that only their own helpers may touch.
bool map_allows(const MapSpec& map, std::uint32_t helper) {
  switch (map.type) {
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS: return helper == BPF_FUNC_map_lookup_elem;
    case BPF_MAP_TYPE_RINGBUF:
      return helper == BPF_FUNC_ringbuf_output || helper == BPF_FUNC_ringbuf_reserve ||
             helper == BPF_FUNC_ringbuf_query;
    case BPF_MAP_TYPE_PROG_ARRAY: return helper == BPF_FUNC_tail_call;
    default: return true;
  }
}

Result<void> check_map_type(const Env& env, std::uint32_t helper, const std::string& name, const MapSpec* map) {
  if (map == nullptr) return {};
  if (!map_allows(*map, helper)) return incompatible(env, *map, helper, name);
  if (helper == BPF_FUNC_for_each_map_elem && !for_each_allows(map->type))
    return incompatible(env, *map, helper, name);
  for (const MapRule& rule : kMapRules)
    if (rule.helper == helper &&
        std::find(rule.map_types.begin(), rule.map_types.end(), map->type) == rule.map_types.end())
      return incompatible(env, *map, helper, name);
  return {};
}

// ARG_PTR_TO_RINGBUF_MEM: only a record ringbuf_reserve returned, unmodified (ptr_to_mem has no other source).
Result<void> check_ringbuf_record(const Env& env, const State& state) {
  const RegState& r1 = state.cur().regs[1];
  if (r1.type != RegType::ptr_to_mem) return env.fail(std::string("R1 type=") + reg_type_str(r1.type) +
                                                      " expected=ringbuf_mem");
  if (r1.off != 0 || !r1.var.is_const() || r1.var.umin != 0)
    return env.fail("R1 must have zero offset when passed to release func");
  return {};
}

}  // namespace

Result<void> check_helper_rules(const Env& env, const State& state, std::uint32_t helper, const std::string& name,
                                const MapSpec* map) {
  if (helper == BPF_FUNC_ringbuf_submit || helper == BPF_FUNC_ringbuf_discard)
    return check_ringbuf_record(env, state);
  return check_map_type(env, helper, name, map);
}

}  // namespace ubee::verifier
