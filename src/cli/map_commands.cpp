// `ubee map show|dump|lookup|update|delete OBJ ...`: the maps of an object as it opens (global data with its
// initial values, empty maps otherwise), read and changed through the bpf(2)-style user-side calls.
#include <fmt/core.h>

#include <cctype>

#include "cli.hpp"
#include "map_dump.hpp"
#include "ubee/object.hpp"

namespace ubee::cli {
namespace {

struct MapArgs {
  std::string object;
  std::string map;
  std::string key, value, flags = "any";
  bool json = false;
};

// "01 00 00 00", "01000000" or "0x01 0x00 ..." to bytes.
std::vector<std::uint8_t> parse_hex(const std::string& text, const char* what) {
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) ++i;
    else if (std::isxdigit(static_cast<unsigned char>(text[i]))) digits += text[i];
    else if (!std::isspace(static_cast<unsigned char>(text[i])) && text[i] != ',')
      fail(fmt::format("{} '{}' is not hex bytes", what, text));
  }
  if (digits.size() % 2 != 0) fail(fmt::format("{} '{}' has an odd number of hex digits", what, text));
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < digits.size(); i += 2) bytes.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return bytes;
}

std::vector<std::uint8_t> sized_hex(const std::string& text, std::size_t size, const char* what) {
  auto bytes = parse_hex(text, what);
  if (bytes.size() != size) fail(fmt::format("{} has {} bytes; this map's {} size is {}", what, bytes.size(), what, size));
  return bytes;
}

struct Opened {
  std::unique_ptr<Object> object;
  std::shared_ptr<Map> map;
};

Opened open_map(const MapArgs& a) {
  auto object = Object::open(a.object, ObjectOptions::unverified_checked_interpreter());
  if (!object) fail(object.error());
  auto map = (*object)->find_map(a.map);
  if (!map) fail(fmt::format("no map named '{}'", a.map));
  return {std::move(*object), map};
}

void check(long rc, const std::string& what) {
  if (rc != 0) fail(fmt::format("{}: {}", what, std::strerror(static_cast<int>(-rc))));
}

std::uint64_t update_flags(const std::string& f) {
  if (f == "any") return BPF_ANY;
  if (f == "noexist") return BPF_NOEXIST;
  if (f == "exist") return BPF_EXIST;
  fail("--flags takes any, noexist or exist");
}

void lookup(const MapArgs& a) {
  Opened o = open_map(a);
  const auto key = sized_hex(a.key, o.map->key_size(), "key");
  std::vector<std::uint8_t> value(o.map->user_value_size());
  check(o.map->user_lookup(key.data(), value.data()), "lookup");
  std::string text;
  for (std::uint8_t b : value) text += fmt::format("{:02x} ", b);
  fmt::print("key: {}\nvalue: {}\n", a.key, text);
}

void dump(const MapArgs& a) {
  auto object = Object::open(a.object, ObjectOptions::unverified_checked_interpreter());
  if (!object) fail(object.error());
  for (const auto& m : (*object)->maps()) {
    if (!a.map.empty() && m->spec().name != a.map) continue;
    if (a.json) fmt::print("{}\n", dump_map_json(*m, (*object)->spec().btf.get()).dump());
    else fmt::print("map '{}':\n{}", m->spec().name, dump_map_text(*m, (*object)->spec().btf.get()));
  }
}

void add_key_value_command(CLI::App& map, const std::shared_ptr<MapArgs>& a, const char* name, const char* help,
                           bool takes_value, std::function<void()> action) {
  CLI::App* cmd = map.add_subcommand(name, help);
  cmd->add_option("object", a->object, "eBPF ELF object")->required();
  cmd->add_option("map", a->map, "Map name")->required();
  cmd->add_option("--key", a->key, "Key as hex bytes, e.g. \"01 00 00 00\"")->required();
  if (takes_value) {
    cmd->add_option("--value", a->value, "Value as hex bytes")->required();
    cmd->add_option("--flags", a->flags, "any (default), noexist or exist");
  }
  cmd->callback(std::move(action));
}

}  // namespace

void add_map_command(CLI::App& app) {
  auto a = std::make_shared<MapArgs>();
  CLI::App* map = app.add_subcommand("map", "Inspect and change the maps of an object");
  map->require_subcommand(1);
  CLI::App* show = map->add_subcommand("show", "List maps: type, name, sizes, flags");
  show->add_option("object", a->object, "eBPF ELF object")->required();
  show->callback([a] {
    auto object = Object::open(a->object, ObjectOptions::unverified_checked_interpreter());
    if (!object) fail(object.error());
    for (std::size_t i = 0; i < (*object)->maps().size(); ++i) fmt::print("{}\n", describe_map(*(*object)->maps()[i], i));
  });
  CLI::App* dump_cmd = map->add_subcommand("dump", "Print every entry (all maps, or the one named)");
  dump_cmd->add_option("object", a->object, "eBPF ELF object")->required();
  dump_cmd->add_option("map", a->map, "Map name (default: every map)");
  dump_cmd->add_flag("--json", a->json, "Print bpftool-style JSON");
  dump_cmd->callback([a] { dump(*a); });
  add_key_value_command(*map, a, "lookup", "Print the value at a key", false, [a] { lookup(*a); });
  add_key_value_command(*map, a, "update", "Set the value at a key", true, [a] {
    Opened o = open_map(*a);
    const auto key = sized_hex(a->key, o.map->key_size(), "key");
    const auto value = sized_hex(a->value, o.map->user_value_size(), "value");
    check(o.map->user_update(key.data(), value.data(), update_flags(a->flags)), "update");
  });
  add_key_value_command(*map, a, "delete", "Delete the entry at a key", false, [a] {
    Opened o = open_map(*a);
    const auto key = sized_hex(a->key, o.map->key_size(), "key");
    check(o.map->user_delete(key.data()), "delete");
  });
}

}  // namespace ubee::cli
