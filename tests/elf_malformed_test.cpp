// Malformed objects: each is an error naming the object and the problem, never a crash. Every valid test
// object is cut at every 64th byte and has each of its bytes flipped in turn; each result must be
// an error or an object whose programs validate. Run under AddressSanitizer to catch reads past the buffer.
#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "elf/bpf_compile.hpp"
#include "ubee/elf.hpp"

namespace ubee::test {
namespace {

const char* const kSources[] = {"maps", "globals", "subprog", "multi", "core"};

struct Input {
  const char* source;
  BpfCompiler compiler;
};

std::vector<Input> inputs() {
  std::vector<Input> out;
  for (const BpfCompiler& c : kCompilers)
    for (const char* s : kSources) out.push_back({s, c});
  return out;
}

void PrintTo(const Input& in, std::ostream* os) { *os << in.source << "_" << in.compiler.label; }

// An error names the object; a success must be usable.
void expect_sane(const Result<ObjectSpec>& r, const std::string& what) {
  if (!r.ok()) {
    EXPECT_EQ(r.error().message.rfind("'mangled.o': ", 0), 0u) << what << ": " << r.error().message;
    return;
  }
  for (const ProgramSpec& p : r->programs) EXPECT_TRUE(validate(p.insns).ok()) << what << ": program " << p.name;
  for (const MapSlotInit& s : r->initial_slots) EXPECT_LT(s.map, r->maps.size()) << what;
}

class ElfMalformed : public ::testing::TestWithParam<Input> {
 protected:
  void SetUp() override {
    UBEE_REQUIRE_COMPILER(GetParam().compiler);
    bytes_ = compile_bpf(GetParam().source, GetParam().compiler);
    ASSERT_FALSE(bytes_.empty());
    ASSERT_TRUE(parse_object(bytes_, "mangled.o").ok());
  }
  std::vector<std::uint8_t> bytes_;
};

TEST_P(ElfMalformed, TruncatedAtEvery64thByte) {
  for (std::size_t size = 0; size < bytes_.size(); size += 64) {
    const std::vector<std::uint8_t> cut(bytes_.begin(), bytes_.begin() + static_cast<long>(size));
    const auto r = parse_object(cut, "mangled.o");
    expect_sane(r, "cut at " + std::to_string(size));
  }
}

// Parsing is fast enough to flip every byte, not just a sample.
TEST_P(ElfMalformed, EveryByteFlipped) {
  std::vector<std::uint8_t> copy = bytes_;
  for (std::size_t at = 0; at < copy.size(); ++at) {
    copy[at] ^= 0xff;
    expect_sane(parse_object(copy, "mangled.o"), "byte " + std::to_string(at) + " flipped");
    copy[at] ^= 0xff;
  }
}

// Small changes to the fields a reader leans on most (section offsets and sizes, symbol values): each
// 8-byte-aligned word of the file gets a large value.
TEST_P(ElfMalformed, WordsSetToLargeValues) {
  std::vector<std::uint8_t> copy = bytes_;
  for (std::size_t at = 0; at + 4 <= copy.size(); at += 8) {
    std::uint32_t saved;
    std::memcpy(&saved, &copy[at], 4);
    const std::uint32_t big = 0x7ffffff0;
    std::memcpy(&copy[at], &big, 4);
    expect_sane(parse_object(copy, "mangled.o"), "word at " + std::to_string(at));
    std::memcpy(&copy[at], &saved, 4);
  }
}

INSTANTIATE_TEST_SUITE_P(Objects, ElfMalformed, ::testing::ValuesIn(inputs()), [](const auto& info) {
  return std::string(info.param.source) + "_" + info.param.compiler.label;
});

// ---- Specific defects, with their messages.

class ElfDefects : public ::testing::Test {
 protected:
  void SetUp() override {
    UBEE_REQUIRE_COMPILER(kClang14);
    bytes_ = compile_bpf("maps", kClang14);
    ASSERT_FALSE(bytes_.empty());
  }
  std::string error_of(const std::vector<std::uint8_t>& bytes) {
    auto r = parse_object(bytes, "bad.o");
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string{} : r.error().message;
  }
  std::vector<std::uint8_t> bytes_;
};

TEST_F(ElfDefects, HeaderChecks) {
  EXPECT_EQ(error_of({}), "'bad.o': too small to be an ELF object (0 bytes)");
  auto b = bytes_;
  b[0] = 'X';
  EXPECT_EQ(error_of(b), "'bad.o': not an ELF file (bad magic)");
  b = bytes_;
  b[EI_CLASS] = ELFCLASS32;
  EXPECT_EQ(error_of(b), "'bad.o': not a 64-bit ELF object");
  b = bytes_;
  b[EI_DATA] = ELFDATA2MSB;
  EXPECT_EQ(error_of(b), "'bad.o': not a little-endian ELF object");
  b = bytes_;
  b[offsetof(Elf64_Ehdr, e_machine)] = EM_X86_64;
  EXPECT_EQ(error_of(b), "'bad.o': not an eBPF object (e_machine 62)");
  b = bytes_;
  b[offsetof(Elf64_Ehdr, e_type)] = ET_EXEC;
  EXPECT_EQ(error_of(b), "'bad.o': not a relocatable object (e_type 2)");
  b.assign(bytes_.begin(), bytes_.begin() + static_cast<long>(bytes_.size() - 100));
  EXPECT_EQ(error_of(b), "'bad.o': section header table extends past the end of the file (" + std::to_string(b.size()) + " bytes)");
}

// Renaming ".BTF" (and ".rel.BTF", which shares its string) leaves `.maps` without the types it needs.
TEST_F(ElfDefects, MapsWithoutBtf) {
  auto b = bytes_;
  const std::string name(".BTF\0", 5);
  for (auto it = b.begin(); (it = std::search(it, b.end(), name.begin(), name.end())) != b.end(); ++it) it[3] = 'X';
  EXPECT_EQ(error_of(b), "'bad.o': .maps section needs BTF, but the object has no .BTF section");
}

}  // namespace
}  // namespace ubee::test
