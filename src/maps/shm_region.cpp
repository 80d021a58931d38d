// Map regions: a memfd mapped MAP_SHARED, headed by the shape of the map it holds.
#include "shm_region.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "map_types.hpp"

namespace ubee::detail {
namespace {

constexpr std::uint64_t kMagic = 0x3170'616d'6565'6275ULL;  // "ubeemap1"

RegionHeader header_for(const MapSpec& spec, std::size_t data_size) {
  return RegionHeader{kMagic,          spec.type,  spec.key_size, spec.value_size, spec.max_entries,
                      spec.flags,      possible_cpus(), spec.map_extra, data_size};
}

bool same_shape(const RegionHeader& a, const RegionHeader& b) {
  return a.magic == b.magic && a.type == b.type && a.key_size == b.key_size && a.value_size == b.value_size &&
         a.max_entries == b.max_entries && a.flags == b.flags && a.ncpus == b.ncpus &&
         a.map_extra == b.map_extra && a.data_size == b.data_size;
}

Error sys_error(const MapSpec& spec, const char* what) {
  return map_error(spec, std::string(what) + ": " + std::strerror(errno), Errc::io);
}

}  // namespace

Result<ShmRegion> ShmRegion::create(const MapSpec& spec, std::size_t data_size) {
  const std::size_t size = kRegionDataOffset + data_size;
  const int fd = memfd_create(("ubee-map:" + spec.name.substr(0, 200)).c_str(), MFD_CLOEXEC);
  if (fd < 0) return sys_error(spec, "memfd_create");
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    Error e = sys_error(spec, "cannot size the shared region");
    close(fd);
    return e;
  }
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    Error e = sys_error(spec, "cannot map the shared region");
    close(fd);
    return e;
  }
  const RegionHeader header = header_for(spec, data_size);
  std::memcpy(base, &header, sizeof header);
  return ShmRegion(fd, static_cast<std::byte*>(base), size);
}

Result<ShmRegion> ShmRegion::open(const MapSpec& spec, int fd, std::size_t data_size) {
  const std::size_t size = kRegionDataOffset + data_size;
  struct stat st {};
  if (fstat(fd, &st) != 0) return sys_error(spec, "bad shared region fd");
  if (static_cast<std::size_t>(st.st_size) != size) {
    return map_error(spec, "shared region has " + std::to_string(st.st_size) + " bytes, this spec needs " +
                               std::to_string(size));
  }
  const int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return sys_error(spec, "cannot dup the shared region fd");
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
  if (base == MAP_FAILED) {
    Error e = sys_error(spec, "cannot map the shared region");
    close(own);
    return e;
  }
  ShmRegion region(own, static_cast<std::byte*>(base), size);
  RegionHeader found{};
  std::memcpy(&found, base, sizeof found);
  if (!same_shape(found, header_for(spec, data_size))) {
    return map_error(spec, "shared region was created for a map of another type, size or flags");
  }
  return region;
}

ShmRegion::ShmRegion(ShmRegion&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), base_(std::exchange(other.base_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

ShmRegion& ShmRegion::operator=(ShmRegion&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

ShmRegion::~ShmRegion() { release(); }

void ShmRegion::release() {
  if (base_ != nullptr) munmap(base_, size_);
  if (fd_ >= 0) close(fd_);
  base_ = nullptr;
  fd_ = -1;
}

}  // namespace ubee::detail
