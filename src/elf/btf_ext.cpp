#include "btf_ext.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>

namespace ubee::elf {
namespace {

// struct btf_ext_header of libbpf_internal.h (not a public header): offsets count from the header's end.
struct ExtHeader {
  std::uint16_t magic;
  std::uint8_t version;
  std::uint8_t flags;
  std::uint32_t hdr_len;
  std::uint32_t func_info_off;
  std::uint32_t func_info_len;
  std::uint32_t line_info_off;
  std::uint32_t line_info_len;
  std::uint32_t core_relo_off;  // optional: present when hdr_len covers it
  std::uint32_t core_relo_len;
};
constexpr std::uint16_t kBtfMagic = 0xeB9F;
constexpr std::size_t kMinHeader = offsetof(ExtHeader, func_info_off);

std::uint32_t read_u32(std::span<const std::uint8_t> bytes, std::size_t at) {
  std::uint32_t v = 0;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return v;
}

// The core_relo info area, or an empty span when the header has none.
Result<std::span<const std::uint8_t>> core_relo_area(const ElfFile& elf, std::span<const std::uint8_t> data) {
  ExtHeader h{};
  if (data.size() < kMinHeader) return elf.error(".BTF.ext is too small");
  std::memcpy(&h, data.data(), std::min(data.size(), sizeof h));
  if (h.magic != kBtfMagic || h.version != 1) return elf.error(".BTF.ext has an unknown magic or version");
  if (h.hdr_len < kMinHeader || h.hdr_len > data.size()) return elf.error(".BTF.ext has an invalid header length");
  if (h.hdr_len < sizeof h) return std::span<const std::uint8_t>{};  // written before CO-RE existed
  const auto body = data.subspan(h.hdr_len);
  if (h.core_relo_off % 4 != 0 || h.core_relo_off > body.size() || h.core_relo_len > body.size() - h.core_relo_off)
    return elf.error(".BTF.ext: the CO-RE relocation records lie outside the section");
  return body.subspan(h.core_relo_off, h.core_relo_len);
}

// One btf_ext_info_sec: {sec_name_off, num_info}, then num_info records of record_size bytes.
Result<std::size_t> read_info_sec(const ElfFile& elf, const struct btf* btf, std::span<const std::uint8_t> area,
                                  std::size_t at, std::uint32_t record_size, std::vector<CoreReloSection>& out) {
  if (area.size() - at < 8) return elf.error(".BTF.ext: truncated CO-RE relocation section header");
  const char* name = btf__name_by_offset(btf, read_u32(area, at));
  const std::uint32_t count = read_u32(area, at + 4);
  at += 8;
  if (name == nullptr || *name == '\0' || count == 0 || std::uint64_t{count} * record_size > area.size() - at)
    return elf.error(".BTF.ext: invalid CO-RE relocation section");
  CoreReloSection sec{name, std::vector<CoreRelo>(count)};
  for (std::uint32_t i = 0; i < count; ++i, at += record_size) std::memcpy(&sec.relos[i], area.data() + at, sizeof(CoreRelo));
  out.push_back(std::move(sec));
  return at;
}

}  // namespace

Result<std::vector<CoreReloSection>> read_core_relos(const ElfFile& elf, const struct btf* btf) {
  const Section* sec = elf.find(".BTF.ext");
  std::vector<CoreReloSection> out;
  if (sec == nullptr || btf == nullptr) return out;  // as libbpf: without .BTF, .BTF.ext means nothing
  auto area = core_relo_area(elf, sec->data);
  if (!area) return area.error();
  if (area->empty()) return out;
  if (area->size() < 4) return elf.error(".BTF.ext: truncated CO-RE relocation records");
  const std::uint32_t record_size = read_u32(*area, 0);
  if (record_size < sizeof(CoreRelo) || record_size % 4 != 0) return elf.error(".BTF.ext: invalid CO-RE record size");
  for (std::size_t at = 4; at < area->size();) {
    auto next = read_info_sec(elf, btf, *area, at, record_size, out);
    if (!next) return next.error();
    at = *next;
  }
  return out;
}

}  // namespace ubee::elf
