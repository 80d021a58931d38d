// Printing maps: `bpftool map dump` shapes, as text or JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "ubee/maps.hpp"

struct btf;

namespace ubee::cli {

// Every entry of `map` as bpftool -j prints them: key and value bytes, and "formatted" with BTF.
nlohmann::json dump_map_json(Map& map, const struct btf* btf);
// One line per entry: "key: 01 00 00 00  value: 2a 00 ..." (and the formatted form when BTF has one).
std::string dump_map_text(Map& map, const struct btf* btf);
// "3: hash  name counts  key 4B  value 8B  max_entries 1024  flags 0x0"
std::string describe_map(const Map& map, std::size_t index);

}  // namespace ubee::cli
