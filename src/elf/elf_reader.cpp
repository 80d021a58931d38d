#include "elf_reader.hpp"

#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace ubee::elf {

bool Section::executable() const { return type == SHT_PROGBITS && (flags & SHF_EXECINSTR) != 0; }

const Section* ElfFile::section(std::size_t index) const {
  return index < sections_.size() ? &sections_[index] : nullptr;
}

const Section* ElfFile::find(std::string_view name) const {
  for (const Section& s : sections_)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<const Symbol*> ElfFile::symbols_in(std::size_t section) const {
  std::vector<const Symbol*> out;
  for (const Symbol& s : symbols_)
    if (s.shndx == section && s.type != STT_SECTION && !s.name.empty()) out.push_back(&s);
  std::stable_sort(out.begin(), out.end(), [](const Symbol* a, const Symbol* b) { return a->value < b->value; });
  return out;
}

std::span<const Relocation> ElfFile::relocations(std::size_t target) const {
  const auto it = relocations_.find(target);
  if (it == relocations_.end()) return {};
  return it->second;
}

Error ElfFile::error(const std::string& text, Errc code) const { return make_error(code, "'" + object_ + "': " + text); }

namespace {

struct ElfDeleter {
  void operator()(Elf* e) const { elf_end(e); }
};
using ElfPtr = std::unique_ptr<Elf, ElfDeleter>;

std::string describe(const Section& s) { return "section " + std::to_string(s.index) + " ('" + s.name + "')"; }

// Debug information is never read, so it is checked but not copied (the fuzz tests parse thousands of objects).
bool worth_copying(const std::string& name) { return name.rfind(".debug", 0) != 0 && name.rfind(".rel.debug", 0) != 0; }

}  // namespace

// Reads the file in stages, each checking what the next relies on.
class ElfLoader {
 public:
  ElfLoader(std::span<const std::uint8_t> bytes, const std::string& object)
      : image_(bytes.begin(), bytes.end()) {
    file_.object_ = object;
  }

  Result<ElfFile> run() {
    if (auto r = check_ident(); !r) return r.error();
    if (elf_version(EV_CURRENT) == EV_NONE) return file_.error("libelf is unusable: " + std::string(elf_errmsg(-1)));
    elf_.reset(elf_memory(reinterpret_cast<char*>(image_.data()), image_.size()));
    if (!elf_) return file_.error("not a readable ELF file: " + std::string(elf_errmsg(-1)));
    if (auto r = check_header(); !r) return r.error();
    if (auto r = read_sections(); !r) return r.error();
    if (auto r = read_symbols(); !r) return r.error();
    if (auto r = read_relocations(); !r) return r.error();
    return std::move(file_);
  }

 private:
  // The identification bytes, checked by hand so each mismatch gets its own message.
  Result<void> check_ident() const {
    if (image_.size() < sizeof(Elf64_Ehdr)) return file_.error("too small to be an ELF object (" + std::to_string(image_.size()) + " bytes)");
    if (std::memcmp(image_.data(), ELFMAG, SELFMAG) != 0) return file_.error("not an ELF file (bad magic)");
    if (image_[EI_CLASS] != ELFCLASS64) return file_.error("not a 64-bit ELF object");
    if (image_[EI_DATA] != ELFDATA2LSB) return file_.error("not a little-endian ELF object");
    Elf64_Ehdr eh;
    std::memcpy(&eh, image_.data(), sizeof eh);
    const std::uint64_t table = std::uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr);
    if (eh.e_shoff > image_.size() || table > image_.size() - eh.e_shoff)
      return file_.error("section header table extends past the end of the file (" + std::to_string(image_.size()) + " bytes)");
    return {};
  }

  Result<void> check_header() {
    GElf_Ehdr eh;
    if (elf_kind(elf_.get()) != ELF_K_ELF) return file_.error("not an ELF object");
    if (gelf_getehdr(elf_.get(), &eh) == nullptr) return file_.error("invalid ELF header: " + std::string(elf_errmsg(-1)));
    if (eh.e_type != ET_REL) return file_.error("not a relocatable object (e_type " + std::to_string(eh.e_type) + ")");
    if (eh.e_machine != EM_BPF) return file_.error("not an eBPF object (e_machine " + std::to_string(eh.e_machine) + ")");
    if (eh.e_shnum != 0 && eh.e_shentsize != sizeof(Elf64_Shdr)) return file_.error("invalid section header size");
    if (elf_getshdrnum(elf_.get(), &section_count_) != 0 || section_count_ == 0)
      return file_.error("has no section headers");
    if (elf_getshdrstrndx(elf_.get(), &names_) != 0 || names_ >= section_count_)
      return file_.error("invalid section name table index");
    return {};
  }

  Result<void> read_sections() {
    file_.sections_.resize(section_count_);
    for (std::size_t i = 0; i < section_count_; ++i)
      if (auto r = read_section(i); !r) return r;
    return {};
  }

  Result<void> read_section(std::size_t index) {
    Section& s = file_.sections_[index];
    s.index = index;
    Elf_Scn* scn = elf_getscn(elf_.get(), index);
    GElf_Shdr sh;
    if (scn == nullptr || gelf_getshdr(scn, &sh) == nullptr) return file_.error("section " + std::to_string(index) + ": unreadable header");
    s.type = sh.sh_type;
    s.flags = sh.sh_flags;
    s.link = sh.sh_link;
    s.info = sh.sh_info;
    s.size = sh.sh_size;
    // The bounds are checked before libelf is asked for the name or the data, so it never reads past the image.
    if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL && (sh.sh_offset > image_.size() || sh.sh_size > image_.size() - sh.sh_offset))
      return file_.error("section " + std::to_string(index) + ": contents extend past the end of the file");
    if (index != 0) {
      const char* name = elf_strptr(elf_.get(), names_, sh.sh_name);
      if (name == nullptr) return file_.error("section " + std::to_string(index) + ": invalid name offset");
      s.name = name;
    }
    if (sh.sh_type == SHT_NOBITS || sh.sh_type == SHT_NULL || !worth_copying(s.name)) return {};
    return copy_data(scn, s);
  }

  Result<void> copy_data(Elf_Scn* scn, Section& s) {
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr && s.size != 0) return file_.error(describe(s) + ": unreadable contents: " + elf_errmsg(-1));
    if (data == nullptr || data->d_buf == nullptr || data->d_size == 0) return {};
    if (data->d_size != s.size) return file_.error(describe(s) + ": inconsistent size");
    const auto* p = static_cast<const std::uint8_t*>(data->d_buf);
    s.data.assign(p, p + data->d_size);
    return {};
  }

  Result<void> read_symbols() {
    const Section* table = nullptr;
    for (const Section& s : file_.sections_) {
      if (s.type != SHT_SYMTAB) continue;
      if (table != nullptr) return file_.error("more than one symbol table");
      table = &s;
    }
    if (table == nullptr) return file_.error("has no symbol table (stripped object?)");
    if (table->link >= section_count_ || file_.sections_[table->link].type != SHT_STRTAB)
      return file_.error(describe(*table) + ": invalid string table link");
    symtab_ = table->index;
    Elf_Data* data = elf_getdata(elf_getscn(elf_.get(), table->index), nullptr);
    const std::size_t count = data == nullptr ? 0 : data->d_size / sizeof(Elf64_Sym);
    file_.symbols_.resize(count);
    for (std::size_t i = 0; i < count; ++i)
      if (auto r = read_symbol(data, *table, i); !r) return r;
    return {};
  }

  Result<void> read_symbol(Elf_Data* data, const Section& table, std::size_t index) {
    GElf_Sym sym;
    if (gelf_getsym(data, static_cast<int>(index), &sym) == nullptr) return file_.error("symbol " + std::to_string(index) + ": unreadable");
    Symbol& out = file_.symbols_[index];
    out.index = index;
    const char* name = elf_strptr(elf_.get(), table.link, sym.st_name);
    if (name == nullptr) return file_.error("symbol " + std::to_string(index) + ": invalid name offset");
    out.name = name;
    out.value = sym.st_value;
    out.size = sym.st_size;
    out.type = GELF_ST_TYPE(sym.st_info);
    out.bind = GELF_ST_BIND(sym.st_info);
    out.visibility = GELF_ST_VISIBILITY(sym.st_other);
    out.shndx = sym.st_shndx;
    const bool special = sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS || sym.st_shndx == SHN_COMMON;
    if (!special && sym.st_shndx >= section_count_)
      return file_.error("symbol " + std::to_string(index) + " ('" + out.name + "'): invalid section index " + std::to_string(sym.st_shndx));
    return {};
  }

  Result<void> read_relocations() {
    for (const Section& s : file_.sections_) {
      if (s.type == SHT_RELA && s.info < section_count_ && file_.sections_[s.info].executable())
        return file_.error(describe(s) + ": RELA relocations are not used for eBPF", Errc::unsupported);
      if (s.type != SHT_REL || !worth_copying(s.name)) continue;
      if (auto r = read_rel_section(s); !r) return r;
    }
    return {};
  }

  Result<void> read_rel_section(const Section& s) {
    if (s.info == 0 || s.info >= section_count_) return file_.error(describe(s) + ": invalid target section " + std::to_string(s.info));
    if (s.link != symtab_) return file_.error(describe(s) + ": does not use the symbol table");
    Elf_Data* data = elf_getdata(elf_getscn(elf_.get(), s.index), nullptr);
    const std::size_t count = data == nullptr ? 0 : data->d_size / sizeof(Elf64_Rel);
    auto& list = file_.relocations_[s.info];
    for (std::size_t i = 0; i < count; ++i) {
      GElf_Rel rel;
      if (gelf_getrel(data, static_cast<int>(i), &rel) == nullptr) return file_.error(describe(s) + ": unreadable entry " + std::to_string(i));
      const std::size_t sym = GELF_R_SYM(rel.r_info);
      if (sym >= file_.symbols_.size())
        return file_.error(describe(s) + ": entry " + std::to_string(i) + " refers to symbol " + std::to_string(sym) + ", past the symbol table");
      list.push_back({rel.r_offset, static_cast<std::uint32_t>(GELF_R_TYPE(rel.r_info)), static_cast<std::uint32_t>(sym)});
    }
    return {};
  }

  std::vector<std::uint8_t> image_;  // libelf reads this copy: it needs a mutable, suitably aligned buffer
  ElfPtr elf_;
  ElfFile file_;
  std::size_t section_count_ = 0;
  std::size_t names_ = 0;
  std::size_t symtab_ = 0;
};

Result<ElfFile> ElfFile::read(std::span<const std::uint8_t> bytes, const std::string& object) {
  return ElfLoader(bytes, object).run();
}

}  // namespace ubee::elf
