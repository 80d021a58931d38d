// For the ELF reader's tests: compiles the eBPF C sources of tests/elf/ with clang at test time (each source,
// compiler and flag set once per test process) into a temporary directory, and reads the objects back.
// A test whose compiler is not installed is skipped.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace ubee::test {

struct BpfCompiler {
  const char* command;  // the clang binary
  const char* cpu;      // -mcpu=
  const char* label;    // for test names
};

inline constexpr BpfCompiler kClang14{"clang", "v3", "clang14_v3"};
inline constexpr BpfCompiler kClang19{"clang-19", "v4", "clang19_v4"};
inline constexpr BpfCompiler kCompilers[] = {kClang14, kClang19};

inline void PrintTo(const BpfCompiler& c, std::ostream* os) { *os << c.label; }

inline bool have_compiler(const BpfCompiler& c) {
  return std::system(("command -v " + std::string(c.command) + " >/dev/null 2>&1").c_str()) == 0;
}

// The sources' directory: this header lives there.
inline std::filesystem::path bpf_source_dir() { return std::filesystem::path(__FILE__).parent_path(); }

// A directory for this process's objects, removed when the process ends.
class BpfScratch {
 public:
  BpfScratch() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ubee-elf-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~BpfScratch() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// tests/elf/<source>.bpf.c compiled as `clang -O2 -g -target bpf -mcpu=...`; empty (with a test failure)
// when compilation fails. `defines` are extra -D flags, e.g. "-DVARIANT=2".
inline std::vector<std::uint8_t> compile_bpf(const std::string& source, const BpfCompiler& c, const std::string& defines = "") {
  static BpfScratch scratch;
  static std::map<std::string, std::vector<std::uint8_t>> cache;
  const std::string key = source + "|" + c.label + "|" + defines;
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const auto out = scratch.dir() / (source + "." + c.label + "." + std::to_string(cache.size()) + ".o");
  const auto log = scratch.dir() / "clang.log";
  const std::string cmd = std::string(c.command) + " -O2 -g -target bpf -mcpu=" + c.cpu + " " + defines +
                          " -I/usr/include/x86_64-linux-gnu -c " + (bpf_source_dir() / (source + ".bpf.c")).string() +
                          " -o " + out.string() + " 2>" + log.string();
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream in(log);
    ADD_FAILURE() << cmd << "\n" << std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return {};
  }
  return cache[key] = read_bytes(out);
}

// Skips the calling test when the compiler is missing.
#define UBEE_REQUIRE_COMPILER(c)                                                       \
  do {                                                                                  \
    if (!::ubee::test::have_compiler(c)) GTEST_SKIP() << (c).command << " is not installed"; \
  } while (0)

}  // namespace ubee::test
