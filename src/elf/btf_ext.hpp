// The CO-RE relocation records of `.BTF.ext`. libbpf's public API parses `.BTF.ext` (btf_ext__new) but does
// not expose its records, so the header (libbpf's struct btf_ext_header) and the core_relo info section are
// read here, every count and offset checked against the section.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "btf_object.hpp"
#include "elf_reader.hpp"
#include "ubee/error.hpp"

namespace ubee::elf {

// struct bpf_core_relo with a plain integer kind: the file may hold any value, which an enum cannot.
struct CoreRelo {
  std::uint32_t insn_off;  // bytes from the start of the section
  std::uint32_t type_id;
  std::uint32_t access_str_off;
  std::uint32_t kind;  // enum bpf_core_relo_kind
};
static_assert(sizeof(CoreRelo) == sizeof(bpf_core_relo));

// The relocations of one ELF section.
struct CoreReloSection {
  std::string section;
  std::vector<CoreRelo> relos;
};

// Empty when the object has no `.BTF.ext` or it carries no CO-RE relocations.
Result<std::vector<CoreReloSection>> read_core_relos(const ElfFile& elf, const struct btf* btf);

}  // namespace ubee::elf
