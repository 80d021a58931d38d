// USDT sites in this process: the loaded object a probe path names, its load bias, and the semaphores.
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ubee/usdt.hpp"

namespace ubee::usdt {
namespace {

struct Loaded {
  std::string file;       // a path this process can open to read the object
  std::uintptr_t bias = 0;  // runtime address - link-time address (0 for a non-PIE executable)
};

struct Search {
  std::string_view wanted;
  bool by_file_name = false;  // "libc.so.6": match the base name; otherwise the same file (device and inode)
  struct stat wanted_stat{};
  std::vector<Loaded> found;
};

std::string_view base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string self_executable() {
  char buffer[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string("/proc/self/exe");
}

bool matches(const Search& search, const std::string& file) {
  if (search.by_file_name) return base_name(file) == search.wanted;
  struct stat st{};
  return stat(file.c_str(), &st) == 0 && st.st_dev == search.wanted_stat.st_dev &&
         st.st_ino == search.wanted_stat.st_ino;
}

int visit(dl_phdr_info* info, std::size_t, void* data) {
  auto& search = *static_cast<Search*>(data);
  // The main executable comes first, with an empty name.
  const bool main = info->dlpi_name == nullptr || info->dlpi_name[0] == '\0';
  const std::string file = main ? self_executable() : std::string(info->dlpi_name);
  if (matches(search, file)) search.found.push_back({file, static_cast<std::uintptr_t>(info->dlpi_addr)});
  return 0;
}

Result<Loaded> find_loaded(std::string_view path) {
  Search search;
  search.wanted = path;
  search.by_file_name = path.find('/') == std::string_view::npos;
  if (!search.by_file_name && stat(std::string(path).c_str(), &search.wanted_stat) != 0)
    return make_error(Errc::not_found, "'" + std::string(path) + "': no such file");
  dl_iterate_phdr(visit, &search);
  if (search.found.empty()) return make_error(Errc::not_found, "'" + std::string(path) + "' is not loaded in this process");
  return search.found.front();
}

}  // namespace

Result<std::vector<Site>> find_sites(std::string_view path, std::string_view provider, std::string_view name) {
  auto loaded = find_loaded(path);
  if (!loaded) return loaded.error();
  auto file = read_notes(loaded->file);
  if (!file) return file.error();
  // Link-time addresses of a non-PIE executable are already runtime addresses; its dlpi_addr is 0 then.
  const std::uintptr_t bias = file->position_independent ? loaded->bias : 0;
  std::vector<Site> sites;
  for (Note& note : file->notes) {
    if (note.provider != provider || note.name != name) continue;
    Site site;
    site.address = static_cast<std::uintptr_t>(note.address) + bias;
    site.semaphore = note.semaphore == 0 ? 0 : static_cast<std::uintptr_t>(note.semaphore) + bias;
    site.note = std::move(note);
    sites.push_back(std::move(site));
  }
  if (sites.empty())
    return make_error(Errc::not_found, "no USDT probe " + std::string(provider) + ":" + std::string(name) + " in '" +
                                           std::string(path) + "'");
  return sites;
}

// The semaphore is the `unsigned short` sys/sdt.h declares in section .probes; the program only reads it.
void semaphore_add(std::uintptr_t semaphore) {
  std::atomic_ref<std::uint16_t>(*reinterpret_cast<std::uint16_t*>(semaphore)).fetch_add(1);
}

void semaphore_remove(std::uintptr_t semaphore) {
  std::atomic_ref<std::uint16_t>(*reinterpret_cast<std::uint16_t*>(semaphore)).fetch_sub(1);
}

}  // namespace ubee::usdt
