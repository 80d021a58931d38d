// BTF-defined maps (libbpf's bpf_object__init_user_btf_maps / parse_btf_map_def): each variable of the
// `.maps` DATASEC is a struct whose members encode the map in their types, as bpf_helpers.h writes them:
//   __uint(name, N)    int (*name)[N]          the number N, as an array dimension behind a pointer
//   __type(name, T)    typeof(T) *name         a type: its size and BTF id
//   __array(name, T)   typeof(T) *name[]       `values`: the inner map definition or program prototype
// The `.rel.maps` relocations give the initial slots of map-in-map and program arrays (`.values = {...}`).
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>

#include "btf_object.hpp"
#include "object_parts.hpp"

namespace ubee::elf {
namespace {

bool is_map_in_map(std::uint32_t type) {
  return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

// Reads one map definition struct into a MapSpec. `inner` for the definition inside `values`, which may
// neither pin nor nest further.
class MapDefReader {
 public:
  MapDefReader(const Parse& p, const struct btf* btf, std::string name, bool inner)
      : p_(p), btf_(btf), inner_(inner) {
    spec_.name = std::move(name);
  }

  Result<MapSpec> read(const btf_type* def) {
    const btf_member* m = btf_members(def);
    for (int i = 0; i < btf_vlen(def); ++i) {
      if (auto r = field(m[i], i == btf_vlen(def) - 1); !r) return r.error();
    }
    if (spec_.type == BPF_MAP_TYPE_UNSPEC) return fail("map type isn't specified");
    return std::move(spec_);
  }

 private:
  Error fail(const std::string& text) const { return p_.error("map '" + spec_.name + "': " + text); }

  Result<void> field(const btf_member& m, bool last) {
    const std::string name = btf_string(btf_, m.name_off);
    if (name == "key" || name == "value") return typed(m, name == "key");
    if (name == "values") return values(m, last);
    if (name == "pinning" && inner_) return fail("an inner map definition can't be pinned");
    if (auto setter = number_field(name)) {
      auto n = number(m, name);
      if (!n) return n.error();
      return (*setter)(*n);
    }
    return fail("unknown field '" + name + "'");
  }

  // The members holding a number, and what each sets; null for any other name.
  std::optional<std::function<Result<void>(std::uint32_t)>> number_field(const std::string& name) {
    auto set = [](std::uint32_t& field) {
      return [&field](std::uint32_t v) -> Result<void> { field = v; return {}; };
    };
    if (name == "type") return set(spec_.type);
    if (name == "max_entries") return set(spec_.max_entries);
    if (name == "map_flags") return set(spec_.flags);
    if (name == "numa_node") return [](std::uint32_t) -> Result<void> { return {}; };  // no NUMA in user space
    if (name == "key_size") return [this](std::uint32_t v) { return size("key", spec_.key_size, v); };
    if (name == "value_size") return [this](std::uint32_t v) { return size("value", spec_.value_size, v); };
    if (name == "map_extra") return [this](std::uint32_t v) -> Result<void> { spec_.map_extra = v; return {}; };
    if (name == "pinning") return [this](std::uint32_t v) -> Result<void> {
      if (v > 1) return fail("invalid pinning value " + std::to_string(v));
      spec_.pinning = v;
      return {};
    };
    return std::nullopt;
  }

  // __uint(name, N): a pointer to an array of N elements.
  Result<std::uint32_t> number(const btf_member& m, const std::string& name) const {
    const btf_type* ptr = skip_modifiers(btf_, m.type);
    if (ptr == nullptr || !btf_is_ptr(ptr)) return fail("field '" + name + "' is a " + kind_name(ptr) + ", not a pointer");
    const btf_type* arr = type_at(btf_, ptr->type);
    if (arr == nullptr || !btf_is_array(arr)) return fail("field '" + name + "' does not point to an array");
    return btf_array(arr)->nelems;
  }

  // A key or value size, which must agree with one given the other way.
  Result<void> size(const char* what, std::uint32_t& field, std::uint64_t v) const {
    if (field != 0 && field != v)
      return fail(std::string("conflicting ") + what + " size " + std::to_string(field) + " != " + std::to_string(v));
    field = static_cast<std::uint32_t>(v);
    return {};
  }

  // __type(key, T): a pointer to T; the size is sizeof(T) and the BTF id is T's.
  Result<void> typed(const btf_member& m, bool key) {
    const char* what = key ? "key" : "value";
    const btf_type* ptr = type_at(btf_, m.type);
    if (ptr == nullptr || !btf_is_ptr(ptr)) return fail(std::string(what) + " spec is not a pointer");
    const long long sz = btf__resolve_size(btf_, ptr->type);
    if (sz < 0 || sz > UINT32_MAX) return fail(std::string("can't determine the ") + what + " size of type [" + std::to_string(ptr->type) + "]");
    (key ? spec_.btf_key_type_id : spec_.btf_value_type_id) = ptr->type;
    return size(what, key ? spec_.key_size : spec_.value_size, static_cast<std::uint64_t>(sz));
  }

  // __array(values, T): an empty array of pointers to the inner map definition, or to a program prototype.
  Result<void> values(const btf_member& m, bool last) {
    if (inner_) return fail("multi-level inner maps are not supported");
    if (!last) return fail("'values' must be the last field");
    const bool prog_array = spec_.type == BPF_MAP_TYPE_PROG_ARRAY;
    if (!prog_array && !is_map_in_map(spec_.type)) return fail("'values' needs a map-in-map or a program array");
    if (auto r = size("value", spec_.value_size, 4); !r) return r;  // the value is a map or program id
    const btf_type* arr = type_at(btf_, m.type);
    if (arr == nullptr || !btf_is_array(arr) || btf_array(arr)->nelems != 0) return fail("'values' is not a zero-sized array");
    const btf_type* ptr = skip_modifiers(btf_, btf_array(arr)->type);
    if (ptr == nullptr || !btf_is_ptr(ptr)) return fail("'values' is not an array of pointers");
    const btf_type* target = skip_modifiers(btf_, ptr->type);
    if (prog_array) {
      if (target == nullptr || !btf_is_func_proto(target)) return fail("program array values must point to functions");
      return {};
    }
    if (target == nullptr || !btf_is_struct(target)) return fail("inner map definition is a " + std::string(kind_name(target)));
    auto inner = MapDefReader(p_, btf_, spec_.name + ".inner", true).read(target);
    if (!inner) return inner.error();
    spec_.inner = std::make_shared<const MapSpec>(std::move(*inner));
    return {};
  }

  const Parse& p_;
  const struct btf* btf_;
  bool inner_;
  MapSpec spec_;
};

// The kernel wants a ring buffer's size to be a power-of-2 multiple of the page size; libbpf rounds it up.
std::uint32_t ringbuf_size(std::uint32_t size) {
  const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  if (size == 0 || (size % page == 0 && ((size / page) & (size / page - 1)) == 0)) return size;
  for (std::uint64_t n = page; n <= UINT32_MAX; n <<= 1)
    if (n > size) return static_cast<std::uint32_t>(n);
  return size;
}

Result<void> read_btf_map(Parse& p, const Section& sec, const btf_var_secinfo& vsi) {
  const struct btf* btf = p.spec.btf.get();
  const btf_type* var = type_at(btf, vsi.type);
  if (var == nullptr || !btf_is_var(var)) return p.error(".maps: DATASEC entry [" + std::to_string(vsi.type) + "] is not a variable");
  const std::string name = btf_string(btf, var->name_off);
  if (name.empty()) return p.error(".maps: a map has no name");
  if (btf_var(var)->linkage == BTF_VAR_GLOBAL_EXTERN) return p.error("map '" + name + "' is extern", Errc::unsupported);
  if (std::uint64_t{vsi.offset} + vsi.size > sec.size) return p.error("map '" + name + "' extends past the end of .maps");
  std::uint32_t def_id = 0;
  const btf_type* def = skip_modifiers(btf, var->type, &def_id);
  if (def == nullptr || !btf_is_struct(def) || def->size > vsi.size)
    return p.error("map '" + name + "': definition is not a struct of the variable's size");
  auto spec = MapDefReader(p, btf, name, false).read(def);
  if (!spec) return spec.error();
  if (spec->type == BPF_MAP_TYPE_RINGBUF || spec->type == BPF_MAP_TYPE_USER_RINGBUF) spec->max_entries = ringbuf_size(spec->max_entries);
  MapOrigin origin{MapOrigin::Kind::btf, sec.index, vsi.offset, vsi.size, std::nullopt};
  const int last = btf_vlen(def) - 1;  // `values` is the last member, and only there when there are members
  if (last >= 0 && btf_string(btf, btf_members(def)[last].name_off) == "values")
    origin.values_offset = btf_member_bit_offset(def, static_cast<std::uint32_t>(last)) / 8;
  p.add_map(std::move(*spec), origin);
  return {};
}

}  // namespace

Result<void> read_btf_maps(Parse& p) {
  const Section* sec = p.elf.find(".maps");
  if (sec == nullptr || sec->size == 0) return {};
  if (!p.spec.btf) return p.error(".maps section needs BTF, but the object has no .BTF section");
  const std::uint32_t id = find_datasec(p.spec.btf.get(), ".maps");
  if (id == 0) return p.error(".BTF has no DATASEC for the .maps section");
  const btf_type* datasec = type_at(p.spec.btf.get(), id);
  for (int i = 0; i < btf_vlen(datasec); ++i)
    if (auto r = read_btf_map(p, *sec, btf_var_secinfos(datasec)[i]); !r) return r;
  return {};
}

namespace {

// The BTF map whose definition holds bytes [offset, offset + 8) of .maps, or -1. BTF maps come first in the
// list, by offset (the DATASEC is sorted), so a binary search finds the candidate.
long map_containing(const Parse& p, std::uint64_t offset) {
  const auto btf_end = std::find_if(p.origins.begin(), p.origins.end(), [](const MapOrigin& o) { return o.kind != MapOrigin::Kind::btf; });
  const auto after = std::upper_bound(p.origins.begin(), btf_end, offset, [](std::uint64_t off, const MapOrigin& o) { return off < o.offset; });
  if (after == p.origins.begin()) return -1;
  const MapOrigin& o = *(after - 1);
  return offset + 8 <= o.offset + o.size ? static_cast<long>(after - 1 - p.origins.begin()) : -1;
}

// What the `values` initialisers may name: BTF maps by name, and programs.
class SlotTargets {
 public:
  explicit SlotTargets(const Parse& p) : p_(p) {
    for (std::size_t i = 0; i < p.origins.size(); ++i)
      if (p.origins[i].kind == MapOrigin::Kind::btf) maps_.emplace(p.spec.maps[i].name, i);
  }

  Result<std::size_t> map(const Symbol& sym, std::size_t maps_section) const {
    const auto it = maps_.find(sym.name);
    if (sym.shndx != maps_section || it == maps_.end()) return p_.error(".maps: initial value '" + sym.name + "' is not a BTF-defined map");
    return it->second;
  }

  Result<std::string> program(const Symbol& sym) const {
    const long f = sym.value % kInsnSize == 0 ? p_.function_at(sym.shndx, sym.value / kInsnSize) : -1;
    const Function* fn = f < 0 ? nullptr : &p_.functions[static_cast<std::size_t>(f)];
    if (fn == nullptr || !fn->entry || fn->first * kInsnSize != sym.value || fn->name != sym.name)
      return p_.error(".maps: initial value '" + sym.name + "' is not a program");
    return fn->name;
  }

 private:
  const Parse& p_;
  std::map<std::string, std::size_t> maps_;
};

Result<MapSlotInit> map_slot(const Parse& p, const SlotTargets& targets, const Section& sec, const Relocation& rel) {
  const long index = map_containing(p, rel.offset);
  if (index < 0) return p.error(".maps: relocation at offset " + std::to_string(rel.offset) + " is not inside a map");
  const MapSpec& map = p.spec.maps[static_cast<std::size_t>(index)];
  const MapOrigin& origin = p.origins[static_cast<std::size_t>(index)];
  const std::uint64_t at = rel.offset - origin.offset;
  if (!origin.values_offset || at < *origin.values_offset || (at - *origin.values_offset) % 8 != 0)
    return p.error("map '" + map.name + "': initial value outside its 'values' array");
  const std::uint64_t slot = (at - *origin.values_offset) / 8;
  // Array-like outer maps are indexed by slot; a hash of maps takes the slot as its u32 key.
  if (slot >= map.max_entries && map.type != BPF_MAP_TYPE_HASH_OF_MAPS) return p.error("map '" + map.name + "': initial slot " + std::to_string(slot) + " is past max_entries");
  MapSlotInit init{static_cast<std::size_t>(index), static_cast<std::uint32_t>(slot), std::nullopt, {}};
  const Symbol& sym = p.elf.symbols()[rel.symbol];
  if (map.type == BPF_MAP_TYPE_PROG_ARRAY) {
    auto name = targets.program(sym);
    if (!name) return name.error();
    init.program = std::move(*name);
    return init;
  }
  if (map.type == BPF_MAP_TYPE_HASH_OF_MAPS && map.key_size != 4) return p.error("map '" + map.name + "': initial values need a 4-byte key");
  auto inner = targets.map(sym, sec.index);
  if (!inner) return inner.error();
  init.inner_map = *inner;
  return init;
}

}  // namespace

Result<void> read_map_slots(Parse& p) {
  const Section* sec = p.elf.find(".maps");
  if (sec == nullptr) return {};
  const SlotTargets targets(p);
  for (const Relocation& rel : p.elf.relocations(sec->index)) {
    if (rel.type != kRelBpfAbs64 && rel.type != kRelBpf64_64)
      return p.error(".maps: unexpected relocation type " + std::to_string(rel.type));
    auto slot = map_slot(p, targets, *sec, rel);
    if (!slot) return slot.error();
    p.spec.initial_slots.push_back(std::move(*slot));
  }
  return {};
}

}  // namespace ubee::elf
