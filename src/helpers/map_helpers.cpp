// Map helpers: lookup/update/delete, queue and stack operations, iteration and spin locks
// (kernel/bpf/helpers.c, kernel/bpf/bpf_iter.c for bpf_for_each_map_elem).
#include <atomic>
#include <climits>
#include <vector>

#include "helper_util.hpp"
#include "linux_helpers_impl.hpp"

namespace ubee::helpers {
namespace {

std::uint64_t map_lookup_elem(std::uint64_t m, std::uint64_t key, std::uint64_t, std::uint64_t, std::uint64_t,
                              RunContext& c) {
  Map* map = map_arg(m, c);
  if (map == nullptr || !mem_arg(key, map->key_size(), false, c)) return 0;
  void* value = map->lookup(ptr(key));
  // Inner maps of map-in-map come back as maps, not as memory.
  const bool is_map = map->type() == BPF_MAP_TYPE_ARRAY_OF_MAPS || map->type() == BPF_MAP_TYPE_HASH_OF_MAPS;
  if (!is_map) c.allow_region(value, map->value_size(), (map->spec().flags & BPF_F_RDONLY_PROG) == 0);
  return reinterpret_cast<std::uint64_t>(value);
}

std::uint64_t map_lookup_percpu_elem(std::uint64_t m, std::uint64_t key, std::uint64_t cpu, std::uint64_t,
                                     std::uint64_t, RunContext& c) {
  Map* map = map_arg(m, c);
  if (map == nullptr || !mem_arg(key, map->key_size(), false, c) || cpu > UINT32_MAX) return 0;
  void* value = map->lookup_percpu(ptr(key), static_cast<std::uint32_t>(cpu));
  c.allow_region(value, map->value_size(), true);
  return reinterpret_cast<std::uint64_t>(value);
}

std::uint64_t map_update_elem(std::uint64_t m, std::uint64_t key, std::uint64_t value, std::uint64_t flags,
                              std::uint64_t, RunContext& c) {
  Map* map = map_arg(m, c);
  if (map == nullptr || !mem_arg(key, map->key_size(), false, c) || !mem_arg(value, map->value_size(), false, c))
    return err(EINVAL);
  return static_cast<std::uint64_t>(map->update(ptr(key), ptr(value), flags));
}

std::uint64_t map_delete_elem(std::uint64_t m, std::uint64_t key, std::uint64_t, std::uint64_t, std::uint64_t,
                              RunContext& c) {
  Map* map = map_arg(m, c);
  if (map == nullptr || !mem_arg(key, map->key_size(), false, c)) return err(EINVAL);
  return static_cast<std::uint64_t>(map->erase(ptr(key)));
}

std::uint64_t map_push_elem(std::uint64_t m, std::uint64_t value, std::uint64_t flags, std::uint64_t, std::uint64_t,
                            RunContext& c) {
  Map* map = map_arg(m, c);
  if (map == nullptr || !mem_arg(value, map->value_size(), false, c)) return err(EINVAL);
  return static_cast<std::uint64_t>(map->push(ptr(value), flags));
}

// pop and peek write the value out.
template <long (Map::*Op)(void*)>
std::uint64_t map_take_elem(std::uint64_t m, std::uint64_t value, std::uint64_t, std::uint64_t, std::uint64_t,
                            RunContext& c) {
  Map* map = map_arg(m, c);
  // A bloom filter's peek reads the value it is asked about; queues and stacks write theirs.
  const bool writes = map != nullptr && map->type() != BPF_MAP_TYPE_BLOOM_FILTER;
  if (map == nullptr || !mem_arg(value, map->value_size(), writes, c)) return err(EINVAL);
  return static_cast<std::uint64_t>((map->*Op)(ptr(value)));
}

// bpf_for_each_map_elem: callback(map, key, value, ctx) for each element until it returns 1; the count of
// elements visited. The key buffer is the helper's, as in the kernel, where keys are read-only to the callback.
std::uint64_t for_each_map_elem(std::uint64_t m, std::uint64_t callback, std::uint64_t ctx, std::uint64_t flags,
                                std::uint64_t, RunContext& c) {
  Map* map = map_arg(m, c);
  if (map == nullptr) return err(EINVAL);
  if (flags != 0) return err(EINVAL);
  std::vector<std::uint8_t> key(map->key_size()), next(map->key_size());
  std::uint64_t visited = 0;
  const void* prev = nullptr;
  while (map->get_next_key(prev, next.data()) == 0) {
    key.swap(next);
    prev = key.data();
    void* value = map->lookup_for_iteration(key.data());
    if (value == nullptr) continue;  // deleted since get_next_key saw it
    ++visited;
    c.allow_region(key.data(), key.size(), false);
    c.allow_region(value, map->value_size(), true);
    auto r = c.call_function(callback, m, reinterpret_cast<std::uint64_t>(key.data()),
                             reinterpret_cast<std::uint64_t>(value), ctx, 0);
    if (!r) {
      c.abort(r.error());
      return 0;
    }
    if (*r == 1) break;
  }
  return visited;
}

// struct bpf_spin_lock is one u32 in a map value: 0 free, 1 held.
std::uint64_t spin_lock(std::uint64_t lock, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                        RunContext& c) {
  if (!mem_arg(lock, sizeof(std::uint32_t), true, c)) return 0;
  auto* word = ptr<std::uint32_t>(lock);
  while (__atomic_exchange_n(word, 1U, __ATOMIC_ACQUIRE) != 0)
    while (__atomic_load_n(word, __ATOMIC_RELAXED) != 0) __builtin_ia32_pause();
  return 0;
}

std::uint64_t spin_unlock(std::uint64_t lock, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                          RunContext& c) {
  if (!mem_arg(lock, sizeof(std::uint32_t), true, c)) return 0;
  __atomic_store_n(ptr<std::uint32_t>(lock), 0U, __ATOMIC_RELEASE);
  return 0;
}

// bpf_loop: callback(index, ctx) nr_loops times until it returns 1 (kernel/bpf/bpf_iter.c, BPF_MAX_LOOPS).
std::uint64_t loop(std::uint64_t nr_loops, std::uint64_t callback, std::uint64_t ctx, std::uint64_t flags,
                   std::uint64_t, RunContext& c) {
  constexpr std::uint64_t kMaxLoops = 8 * 1024 * 1024;
  if (flags != 0) return err(EINVAL);
  if (nr_loops > kMaxLoops) return err(E2BIG);
  std::uint64_t i = 0;
  while (i < nr_loops) {
    auto r = c.call_function(callback, i, ctx, 0, 0, 0);
    if (!r) {
      c.abort(r.error());
      return 0;
    }
    ++i;
    if (*r == 1) break;
  }
  return i;
}

using A = ArgType;

}  // namespace

void add_map_helpers(HelperRegistry& r) {
  const Entry entries[] = {
      {BPF_FUNC_map_lookup_elem,
       {"map_lookup_elem", map_lookup_elem, RetType::ptr_to_map_value_or_null, {A::const_map_ptr, A::ptr_to_map_key}}},
      {BPF_FUNC_map_lookup_percpu_elem,
       {"map_lookup_percpu_elem", map_lookup_percpu_elem, RetType::ptr_to_map_value_or_null,
        {A::const_map_ptr, A::ptr_to_map_key, A::scalar}}},
      {BPF_FUNC_map_update_elem,
       {"map_update_elem", map_update_elem, RetType::integer,
        {A::const_map_ptr, A::ptr_to_map_key, A::ptr_to_map_value, A::anything}}},
      {BPF_FUNC_map_delete_elem,
       {"map_delete_elem", map_delete_elem, RetType::integer, {A::const_map_ptr, A::ptr_to_map_key}}},
      {BPF_FUNC_map_push_elem,
       {"map_push_elem", map_push_elem, RetType::integer, {A::const_map_ptr, A::ptr_to_map_value, A::anything}}},
      {BPF_FUNC_map_pop_elem,
       {"map_pop_elem", map_take_elem<&Map::pop>, RetType::integer, {A::const_map_ptr, A::ptr_to_uninit_mem}}},
      {BPF_FUNC_map_peek_elem,
       {"map_peek_elem", map_take_elem<&Map::peek>, RetType::integer, {A::const_map_ptr, A::ptr_to_uninit_mem}}},
      {BPF_FUNC_for_each_map_elem,
       {"for_each_map_elem", for_each_map_elem, RetType::integer, {A::const_map_ptr, A::anything, A::anything, A::scalar}}},
      {BPF_FUNC_spin_lock, {"spin_lock", spin_lock, RetType::none, {A::anything}}},
      {BPF_FUNC_spin_unlock, {"spin_unlock", spin_unlock, RetType::none, {A::anything}}},
      {BPF_FUNC_loop, {"loop", loop, RetType::integer, {A::scalar, A::anything, A::anything, A::scalar}}},
  };
  for (const Entry& e : entries) r.replace(e.id, e.proto);
}

}  // namespace ubee::helpers
