// USDT notes read with libelf, and their sites found in this process. The note format is systemtap's
// (sourceware.org/systemtap/wiki/UserSpaceProbeImplementation): in section .note.stapsdt, notes of type 3 and
// owner "stapsdt" whose descriptor is three addresses (site, .stapsdt.base as linked, semaphore) then three
// NUL-terminated strings (provider, name, arguments).
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ubee/usdt.hpp"

namespace ubee::usdt {
namespace {

constexpr std::uint32_t kNoteType = 3;
constexpr std::string_view kNoteOwner = "stapsdt";

struct Segment {
  std::uint64_t begin = 0, end = 0;
  bool executable = false;
};

struct ElfCloser {
  void operator()(Elf* e) const { elf_end(e); }
};

std::string fmt_hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(value));
  return text;
}

Error file_error(const std::string& path, const std::string& text) {
  return make_error(Errc::invalid_argument, "'" + path + "': " + text);
}

std::vector<Segment> load_segments(Elf* elf) {
  std::vector<Segment> out;
  std::size_t count = 0;
  if (elf_getphdrnum(elf, &count) != 0) return out;
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, static_cast<int>(i), &ph) != nullptr && ph.p_type == PT_LOAD)
      out.push_back({ph.p_vaddr, ph.p_vaddr + ph.p_memsz, (ph.p_flags & PF_X) != 0});
  }
  return out;
}

const Segment* segment_of(const std::vector<Segment>& segments, std::uint64_t address) {
  for (const Segment& s : segments)
    if (s.begin <= address && address < s.end) return &s;
  return nullptr;
}

// The descriptor of one note: three 64-bit addresses then three strings, all inside `desc`.
Result<Note> decode_note(const std::uint8_t* desc, std::size_t size, const std::string& path) {
  if (size < 3 * 8 + 3) return file_error(path, "USDT note descriptor of " + std::to_string(size) + " bytes");
  Note note;
  std::memcpy(&note.pc, desc, 8);
  std::memcpy(&note.base, desc + 8, 8);
  std::memcpy(&note.semaphore, desc + 16, 8);
  std::string_view rest(reinterpret_cast<const char*>(desc) + 24, size - 24);
  std::string* fields[] = {&note.provider, &note.name, &note.arguments};
  for (std::string* field : fields) {
    const auto nul = rest.find('\0');
    if (nul == std::string_view::npos) return file_error(path, "USDT note strings are not NUL-terminated");
    field->assign(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  return note;
}

struct Sections {
  Elf_Scn* notes = nullptr;
  std::optional<std::uint64_t> base;  // sh_addr of .stapsdt.base
};

Result<Sections> find_sections(Elf* elf, const std::string& path) {
  std::size_t strings = 0;
  if (elf_getshdrstrndx(elf, &strings) != 0) return file_error(path, elf_errmsg(-1));
  Sections out;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) continue;
    const char* name = elf_strptr(elf, strings, sh.sh_name);
    if (name == nullptr) continue;
    if (std::strcmp(name, ".note.stapsdt") == 0 && sh.sh_type == SHT_NOTE) out.notes = scn;
    if (std::strcmp(name, ".stapsdt.base") == 0) out.base = sh.sh_addr;
  }
  return out;
}

// Every stapsdt note of the section, with its site checked against the executable segments.
Result<std::vector<Note>> decode_notes(Elf* elf, const Sections& sections, const std::string& path) {
  std::vector<Note> notes;
  const std::vector<Segment> segments = load_segments(elf);
  Elf_Data* data = elf_getdata(sections.notes, nullptr);
  if (data == nullptr) return notes;
  GElf_Nhdr header;
  std::size_t name_offset = 0, desc_offset = 0;
  for (std::size_t offset = 0;
       (offset = gelf_getnote(data, offset, &header, &name_offset, &desc_offset)) > 0;) {
    const auto* bytes = static_cast<const std::uint8_t*>(data->d_buf);
    const std::string_view owner(reinterpret_cast<const char*>(bytes + name_offset),
                                 header.n_namesz > 0 ? header.n_namesz - 1 : 0);
    if (header.n_type != kNoteType || owner != kNoteOwner) continue;
    auto note = decode_note(bytes + desc_offset, header.n_descsz, path);
    if (!note) return note.error();
    // Prelink moves the file's sections but not the addresses in the notes: .stapsdt.base's shift corrects them.
    note->address = note->pc + (sections.base ? *sections.base - note->base : 0);
    const Segment* segment = segment_of(segments, note->address);
    if (segment == nullptr || !segment->executable)
      return file_error(path, "USDT probe " + note->provider + ":" + note->name + " at 0x" +
                                  fmt_hex(note->address) + " is outside the executable segments");
    notes.push_back(std::move(*note));
  }
  return notes;
}

}  // namespace

Result<NoteFile> read_notes(const std::string& path) {
  elf_version(EV_CURRENT);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, "'" + path + "': " + std::strerror(errno));
  NoteFile out;
  Result<void> r = [&]() -> Result<void> {
    std::unique_ptr<Elf, ElfCloser> elf(elf_begin(fd, ELF_C_READ, nullptr));
    GElf_Ehdr eh;
    if (!elf || elf_kind(elf.get()) != ELF_K_ELF || gelf_getehdr(elf.get(), &eh) == nullptr)
      return file_error(path, "not an ELF file");
    out.position_independent = eh.e_type == ET_DYN;
    auto sections = find_sections(elf.get(), path);
    if (!sections) return sections.error();
    if (sections->notes == nullptr) return {};
    auto notes = decode_notes(elf.get(), *sections, path);
    if (!notes) return notes.error();
    out.notes = std::move(*notes);
    return {};
  }();
  close(fd);
  if (!r) return r.error();
  return out;
}

}  // namespace ubee::usdt
