// A small BTF data dumper in the spirit of bpftool's btf_dumper.c, over libbpf's BTF type accessors.
#include "btf_json.hpp"

#include <bpf/btf.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>

namespace ubee::cli {
namespace {

constexpr int kMaxDepth = 16;

// Reads `bits` bits at `bit_offset` (little-endian), as a bitfield or a whole integer of up to 64 bits.
std::uint64_t read_bits(std::span<const std::uint8_t> bytes, std::uint32_t bit_offset, std::uint32_t bits) {
  std::uint64_t v = 0;
  for (std::uint32_t i = 0; i < bits; ++i) {
    const std::uint32_t b = bit_offset + i;
    if ((bytes[b / 8] >> (b % 8)) & 1) v |= 1ULL << i;
  }
  return v;
}

nlohmann::json int_value(const btf_type* t, std::span<const std::uint8_t> bytes, std::uint32_t bit_offset,
                         std::uint32_t bits) {
  if (bits > 64) return hex_bytes(bytes.subspan(bit_offset / 8, bits / 8));  // __int128
  const std::uint64_t v = read_bits(bytes, bit_offset, bits);
  if (btf_int_encoding(t) & BTF_INT_BOOL) return v != 0;
  if ((btf_int_encoding(t) & BTF_INT_SIGNED) && bits < 64 && bits > 0 && (v >> (bits - 1)) & 1)
    return static_cast<std::int64_t>(v | (~0ULL << bits));
  if (btf_int_encoding(t) & BTF_INT_SIGNED) return static_cast<std::int64_t>(v);
  return v;
}

const btf_type* skip_modifiers(const struct btf* btf, std::uint32_t& id) {
  const btf_type* t = btf__type_by_id(btf, id);
  while (t != nullptr && (btf_is_mod(t) || btf_is_typedef(t))) {
    id = t->type;
    t = btf__type_by_id(btf, id);
  }
  return t;
}

nlohmann::json dump(const struct btf* btf, std::uint32_t id, std::span<const std::uint8_t> bytes, int depth);

// char arrays that hold text print as strings, as bpftool does.
bool is_char(const struct btf* btf, std::uint32_t id) {
  const btf_type* t = skip_modifiers(btf, id);
  return t != nullptr && btf_is_int(t) && t->size == 1 && (btf_int_encoding(t) & BTF_INT_CHAR);
}

nlohmann::json array_value(const struct btf* btf, const btf_type* t, std::span<const std::uint8_t> bytes, int depth) {
  const struct btf_array* a = btf_array(t);
  const long elem = btf__resolve_size(btf, a->type);
  if (elem <= 0 || static_cast<std::size_t>(elem) * a->nelems > bytes.size()) return nullptr;
  if (is_char(btf, a->type)) {
    const auto* text = reinterpret_cast<const char*>(bytes.data());
    const std::size_t len = strnlen(text, a->nelems);
    const bool printable = std::all_of(text, text + len, [](char c) { return std::isprint(static_cast<unsigned char>(c)); });
    if (printable) return std::string(text, len);
  }
  nlohmann::json out = nlohmann::json::array();
  for (std::uint32_t i = 0; i < a->nelems; ++i)
    out.push_back(dump(btf, a->type, bytes.subspan(i * static_cast<std::size_t>(elem), static_cast<std::size_t>(elem)), depth + 1));
  return out;
}

nlohmann::json composite_value(const struct btf* btf, const btf_type* t, std::span<const std::uint8_t> bytes, int depth) {
  nlohmann::json out = nlohmann::json::object();
  const btf_member* m = btf_members(t);
  for (std::uint16_t i = 0; i < btf_vlen(t); ++i, ++m) {
    const char* name = btf__name_by_offset(btf, m->name_off);
    const std::uint32_t bit_offset = btf_member_bit_offset(t, i);
    const std::uint32_t bitfield = btf_member_bitfield_size(t, i);
    std::uint32_t member_type = m->type;
    const btf_type* mt = skip_modifiers(btf, member_type);
    nlohmann::json v;
    if (bitfield != 0 && mt != nullptr && btf_is_int(mt)) {
      v = int_value(mt, bytes, bit_offset, bitfield);
    } else {
      const long size = btf__resolve_size(btf, m->type);
      if (size < 0 || bit_offset / 8 + static_cast<std::size_t>(size) > bytes.size()) return nullptr;
      v = dump(btf, m->type, bytes.subspan(bit_offset / 8, static_cast<std::size_t>(size)), depth + 1);
    }
    out[name != nullptr && *name ? name : "(anon" + std::to_string(i) + ")"] = v;
  }
  return out;
}

nlohmann::json enum_value(const struct btf* btf, const btf_type* t, std::span<const std::uint8_t> bytes) {
  const std::uint64_t v = read_bits(bytes, 0, std::min<std::uint32_t>(t->size, 8) * 8);
  const struct btf_enum* e = btf_enum(t);
  for (std::uint16_t i = 0; i < btf_vlen(t); ++i, ++e)
    if (static_cast<std::uint32_t>(e->val) == static_cast<std::uint32_t>(v)) return btf__name_by_offset(btf, e->name_off);
  return v;
}

nlohmann::json datasec_value(const struct btf* btf, const btf_type* t, std::span<const std::uint8_t> bytes, int depth) {
  nlohmann::json out = nlohmann::json::object();
  const btf_var_secinfo* v = btf_var_secinfos(t);
  for (std::uint16_t i = 0; i < btf_vlen(t); ++i, ++v) {
    if (v->offset + v->size > bytes.size()) return nullptr;
    const btf_type* var = btf__type_by_id(btf, v->type);
    const char* name = var ? btf__name_by_offset(btf, var->name_off) : nullptr;
    out[name ? name : "?"] = var ? dump(btf, var->type, bytes.subspan(v->offset, v->size), depth + 1) : nlohmann::json();
  }
  return out;
}

nlohmann::json dump(const struct btf* btf, std::uint32_t id, std::span<const std::uint8_t> bytes, int depth) {
  const btf_type* t = skip_modifiers(btf, id);
  if (t == nullptr || depth > kMaxDepth) return nullptr;
  if (btf_is_int(t)) return bytes.size() * 8 < btf_int_bits(t) ? nlohmann::json() : int_value(t, bytes, btf_int_offset(t), btf_int_bits(t));
  if (btf_is_ptr(t)) return bytes.size() < 8 ? nlohmann::json() : nlohmann::json(read_bits(bytes, 0, 64));
  if (btf_is_array(t)) return array_value(btf, t, bytes, depth);
  if (btf_is_composite(t)) return composite_value(btf, t, bytes, depth);
  if (btf_is_enum(t)) return bytes.size() < t->size ? nlohmann::json() : enum_value(btf, t, bytes);
  if (btf_is_datasec(t)) return datasec_value(btf, t, bytes, depth);
  if (btf_is_float(t) && t->size == 8 && bytes.size() >= 8) {
    double d;
    std::memcpy(&d, bytes.data(), 8);
    return d;
  }
  return nullptr;
}

}  // namespace

nlohmann::json hex_bytes(std::span<const std::uint8_t> bytes) {
  nlohmann::json out = nlohmann::json::array();
  char text[8];
  for (std::uint8_t b : bytes) {
    std::snprintf(text, sizeof text, "0x%02x", b);
    out.push_back(text);
  }
  return out;
}

nlohmann::json btf_value(const struct btf* btf, std::uint32_t type_id, std::span<const std::uint8_t> bytes) {
  if (btf == nullptr || type_id == 0) return nullptr;
  return dump(btf, type_id, bytes, 0);
}

}  // namespace ubee::cli
