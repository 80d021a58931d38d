// Loaded objects come from dl_iterate_phdr (the main executable through /proc/self/exe); their symbols from the
// file on disk with libelf, plus the load bias.
#include "attach/symbols.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <functional>
#include <string_view>
#include <vector>

#include "ubee/attach.hpp"

namespace ubee::attach {

namespace {

struct LoadedObject {
  std::string path;       // as the loader names it
  std::string real_path;  // symlinks resolved
  std::uintptr_t bias = 0;
  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> segments;  // run-time [start, end) of PT_LOADs
};

std::string real_path_of(const std::string& path) {
  char buffer[PATH_MAX];
  return realpath(path.c_str(), buffer) != nullptr ? std::string(buffer) : std::string();
}

int collect_object(dl_phdr_info* info, std::size_t, void* out) {
  LoadedObject object;
  object.path = info->dlpi_name != nullptr && info->dlpi_name[0] != '\0' ? info->dlpi_name : "/proc/self/exe";
  object.real_path = real_path_of(object.path);
  object.bias = info->dlpi_addr;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD) object.segments.emplace_back(info->dlpi_addr + ph.p_vaddr, info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
  }
  // The vDSO has no file; nothing to read symbols from.
  if (!object.real_path.empty()) static_cast<std::vector<LoadedObject>*>(out)->push_back(std::move(object));
  return 0;
}

std::vector<LoadedObject> loaded_objects() {
  std::vector<LoadedObject> objects;
  dl_iterate_phdr(collect_object, &objects);
  return objects;
}

struct ElfSymbol {
  std::string_view name;
  GElf_Sym sym;
};

// Calls `visit` for every defined function symbol of .symtab and .dynsym; stops when it returns true.
void for_each_function(const std::string& path, const std::function<bool(const ElfSymbol&)>& visit) {
  elf_version(EV_CURRENT);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  bool done = false;
  for (Elf_Scn* scn = nullptr; elf != nullptr && !done && (scn = elf_nextscn(elf, scn)) != nullptr;) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || (shdr.sh_type != SHT_SYMTAB && shdr.sh_type != SHT_DYNSYM)) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    const std::size_t count = shdr.sh_entsize == 0 ? 0 : shdr.sh_size / shdr.sh_entsize;
    for (std::size_t i = 0; data != nullptr && !done && i < count; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr || sym.st_shndx == SHN_UNDEF) continue;
      const int type = GELF_ST_TYPE(sym.st_info);
      if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
      const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
      done = visit({name != nullptr ? name : "", sym});
    }
  }
  if (elf != nullptr) elf_end(elf);
  close(fd);
}

std::string_view file_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// libbpf's PATH: an absolute path (compared after resolving symlinks) or a file name ("libc.so.6").
bool names_object(std::string_view path, const LoadedObject& object) {
  if (!path.empty() && path.front() == '/') return real_path_of(std::string(path)) == object.real_path;
  return file_name(object.path) == path || file_name(object.real_path) == path;
}

// An IFUNC symbol's value is its resolver; the loader knows the implementation it chose.
std::uintptr_t ifunc_implementation(const LoadedObject& object, std::string_view function) {
  const bool main = object.path == "/proc/self/exe";
  void* handle = dlopen(main ? nullptr : object.path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return 0;
  void* address = dlsym(handle, std::string(function).c_str());
  dlclose(handle);
  return reinterpret_cast<std::uintptr_t>(address);
}

std::uintptr_t function_address(const LoadedObject& object, std::string_view function) {
  std::uintptr_t found = 0;
  for_each_function(object.real_path, [&](const ElfSymbol& s) {
    if (s.name != function) return false;
    found = GELF_ST_TYPE(s.sym.st_info) == STT_GNU_IFUNC ? ifunc_implementation(object, function)
                                                         : object.bias + s.sym.st_value;
    return found != 0;
  });
  return found;
}

}  // namespace

Result<std::uintptr_t> resolve_function(std::string_view path, std::string_view function, std::uint64_t offset) {
  bool loaded = false;
  for (const LoadedObject& object : loaded_objects()) {
    if (!names_object(path, object)) continue;
    loaded = true;
    if (const std::uintptr_t address = function_address(object, function); address != 0) return address + offset;
  }
  if (!loaded) return make_error(Errc::not_found, "'" + std::string(path) + "' is not loaded in this process");
  return make_error(Errc::not_found, "no function '" + std::string(function) + "' in '" + std::string(path) + "'");
}

std::optional<FunctionRange> find_function(std::uintptr_t address) {
  for (const LoadedObject& object : loaded_objects()) {
    bool maps = false;
    for (const auto& [start, end] : object.segments) maps = maps || (address >= start && address < end);
    if (!maps) continue;
    std::optional<FunctionRange> found;
    for_each_function(object.real_path, [&](const ElfSymbol& s) {
      const std::uintptr_t start = object.bias + s.sym.st_value;
      const bool holds = address == start || (address > start && address < start + s.sym.st_size);
      // Prefer a symbol with a size; aliases of one function share start and size.
      if (holds && (!found || (found->size == 0 && s.sym.st_size != 0)))
        found = FunctionRange{start, s.sym.st_size, std::string(s.name)};
      return found && found->size != 0;
    });
    return found;
  }
  return std::nullopt;
}

}  // namespace ubee::attach
