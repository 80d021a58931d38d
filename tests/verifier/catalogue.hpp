// The verifier catalogue: small programs in ubee assembly, each with what the kernel's verifier says about it.
// Files under tests/verifier/unsafe/ hold programs every verifier must reject (the file's stem is the class:
// stack, map_value, packet, ...); files under tests/verifier/safe/ hold tricky programs it must accept.
//
// A file is a list of entries. An entry starts with `== name`; its header is `;;` comment lines (so the body,
// header included, is plain assembly for the assembler), then the program:
//
//   == stack_read_uninit
//   ;; type: xdp                               program type (names as in kProgTypes below)
//   ;; map: hash key=4 value=16 max=8          one per map, map_idx(N) is the N-th (flags=, spin_lock= optional)
//   ;; priv: yes                               yes: loaded with CAP_PERFMON (pointer leaks allowed); no: without
//   ;; reject: invalid read from stack off -8+0 size 8    a substring of the kernel's message; or `;; accept`
//   ;; pending: the verifier feature still missing          optional: ubee cannot judge this yet
//   ;; bug: what ubee gets wrong                            optional: a known ubee verifier bug, for the report
//   ;; patch: 0 opcode=0x8f                    optional: overwrite fields of instruction 0 after assembly, for
//                                              encodings the assembler cannot spell (opcode dst src off imm)
//   r0 = *(u64 *)(r10 - 8)
//   exit
#pragma once

#include <bpf/btf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ubee/asm.hpp"
#include "ubee/maps.hpp"

namespace ubee::catalogue {

namespace fs = std::filesystem;

struct Patch {
  std::size_t index = 0;
  std::map<std::string, std::int64_t> fields;  // opcode, dst, src, off, imm
};

struct Entry {
  std::string name;   // class/name, unique over the catalogue
  std::string cls;    // the file's stem
  std::string where;  // file:line of the `==` line
  bool safe = false;  // from tests/verifier/safe/
  bpf_prog_type type = BPF_PROG_TYPE_UNSPEC;
  std::vector<MapSpec> maps;
  std::vector<std::int32_t> spin_lock_off;  // per map: offset of a struct bpf_spin_lock in the value, or -1
  std::optional<bool> privileged;
  std::optional<std::string> reject;  // the kernel's reason; empty optional with `accept`
  bool accept = false;
  std::string pending;  // the verifier feature this entry waits for
  std::string bug;      // a known ubee verifier bug this entry shows
  std::vector<Patch> patches;
  std::string text;  // the entry's lines, header included
};

struct ProgTypeName {
  const char* name;
  bpf_prog_type type;
};
inline constexpr ProgTypeName kProgTypes[] = {
    {"socket_filter", BPF_PROG_TYPE_SOCKET_FILTER}, {"kprobe", BPF_PROG_TYPE_KPROBE},
    {"sched_cls", BPF_PROG_TYPE_SCHED_CLS},         {"sched_act", BPF_PROG_TYPE_SCHED_ACT},
    {"tracepoint", BPF_PROG_TYPE_TRACEPOINT},       {"xdp", BPF_PROG_TYPE_XDP},
    {"perf_event", BPF_PROG_TYPE_PERF_EVENT},       {"cgroup_skb", BPF_PROG_TYPE_CGROUP_SKB},
    {"cgroup_sock", BPF_PROG_TYPE_CGROUP_SOCK},     {"raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT},
    {"cgroup_sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL}, {"sk_msg", BPF_PROG_TYPE_SK_MSG},
    {"cgroup_device", BPF_PROG_TYPE_CGROUP_DEVICE},
};

struct MapTypeName {
  const char* name;
  std::uint32_t type;
};
inline constexpr MapTypeName kMapTypes[] = {
    {"hash", BPF_MAP_TYPE_HASH},
    {"array", BPF_MAP_TYPE_ARRAY},
    {"prog_array", BPF_MAP_TYPE_PROG_ARRAY},
    {"perf_event_array", BPF_MAP_TYPE_PERF_EVENT_ARRAY},
    {"percpu_hash", BPF_MAP_TYPE_PERCPU_HASH},
    {"percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY},
    {"stack_trace", BPF_MAP_TYPE_STACK_TRACE},
    {"lru_hash", BPF_MAP_TYPE_LRU_HASH},
    {"queue", BPF_MAP_TYPE_QUEUE},
    {"stack", BPF_MAP_TYPE_STACK},
    {"ringbuf", BPF_MAP_TYPE_RINGBUF},
    {"bloom_filter", BPF_MAP_TYPE_BLOOM_FILTER},
};

inline std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

[[noreturn]] inline void fail(const std::string& where, const std::string& why) {
  throw std::runtime_error(where + ": " + why);
}

inline bpf_prog_type prog_type_of(const std::string& name, const std::string& where) {
  for (const auto& t : kProgTypes)
    if (name == t.name) return t.type;
  fail(where, "unknown program type '" + name + "'");
}

inline std::uint32_t map_type_of(const std::string& name, const std::string& where) {
  for (const auto& t : kMapTypes)
    if (name == t.name) return t.type;
  fail(where, "unknown map type '" + name + "'");
}

// `key=4 value=16 ...`: the fields of a map or a patch, numbers in C syntax.
inline std::map<std::string, std::int64_t> fields_of(std::istringstream& in, const std::string& where) {
  std::map<std::string, std::int64_t> fields;
  std::string word;
  while (in >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) fail(where, "expected name=value, got '" + word + "'");
    fields[word.substr(0, eq)] = std::stoll(word.substr(eq + 1), nullptr, 0);
  }
  return fields;
}

inline void add_map(Entry& e, const std::string& value, const std::string& where) {
  std::istringstream in(value);
  std::string type;
  in >> type;
  auto f = fields_of(in, where);
  MapSpec spec;
  spec.name = "m" + std::to_string(e.maps.size());
  spec.type = map_type_of(type, where);
  spec.key_size = static_cast<std::uint32_t>(f["key"]);
  spec.value_size = static_cast<std::uint32_t>(f["value"]);
  spec.max_entries = static_cast<std::uint32_t>(f["max"]);
  spec.flags = static_cast<std::uint32_t>(f["flags"]);
  e.maps.push_back(spec);
  e.spin_lock_off.push_back(f.contains("spin_lock") ? static_cast<std::int32_t>(f["spin_lock"]) : -1);
}

inline void add_header(Entry& e, const std::string& key, const std::string& value, const std::string& where) {
  if (key == "type") e.type = prog_type_of(value, where);
  else if (key == "map") add_map(e, value, where);
  else if (key == "priv") e.privileged = value == "yes";
  else if (key == "reject") e.reject = value;
  else if (key == "accept") e.accept = true;
  else if (key == "pending") e.pending = value;
  else if (key == "bug") e.bug = value;
  else if (key == "patch") {
    std::istringstream in(value);
    Patch p;
    in >> p.index;
    p.fields = fields_of(in, where);
    e.patches.push_back(p);
  } else fail(where, "unknown header '" + key + "'");
}

// A `;; key: value` line (or `;; accept`); other lines are the program's.
inline void read_line(Entry& e, const std::string& line, const std::string& where) {
  e.text += line + "\n";
  const std::string t = trim(line);
  if (!t.starts_with(";;")) return;
  const std::string body = trim(t.substr(2));
  const auto colon = body.find(':');
  add_header(e, trim(body.substr(0, colon)), colon == std::string::npos ? "" : trim(body.substr(colon + 1)),
             where);
}

inline void check_complete(const Entry& e) {
  if (e.type == BPF_PROG_TYPE_UNSPEC) fail(e.where, "no `;; type:`");
  if (!e.privileged) fail(e.where, "no `;; priv: yes|no`");
  if (e.safe != e.accept || e.reject.has_value() == e.safe)
    fail(e.where, e.safe ? "a safe entry needs `;; accept` and no reject" : "an unsafe entry needs `;; reject:`");
}

inline void read_file(const fs::path& path, bool safe, std::vector<Entry>& out) {
  std::ifstream in(path);
  std::string line;
  std::size_t line_no = 0;
  Entry* current = nullptr;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string where = path.filename().string() + ":" + std::to_string(line_no);
    if (line.starts_with("== ")) {
      if (current) check_complete(*current);
      current = &out.emplace_back();
      current->cls = path.stem().string();
      current->name = current->cls + "/" + trim(line.substr(3));
      current->where = where;
      current->safe = safe;
    } else if (current) {
      read_line(*current, line, where);
    }
  }
  if (current) check_complete(*current);
}

// Every entry under `dir` (its unsafe/ and safe/ folders), in file then entry order. Throws on a malformed
// catalogue: a test of a catalogue that lost its headers must not pass quietly.
inline std::vector<Entry> load(const fs::path& dir) {
  std::vector<Entry> entries;
  for (const char* kind : {"unsafe", "safe"}) {
    std::vector<fs::path> files;
    for (const auto& f : fs::directory_iterator(dir / kind))
      if (f.path().extension() == ".s") files.push_back(f.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) read_file(f, std::string(kind) == "safe", entries);
  }
  for (std::size_t i = 0; i < entries.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (entries[i].name == entries[j].name) fail(entries[i].where, "duplicate entry " + entries[i].name);
  return entries;
}

inline fs::path default_dir() { return fs::path(UBEE_BPF_SOURCE_DIR).parent_path() / "verifier"; }

// The project's catalogue, loaded once. A malformed catalogue must not take a whole test binary down while
// tests register: it gives no entries, and load_error() says why.
inline std::string& load_error() {
  static std::string error;
  return error;
}
inline const std::vector<Entry>& default_entries() {
  static const std::vector<Entry> all = [] {
    try {
      return load(default_dir());
    } catch (const std::exception& e) {
      load_error() = e.what();
      return std::vector<Entry>{};
    }
  }();
  return all;
}

// The BTF a bpf_spin_lock needs: for each map with `spin_lock=OFF`, a value struct of the map's size with a
// struct bpf_spin_lock at OFF (and a u32 key type for 4-byte keys, which the kernel wants beside it). `maps`
// are the entry's maps with those type ids set; `btf` is null when no map has a lock.
struct EntryBtf {
  std::shared_ptr<btf> types;
  std::vector<MapSpec> maps;
};
inline EntryBtf entry_btf(const Entry& e) {
  EntryBtf out{nullptr, e.maps};
  if (std::all_of(e.spin_lock_off.begin(), e.spin_lock_off.end(), [](std::int32_t off) { return off < 0; }))
    return out;
  out.types.reset(btf__new_empty(), btf__free);
  btf* b = out.types.get();
  const int u32_id = btf__add_int(b, "unsigned int", 4, 0);
  const int lock_id = btf__add_struct(b, "bpf_spin_lock", 4);
  btf__add_field(b, "val", u32_id, 0, 0);
  for (std::size_t i = 0; i < e.maps.size(); ++i) {
    if (e.spin_lock_off[i] < 0) continue;
    const int value_id = btf__add_struct(b, ("value" + std::to_string(i)).c_str(), e.maps[i].value_size);
    btf__add_field(b, "lock", lock_id, static_cast<std::uint32_t>(e.spin_lock_off[i]) * 8, 0);
    out.maps[i].btf_key_type_id = e.maps[i].key_size == 4 ? static_cast<std::uint32_t>(u32_id) : 0;
    out.maps[i].btf_value_type_id = static_cast<std::uint32_t>(value_id);
  }
  return out;
}

// The entry's program: assembled, then patched.
inline Result<Program> program_of(const Entry& e) {
  auto program = assemble(e.text);
  if (!program.ok()) return program.error();
  for (const Patch& p : e.patches) {
    if (p.index >= program->size()) fail(e.where, "patch index out of range");
    Insn& in = (*program)[p.index];
    for (const auto& [field, v] : p.fields) {
      if (field == "opcode") in.opcode = static_cast<std::uint8_t>(v);
      else if (field == "dst") in.dst = static_cast<std::uint8_t>(v);
      else if (field == "src") in.src = static_cast<std::uint8_t>(v);
      else if (field == "off") in.off = static_cast<std::int16_t>(v);
      else if (field == "imm") in.imm = static_cast<std::int32_t>(v);
      else fail(e.where, "unknown patch field " + field);
    }
  }
  return program;
}

}  // namespace ubee::catalogue
