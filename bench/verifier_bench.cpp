// Verification time: ubee's verify() beside the kernel's own verifier on every program of the corpus objects
// (tests/bpf, built with -mcpu=v3), one run each. The kernel's figures come from BPF_PROG_LOAD with
// BPF_LOG_STATS ("verification time N usec", "processed N insns"); its column shows "-" where bpf(2) is
// refused (not root) or the kernel rejects the program. ubee rejections are shown as such: until the verifier
// covers subprograms, callbacks and the rest, those times are for the part it checked.
// Run: ./build/bench/verifier_bench [OBJECT_DIR]
#include <bpf/libbpf.h>

#include <algorithm>
#include <cstdarg>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <ubee/elf.hpp>
#include <ubee/linux_helpers.hpp>
#include <ubee/verifier.hpp>

namespace {

namespace fs = std::filesystem;

struct KernelStats {
  double usec = 0;
  unsigned long processed = 0;
};

int quiet_libbpf(libbpf_print_level, const char*, va_list) { return 0; }

std::optional<unsigned long> stat_after(const std::string& log, const char* pattern) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex(pattern))) return std::nullopt;
  return std::stoul(m[1].str());
}

// Loads only `program` of the object at `path` (libbpf creates the maps and relocates), with BPF_LOG_STATS.
std::optional<KernelStats> kernel_stats(const fs::path& path, const std::string& program) {
  bpf_object* object = bpf_object__open_file(path.c_str(), nullptr);
  if (object == nullptr) return std::nullopt;
  std::string log(1 << 16, '\0');
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, object) {
    const bool wanted = program == bpf_program__name(p);
    bpf_program__set_autoload(p, wanted);
    if (wanted) {
      bpf_program__set_log_buf(p, log.data(), log.size());
      bpf_program__set_log_level(p, 4);  // BPF_LOG_STATS
    }
  }
  const int err = bpf_object__load(object);
  bpf_object__close(object);
  if (err != 0) return std::nullopt;
  log.resize(log.find('\0'));
  const auto usec = stat_after(log, "verification time ([0-9]+) usec");
  const auto processed = stat_after(log, "processed ([0-9]+) insns");
  if (!usec || !processed) return std::nullopt;
  return KernelStats{static_cast<double>(*usec), *processed};
}

struct UbeeStats {
  double usec = 0;
  std::size_t processed = 0;
  bool accepted = false;
};

UbeeStats ubee_stats(const ubee::ProgramSpec& program, const ubee::ObjectSpec& object,
                     const ubee::HelperRegistry& helpers) {
  const auto start = std::chrono::steady_clock::now();
  const auto result = ubee::verify(program.insns, ubee::VerifierOptions{program.type, object.maps, &helpers, false});
  const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
  return UbeeStats{took.count(), result.ok() ? result->insns_processed : 0, result.ok()};
}

std::vector<fs::path> objects(const fs::path& dir) {
  std::vector<fs::path> paths;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().extension() == ".o") paths.push_back(f.path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

void print_row(const std::string& name, std::size_t insns, const UbeeStats& u, const std::optional<KernelStats>& k) {
  char ubee_col[64], kernel_col[64], ratio[32] = "-";
  std::snprintf(ubee_col, sizeof ubee_col, u.accepted ? "%9.1f %8zu" : "%9.1f rejected", u.usec, u.processed);
  if (k) std::snprintf(kernel_col, sizeof kernel_col, "%9.0f %8lu", k->usec, k->processed);
  else std::snprintf(kernel_col, sizeof kernel_col, "%9s %8s", "-", "-");
  if (k && k->usec > 0 && u.accepted) std::snprintf(ratio, sizeof ratio, "%.2fx", u.usec / k->usec);
  std::printf("| %-44s | %6zu | %s | %s | %7s |\n", name.c_str(), insns, ubee_col, kernel_col, ratio);
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path(UBEE_BPF_OBJECT_DIR) / "v3";
  if (!fs::exists(dir)) {
    std::fprintf(stderr, "verifier_bench: no objects in %s (build the tests first, or pass a directory)\n",
                 dir.c_str());
    return 1;
  }
  libbpf_set_print(quiet_libbpf);
  ubee::HelperRegistry helpers;
  ubee::add_linux_helpers(helpers);
  std::printf("| %-44s | %6s | %9s %8s | %9s %8s | %7s |\n", "program", "insns", "ubee us", "processed",
              "kernel us", "processed", "ratio");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(8, '-').c_str(),
              std::string(20, '-').c_str(), std::string(20, '-').c_str(), std::string(9, '-').c_str());
  for (const fs::path& path : objects(dir)) {
    auto object = ubee::parse_object_file(path.string());
    if (!object.ok()) continue;
    for (const ubee::ProgramSpec& program : object->programs)
      print_row(path.stem().string() + "/" + program.name, program.insns.size(),
                ubee_stats(program, *object, helpers), kernel_stats(path, program.name));
  }
  return 0;
}
