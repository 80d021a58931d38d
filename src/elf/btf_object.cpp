#include "btf_object.hpp"

#include <bpf/libbpf.h>
#include <gelf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "ubee/elf.hpp"

namespace ubee::elf {

const btf_type* type_at(const struct btf* btf, std::uint32_t id) {
  if (btf == nullptr || id >= btf__type_cnt(btf)) return nullptr;
  return btf__type_by_id(btf, id);
}

const btf_type* skip_modifiers(const struct btf* btf, std::uint32_t id, std::uint32_t* id_out) {
  // Deep enough for any real chain; a crafted cycle (typedef A -> typedef A) ends here instead of looping.
  constexpr int kMaxDepth = 32;
  const btf_type* t = type_at(btf, id);
  for (int depth = 0; t != nullptr && (btf_is_mod(t) || btf_is_typedef(t)); ++depth) {
    if (depth == kMaxDepth) return nullptr;
    id = t->type;
    t = type_at(btf, id);
  }
  if (id_out != nullptr) *id_out = id;
  return t;
}

std::string btf_string(const struct btf* btf, std::uint32_t offset) {
  const char* s = btf__name_by_offset(btf, offset);
  return s == nullptr ? std::string{} : std::string(s);
}

const char* kind_name(const btf_type* t) {
  static constexpr const char* kNames[] = {"void",     "int",     "ptr",    "array",    "struct",     "union", "enum",
                                           "fwd",      "typedef", "volatile", "const",  "restrict",   "func",  "func_proto",
                                           "var",      "datasec", "float",  "decl_tag", "type_tag",   "enum64"};
  if (t == nullptr) return "invalid";
  const auto k = btf_kind(t);
  return k < std::size(kNames) ? kNames[k] : "unknown";
}

void sort_datasec_vars(btf_type* datasec) {
  btf_var_secinfo* vars = btf_var_secinfos(datasec);
  std::sort(vars, vars + btf_vlen(datasec), [](const auto& a, const auto& b) { return a.offset < b.offset; });
}

std::uint32_t find_datasec(const struct btf* btf, const std::string& name) {
  const int id = btf__find_by_name_kind(btf, name.c_str(), BTF_KIND_DATASEC);
  return id > 0 ? static_cast<std::uint32_t>(id) : 0;
}

namespace {

// The type ids a type refers to, and the string offsets it names, so that every one can be checked.
struct References {
  std::vector<std::uint32_t> types;
  std::vector<std::uint32_t> names;
};

void members_references(const btf_type* t, References& refs) {
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i) {
    refs.types.push_back(m[i].type);
    refs.names.push_back(m[i].name_off);
  }
}

void enum_references(const btf_type* t, References& refs) {
  for (int i = 0; i < btf_vlen(t); ++i)
    refs.names.push_back(btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off);
}

References references(const btf_type* t) {
  References refs;
  refs.names.push_back(t->name_off);
  switch (btf_kind(t)) {
    case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG: case BTF_KIND_FUNC: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
      refs.types.push_back(t->type);
      break;
    case BTF_KIND_ARRAY:
      refs.types.push_back(btf_array(t)->type);
      refs.types.push_back(btf_array(t)->index_type);
      break;
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: members_references(t, refs); break;
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64: enum_references(t, refs); break;
    case BTF_KIND_FUNC_PROTO:
      refs.types.push_back(t->type);
      for (int i = 0; i < btf_vlen(t); ++i) refs.types.push_back(btf_params(t)[i].type);
      break;
    case BTF_KIND_DATASEC:
      for (int i = 0; i < btf_vlen(t); ++i) refs.types.push_back(btf_var_secinfos(t)[i].type);
      break;
    default: break;
  }
  return refs;
}

// libbpf 1.1 parses the type table but does not check the ids types refer to (1.3 added that); this does.
Result<void> check_references(const ElfFile& elf, const struct btf* btf) {
  const std::uint32_t count = btf__type_cnt(btf);
  for (std::uint32_t id = 1; id < count; ++id) {
    const References refs = references(btf__type_by_id(btf, id));
    for (const std::uint32_t ref : refs.types)
      if (ref >= count) return elf.error(".BTF: type [" + std::to_string(id) + "] refers to missing type [" + std::to_string(ref) + "]");
    for (const std::uint32_t name : refs.names)
      if (btf__name_by_offset(btf, name) == nullptr)
        return elf.error(".BTF: type [" + std::to_string(id) + "] has an invalid name offset");
  }
  return {};
}

// The ELF symbols of variables by (section, name): they give the offsets clang leaves out of the DATASECs.
using VariableSymbols = std::map<std::pair<std::size_t, std::string>, const Symbol*>;

VariableSymbols variable_symbols(const ElfFile& elf) {
  VariableSymbols out;
  for (const Symbol& s : elf.symbols())
    if (s.type == STT_OBJECT) out.emplace(std::pair{std::size_t{s.shndx}, s.name}, &s);
  return out;
}

// Fills in one variable's offset, and, as libbpf does, makes hidden globals static (not visible to users).
Result<void> fixup_variable(const ElfFile& elf, const VariableSymbols& symbols, struct btf* btf, const Section& sec,
                            btf_var_secinfo& vsi, bool offsets) {
  const btf_type* var_type = type_at(btf, vsi.type);
  if (var_type == nullptr || !btf_is_var(var_type)) return {};  // a FUNC of .ksyms, or checked by the map readers
  struct btf_var* var = btf_var(var_type);
  if (var->linkage == BTF_VAR_STATIC || var->linkage == BTF_VAR_GLOBAL_EXTERN) return {};  // clang set static ones
  const std::string name = btf_string(btf, var_type->name_off);
  const auto found = symbols.find({sec.index, name});
  const Symbol* sym = found == symbols.end() ? nullptr : found->second;
  if (sym == nullptr) return elf.error(".BTF: no symbol for variable '" + name + "' of section '" + sec.name + "'");
  if (offsets) vsi.offset = static_cast<std::uint32_t>(sym->value);
  if (sym->visibility == STV_HIDDEN || sym->visibility == STV_INTERNAL) var->linkage = BTF_VAR_STATIC;
  return {};
}

// clang emits DATASECs with size 0 and global variables at offset 0: libbpf fills them in from the ELF
// (btf_fixup_datasec) before anything reads them, in place in its own copy of the types; so does this.
Result<void> fixup_datasec(const ElfFile& elf, const VariableSymbols& symbols, struct btf* btf, btf_type* t) {
  const std::string name = btf_string(btf, t->name_off);
  if (name == ".kconfig" || name == ".ksyms") return {};  // externs: laid out by the kconfig reader
  const Section* sec = elf.find(name);
  if (sec == nullptr) return elf.error(".BTF: DATASEC '" + name + "' has no ELF section");
  const bool offsets = t->size == 0;
  if (offsets) t->size = static_cast<std::uint32_t>(sec->size);
  btf_var_secinfo* vars = btf_var_secinfos(t);
  for (int i = 0; i < btf_vlen(t); ++i)
    if (auto r = fixup_variable(elf, symbols, btf, *sec, vars[i], offsets); !r) return r;
  sort_datasec_vars(t);
  for (int i = 0; i < btf_vlen(t); ++i)
    if (std::uint64_t{vars[i].offset} + vars[i].size > t->size)
      return elf.error(".BTF: a variable of DATASEC '" + name + "' extends past its end");
  return {};
}

Result<void> fixup_datasecs(const ElfFile& elf, struct btf* btf) {
  const VariableSymbols symbols = variable_symbols(elf);
  for (std::uint32_t id = 1; id < btf__type_cnt(btf); ++id) {
    auto* t = const_cast<btf_type*>(btf__type_by_id(btf, id));
    if (!btf_is_datasec(t)) continue;
    if (auto r = fixup_datasec(elf, symbols, btf, t); !r) return r;
  }
  return {};
}

// libbpf reports what it rejects on stderr; here the error goes back to the caller instead, so its printer
// is silenced while it parses. The lock keeps concurrent parses from restoring each other's printer.
struct btf* parse_quietly(const std::vector<std::uint8_t>& data) {
  static std::mutex lock;
  const std::lock_guard<std::mutex> guard(lock);
  const libbpf_print_fn_t saved = libbpf_set_print(nullptr);
  struct btf* btf = btf__new(data.data(), static_cast<std::uint32_t>(data.size()));
  const int err = errno;
  libbpf_set_print(saved);
  errno = err;
  return btf;
}

}  // namespace

Result<std::shared_ptr<struct btf>> load_btf(const ElfFile& elf) {
  const Section* sec = elf.find(".BTF");
  if (sec == nullptr) return std::shared_ptr<struct btf>{};
  if (sec->data.empty()) return elf.error(".BTF section is empty");
  if (sec->data.size() > UINT32_MAX) return elf.error(".BTF section is too large");
  struct btf* raw = parse_quietly(sec->data);
  if (raw == nullptr) return elf.error(".BTF section is malformed: " + std::string(std::strerror(errno)));
  std::shared_ptr<struct btf> btf(raw, BtfDeleter{});
  if (btf__endianness(raw) != BTF_LITTLE_ENDIAN) return elf.error(".BTF is big-endian in a little-endian object");
  if (auto r = check_references(elf, raw); !r) return r.error();
  if (auto r = fixup_datasecs(elf, raw); !r) return r.error();
  return btf;
}

}  // namespace ubee::elf
