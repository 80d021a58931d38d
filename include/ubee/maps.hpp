// Maps: the state eBPF programs keep and user space reads, with the kernel's semantics (<linux/bpf.h>
// BPF_MAP_TYPE_* and BPF_ANY/BPF_NOEXIST/BPF_EXIST; errors are negative errno values as the kernel returns them).
// A map's data lives in one shared-memory region (a memfd) laid out without pointers, so that another process
// can map the same region and see the same map.
#pragma once

#include <linux/bpf.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ubee/error.hpp"

namespace ubee {

struct MapSpec {
  std::string name;
  std::uint32_t type = BPF_MAP_TYPE_UNSPEC;  // BPF_MAP_TYPE_*
  std::uint32_t key_size = 0;
  std::uint32_t value_size = 0;
  std::uint32_t max_entries = 0;
  std::uint32_t flags = 0;    // map_flags: BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BPF_F_MMAPABLE, ...
  std::uint32_t pinning = 0;  // LIBBPF_PIN_NONE (0) or LIBBPF_PIN_BY_NAME (1)
  std::uint64_t map_extra = 0;               // bloom filter: number of hash functions in the low 4 bits
  std::shared_ptr<const MapSpec> inner;      // array/hash of maps: the shape every inner map must have
  std::vector<std::uint8_t> initial_value;   // global data (.data/.rodata/.bss): the array's one value
  std::uint32_t btf_key_type_id = 0;         // BTF type ids in the object's BTF, 0 when unknown
  std::uint32_t btf_value_type_id = 0;
};

// Number of CPU slots per-CPU maps keep (the kernel's possible CPUs), and the slot of the calling thread.
std::uint32_t possible_cpus();
std::uint32_t current_cpu();

class Map {
 public:
  virtual ~Map() = default;
  Map(const Map&) = delete;
  Map& operator=(const Map&) = delete;

  [[nodiscard]] const MapSpec& spec() const { return spec_; }
  [[nodiscard]] std::uint32_t type() const { return spec_.type; }
  [[nodiscard]] std::uint32_t key_size() const { return spec_.key_size; }
  [[nodiscard]] std::uint32_t value_size() const { return spec_.value_size; }
  [[nodiscard]] std::uint32_t max_entries() const { return spec_.max_entries; }
  // Process-local id, unique while the map lives (the counterpart of a map fd / id in the kernel).
  [[nodiscard]] std::uint32_t id() const { return id_; }

  // ---- Program side: the semantics of the helpers. Returned pointers stay valid while the map lives.
  // Per-CPU maps act on the calling thread's CPU slot. Unsupported operations return -EOPNOTSUPP / nullptr.
  virtual void* lookup(const void* key) = 0;                                          // bpf_map_lookup_elem
  // The value for bpf_for_each_map_elem: like lookup(), but not a use (an LRU map's recency is untouched).
  virtual void* lookup_for_iteration(const void* key) { return lookup(key); }
  // bpf_map_lookup_percpu_elem: the value in CPU slot `cpu` of a per-CPU map; null otherwise.
  virtual void* lookup_percpu(const void* key, std::uint32_t cpu) { (void)key, (void)cpu; return nullptr; }
  virtual long update(const void* key, const void* value, std::uint64_t flags) = 0;   // bpf_map_update_elem
  virtual long erase(const void* key) = 0;                                            // bpf_map_delete_elem
  virtual long push(const void* value, std::uint64_t flags);                          // queue, stack, bloom
  virtual long pop(void* value);                                                      // queue, stack
  virtual long peek(void* value);                                                     // queue, stack, bloom

  // ---- User side: the semantics of bpf(2). Values are copied; a per-CPU map copies every CPU's value, each
  // rounded up to 8 bytes (user_value_size()).
  virtual long user_lookup(const void* key, void* value) = 0;
  virtual long user_update(const void* key, const void* value, std::uint64_t flags) = 0;
  virtual long user_delete(const void* key) = 0;
  // The key after `key` (the first key when key is null); -ENOENT after the last.
  virtual long get_next_key(const void* key, void* next_key) = 0;
  [[nodiscard]] virtual std::size_t user_value_size() const { return spec_.value_size; }

  // The shared-memory region holding the map's data: another process maps it with open_shared_map().
  [[nodiscard]] virtual int shared_fd() const = 0;

 protected:
  explicit Map(MapSpec spec);

 private:
  MapSpec spec_;
  std::uint32_t id_;
};

// Checks the spec as the kernel does (sizes, flags, max_entries) and creates the map.
Result<std::shared_ptr<Map>> create_map(const MapSpec& spec);
// Maps a region created by create_map() in another process (given its fd, e.g. passed over a socket or
// /proc/PID/fd); the spec must be the one it was created with.
Result<std::shared_ptr<Map>> open_shared_map(const MapSpec& spec, int fd);
// The live map with this id in this process, or null.
std::shared_ptr<Map> find_map(std::uint32_t id);
// Whether `p` points at a live Map of this process: helpers check the map argument of unverified programs.
bool is_live_map(const void* p);

}  // namespace ubee
