// parse_object(): the stages in the order each needs the previous ones (maps before the relocations that
// name them, functions before CO-RE and relocation, programs before the program-array slots).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "btf_object.hpp"
#include "object_parts.hpp"

namespace ubee {

void BtfDeleter::operator()(struct btf* b) const { btf__free(b); }

namespace elf {

std::string Parse::where(const Function& f) const { return (f.entry ? "program '" : "subprogram '") + f.name + "'"; }

std::string Parse::where(const Function& f, std::size_t insn) const { return where(f) + ", insn " + std::to_string(insn); }

void Parse::add_map(MapSpec map, MapOrigin origin) {
  spec.maps.push_back(std::move(map));
  origins.push_back(origin);
}

// Functions are in (section, first instruction) order and do not overlap (read_functions checks), so the
// candidate is the last one starting at or before `insn`: a binary search keeps large objects linear.
long Parse::function_at(std::size_t section, std::size_t insn) const {
  const auto after = std::upper_bound(functions.begin(), functions.end(), std::pair{section, insn},
                                      [](const auto& key, const Function& f) { return key < std::pair{f.section, f.first}; });
  if (after == functions.begin()) return -1;
  const Function& f = *(after - 1);
  if (f.section != section || insn >= f.first + f.insns.size()) return -1;
  return static_cast<long>(after - 1 - functions.begin());
}

std::string object_name(const std::string& path) {
  constexpr std::size_t kMaxName = 15;  // libbpf keeps BPF_OBJ_NAME_LEN - 1 characters of the file name
  std::string name = path.substr(path.find_last_of('/') + 1).substr(0, kMaxName);
  return name.substr(0, name.find('.'));
}

}  // namespace elf

Result<ObjectSpec> parse_object(std::span<const std::uint8_t> bytes, const std::string& name) {
  auto file = elf::ElfFile::read(bytes, name);
  if (!file) return file.error();
  elf::Parse p(*file);
  p.spec.name = elf::object_name(name);
  auto btf = elf::load_btf(*file);
  if (!btf) return btf.error();
  p.spec.btf = std::move(*btf);
  using Stage = Result<void> (*)(elf::Parse&);
  for (Stage stage : {elf::read_license_and_version, elf::read_btf_maps, elf::read_legacy_maps, elf::read_data_maps,
                      elf::read_functions, elf::apply_core_relocations, elf::relocate_functions, elf::link_programs,
                      elf::read_map_slots})
    if (auto r = stage(p); !r) return r.error();
  return std::move(p.spec);
}

Result<ObjectSpec> parse_object_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, "'" + path + "': " + std::strerror(errno));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(Errc::io, "'" + path + "': read error");
  return parse_object(bytes, path);
}

}  // namespace ubee
