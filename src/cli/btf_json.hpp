// Map keys and values as JSON, the way `bpftool map dump -j` shows them: raw bytes always, and a "formatted"
// form when the object's BTF describes the type.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>

struct btf;

namespace ubee::cli {

// ["0x01", "0x00", ...]
nlohmann::json hex_bytes(std::span<const std::uint8_t> bytes);
// The value of BTF type `type_id` held in `bytes`: numbers, strings for char arrays, objects for structs.
// Null JSON when the BTF is missing or does not fit the bytes.
nlohmann::json btf_value(const struct btf* btf, std::uint32_t type_id, std::span<const std::uint8_t> bytes);

}  // namespace ubee::cli
