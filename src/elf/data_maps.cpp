// Global data as libbpf presents it (bpf_object__init_global_data_maps, bpf_object__init_kconfig_map): each
// non-empty .data*, .rodata* and .bss* section becomes a single-entry array whose one value is the section,
// named "<object>.data" etc. (internal_map_name), read-only for programs when it is .rodata*. `__kconfig`
// externs become the ".kconfig" array, laid out as libbpf lays them out, zero until the loader fills them.
#include <gelf.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "btf_object.hpp"
#include "object_parts.hpp"

namespace ubee::elf {
namespace {

constexpr std::size_t kObjNameLen = 16;  // BPF_OBJ_NAME_LEN, with the terminating NUL
// The kernel refuses array values larger than KMALLOC_MAX_SIZE (4 MiB): a bigger .bss could never load, and
// checking it here keeps a crafted section size from making the reader allocate gigabytes of zeroes.
constexpr std::uint64_t kMaxValueSize = std::uint64_t{1} << 22;

bool named(const std::string& name, const std::string& base) {
  return name == base || name.rfind(base + ".", 0) == 0;
}

enum class DataKind { none, data, rodata, bss };

DataKind data_kind(const Section& s) {
  if (s.type == SHT_PROGBITS && !(s.flags & SHF_EXECINSTR)) {
    if (named(s.name, ".data")) return DataKind::data;
    if (named(s.name, ".rodata")) return DataKind::rodata;
  }
  if (s.type == SHT_NOBITS && named(s.name, ".bss")) return DataKind::bss;
  return DataKind::none;
}

// libbpf's internal_map_name(): as much of the object name as fits before the section name, which keeps at
// least 7 characters; custom sections (".rodata.foo": a second dot) get no prefix; 15 characters at most.
std::string internal_map_name(const std::string& object, const std::string& section) {
  const std::size_t suffix = std::min(std::max<std::size_t>(7, section.size()), kObjNameLen - 1);
  const bool custom = section.find('.', 1) != std::string::npos;
  const std::size_t prefix = custom ? 0 : std::min(kObjNameLen - suffix - 1, object.size());
  std::string name = (object.substr(0, prefix) + section.substr(0, suffix)).substr(0, kObjNameLen - 1);
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') c = '_';
  return name;
}

// Whether users can see some variable of the DATASEC (a non-static one), which makes libbpf map it mmapable.
bool has_visible_variable(const struct btf* btf, std::uint32_t datasec) {
  const btf_type* t = type_at(btf, datasec);
  for (int i = 0; t != nullptr && i < btf_vlen(t); ++i) {
    const btf_type* var = type_at(btf, btf_var_secinfos(t)[i].type);
    if (var != nullptr && btf_is_var(var) && btf_var(var)->linkage != BTF_VAR_STATIC) return true;
  }
  return false;
}

MapSpec internal_map(const Parse& p, const std::string& section, std::uint64_t size, bool read_only) {
  MapSpec spec;
  spec.name = internal_map_name(p.spec.name, section);
  spec.type = BPF_MAP_TYPE_ARRAY;
  spec.key_size = sizeof(std::uint32_t);
  spec.value_size = static_cast<std::uint32_t>(size);
  spec.max_entries = 1;
  spec.flags = read_only ? BPF_F_RDONLY_PROG : 0;
  if (p.spec.btf) spec.btf_value_type_id = find_datasec(p.spec.btf.get(), section);
  if (spec.btf_value_type_id != 0 && has_visible_variable(p.spec.btf.get(), spec.btf_value_type_id))
    spec.flags |= BPF_F_MMAPABLE;
  return spec;
}

Result<void> read_data_section(Parse& p, const Section& sec, DataKind kind) {
  if (sec.size > kMaxValueSize) return p.error("section '" + sec.name + "' is larger than a map value can be (4 MiB)");
  if (kind != DataKind::bss && sec.data.size() != sec.size) return p.error("section '" + sec.name + "' has no contents");
  MapSpec spec = internal_map(p, sec.name, sec.size, kind == DataKind::rodata);
  if (kind == DataKind::bss)
    spec.initial_value.assign(sec.size, 0);
  else
    spec.initial_value = sec.data;
  p.add_map(std::move(spec), {MapOrigin::Kind::data, sec.index, 0, sec.size, std::nullopt});
  return {};
}

// ---- .kconfig externs

bool is_extern(const Symbol& s) {
  return s.shndx == SHN_UNDEF && (s.bind == STB_GLOBAL || s.bind == STB_WEAK) && s.type == STT_NOTYPE && !s.name.empty();
}

// Alignment of the value types libbpf accepts for kconfig (bool, char, tristate, integers, char arrays); 0 for others.
std::uint32_t kconfig_align(const struct btf* btf, std::uint32_t type) {
  const btf_type* t = skip_modifiers(btf, type);
  if (t != nullptr && btf_is_array(t)) {
    const btf_type* elem = skip_modifiers(btf, btf_array(t)->type);
    return elem != nullptr && btf_is_int(elem) && elem->size == 1 ? 1 : 0;
  }
  if (t == nullptr || !(btf_is_int(t) || btf_is_any_enum(t))) return 0;
  return t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8 ? t->size : 0;
}

struct KconfigVar {
  KconfigExtern ext;
  std::uint32_t align = 0;
  btf_var_secinfo* vsi = nullptr;  // in the BTF, to fix up its offset
};

// The undefined symbols, by name: whether each is weak.
std::map<std::string, bool> extern_symbols(const ElfFile& elf) {
  std::map<std::string, bool> out;
  for (const Symbol& s : elf.symbols())
    if (is_extern(s)) out[s.name] = s.bind == STB_WEAK;
  return out;
}

Result<KconfigVar> kconfig_var(const Parse& p, const std::map<std::string, bool>& externs, btf_var_secinfo& vsi) {
  const struct btf* btf = p.spec.btf.get();
  const btf_type* var = type_at(btf, vsi.type);
  if (var == nullptr || !btf_is_var(var)) return p.error(".kconfig: only variables can be kconfig externs", Errc::unsupported);
  KconfigVar k{{btf_string(btf, var->name_off), 0, 0, false}, kconfig_align(btf, var->type), &vsi};
  const long long size = btf__resolve_size(btf, var->type);
  if (k.align == 0 || size <= 0 || size > UINT32_MAX) return p.error("extern (kcfg) '" + k.ext.name + "': type is unsupported", Errc::unsupported);
  k.ext.size = static_cast<std::uint32_t>(size);
  if (auto it = externs.find(k.ext.name); it != externs.end()) k.ext.weak = it->second;
  return k;
}

// libbpf's order (cmp_externs): by decreasing alignment, then increasing size, then name; each aligned.
std::uint32_t lay_out(std::vector<KconfigVar>& vars) {
  std::sort(vars.begin(), vars.end(), [](const KconfigVar& a, const KconfigVar& b) {
    if (a.align != b.align) return a.align > b.align;
    if (a.ext.size != b.ext.size) return a.ext.size < b.ext.size;
    return a.ext.name < b.ext.name;
  });
  std::uint64_t end = 0;
  for (KconfigVar& v : vars) {
    end = (end + v.align - 1) / v.align * v.align;
    v.ext.offset = static_cast<std::uint32_t>(end);
    end += v.ext.size;
  }
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(end, UINT32_MAX));
}

Result<void> read_kconfig(Parse& p, std::uint32_t datasec_id) {
  auto* datasec = const_cast<btf_type*>(type_at(p.spec.btf.get(), datasec_id));
  std::vector<KconfigVar> vars;
  const auto externs = extern_symbols(p.elf);
  for (int i = 0; i < btf_vlen(datasec); ++i) {
    auto v = kconfig_var(p, externs, btf_var_secinfos(datasec)[i]);
    if (!v) return v.error();
    vars.push_back(std::move(*v));
  }
  if (vars.empty()) return {};
  const std::uint32_t size = lay_out(vars);
  if (size > kMaxValueSize) return p.error(".kconfig externs are larger than a map value can be (4 MiB)");
  // As libbpf does, the DATASEC gets the layout, so the BTF describes the map's value.
  datasec->size = size;
  for (KconfigVar& v : vars) {
    v.vsi->offset = v.ext.offset;
    p.kconfig_index.emplace(v.ext.name, p.spec.kconfig.size());
    p.spec.kconfig.push_back(v.ext);
  }
  sort_datasec_vars(datasec);
  MapSpec spec = internal_map(p, ".kconfig", size, true);
  spec.initial_value.assign(size, 0);
  p.add_map(std::move(spec), {MapOrigin::Kind::kconfig, 0, 0, size, std::nullopt});
  return {};
}

}  // namespace

Result<void> read_data_maps(Parse& p) {
  for (const Section& sec : p.elf.sections()) {
    const DataKind kind = data_kind(sec);
    if (kind == DataKind::none || sec.size == 0) continue;  // libbpf skips empty sections too
    if (auto r = read_data_section(p, sec, kind); !r) return r;
  }
  const std::uint32_t kconfig = p.spec.btf ? find_datasec(p.spec.btf.get(), ".kconfig") : 0;
  return kconfig == 0 ? Result<void>{} : read_kconfig(p, kconfig);
}

}  // namespace ubee::elf
