// What the stages of parse_object() share: the ELF file, the ObjectSpec being filled, where each map was
// defined, and the functions of the executable sections before they are linked into programs. Each stage
// lives in its own file and is declared here in the order parse_object() runs them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "elf_reader.hpp"
#include "ubee/elf.hpp"

namespace ubee::elf {

// One STT_FUNC symbol of an executable section: a program (any section but .text) or a subprogram (.text).
struct Function {
  std::string name;
  std::size_t section = 0;  // ELF section index
  std::size_t first = 0;    // index of its first instruction in the section
  Program insns;            // its instructions; CO-RE and map references are applied in place
  bool entry = false;       // a program, rather than a subprogram
  // bpf-to-bpf calls and callback addresses (lddw BPF_PSEUDO_FUNC) for the linker: (insn, target function).
  std::vector<std::pair<std::size_t, std::size_t>> calls;
};

// Where a map is defined, so that relocations against its symbol or section find it.
struct MapOrigin {
  enum class Kind { btf, legacy, data, kconfig };
  Kind kind = Kind::btf;
  std::size_t section = 0;  // ELF section index (none for kconfig)
  std::uint64_t offset = 0;  // of the definition in the section (btf, legacy)
  std::uint64_t size = 0;
  std::optional<std::uint64_t> values_offset;  // btf: byte offset of the `values` member, for initial slots
};

struct Parse {
  explicit Parse(const ElfFile& file) : elf(file) {}

  const ElfFile& elf;
  ObjectSpec spec;
  std::vector<MapOrigin> origins;  // one per spec.maps entry
  std::vector<Function> functions;  // grouped by section, in instruction order
  std::map<std::string, std::size_t> kconfig_index;  // kconfig extern name -> index in spec.kconfig

  // "program 'name'" or "subprogram 'name'", with ", insn N" when `insn` is given; for messages.
  [[nodiscard]] std::string where(const Function& f, std::size_t insn) const;
  [[nodiscard]] std::string where(const Function& f) const;
  [[nodiscard]] Error error(const std::string& text, Errc code = Errc::invalid_argument) const { return elf.error(text, code); }
  void add_map(MapSpec map, MapOrigin origin);
  // The function of `section` whose instructions include index `insn`, or -1.
  [[nodiscard]] long function_at(std::size_t section, std::size_t insn) const;
};

// libbpf's name for an object: the file name up to its first '.', as internal map names start with it.
std::string object_name(const std::string& path);

// programs.cpp: license, version, and the functions of every executable section.
Result<void> read_license_and_version(Parse& p);
Result<void> read_functions(Parse& p);
// btf_maps.cpp: `.maps` (needs BTF), and the initial slots of map-in-map and program arrays in `.rel.maps`.
Result<void> read_btf_maps(Parse& p);
Result<void> read_map_slots(Parse& p);
// legacy_maps.cpp: struct bpf_map_def entries of the `maps` section.
Result<void> read_legacy_maps(Parse& p);
// data_maps.cpp: .data*, .rodata*, .bss* as single-entry arrays, then `.kconfig` externs.
Result<void> read_data_maps(Parse& p);
// core_relo.cpp: the `.BTF.ext` CO-RE relocations, resolved against the object's own BTF.
Result<void> apply_core_relocations(Parse& p);
// relocate.cpp: map, global data and kconfig references rewritten; call and callback targets recorded.
Result<void> relocate_functions(Parse& p);
// link.cpp: each program with the subprograms it reaches appended and its calls fixed up, then validated.
Result<void> link_programs(Parse& p);

}  // namespace ubee::elf
