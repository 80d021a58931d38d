// CO-RE relocations, resolved with the object's own BTF as the target (libbpf's relo_core.c computes the
// local and the target value; here both are the local one). ubee runs programs on memory whose layout the
// program's own types describe, so the types it was compiled with are the truth and each instruction gets the
// local value -- clang has already put it there, so this checks it the way libbpf's bpf_core_patch_insn does.
//
// The rule for what needs a kernel: a relocation is resolved locally when every type it reaches is complete
// in the object's BTF. TYPE_ID_TARGET (the kernel's id of a type), and any relocation whose type is only
// declared here (`struct task_struct;`: a BTF FWD), need the kernel's BTF and are errors naming the
// program, the instruction and the access string. A partial definition (a struct with a few of a kernel
// struct's fields, marked preserve_access_index) cannot be told from an application's own struct: it
// resolves to its local layout.
#include <climits>

#include "btf_ext.hpp"
#include "object_parts.hpp"

namespace ubee::elf {
namespace {

constexpr std::size_t kMaxAccessLen = 64;  // libbpf's BPF_CORE_SPEC_MAX_LEN

const char* kind_str(std::uint32_t kind) {
  static constexpr const char* kNames[] = {"byte_off",     "byte_sz",        "field_exists", "signed",
                                           "lshift_u64",   "rshift_u64",     "local_type_id", "target_type_id",
                                           "type_exists",  "type_size",      "enumval_exists", "enumval_value",
                                           "type_matches"};
  return kind < std::size(kNames) ? kNames[kind] : "unknown";
}

bool field_based(std::uint32_t k) { return k <= BPF_CORE_FIELD_RSHIFT_U64; }
bool enumval_based(std::uint32_t k) { return k == BPF_CORE_ENUMVAL_EXISTS || k == BPF_CORE_ENUMVAL_VALUE; }

struct CoreValue {
  std::uint64_t value = 0;
  bool validate = true;  // whether the instruction must already hold it (libbpf skips ambiguous bitfield values)
};

// The last step of a field access: a named member of a struct/union, or an array element (or the root).
struct Accessor {
  bool named = false;
  std::uint32_t type = 0;  // named: the struct or union; otherwise: the element type
  std::uint32_t index = 0;  // named: the member index
};

class CoreRelocation {
 public:
  CoreRelocation(const Parse& p, const Function& f, std::size_t insn, const CoreRelo& r)
      : p_(p), btf_(p.spec.btf.get()), f_(f), insn_(insn), r_(r) {
    const char* access = btf__name_by_offset(btf_, r.access_str_off);
    access_ = access == nullptr ? "" : access;
  }

  Result<void> apply(Program& insns) const {
    auto v = value();
    if (!v) return v.error();
    return patch(insns, *v);
  }

 private:
  Error fail(const std::string& text, Errc code = Errc::invalid_argument) const {
    return p_.error(p_.where(f_, insn_) + ": CO-RE relocation " + kind_str(r_.kind) + " of " + describe(r_.type_id) +
                        " (access '" + access_ + "'): " + text, code);
  }
  Error needs_kernel(const std::string& why) const {
    return fail(why + "; that needs the kernel's BTF, which ubee does not have", Errc::unsupported);
  }
  std::string describe(std::uint32_t id) const {
    const btf_type* t = type_at(btf_, id);
    if (t == nullptr) return "[" + std::to_string(id) + "] (missing)";
    const std::string name = btf_string(btf_, t->name_off);
    return "[" + std::to_string(id) + "] " + kind_name(t) + " " + (name.empty() ? "<anon>" : name);
  }

  // The root type without modifiers; a forward declaration is a type only the kernel can complete.
  Result<const btf_type*> complete(std::uint32_t id, std::uint32_t* id_out) const {
    const btf_type* t = skip_modifiers(btf_, id, id_out);
    if (t == nullptr) return fail("broken type chain at " + describe(id));
    if (btf_is_fwd(t)) return needs_kernel(describe(*id_out) + " is only declared in this object");
    return t;
  }

  Result<std::vector<std::uint32_t>> parse_access() const {
    std::vector<std::uint32_t> out;
    std::size_t i = 0;
    if (access_.empty() || access_[0] == ':') return fail("invalid access string");
    while (i < access_.size()) {
      if (access_[i] == ':') ++i;
      std::uint64_t n = 0;
      const std::size_t start = i;
      for (; i < access_.size() && access_[i] >= '0' && access_[i] <= '9' && n <= INT_MAX; ++i) n = n * 10 + (access_[i] - '0');
      if (i == start || n > INT_MAX || (i < access_.size() && access_[i] != ':') || out.size() == kMaxAccessLen) return fail("invalid access string");
      out.push_back(static_cast<std::uint32_t>(n));
    }
    return out;
  }

  Result<CoreValue> value() const {
    if (r_.kind > BPF_CORE_TYPE_MATCHES) return fail("unknown relocation kind " + std::to_string(r_.kind));
    if (type_at(btf_, r_.type_id) == nullptr || r_.type_id == 0) return fail("type id out of range");
    if (r_.kind == BPF_CORE_TYPE_ID_TARGET) return needs_kernel("it asks for the kernel's id of the type");
    auto access = parse_access();
    if (!access) return access.error();
    if (field_based(r_.kind)) return field_value(*access);
    if (enumval_based(r_.kind)) return enum_value(*access);
    return type_value(*access);
  }

  Result<CoreValue> type_value(const std::vector<std::uint32_t>& access) const {
    if (access.size() != 1 || access[0] != 0) return fail("type relocations take the access string '0'");
    if (r_.kind == BPF_CORE_TYPE_ID_LOCAL) return CoreValue{r_.type_id, false};  // ids may change when linking
    std::uint32_t id = 0;
    auto t = complete(r_.type_id, &id);
    if (!t) return t.error();
    if (r_.kind != BPF_CORE_TYPE_SIZE) return CoreValue{1, true};  // exists, matches: it is its own target
    const long long size = btf__resolve_size(btf_, id);
    if (size < 0) return fail("type has no size");
    return CoreValue{static_cast<std::uint64_t>(size), true};
  }

  Result<CoreValue> enum_value(const std::vector<std::uint32_t>& access) const {
    std::uint32_t id = 0;
    auto t = complete(r_.type_id, &id);
    if (!t) return t.error();
    if (!btf_is_any_enum(*t) || access.size() != 1 || access[0] >= btf_vlen(*t)) return fail("not an enumerator");
    if (r_.kind == BPF_CORE_ENUMVAL_EXISTS) return CoreValue{1, true};
    // libbpf widens a 32-bit enumerator as signed, whatever the enum's signedness.
    if (btf_is_enum(*t)) return CoreValue{static_cast<std::uint64_t>(static_cast<std::int64_t>(btf_enum(*t)[access[0]].val)), true};
    return CoreValue{btf_enum64_value(btf_enum64(*t) + access[0]), true};
  }

  // Walks the access string from the root type (libbpf's bpf_core_parse_spec): the bit offset of the field
  // and its last accessor.
  Result<std::pair<std::uint64_t, Accessor>> walk(const std::vector<std::uint32_t>& access) const {
    std::uint32_t id = 0;
    auto root = complete(r_.type_id, &id);
    if (!root) return root.error();
    const long long root_size = btf__resolve_size(btf_, id);
    if (root_size < 0) return fail("type has no size");
    std::uint64_t bits = std::uint64_t{access[0]} * static_cast<std::uint64_t>(root_size) * 8;
    Accessor last{false, id, access[0]};
    for (std::size_t i = 1; i < access.size(); ++i) {
      auto step = walk_step(id, access[i], last, bits);
      if (!step) return step.error();
      id = *step;
    }
    return std::pair{bits, last};
  }

  // One step into a struct/union member or an array element; returns the type stepped into.
  Result<std::uint32_t> walk_step(std::uint32_t id, std::uint32_t index, Accessor& last, std::uint64_t& bits) const {
    auto t = complete(id, &id);
    if (!t) return t.error();
    if (btf_is_composite(*t)) {
      if (index >= btf_vlen(*t)) return fail("member " + std::to_string(index) + " of " + describe(id) + " does not exist");
      bits += btf_member_bit_offset(*t, index);
      const btf_member& m = btf_members(*t)[index];
      if (m.name_off != 0) last = Accessor{true, id, index};  // anonymous members are not accessors (libbpf)
      return m.type;
    }
    if (!btf_is_array(*t)) return fail("access steps into " + describe(id));
    const struct btf_array* a = btf_array(*t);
    std::uint32_t elem = 0;
    if (skip_modifiers(btf_, a->type, &elem) == nullptr) return fail("broken array element type");
    const bool flexible = last.named && a->nelems == 0 && last.index + 1 == btf_vlen(type_at(btf_, last.type));
    if (!flexible && index >= a->nelems) return fail("array index " + std::to_string(index) + " out of bounds");
    const long long size = btf__resolve_size(btf_, elem);
    if (size < 0) return fail("array element has no size");
    bits += std::uint64_t{index} * static_cast<std::uint64_t>(size) * 8;
    last = Accessor{false, elem, 0};
    return elem;
  }

  Result<CoreValue> field_value(const std::vector<std::uint32_t>& access) const {
    auto walked = walk(access);
    if (!walked) return walked.error();
    const auto [bits, last] = *walked;
    if (r_.kind == BPF_CORE_FIELD_EXISTS) return CoreValue{1, true};
    if (!last.named) return element_value(bits, last);
    return member_value(bits, last);
  }

  // An array element (or the root object itself): only its offset and size are defined.
  Result<CoreValue> element_value(std::uint64_t bits, const Accessor& last) const {
    if (r_.kind == BPF_CORE_FIELD_BYTE_OFFSET) return CoreValue{bits / 8, true};
    if (r_.kind != BPF_CORE_FIELD_BYTE_SIZE) return fail("can't be applied to an array access");
    const long long size = btf__resolve_size(btf_, last.type);
    if (size < 0) return fail("element has no size");
    return CoreValue{static_cast<std::uint64_t>(size), true};
  }

  // libbpf's bpf_core_calc_field_relo for a named member, bitfields included.
  Result<CoreValue> member_value(std::uint64_t bit_off, const Accessor& last) const {
    const btf_type* parent = type_at(btf_, last.type);
    std::uint32_t field_id = 0;
    const btf_type* mt = skip_modifiers(btf_, btf_members(parent)[last.index].type, &field_id);
    if (mt == nullptr) return fail("broken member type");
    std::uint64_t bit_sz = btf_member_bitfield_size(parent, last.index);
    const bool bitfield = bit_sz > 0;
    std::uint64_t byte_sz = 0, byte_off = 0;
    if (bitfield) {
      byte_sz = mt->size;
      if (byte_sz == 0 || !(btf_is_int(mt) || btf_is_any_enum(mt))) return fail("bitfield of a type without size");
      byte_off = bit_off / 8 / byte_sz * byte_sz;
      while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {  // the smallest load that covers the bits
        if (byte_sz >= 8) return fail("bitfield can't be read with a 64-bit load");
        byte_sz *= 2;
        byte_off = bit_off / 8 / byte_sz * byte_sz;
      }
    } else {
      const long long size = btf__resolve_size(btf_, field_id);
      if (size < 0) return fail("field has no size");
      byte_sz = static_cast<std::uint64_t>(size);
      byte_off = bit_off / 8;
      bit_sz = byte_sz * 8;
    }
    switch (r_.kind) {
      case BPF_CORE_FIELD_BYTE_OFFSET: return CoreValue{byte_off, !bitfield};
      case BPF_CORE_FIELD_BYTE_SIZE: return CoreValue{byte_sz, !bitfield};
      case BPF_CORE_FIELD_SIGNED:
        return CoreValue{(btf_is_any_enum(mt) && btf_kflag(mt)) || (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED)), true};
      case BPF_CORE_FIELD_LSHIFT_U64: return CoreValue{64 - (bit_off + bit_sz - byte_off * 8), !bitfield};
      default: return CoreValue{64 - bit_sz, true};  // BPF_CORE_FIELD_RSHIFT_U64
    }
  }

  // libbpf's bpf_core_patch_insn: an immediate, a memory offset or a 64-bit immediate gets the value.
  Result<void> patch(Program& insns, const CoreValue& v) const {
    const std::size_t at = insn_ - f_.first;
    Insn& in = insns[at];
    auto mismatch = [&](std::int64_t got) {
      return fail("instruction holds " + std::to_string(got) + ", expected " + std::to_string(v.value));
    };
    switch (in.cls()) {
      case BPF_ALU:
      case BPF_ALU64:
        if (in.source() != BPF_K) return fail("can't relocate a register operation");
        if (v.validate && static_cast<std::uint64_t>(std::int64_t{in.imm}) != v.value) return mismatch(in.imm);
        in.imm = static_cast<std::int32_t>(v.value);
        return {};
      case BPF_LDX:
      case BPF_ST:
      case BPF_STX:
        if (v.validate && static_cast<std::uint64_t>(std::int64_t{in.off}) != v.value) return mismatch(in.off);
        if (v.value > SHRT_MAX) return fail("offset " + std::to_string(v.value) + " does not fit an instruction");
        in.off = static_cast<std::int16_t>(v.value);
        return {};
      default: return patch_lddw(insns, at, v);
    }
  }

  Result<void> patch_lddw(Program& insns, std::size_t at, const CoreValue& v) const {
    const Insn& lo = insns[at];
    if (!lo.is_lddw() || lo.src != 0 || lo.off != 0 || at + 1 >= insns.size()) return fail("can't relocate this instruction");
    Insn& hi = insns[at + 1];
    if (hi.opcode != 0 || hi.dst != 0 || hi.src != 0 || hi.off != 0) return fail("lddw has an unexpected form");
    if (v.validate && lddw_imm(lo, hi) != v.value) return fail("instruction holds " + std::to_string(lddw_imm(lo, hi)) + ", expected " + std::to_string(v.value));
    insns[at].imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(v.value));
    hi.imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(v.value >> 32));
    return {};
  }

  const Parse& p_;
  const struct btf* btf_;
  const Function& f_;
  std::size_t insn_;  // in the section
  const CoreRelo& r_;
  std::string access_;
};

Result<void> apply_section(Parse& p, const CoreReloSection& relos) {
  const Section* sec = p.elf.find(relos.section);
  if (sec == nullptr || !sec->executable()) return {};  // no code they could apply to: libbpf skips them too
  for (const CoreRelo& r : relos.relos) {
    if (r.insn_off % kInsnSize != 0) return p.error(".BTF.ext: misaligned CO-RE relocation in '" + relos.section + "'");
    const std::size_t insn = r.insn_off / kInsnSize;
    const long f = p.function_at(sec->index, insn);
    if (f < 0) continue;  // outside every function: libbpf skips these too (eliminated weak functions)
    Function& fn = p.functions[static_cast<std::size_t>(f)];
    if (auto res = CoreRelocation(p, fn, insn, r).apply(fn.insns); !res) return res;
  }
  return {};
}

}  // namespace

Result<void> apply_core_relocations(Parse& p) {
  auto sections = read_core_relos(p.elf, p.spec.btf.get());
  if (!sections) return sections.error();
  for (const CoreReloSection& relos : *sections)
    if (auto r = apply_section(p, relos); !r) return r;
  return {};
}

}  // namespace ubee::elf
