// Chunks of read+execute anonymous memory placed in the nearest free gap of the address space (read from
// /proc/self/maps) and handed out in 16-byte-aligned pieces.
#include "attach/code_memory.hpp"

#include <fcntl.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace ubee::attach {

namespace {

constexpr std::size_t kChunkSize = 256 * 1024;
constexpr std::uintptr_t kLowest = 0x10000000;         // keep clear of low memory and the classic brk area
constexpr std::uintptr_t kHighest = 0x7ffffffff000;    // the 47-bit user address space
constexpr std::uintptr_t kReach = 0x7ff00000;          // ±2 GiB less a margin for offsets inside a chunk

struct Chunk {
  std::uintptr_t base;
  std::size_t used;
};

struct Range {
  std::uintptr_t start, end;
  bool executable;
};

std::mutex g_mutex;
std::vector<Chunk> g_chunks;

std::uintptr_t distance(std::uintptr_t a, std::uintptr_t b) { return a > b ? a - b : b - a; }

bool chunk_reaches(std::uintptr_t base, std::uintptr_t near) {
  return near == 0 || (distance(base, near) < kReach && distance(base + kChunkSize, near) < kReach);
}

std::vector<Range> mapped_ranges() {
  std::vector<Range> ranges;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    Range r{};
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &r.start, &r.end, perms) != 3) continue;
    r.executable = perms[2] == 'x';
    ranges.push_back(r);
  }
  return ranges;  // the kernel lists them sorted
}

// The chunk-sized, page-aligned address in [lo, hi) closest to `near`, or 0 when the gap is too small.
std::uintptr_t closest_in_gap(std::uintptr_t lo, std::uintptr_t hi, std::uintptr_t near) {
  if (hi <= lo || hi - lo < kChunkSize) return 0;
  const std::uintptr_t last = hi - kChunkSize;
  std::uintptr_t pick = near < lo ? lo : (near > last ? last : near);
  return pick & ~std::uintptr_t{0xfff};
}

// Candidate addresses for a new chunk near `near`, closest first: one per gap between mappings.
std::vector<std::uintptr_t> candidates(std::uintptr_t near) {
  std::vector<std::uintptr_t> found;
  std::uintptr_t previous_end = kLowest;
  const auto consider_gap_before = [&](std::uintptr_t next_start) {
    const std::uintptr_t lo = (previous_end + 0xfff) & ~std::uintptr_t{0xfff};
    const std::uintptr_t pick = closest_in_gap(lo, std::min(next_start, kHighest), near);
    if (pick != 0 && chunk_reaches(pick, near)) found.push_back(pick);
  };
  for (const Range& r : mapped_ranges()) {
    consider_gap_before(r.start);
    previous_end = std::max(previous_end, r.end);
  }
  consider_gap_before(kHighest);
  std::sort(found.begin(), found.end(),
            [near](std::uintptr_t a, std::uintptr_t b) { return distance(a, near) < distance(b, near); });
  return found;
}

void* map_code(void* hint, int extra_flags) {
  // PROT_READ|PROT_EXEC from the start: code arrives through /proc/self/mem, never through a writable mapping.
  return mmap(hint, kChunkSize, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
}

Result<std::uintptr_t> new_chunk(std::uintptr_t near) {
  if (near == 0) {
    void* p = map_code(nullptr, 0);
    if (p != MAP_FAILED) return reinterpret_cast<std::uintptr_t>(p);
  } else {
    for (std::uintptr_t at : candidates(near)) {
      void* p = map_code(reinterpret_cast<void*>(at), MAP_FIXED_NOREPLACE);
      if (p != MAP_FAILED) return reinterpret_cast<std::uintptr_t>(p);  // else another thread mapped it: next
    }
  }
  return make_error(Errc::unsupported, "no free address space for trampolines within 2 GiB of the probed code");
}

// Reopened in a forked child: the parent's descriptor would write into the parent.
int mem_fd() {
  static std::mutex mutex;
  static int fd = -1;
  static pid_t owner = 0;
  std::lock_guard lock(mutex);
  if (owner != getpid()) {
    if (fd >= 0) close(fd);
    fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    owner = getpid();
  }
  return fd;
}

}  // namespace

Result<std::uintptr_t> allocate_code(std::uintptr_t near, std::size_t size) {
  size = (size + 15) & ~std::size_t{15};
  if (size > kChunkSize) return make_error(Errc::invalid_argument, "code piece larger than a chunk");
  std::lock_guard lock(g_mutex);
  for (Chunk& c : g_chunks) {
    if (kChunkSize - c.used >= size && chunk_reaches(c.base, near)) {
      c.used += size;
      return c.base + c.used - size;
    }
  }
  auto base = new_chunk(near);
  if (!base) return base.error();
  // Fresh anonymous memory reads as zeros; fill with int3 so that running off the end of a piece traps.
  std::vector<std::uint8_t> fill(kChunkSize, 0xcc);
  if (auto w = write_code(*base, fill); !w) return w.error();
  g_chunks.push_back({*base, size});
  return *base;
}

Result<void> write_code(std::uintptr_t address, std::span<const std::uint8_t> bytes) {
  const int fd = mem_fd();
  if (fd < 0) return make_error(Errc::permission_denied, std::string("opening /proc/self/mem: ") + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(address + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return make_error(Errc::permission_denied,
                        std::string("writing code through /proc/self/mem: ") + std::strerror(n < 0 ? errno : EIO));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

bool is_executable(std::uintptr_t address, std::size_t length) {
  std::uintptr_t covered = address;  // adjacent executable mappings may share the range
  const std::vector<Range> ranges = mapped_ranges();
  for (const Range& r : ranges)
    if (r.executable && r.start <= covered && covered < r.end) covered = r.end;
  return covered >= address + length;
}

void sync_cores() {
  static const bool registered =
      syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0;
  if (registered) syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
}

}  // namespace ubee::attach
