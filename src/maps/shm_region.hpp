// Internal: the shared-memory region that holds one map's data. A memfd, sized with ftruncate and mapped
// MAP_SHARED, so another process that maps the same fd sees and modifies the same map. Layouts inside a region
// use offsets, never pointers (each process maps it at its own address), and every field that two processes
// may touch concurrently is a lock-free std::atomic (or protected by one, see shm_sync.hpp).
//
// The region starts with a RegionHeader recording the shape of the map it was created for; open() refuses a
// region whose shape differs from the spec, so a wrong fd is an error rather than memory corruption.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ubee/error.hpp"
#include "ubee/maps.hpp"

namespace ubee::detail {

struct RegionHeader {
  std::uint64_t magic;
  std::uint32_t type, key_size, value_size, max_entries, flags, ncpus;
  std::uint64_t map_extra;
  std::uint64_t data_size;
};
// The data starts this far into the mapping: a cache line, so the data is 64-byte aligned.
inline constexpr std::size_t kRegionDataOffset = 64;
static_assert(sizeof(RegionHeader) <= kRegionDataOffset);

class ShmRegion {
 public:
  // A new zero-filled region with `data_size` bytes of data after the header.
  static Result<ShmRegion> create(const MapSpec& spec, std::size_t data_size);
  // Maps the region behind `fd` (dup()ed: the caller keeps its fd) after checking that it was created for a map
  // of this spec's shape with this data size.
  static Result<ShmRegion> open(const MapSpec& spec, int fd, std::size_t data_size);

  ShmRegion(ShmRegion&& other) noexcept;
  ShmRegion& operator=(ShmRegion&& other) noexcept;
  ShmRegion(const ShmRegion&) = delete;
  ShmRegion& operator=(const ShmRegion&) = delete;
  ~ShmRegion();

  [[nodiscard]] std::byte* data() const { return base_ + kRegionDataOffset; }
  [[nodiscard]] std::size_t data_size() const { return size_ - kRegionDataOffset; }
  [[nodiscard]] int fd() const { return fd_; }
  // The object at `offset` bytes into the data.
  template <class T>
  [[nodiscard]] T* at(std::size_t offset) const {
    return reinterpret_cast<T*>(data() + offset);
  }

 private:
  ShmRegion(int fd, std::byte* base, std::size_t size) : fd_(fd), base_(base), size_(size) {}
  void release();

  int fd_ = -1;
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ubee::detail
