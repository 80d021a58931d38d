// The ring buffer region's double mapping: see ringbuf_layout.hpp.
#include "ringbuf_layout.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "map_types.hpp"

namespace ubee::detail {

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

std::size_t ring_region_bytes(std::uint32_t ring_size) {
  return kRingbufDataPage * page_size() - kRegionDataOffset + ring_size;
}

Result<std::shared_ptr<RingMapping>> RingMapping::map(const MapSpec& spec, int fd, std::uint32_t ring_size) {
  const std::size_t file_bytes = kRingbufDataPage * page_size() + ring_size;
  const std::size_t length = file_bytes + ring_size;
  // Reserve the address range first so the second copy of the data lands right after the first.
  void* area = mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED) {
    return map_error(spec, std::string("cannot reserve the ring buffer mapping: ") + std::strerror(errno), Errc::io);
  }
  auto* base = static_cast<std::byte*>(area);
  const off_t data_offset = static_cast<off_t>(kRingbufDataPage * page_size());
  constexpr int kProt = PROT_READ | PROT_WRITE;
  if (mmap(base, file_bytes, kProt, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
      mmap(base + file_bytes, ring_size, kProt, MAP_SHARED | MAP_FIXED, fd, data_offset) == MAP_FAILED) {
    const int err = errno;
    munmap(area, length);
    return map_error(spec, std::string("cannot map the ring buffer region: ") + std::strerror(err), Errc::io);
  }
  return std::make_shared<RingMapping>(base, length, ring_size);
}

RingMapping::RingMapping(std::byte* base, std::size_t length, std::uint32_t ring_size)
    : base_(base), length_(length), ring_size_(ring_size) {}

RingMapping::~RingMapping() { munmap(base_, length_); }

RingState::RingState(ShmRegion region_, std::shared_ptr<RingMapping> mapping, int event_fd_)
    : region(std::move(region_)), ring(std::move(mapping)), event_fd(event_fd_) {}

RingState::~RingState() {
  if (event_fd >= 0) close(event_fd);
}

}  // namespace ubee::detail
