// Shared by the verifier's case tables (verifier_check_test.cpp, verifier_calls_test.cpp): a case is a program in
// assembly and either acceptance or the kernel's message (a substring) and the instruction it must name; the
// maps every case may refer to by index; the Linux helpers.
#pragma once

#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <bpf/btf.h>

#include "ubee/asm.hpp"
#include "ubee/linux_helpers.hpp"
#include "ubee/verifier.hpp"

namespace ubee::test {

struct Case {
  const char* name;
  const char* text;
  const char* error = nullptr;  // nullptr: accepted
  std::size_t insn = 0;         // the instruction a rejection names
  bpf_prog_type type = BPF_PROG_TYPE_XDP;
  bool unprivileged = false;    // VerifierOptions::privileged = false: the pointer-leak rules apply
};

inline void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

inline MapSpec map_spec(const char* name, std::uint32_t type, std::uint32_t key_size, std::uint32_t value_size,
                        std::uint32_t max_entries, std::uint32_t flags = 0) {
  MapSpec spec;
  spec.name = name;
  spec.type = type;
  spec.key_size = key_size;
  spec.value_size = value_size;
  spec.max_entries = max_entries;
  spec.flags = flags;
  return spec;
}

inline MapSpec of_maps(MapSpec outer, const MapSpec& inner) {
  outer.inner = std::make_shared<const MapSpec>(inner);
  return outer;
}

// A one-element read-only array holding `text` (a .rodata map).
inline MapSpec rodata(const char* name, std::string_view text, std::uint32_t value_size) {
  MapSpec spec = map_spec(name, BPF_MAP_TYPE_ARRAY, 4, value_size, 1, BPF_F_RDONLY_PROG);
  spec.initial_value.assign(text.begin(), text.end());
  return spec;
}

// BTF for map 6's values: struct { struct bpf_spin_lock lock; __u32 count; }, its type id in `value_id`.
struct TestBtf {
  struct btf* btf = nullptr;
  std::uint32_t value_id = 0;
};
inline const TestBtf& test_btf() {
  static const TestBtf t = [] {
    TestBtf b{btf__new_empty(), 0};
    const int u32 = btf__add_int(b.btf, "unsigned int", 4, 0);
    const int lock = btf__add_struct(b.btf, "bpf_spin_lock", 4);
    btf__add_field(b.btf, "val", u32, 0, 0);
    const int value = btf__add_struct(b.btf, "locked_value", 8);
    btf__add_field(b.btf, "lock", lock, 0, 0);
    btf__add_field(b.btf, "count", u32, 32, 0);
    b.value_id = static_cast<std::uint32_t>(value);
    return b;
  }();
  return t;
}

inline MapSpec with_btf_value(MapSpec spec, std::uint32_t type_id) {
  spec.btf_value_type_id = type_id;
  return spec;
}

// map 0: hash, 4-byte key, 16-byte value; map 1: array, 4-byte key, 48-byte value; map 2: ring buffer;
// map 3: queue of 8-byte values; map 4: array of arrays with 24-byte values; map 5: program array; map 6: hash
// with 8-byte values (a spin lock at 0); map 7: .rodata "%d\0"; map 8: .rodata "abcd" without a NUL.
inline const std::vector<MapSpec>& test_maps() {
  static const std::vector<MapSpec> maps{
      map_spec("hash", BPF_MAP_TYPE_HASH, 4, 16, 8),
      map_spec("array", BPF_MAP_TYPE_ARRAY, 4, 48, 4),
      map_spec("events", BPF_MAP_TYPE_RINGBUF, 0, 0, 4096),
      map_spec("queue", BPF_MAP_TYPE_QUEUE, 0, 8, 4),
      of_maps(map_spec("tenants", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4), map_spec("", BPF_MAP_TYPE_ARRAY, 4, 24, 1)),
      map_spec("jumps", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4),
      with_btf_value(map_spec("locked", BPF_MAP_TYPE_HASH, 4, 8, 4), test_btf().value_id),
      rodata(".rodata", std::string_view("%d\0", 3), 3),
      rodata(".rodata.str", "abcd", 4),
  };
  return maps;
}

inline const HelperRegistry& linux_helpers() {
  static const HelperRegistry registry = [] {
    HelperRegistry r;
    add_linux_helpers(r);
    return r;
  }();
  return registry;
}

inline Result<VerifierStats> verify_text(const char* text, bpf_prog_type type = BPF_PROG_TYPE_XDP,
                                         VerifierOptions options = {}) {
  auto program = assemble(text);
  EXPECT_TRUE(program.ok()) << program.error().to_string();
  if (!program.ok()) return program.error();
  options.type = type;
  options.btf = test_btf().btf;
  options.maps = test_maps();
  options.helpers = &linux_helpers();
  return verify(*program, options);
}

// Acceptance, or the rejection's message and instruction.
inline void expect_case(const Case& c) {
  VerifierOptions options;
  options.privileged = !c.unprivileged;
  const auto result = verify_text(c.text, c.type, options);
  if (c.error == nullptr) {
    EXPECT_TRUE(result.ok()) << result.error().to_string();
    return;
  }
  ASSERT_FALSE(result.ok()) << "accepted, expected: " << c.error;
  EXPECT_NE(result.error().message.find(c.error), std::string::npos) << result.error().to_string();
  EXPECT_EQ(result.error().insn, std::optional<std::size_t>{c.insn}) << result.error().to_string();
}

// A lookup in map N with a zeroed key at fp-4; r0 is map_value_or_null afterwards.
#define LOOKUP(N) "*(u32 *)(r10 - 4) = 0\n r2 = r10\n r2 += -4\n r1 = map_idx(" #N ") ll\n call 1\n"
#define LOOKUP0 LOOKUP(0)
#define LOOKUP1 LOOKUP(1)
#define LOOKUP_OUTER LOOKUP(4)

}  // namespace ubee::test
