// The functions of the executable sections (libbpf's bpf_object__add_programs): every STT_FUNC symbol of a
// section other than .text is a program; those of .text are subprograms, reachable only by calls. Also the
// `license` and `version` sections, which describe the programs.
#include <gelf.h>

#include <algorithm>
#include <cstring>

#include "object_parts.hpp"

namespace ubee::elf {
namespace {

Result<Function> make_function(const Parse& p, const Section& sec, const Symbol& sym) {
  const std::string what = "function '" + sym.name + "' in section '" + sec.name + "'";
  const bool text = sec.name == ".text";
  if (!text && sym.bind == STB_LOCAL)
    return p.error("static " + what + " is not supported: programs must be global", Errc::unsupported);
  if (sym.size == 0 || sym.value % kInsnSize != 0 || sym.size % kInsnSize != 0)
    return p.error(what + " has an invalid offset or size");
  if (sym.value > sec.data.size() || sym.size > sec.data.size() - sym.value)
    return p.error(what + " extends past the end of its section");
  Function f;
  f.name = sym.name;
  f.section = sec.index;
  f.first = sym.value / kInsnSize;
  f.entry = !text;
  f.insns.resize(sym.size / kInsnSize);
  std::memcpy(f.insns.data(), sec.data.data() + sym.value, sym.size);
  return f;
}

Result<void> read_section_functions(Parse& p, const Section& sec) {
  if (sec.data.size() % kInsnSize != 0) return p.error("section '" + sec.name + "' is not a whole number of instructions");
  std::size_t end = 0;  // of the previous function, in instructions: functions must not overlap
  for (const Symbol* sym : p.elf.symbols_in(sec.index)) {
    if (sym->type != STT_FUNC) continue;
    auto f = make_function(p, sec, *sym);
    if (!f) return f.error();
    if (f->first < end) return p.error("function '" + f->name + "' overlaps the one before it in section '" + sec.name + "'");
    end = f->first + f->insns.size();
    p.functions.push_back(std::move(*f));
  }
  return {};
}

}  // namespace

Result<void> read_functions(Parse& p) {
  for (const Section& sec : p.elf.sections()) {
    // Empty sections are skipped, as libbpf does: clang always emits an empty .text.
    if (!sec.executable() || sec.size == 0) continue;
    if (auto r = read_section_functions(p, sec); !r) return r;
  }
  return {};
}

Result<void> read_license_and_version(Parse& p) {
  if (const Section* sec = p.elf.find("license"); sec != nullptr && !sec->data.empty()) {
    const auto* begin = reinterpret_cast<const char*>(sec->data.data());
    p.spec.license.assign(begin, strnlen(begin, sec->data.size()));
  }
  if (const Section* sec = p.elf.find("version")) {
    if (sec->data.size() != sizeof(std::uint32_t)) return p.error("'version' section is not 4 bytes");
    std::memcpy(&p.spec.kernel_version, sec->data.data(), sizeof(std::uint32_t));
  }
  return {};
}

}  // namespace ubee::elf
