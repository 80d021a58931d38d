// Map lookups in the JIT: array lookups inline and other known maps through a direct call give the same
// results as the helper call (interpreter, and the JIT with inlining off) for keys inside, at the edge of and
// outside the map, and the helper call is really gone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "test_util.hpp"
#include "ubee/jit.hpp"
#include "ubee/linux_helpers.hpp"
#include "ubee/maps.hpp"

namespace ubee::test {
namespace {

std::shared_ptr<Map> make_map(std::uint32_t type, std::uint32_t value_size, std::uint32_t entries) {
  MapSpec spec;
  spec.name = "m";
  spec.type = type;
  spec.key_size = 4;
  spec.value_size = value_size;
  spec.max_entries = entries;
  auto map = create_map(spec);
  EXPECT_TRUE(map.ok()) << map.error().to_string();
  return *map;
}

std::string address(const Map& map) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(&map)));
  return buf;
}

// r0 = the first u64 of key 0's value plus how far the value of the input key lies from it, or -1 when the
// key is missing.
// The key comes from the input; r6 keeps the map across the two lookups.
std::string lookup_program(const Map& map) {
  return "r6 = *(u32 *)(r1 + 0)\n*(u32 *)(r10 - 4) = r6\n*(u32 *)(r10 - 8) = 0\n"
         "r1 = " + address(map) + " ll\nr2 = r10\nr2 += -4\ncall 1\n"
         "if r0 == 0 goto miss\nr7 = r0\n"
         "r1 = " + address(map) + " ll\nr2 = r10\nr2 += -8\ncall 1\n"
         "r7 -= r0\nr0 = *(u64 *)(r0 + 0)\nr0 += r7\nexit\nmiss:\nr0 = -1\nexit";
}

// One program on the interpreter (the helper call), the JIT, and the JIT with inlining off.
struct Engines {
  std::unique_ptr<HelperRegistry> helpers;  // engines keep a reference: it must not move
  Interpreter vm;
  JitProgram inlined;
  JitProgram called;

  static Engines load(const Map& map) {
    auto helpers = std::make_unique<HelperRegistry>();
    add_linux_helpers(*helpers);
    const Program program = asm_or_die(lookup_program(map));
    JitOptions off;
    off.inline_map_lookups = false;
    auto vm = Interpreter::load(program, *helpers, {ExecMode::unchecked, {}});
    auto inlined = JitProgram::compile(program, *helpers);
    auto called = JitProgram::compile(program, *helpers, off);
    EXPECT_TRUE(vm.ok() && inlined.ok() && called.ok());
    return {std::move(helpers), std::move(*vm), std::move(*inlined), std::move(*called)};
  }
};

std::uint64_t run(const auto& engine, std::uint32_t key) {
  auto r0 = engine.run(&key, sizeof key);
  EXPECT_TRUE(r0.ok()) << r0.error().to_string();
  return r0.ok() ? *r0 : 0xdeadULL;
}

bool calls_helper(const JitProgram& jit, HelperFn fn) {
  std::uint8_t bytes[8];
  const auto address = reinterpret_cast<std::uint64_t>(fn);
  std::memcpy(bytes, &address, 8);
  const auto code = jit.code();
  return std::search(code.begin(), code.end(), bytes, bytes + 8) != code.end();
}

TEST(JitMapInline, ArrayLookupsMatchTheHelper) {
  for (std::uint32_t value_size : {8U, 12U, 64U}) {
    auto map = make_map(BPF_MAP_TYPE_ARRAY, value_size, 10);
    for (std::uint32_t i = 0; i < 10; ++i) {
      std::uint64_t v[8] = {1000 + i};
      ASSERT_EQ(map->user_update(&i, v, BPF_ANY), 0);
    }
    Engines e = Engines::load(*map);
    for (std::uint32_t key : {0U, 1U, 5U, 9U, 10U, 11U, 0x7fffffffU, 0x80000000U, 0xffffffffU}) {
      const std::uint64_t want = run(e.vm, key);
      EXPECT_EQ(run(e.inlined, key), want) << "key " << key << ", value size " << value_size;
      EXPECT_EQ(run(e.called, key), want) << "key " << key;
      if (key < 10) {
        const std::uint32_t zero = 0;
        const auto offset = static_cast<std::uint8_t*>(map->lookup(&key)) - static_cast<std::uint8_t*>(map->lookup(&zero));
        EXPECT_EQ(want, 1000 + static_cast<std::uint64_t>(offset)) << "key " << key;  // key 0 holds 1000
      } else {
        EXPECT_EQ(want, ~0ULL) << "key " << key;
      }
    }
    const HelperFn lookup = e.helpers->find(BPF_FUNC_map_lookup_elem)->fn;
    EXPECT_FALSE(calls_helper(e.inlined, lookup)) << "the lookup was not inlined";
    EXPECT_TRUE(calls_helper(e.called, lookup));
  }
}

// Lookups in other known maps call Map::lookup() directly, skipping the helper, with the helper's results.
TEST(JitMapInline, HashLookupsSkipTheHelper) {
  for (std::uint32_t type : {BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH}) {
    auto map = make_map(type, 8, 16);
    for (const std::uint32_t key : {0U, 3U}) {  // the program looks key 0 up after the input's key
      const std::uint64_t value = 77 + key;
      ASSERT_EQ(map->update(&key, &value, BPF_ANY), 0);
    }
    Engines e = Engines::load(*map);
    const HelperFn lookup = e.helpers->find(BPF_FUNC_map_lookup_elem)->fn;
    EXPECT_FALSE(calls_helper(e.inlined, lookup)) << "map type " << type;
    EXPECT_TRUE(calls_helper(e.called, lookup));
    for (std::uint32_t key : {0U, 3U, 4U, 100U}) {
      const std::uint64_t want = run(e.vm, key);
      EXPECT_EQ(run(e.inlined, key), want) << "map type " << type << ", key " << key;
      EXPECT_EQ(run(e.called, key), want) << "map type " << type << ", key " << key;
    }
    EXPECT_EQ(run(e.inlined, 4), ~0ULL) << "map type " << type;
  }
}

// Array lookups whose map is not known at the call keep the helper call.
TEST(JitMapInline, UnknownMapsCallTheHelper) {
  // A jump lands between the lddw and the call: r1 might come from elsewhere.
  auto array = make_map(BPF_MAP_TYPE_ARRAY, 8, 4);
  const Program joined = asm_or_die("*(u32 *)(r10 - 4) = 2\nr1 = " + address(*array) +
                                    " ll\nif r2 == 0 goto +0\nr2 = r10\nr2 += -4\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit");
  HelperRegistry helpers;
  add_linux_helpers(helpers);
  const HelperFn lookup = helpers.find(BPF_FUNC_map_lookup_elem)->fn;
  auto jit = JitProgram::compile(joined, helpers);
  ASSERT_TRUE(jit.ok());
  EXPECT_TRUE(calls_helper(*jit, lookup));
  EXPECT_EQ(*jit->run(nullptr, 0), 0U);
}

// An embedder's helper under id 1 is called, never replaced by the inline lookup.
TEST(JitMapInline, AnotherHelperUnderIdOneIsCalled) {
  auto array = make_map(BPF_MAP_TYPE_ARRAY, 8, 4);
  HelperRegistry helpers;
  ASSERT_TRUE(helpers.add(1, HelperProto{"echo", echo_helper, RetType::integer, {}}).ok());
  const Program program = asm_or_die("r1 = " + address(*array) + " ll\nr2 = r10\ncall 1\nexit");
  auto jit = JitProgram::compile(program, helpers);
  ASSERT_TRUE(jit.ok());
  EXPECT_EQ(*jit->run(nullptr, 0), *Interpreter::load(program, helpers, {ExecMode::unchecked, {}})->run(nullptr, 0));
  EXPECT_TRUE(calls_helper(*jit, echo_helper));
}

}  // namespace
}  // namespace ubee::test
