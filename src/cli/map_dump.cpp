#include "map_dump.hpp"

#include <bpf/libbpf.h>
#include <fmt/core.h>

#include <cstring>
#include <vector>

#include "btf_json.hpp"

namespace ubee::cli {
namespace {

bool is_percpu(std::uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

// Maps whose contents are not key/value pairs to iterate.
bool is_iterable(std::uint32_t type) {
  return type != BPF_MAP_TYPE_RINGBUF && type != BPF_MAP_TYPE_PERF_EVENT_ARRAY && type != BPF_MAP_TYPE_QUEUE &&
         type != BPF_MAP_TYPE_STACK && type != BPF_MAP_TYPE_BLOOM_FILTER;
}

struct Entry {
  std::vector<std::uint8_t> key;
  std::vector<std::uint8_t> value;  // all CPUs' values for per-CPU maps, each padded to 8 bytes
};

std::vector<Entry> entries(Map& map) {
  std::vector<Entry> out;
  if (!is_iterable(map.type())) return out;
  std::vector<std::uint8_t> key(map.key_size()), next(map.key_size());
  const void* prev = nullptr;
  while (map.get_next_key(prev, next.data()) == 0) {
    key.swap(next);
    prev = key.data();
    Entry e{key, std::vector<std::uint8_t>(map.user_value_size())};
    if (map.user_lookup(e.key.data(), e.value.data()) == 0) out.push_back(std::move(e));
  }
  return out;
}

std::string hex_text(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) out += fmt::format("{}{:02x}", i ? " " : "", bytes[i]);
  return out;
}

nlohmann::json percpu_values(const Map& map, const Entry& e, const struct btf* btf, bool formatted) {
  nlohmann::json values = nlohmann::json::array();
  const std::size_t stride = (map.value_size() + 7) / 8 * 8;
  for (std::size_t cpu = 0; cpu * stride < e.value.size(); ++cpu) {
    const auto v = std::span<const std::uint8_t>(e.value).subspan(cpu * stride, map.value_size());
    values.push_back({{"cpu", cpu}, {"value", formatted ? btf_value(btf, map.spec().btf_value_type_id, v) : hex_bytes(v)}});
  }
  return values;
}

// Global data maps carry BTF for their value only; their u32 index still reads best as a number.
bool value_is_null_safe(const Map& map) { return map.spec().btf_value_type_id == 0; }
std::uint32_t read_u32(const std::vector<std::uint8_t>& bytes) {
  std::uint32_t v = 0;
  std::memcpy(&v, bytes.data(), sizeof v);
  return v;
}

nlohmann::json entry_json(const Map& map, const Entry& e, const struct btf* btf) {
  nlohmann::json j{{"key", hex_bytes(e.key)}};
  const bool percpu = is_percpu(map.type());
  if (percpu) j["values"] = percpu_values(map, e, btf, false);
  else j["value"] = hex_bytes(e.value);
  nlohmann::json key = btf_value(btf, map.spec().btf_key_type_id, e.key);
  if (key.is_null() && e.key.size() == 4 && !value_is_null_safe(map)) key = read_u32(e.key);
  const nlohmann::json value = percpu ? percpu_values(map, e, btf, true) : btf_value(btf, map.spec().btf_value_type_id, e.value);
  if (!key.is_null() || !value.is_null()) j["formatted"] = {{"key", key}, {percpu ? "values" : "value", value}};
  return j;
}

}  // namespace

nlohmann::json dump_map_json(Map& map, const struct btf* btf) {
  nlohmann::json out = nlohmann::json::array();
  for (const Entry& e : entries(map)) out.push_back(entry_json(map, e, btf));
  return out;
}

std::string dump_map_text(Map& map, const struct btf* btf) {
  if (!is_iterable(map.type())) return "(no entries to iterate for this map type)\n";
  std::string out;
  const auto all = entries(map);
  for (const Entry& e : all) {
    out += "key: " + hex_text(e.key) + "  value: " + hex_text(e.value) + "\n";
    const nlohmann::json j = entry_json(map, e, btf);
    if (j.contains("formatted")) out += "  " + j["formatted"].dump() + "\n";
  }
  out += fmt::format("Found {} element{}\n", all.size(), all.size() == 1 ? "" : "s");
  return out;
}

std::string describe_map(const Map& map, std::size_t index) {
  const char* type = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(map.type()));
  return fmt::format("{}: {}  name {}  key {}B  value {}B  max_entries {}  flags {:#x}", index, type ? type : "unknown",
                     map.spec().name, map.key_size(), map.value_size(), map.max_entries(), map.spec().flags);
}

}  // namespace ubee::cli
