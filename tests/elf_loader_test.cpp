// The ELF reader on objects clang builds from tests/elf/*.bpf.c, with clang 14 (-mcpu=v3) and clang 19
// (-mcpu=v4): exact programs, maps, relocations, subprogram layout, global data and CO-RE results.
#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "elf/bpf_compile.hpp"
#include "ubee/asm.hpp"
#include "ubee/elf.hpp"

namespace ubee::test {
namespace {

class ElfLoader : public ::testing::TestWithParam<BpfCompiler> {
 protected:
  void SetUp() override { UBEE_REQUIRE_COMPILER(GetParam()); }

  // tests/elf/<source>.bpf.c, compiled and parsed; every program must pass validate().
  ObjectSpec load(const std::string& source) {
    const auto bytes = compile_bpf(source, GetParam());
    auto object = parse_object(bytes, source + ".bpf.o");
    if (!object) {
      ADD_FAILURE() << object.error().to_string();
      return {};
    }
    for (const ProgramSpec& p : object->programs) EXPECT_TRUE(validate(p.insns).ok()) << p.name;
    return std::move(*object);
  }

  [[nodiscard]] bool v4() const { return std::string(GetParam().cpu) == "v4"; }
};

const ProgramSpec& program(const ObjectSpec& o, const std::string& name) {
  for (const ProgramSpec& p : o.programs)
    if (p.name == name) return p;
  static const ProgramSpec none;
  ADD_FAILURE() << "no program " << name;
  return none;
}

// The map of every BPF_PSEUDO_MAP_IDX lddw, in program order.
std::vector<int> map_refs(const Program& insns) {
  std::vector<int> out;
  for (const Insn& in : insns)
    if (in.is_lddw() && in.src == BPF_PSEUDO_MAP_IDX) out.push_back(in.imm);
  return out;
}

// (map, offset) of every BPF_PSEUDO_MAP_IDX_VALUE lddw, sorted.
std::vector<std::pair<int, int>> value_refs(const Program& insns) {
  std::vector<std::pair<int, int>> out;
  for (std::size_t i = 0; i + 1 < insns.size(); ++i)
    if (insns[i].is_lddw() && insns[i].src == BPF_PSEUDO_MAP_IDX_VALUE) out.emplace_back(insns[i].imm, insns[i + 1].imm);
  std::sort(out.begin(), out.end());
  return out;
}

std::string btf_type_name(const ObjectSpec& o, std::uint32_t id) {
  const btf_type* t = btf__type_by_id(o.btf.get(), id);
  return t == nullptr ? "?" : btf__name_by_offset(o.btf.get(), t->name_off);
}

struct MapExpect {
  const char* name;
  std::uint32_t type, key_size, value_size, max_entries, flags = 0, pinning = 0;
  std::uint64_t map_extra = 0;
};

void expect_map(const MapSpec& m, const MapExpect& e) {
  SCOPED_TRACE(e.name);
  EXPECT_EQ(m.name, e.name);
  EXPECT_EQ(m.type, e.type);
  EXPECT_EQ(m.key_size, e.key_size);
  EXPECT_EQ(m.value_size, e.value_size);
  EXPECT_EQ(m.max_entries, e.max_entries);
  EXPECT_EQ(m.flags, e.flags);
  EXPECT_EQ(m.pinning, e.pinning);
  EXPECT_EQ(m.map_extra, e.map_extra);
}

TEST_P(ElfLoader, MapDefinitionsOfEveryKind) {
  const ObjectSpec o = load("maps");
  const MapExpect expected[] = {
      {"inner1", BPF_MAP_TYPE_ARRAY, 4, 4, 1},
      {"inner2", BPF_MAP_TYPE_ARRAY, 4, 4, 1},
      {"outer", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4},
      {"jumps", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 3},
      {"hash", BPF_MAP_TYPE_HASH, 8, 16, 128, BPF_F_NO_PREALLOC},
      {"sized", BPF_MAP_TYPE_ARRAY, 4, 8, 4},
      {"ring", BPF_MAP_TYPE_RINGBUF, 0, 0, 16384},
      {"bloom", BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 100, 0, 0, 3},
      {"pinned", BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, 0, 1},
      {"outer_hash", BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 8},
      {"legacy_hash", BPF_MAP_TYPE_HASH, 4, 8, 64},
      {"legacy_array", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, 2},
  };
  ASSERT_EQ(o.maps.size(), std::size(expected));
  for (std::size_t i = 0; i < o.maps.size(); ++i) expect_map(o.maps[i], expected[i]);
  // Map-in-map: the inner definition's shape.
  ASSERT_TRUE(o.maps[2].inner);
  expect_map(*o.maps[2].inner, {"outer.inner", BPF_MAP_TYPE_ARRAY, 4, 4, 1});
  ASSERT_TRUE(o.maps[9].inner);
  expect_map(*o.maps[9].inner, {"outer_hash.inner", BPF_MAP_TYPE_HASH, 8, 8, 32});
  EXPECT_FALSE(o.maps[4].inner);
  // __type() keys and values carry their BTF types; __uint() sizes and legacy maps none.
  EXPECT_EQ(btf_type_name(o, o.maps[4].btf_key_type_id), "key");
  EXPECT_EQ(btf_type_name(o, o.maps[4].btf_value_type_id), "value");
  EXPECT_EQ(btf_type_name(o, o.maps[8].btf_key_type_id), "__u32");
  EXPECT_EQ(o.maps[5].btf_key_type_id, 0u);
  EXPECT_EQ(o.maps[10].btf_value_type_id, 0u);
}

TEST_P(ElfLoader, MapInMapAndProgramArraySlots) {
  const ObjectSpec o = load("maps");
  ASSERT_EQ(o.initial_slots.size(), 3u);
  EXPECT_EQ(o.initial_slots[0].map, 2u);
  EXPECT_EQ(o.initial_slots[0].slot, 0u);
  EXPECT_EQ(o.initial_slots[0].inner_map, std::optional<std::size_t>(0));
  EXPECT_EQ(o.initial_slots[1].map, 2u);
  EXPECT_EQ(o.initial_slots[1].slot, 2u);
  EXPECT_EQ(o.initial_slots[1].inner_map, std::optional<std::size_t>(1));
  EXPECT_EQ(o.initial_slots[2].map, 3u);
  EXPECT_EQ(o.initial_slots[2].slot, 1u);
  EXPECT_FALSE(o.initial_slots[2].inner_map.has_value());
  EXPECT_EQ(o.initial_slots[2].program, "tail");
}

TEST_P(ElfLoader, MapReferencesBecomeMapIndexes) {
  const ObjectSpec o = load("maps");
  EXPECT_EQ(o.license, "Dual BSD/GPL");
  ASSERT_EQ(o.programs.size(), 2u);
  EXPECT_EQ(o.programs[0].name, "tail");
  EXPECT_EQ(disassemble(o.programs[0].insns), "w0 = 2\nexit\n");
  // hash, sized, ring, bloom, pinned, outer, outer_hash, legacy_hash, legacy_array, then jumps for the tail call.
  EXPECT_EQ(map_refs(program(o, "use_maps").insns), (std::vector<int>{4, 5, 6, 7, 8, 2, 9, 10, 11, 3}));
  const Program& p = program(o, "use_maps").insns;
  const std::size_t first = v4() ? 9 : 12;  // clang 19 stores immediates directly: three fewer instructions
  EXPECT_EQ(disassemble_insn(p, first), "r1 = map_idx(4) ll");
}

TEST_P(ElfLoader, GlobalDataMaps) {
  const ObjectSpec o = load("globals");
  EXPECT_EQ(o.name, "globals");
  EXPECT_EQ(o.license, "GPL");
  EXPECT_EQ(o.kernel_version, 0x060100u);
  const MapExpect expected[] = {
      {"globals.data", BPF_MAP_TYPE_ARRAY, 4, 16, 1, BPF_F_MMAPABLE},
      {"globals.rodata", BPF_MAP_TYPE_ARRAY, 4, 10, 1, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE},
      {".rodata.custom", BPF_MAP_TYPE_ARRAY, 4, 2, 1, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE},
      {"globals.bss", BPF_MAP_TYPE_ARRAY, 4, 36, 1, BPF_F_MMAPABLE},
      {"globals.kconfig", BPF_MAP_TYPE_ARRAY, 4, 5, 1, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE},
  };
  ASSERT_EQ(o.maps.size(), std::size(expected));
  for (std::size_t i = 0; i < o.maps.size(); ++i) expect_map(o.maps[i], expected[i]);
  // counter = 5, 4 bytes of padding, hidden_total = 0x1122334455.
  EXPECT_EQ(o.maps[0].initial_value, (std::vector<std::uint8_t>{5, 0, 0, 0, 0, 0, 0, 0, 0x55, 0x44, 0x33, 0x22, 0x11, 0, 0, 0}));
  EXPECT_EQ(o.maps[1].initial_value, (std::vector<std::uint8_t>{42, 0, 0, 0, 'u', 'b', 'e', 'e', '!', 0}));
  EXPECT_EQ(o.maps[2].initial_value, (std::vector<std::uint8_t>{7, 0}));
  EXPECT_EQ(o.maps[3].initial_value, std::vector<std::uint8_t>(36, 0));
  EXPECT_EQ(o.maps[4].initial_value, std::vector<std::uint8_t>(5, 0));
  EXPECT_EQ(btf_type_name(o, o.maps[0].btf_value_type_id), ".data");
  EXPECT_EQ(btf_type_name(o, o.maps[4].btf_value_type_id), ".kconfig");
}

TEST_P(ElfLoader, GlobalDataReferencesCarryTheVariableOffset) {
  const ObjectSpec o = load("globals");
  ASSERT_EQ(o.programs.size(), 1u);
  // hidden_total (static: section symbol + imm 8), counter, limit, tag at 4, custom, zeroed, hits at 32 (static),
  // and the two kconfig externs as libbpf lays them out: the 4-byte one first.
  EXPECT_EQ(value_refs(o.programs[0].insns),
            (std::vector<std::pair<int, int>>{{0, 0}, {0, 8}, {1, 0}, {1, 4}, {2, 0}, {3, 0}, {3, 32}, {4, 0}, {4, 4}}));
  EXPECT_EQ(disassemble_insn(o.programs[0].insns, 0), "r1 = map_idx_value(0, 8) ll");
  ASSERT_EQ(o.kconfig.size(), 2u);
  EXPECT_EQ(o.kconfig[0].name, "LINUX_KERNEL_VERSION");
  EXPECT_EQ(o.kconfig[0].offset, 0u);
  EXPECT_EQ(o.kconfig[0].size, 4u);
  EXPECT_FALSE(o.kconfig[0].weak);
  EXPECT_EQ(o.kconfig[1].name, "CONFIG_UBEE_TEST");
  EXPECT_EQ(o.kconfig[1].offset, 4u);
  EXPECT_EQ(o.kconfig[1].size, 1u);
  EXPECT_TRUE(o.kconfig[1].weak);
}

// Layout as libbpf makes it: the program, then each subprogram the first time a call reaches it, depth first.
constexpr const char* kCallsV3 = R"(   0: r1 = *(u32 *)(r1 + 0)
   1: w2 = 3
   2: call pc+6
   3: w6 = w0
   4: r1 = 1
   5: call pc+13
   6: w6 += w0
   7: w0 = w6
   8: exit
   9: w6 = w2
  10: call pc+5
  11: w7 = w0
  12: w1 = w6
  13: call pc+2
  14: w0 += w7
  15: exit
  16: w0 = w1
  17: w0 *= w0
  18: exit
  19: r6 = r1
  20: w1 = 0
  21: *(u32 *)(r10 - 4) = r1
  22: r2 = r10
  23: r2 += -4
  24: r1 = map_idx(0) ll
  26: call 1
  27: r1 = r0
  28: r0 = 0
  29: if r1 == 0 goto +3
  30: r0 = *(u64 *)(r1 + 0)
  31: r0 += r6
  32: *(u64 *)(r1 + 0) = r0
  33: exit
)";

constexpr const char* kLoopsV3 = R"(   0: r6 = r1
   1: r1 = 0
   2: *(u64 *)(r10 - 8) = r1
   3: r3 = r10
   4: r3 += -8
   5: w1 = 10
   6: r2 = func(+13) ll
   8: r4 = 0
   9: call 181
  10: r1 = *(u32 *)(r6 + 0)
  11: r7 = *(u64 *)(r10 - 8)
  12: call pc+13
  13: w6 = w0
  14: w6 += w7
  15: r1 = 2
  16: call pc+12
  17: w6 += w0
  18: w0 = w6
  19: exit
  20: w1 = w1
  21: r3 = *(u64 *)(r2 + 0)
  22: r3 += r1
  23: *(u64 *)(r2 + 0) = r3
  24: w0 = 0
  25: exit
  26: w0 = w1
  27: w0 *= w0
  28: exit
  29: r6 = r1
  30: w1 = 0
  31: *(u32 *)(r10 - 4) = r1
  32: r2 = r10
  33: r2 += -4
  34: r1 = map_idx(0) ll
  36: call 1
  37: r1 = r0
  38: r0 = 0
  39: if r1 == 0 goto +3
  40: r0 = *(u64 *)(r1 + 0)
  41: r0 += r6
  42: *(u64 *)(r1 + 0) = r0
  43: exit
)";

// clang 19 with -mcpu=v4 stores immediates directly (`*(u32 *)(r10 - 4) = 0`); the layout is the same.
constexpr const char* kCallsV4 = R"(   0: r1 = *(u32 *)(r1 + 0)
   1: w2 = 3
   2: call pc+6
   3: w6 = w0
   4: r1 = 1
   5: call pc+13
   6: w6 += w0
   7: w0 = w6
   8: exit
   9: w6 = w2
  10: call pc+5
  11: w7 = w0
  12: w1 = w6
  13: call pc+2
  14: w0 += w7
  15: exit
  16: w0 = w1
  17: w0 *= w0
  18: exit
  19: r6 = r1
  20: *(u32 *)(r10 - 4) = 0
  21: r2 = r10
  22: r2 += -4
  23: r1 = map_idx(0) ll
  25: call 1
  26: r1 = r0
  27: r0 = 0
  28: if r1 == 0 goto +3
  29: r0 = *(u64 *)(r1 + 0)
  30: r0 += r6
  31: *(u64 *)(r1 + 0) = r0
  32: exit
)";

constexpr const char* kLoopsV4 = R"(   0: r6 = r1
   1: *(u64 *)(r10 - 8) = 0
   2: r3 = r10
   3: r3 += -8
   4: w1 = 10
   5: r2 = func(+13) ll
   7: r4 = 0
   8: call 181
   9: r1 = *(u32 *)(r6 + 0)
  10: r7 = *(u64 *)(r10 - 8)
  11: call pc+13
  12: w6 = w0
  13: w6 += w7
  14: r1 = 2
  15: call pc+12
  16: w6 += w0
  17: w0 = w6
  18: exit
  19: w1 = w1
  20: r3 = *(u64 *)(r2 + 0)
  21: r3 += r1
  22: *(u64 *)(r2 + 0) = r3
  23: w0 = 0
  24: exit
  25: w0 = w1
  26: w0 *= w0
  27: exit
  28: r6 = r1
  29: *(u32 *)(r10 - 4) = 0
  30: r2 = r10
  31: r2 += -4
  32: r1 = map_idx(0) ll
  34: call 1
  35: r1 = r0
  36: r0 = 0
  37: if r1 == 0 goto +3
  38: r0 = *(u64 *)(r1 + 0)
  39: r0 += r6
  40: *(u64 *)(r1 + 0) = r0
  41: exit
)";

// calls: add_squares (a global function, called through its symbol), then square (called by add_squares
// without a relocation), then bump (static, through the .text section symbol). loops: loop_body (a callback
// address), square, bump -- each program has its own copies.
TEST_P(ElfLoader, SubprogramsAreAppendedOncePerProgram) {
  const ObjectSpec o = load("subprog");
  ASSERT_EQ(o.programs.size(), 2u);
  ASSERT_EQ(o.maps.size(), 1u);
  EXPECT_EQ(disassemble(program(o, "calls").insns, {true}), v4() ? kCallsV4 : kCallsV3);
  EXPECT_EQ(disassemble(program(o, "loops").insns, {true}), v4() ? kLoopsV4 : kLoopsV3);
}

TEST_P(ElfLoader, SeveralProgramsPerSectionAndAttachTargets) {
  const ObjectSpec o = load("multi");
  struct Expect {
    const char *name, *section;
    bpf_prog_type type;
    unsigned attach;
    const char* target;
    bool sleepable, frags;
  };
  const Expect expected[] = {
      {"xdp_one", "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, "", false, false},
      {"xdp_two", "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, "", false, false},
      {"probe", "kprobe/do_sys_openat2", BPF_PROG_TYPE_KPROBE, 0, "do_sys_openat2", false, false},
      {"sleepy", "uprobe.s/./app:main", BPF_PROG_TYPE_KPROBE, 0, "./app:main", true, false},
      {"tp", "tracepoint/syscalls/sys_enter_openat", BPF_PROG_TYPE_TRACEPOINT, 0, "syscalls/sys_enter_openat", false, false},
      {"egress", "cgroup_skb/egress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, "", false, false},
      {"frags", "xdp.frags", BPF_PROG_TYPE_XDP, BPF_XDP, "", false, true},
  };
  ASSERT_EQ(o.programs.size(), std::size(expected));
  for (std::size_t i = 0; i < o.programs.size(); ++i) {
    const ProgramSpec& p = o.programs[i];
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(p.name, expected[i].name);
    EXPECT_EQ(p.section, expected[i].section);
    EXPECT_EQ(p.type, expected[i].type);
    EXPECT_EQ(static_cast<unsigned>(p.expected_attach_type), expected[i].attach);
    EXPECT_EQ(p.attach_target, expected[i].target);
    EXPECT_EQ(p.sleepable, expected[i].sleepable);
    EXPECT_EQ(p.xdp_frags, expected[i].frags);
    EXPECT_EQ(p.insns.size(), 2u);
  }
  EXPECT_EQ(disassemble(o.programs[1].insns), "w0 = 1\nexit\n");
  EXPECT_TRUE(o.maps.empty());
}

TEST_P(ElfLoader, CoreRelocationsResolveAgainstLocalTypes) {
  const ObjectSpec o = load("core");
  ASSERT_EQ(o.programs.size(), 1u);
  EXPECT_EQ(o.programs[0].type, BPF_PROG_TYPE_RAW_TRACEPOINT);
  EXPECT_EQ(o.programs[0].attach_target, "sys_enter");
  const std::string text = disassemble(o.programs[0].insns);
  auto has = [&](const std::string& line) { EXPECT_NE(text.find(line + "\n"), std::string::npos) << line << "\n" << text; };
  has("r1 = 24");                           // offsetof(struct record, next)
  has("r1 = 8");                            // offsetof(struct inner, value), sizeof(name)
  has("r6 = *(u64 *)(r2 + 8)");             // r->in.value, read directly
  has("r9 = 1");                            // bpf_core_field_exists(r->name)
  has("r1 = 32");                           // byte offset of the bitfield `high`
  has("r3 = 4");                            // its load size, as libbpf computes it (clang says 8)
  has("r1 = 48");                           // bpf_core_type_size(struct record)
  has("r1 = 300 ll");                       // bpf_core_enum_value(enum color, BLUE)
  const std::uint32_t inner = static_cast<std::uint32_t>(btf__find_by_name_kind(o.btf.get(), "inner", BTF_KIND_STRUCT));
  has("r1 = " + std::to_string(inner) + " ll");  // bpf_core_type_id_local(struct inner)
}

INSTANTIATE_TEST_SUITE_P(Compilers, ElfLoader, ::testing::ValuesIn(kCompilers),
                         [](const auto& info) { return std::string(info.param.label); });

// ---- Objects that must be rejected, with the object, the program and the reason in the message.

class ElfRejects : public ElfLoader {
 protected:
  Error rejected(int variant) {
    const auto bytes = compile_bpf("errors", GetParam(), "-DVARIANT=" + std::to_string(variant));
    auto object = parse_object(bytes, "errors.bpf.o");
    EXPECT_FALSE(object.ok());
    return object ? Error{} : object.error();
  }
};

TEST_P(ElfRejects, UnknownSectionNamesTheSection) {
  const Error e = rejected(1);
  EXPECT_EQ(e.code, Errc::unsupported);
  EXPECT_EQ(e.message, "'errors.bpf.o': program 'k': unknown program section 'bogus/thing'");
}

TEST_P(ElfRejects, KfuncCallNeedsTheKernel) {
  const Error e = rejected(2);
  EXPECT_EQ(e.code, Errc::unsupported);
  EXPECT_EQ(e.message, "'errors.bpf.o': program 'k', insn 0: call to extern function 'bpf_rcu_read_lock' (a kfunc) needs the kernel");
}

TEST_P(ElfRejects, KsymNeedsTheKernel) {
  const Error e = rejected(3);
  EXPECT_EQ(e.code, Errc::unsupported);
  EXPECT_NE(e.message.find("program 'k', insn 0: extern 'bpf_prog_active' is not a __kconfig variable"), std::string::npos) << e.message;
}

TEST_P(ElfRejects, CoreTargetTypeIdNeedsKernelBtf) {
  const Error e = rejected(4);
  EXPECT_EQ(e.code, Errc::unsupported);
  EXPECT_NE(e.message.find("'errors.bpf.o': program 'k', insn 0: CO-RE relocation target_type_id of "), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("struct local (access '0')"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("kernel's BTF"), std::string::npos) << e.message;
}

TEST_P(ElfRejects, CoreOnForwardDeclarationNeedsKernelBtf) {
  const Error e = rejected(5);
  EXPECT_EQ(e.code, Errc::unsupported);
  EXPECT_NE(e.message.find("program 'k', insn 0: CO-RE relocation type_exists of "), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("fwd task_struct (access '0'): "), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("is only declared in this object"), std::string::npos) << e.message;
}

INSTANTIATE_TEST_SUITE_P(Compilers, ElfRejects, ::testing::ValuesIn(kCompilers),
                         [](const auto& info) { return std::string(info.param.label); });

TEST(ElfFile, MissingFileIsAnIoError) {
  auto r = parse_object_file("/nonexistent/dir/prog.bpf.o");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_EQ(r.error().message, "'/nonexistent/dir/prog.bpf.o': No such file or directory");
}

TEST(ElfFile, ObjectNameComesFromTheFileName) {
  UBEE_REQUIRE_COMPILER(kClang14);
  const auto bytes = compile_bpf("globals", kClang14);
  auto r = parse_object(bytes, "/some/dir/a_rather_long_object_name.bpf.o");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->name, "a_rather_long_o");     // 15 characters, as libbpf keeps
  EXPECT_EQ(r->maps[0].name, "a_rather.data");  // room is kept for a 7-character suffix, even for ".data"
}

}  // namespace
}  // namespace ubee::test
