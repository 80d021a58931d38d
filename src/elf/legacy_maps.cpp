// Legacy map definitions: the `maps` section holds one struct bpf_map_def {type, key_size, value_size,
// max_entries, map_flags} (five u32) per map symbol, as libbpf before 1.0 read them. As libbpf did, the entry
// size is the section size over the number of symbols, so definitions with extra trailing fields (iproute2's)
// are accepted when those fields are zero.
#include <algorithm>
#include <array>
#include <cstring>

#include "object_parts.hpp"

namespace ubee::elf {
namespace {

constexpr std::size_t kDefFields = 5;
constexpr std::size_t kDefSize = kDefFields * sizeof(std::uint32_t);

Result<MapSpec> legacy_map(const Parse& p, const Section& sec, const Symbol& sym, std::size_t def_size) {
  if (sym.value > sec.data.size() || def_size > sec.data.size() - sym.value)
    return p.error("legacy map '" + sym.name + "' extends past the end of the maps section");
  const std::uint8_t* def = sec.data.data() + sym.value;
  std::array<std::uint32_t, kDefFields> f{};
  std::memcpy(f.data(), def, std::min(def_size, kDefSize));
  if (def_size > kDefSize && std::any_of(def + kDefSize, def + def_size, [](std::uint8_t b) { return b != 0; }))
    return p.error("legacy map '" + sym.name + "' has unrecognised, non-zero options", Errc::unsupported);
  MapSpec spec;
  spec.name = sym.name;
  spec.type = f[0];
  spec.key_size = f[1];
  spec.value_size = f[2];
  spec.max_entries = f[3];
  spec.flags = f[4];
  return spec;
}

}  // namespace

Result<void> read_legacy_maps(Parse& p) {
  const Section* sec = p.elf.find("maps");
  if (sec == nullptr || sec->size == 0) return {};
  const auto symbols = p.elf.symbols_in(sec->index);
  if (symbols.empty() || sec->data.size() % symbols.size() != 0)
    return p.error("can't tell the map definition size of the maps section: " + std::to_string(symbols.size()) +
                   " maps in " + std::to_string(sec->data.size()) + " bytes");
  const std::size_t def_size = sec->data.size() / symbols.size();
  if (def_size == 0) return p.error("the maps section has symbols but no definitions");
  for (const Symbol* sym : symbols) {
    auto spec = legacy_map(p, *sec, *sym, def_size);
    if (!spec) return spec.error();
    p.add_map(std::move(*spec), {MapOrigin::Kind::legacy, sec->index, sym->value, def_size, std::nullopt});
  }
  return {};
}

}  // namespace ubee::elf
