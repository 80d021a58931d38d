// The ELF layer of the object reader: sections, symbols and relocations of an eBPF relocatable object, read
// with libelf and copied out, every offset, size and index checked against the file first, so that later
// stages work on plain, already-validated data and never touch libelf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ubee/error.hpp"

namespace ubee::elf {

struct Section {
  std::size_t index = 0;
  std::string name;
  std::uint32_t type = 0;  // SHT_*
  std::uint64_t flags = 0;
  std::uint32_t link = 0;
  std::uint32_t info = 0;
  std::uint64_t size = 0;          // sh_size, also for SHT_NOBITS
  std::vector<std::uint8_t> data;  // the contents; empty for SHT_NOBITS

  [[nodiscard]] bool executable() const;
};

struct Symbol {
  std::size_t index = 0;
  std::string name;
  std::uint64_t value = 0;
  std::uint64_t size = 0;
  std::uint8_t type = 0;        // STT_*
  std::uint8_t bind = 0;        // STB_*
  std::uint8_t visibility = 0;  // STV_*
  std::uint16_t shndx = 0;      // a section index, SHN_UNDEF or SHN_ABS/SHN_COMMON
};

struct Relocation {
  std::uint64_t offset = 0;  // in the section the relocation applies to
  std::uint32_t type = 0;    // R_BPF_*
  std::uint32_t symbol = 0;  // index in symbols(), checked
};

// BPF relocation types (llvm/BinaryFormat/ELFRelocs/BPF.def); <elf.h> only names R_BPF_64_64 and R_BPF_64_32.
inline constexpr std::uint32_t kRelBpf64_64 = 1;       // lddw: 64-bit address of a map or data
inline constexpr std::uint32_t kRelBpfAbs64 = 2;       // data: 64-bit absolute (map-in-map slots in .maps)
inline constexpr std::uint32_t kRelBpfAbs32 = 3;       // data: 32-bit absolute (DWARF)
inline constexpr std::uint32_t kRelBpfNoDyld32 = 4;    // .BTF/.BTF.ext: resolved by the loader, not the linker
inline constexpr std::uint32_t kRelBpf64_32 = 10;      // call: pc-relative target of a bpf-to-bpf call

class ElfFile {
 public:
  // Checks that `bytes` is an ELF64 little-endian relocatable object for EM_BPF and reads it; `object` names
  // the file in error messages.
  static Result<ElfFile> read(std::span<const std::uint8_t> bytes, const std::string& object);

  [[nodiscard]] const std::string& object() const { return object_; }
  [[nodiscard]] const std::vector<Section>& sections() const { return sections_; }
  [[nodiscard]] const Section* section(std::size_t index) const;
  [[nodiscard]] const Section* find(std::string_view name) const;  // the first section with this name
  [[nodiscard]] const std::vector<Symbol>& symbols() const { return symbols_; }
  // The named, non-section symbols defined in `section`, by increasing value (offset).
  [[nodiscard]] std::vector<const Symbol*> symbols_in(std::size_t section) const;
  // The SHT_REL entries that apply to section `target`, in file order (empty when it has none).
  [[nodiscard]] std::span<const Relocation> relocations(std::size_t target) const;

  // "'name': " + text, the form of every error about the object.
  [[nodiscard]] Error error(const std::string& text, Errc code = Errc::invalid_argument) const;

 private:
  friend class ElfLoader;
  std::string object_;
  std::vector<Section> sections_;
  std::vector<Symbol> symbols_;
  std::map<std::size_t, std::vector<Relocation>> relocations_;
};

}  // namespace ubee::elf
