// The object's BTF, parsed by libbpf (btf__new) and made safe to walk: every type reference and name is
// checked once after parsing, so the helpers here and libbpf's own accessors never index past the type table,
// and DATASEC sizes and variable offsets, which clang leaves as zero, are filled in from the ELF symbols.
#pragma once

#include <bpf/btf.h>

#include <cstdint>
#include <memory>
#include <string>

#include "elf_reader.hpp"
#include "ubee/error.hpp"

namespace ubee::elf {

// libbpf's parse of `.BTF`, checked and fixed up; null when the object has no `.BTF` section.
Result<std::shared_ptr<struct btf>> load_btf(const ElfFile& elf);

// The type with this id, or null when the id is past the table.
[[nodiscard]] const btf_type* type_at(const struct btf* btf, std::uint32_t id);
// The type after const/volatile/restrict/typedef/type-tag layers (and its id in *id_out), or null when the
// chain is broken or too long.
[[nodiscard]] const btf_type* skip_modifiers(const struct btf* btf, std::uint32_t id, std::uint32_t* id_out = nullptr);
// A string of the BTF string table ("" when the offset is invalid; load_btf() checked every type's names).
[[nodiscard]] std::string btf_string(const struct btf* btf, std::uint32_t offset);
// "struct", "ptr", ... for messages.
[[nodiscard]] const char* kind_name(const btf_type* t);
// Orders a DATASEC's variables by offset, as libbpf leaves them (it edits its own copy of the types in place).
void sort_datasec_vars(btf_type* datasec);
// The id of the DATASEC named `name`, or 0.
[[nodiscard]] std::uint32_t find_datasec(const struct btf* btf, const std::string& name);

}  // namespace ubee::elf
