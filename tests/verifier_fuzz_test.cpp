// Soundness fuzzing of the verifier: programs it accepts must never fault. Candidates are random programs
// (tests/program_generator.hpp) and mutations of programs it accepts (the corpus objects and the safe catalogue:
// offsets, immediates, registers, access sizes changed, checks dropped). Every accepted candidate runs on the
// interpreter in checked mode, on a random packet or context with its maps filled with random data; any error
// of that run (an access outside the memory the program may touch, a runaway loop) fails the test with the
// program's disassembly. UBEE_FUZZ_ITERATIONS sets the number of candidates per source.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "program_generator.hpp"
#include "ubee/elf.hpp"
#include "ubee/linux_helpers.hpp"
#include "ubee/object.hpp"
#include "ubee/verifier.hpp"
#include "verifier/catalogue.hpp"

namespace ubee::test {
namespace {

namespace fs = std::filesystem;

const HelperRegistry& linux_helpers() {
  static const HelperRegistry registry = [] {
    HelperRegistry r;
    add_linux_helpers(r);
    return r;
  }();
  return registry;
}

// A program to mutate: its instructions, type and maps, as the verifier sees them.
struct Seed {
  std::string name;
  Program insns;
  bpf_prog_type type = BPF_PROG_TYPE_KPROBE;
  std::vector<MapSpec> maps;
};

struct Tally {
  int candidates = 0;
  int accepted = 0;
  int runs = 0;
};

std::vector<std::uint8_t> random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::uint8_t> bytes(n);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  return bytes;
}

// Every key of array-like maps and max_entries keys of hashes get random values, so that lookups succeed.
// Read-only global data keeps its initial value: the verifier relies on it (format strings, constants), as
// the kernel's does on frozen .rodata.
void fill_map(Map& map, std::mt19937_64& rng) {
  if (map.key_size() == 0 || map.type() == BPF_MAP_TYPE_PROG_ARRAY) return;
  if ((map.spec().flags & BPF_F_RDONLY_PROG) != 0) return;
  for (std::uint32_t i = 0; i < map.max_entries() && i < 64; ++i) {
    std::vector<std::uint8_t> key(map.key_size(), 0);
    for (std::size_t b = 0; b < key.size() && b < 4; ++b) key[b] = static_cast<std::uint8_t>(i >> (8 * b));
    const auto value = random_bytes(rng, map.user_value_size());
    (void)map.user_update(key.data(), value.data(), BPF_ANY);
  }
}

// Program arrays stay empty: every tail call falls through, as with an empty slot in the kernel.
class NoTailCallTargets final : public TailCallTargets {
 public:
  [[nodiscard]] const Interpreter* target(std::uint64_t, std::uint32_t) const override { return nullptr; }
};

bool is_packet_type(bpf_prog_type type) {
  return type == BPF_PROG_TYPE_XDP || type == BPF_PROG_TYPE_SCHED_CLS || type == BPF_PROG_TYPE_SCHED_ACT ||
         type == BPF_PROG_TYPE_SOCKET_FILTER || type == BPF_PROG_TYPE_CGROUP_SKB;
}

// Runs an accepted program in checked mode as BPF_PROG_TEST_RUN would, with fresh random maps and input.
// Returns the run's error, or an empty string.
std::string run_checked(const Seed& s, const Program& program, std::mt19937_64& rng) {
  static const NoTailCallTargets kNoTailCalls;
  std::vector<std::shared_ptr<Map>> maps;
  for (const MapSpec& spec : s.maps) {
    auto map = create_map(spec);
    if (!map.ok()) return {};  // a map ubee cannot create (e.g. perf arrays on some hosts): nothing to run
    fill_map(**map, rng);
    maps.push_back(*map);
  }
  std::vector<MemoryRegion> regions;
  auto resolved = resolve_map_references(program, maps, regions);
  if (!resolved.ok()) return "map references: " + resolved.error().to_string();
  auto engine = Interpreter::load(*resolved, linux_helpers(), LoadOptions{ExecMode::checked, {}, &kNoTailCalls});
  if (!engine.ok()) return "load: " + engine.error().to_string();
  ProgramSpec spec;
  spec.name = s.name;
  spec.type = s.type;
  spec.insns = program;
  static std::uint32_t next_id = 0x7f000000;  // ids far from those objects hand out
  const ObjectProgram runnable(spec, std::move(*engine), next_id++, regions);
  TestRunInput input;
  if (is_packet_type(s.type)) input.data_in = random_bytes(rng, 14 + rng() % 200);
  else input.ctx_in = random_bytes(rng, 21 * 8);  // struct pt_regs and other raw contexts
  const auto out = runnable.test_run(input);
  return out.ok() ? "" : out.error().to_string();
}

// One mutation of the kinds that turn a safe program unsafe: an offset, an immediate, a register, an access
// size, or a check dropped (a conditional jump made unconditional or a no-op). lddw slots are left alone.
void mutate(Program& p, std::mt19937_64& rng) {
  std::vector<std::size_t> slots;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i].is_lddw()) ++i;
    else slots.push_back(i);
  }
  if (slots.empty()) return;
  Insn& in = p[slots[rng() % slots.size()]];
  static constexpr int kDeltas[] = {-8, -4, -1, 1, 4, 8, 64, -512};
  switch (rng() % 6) {
    case 0: in.off = static_cast<std::int16_t>(in.off + pick(rng, kDeltas)); break;
    case 1: in.imm = rng() % 2 ? in.imm + pick(rng, kDeltas) : random_imm(rng); break;
    case 2: rng() % 2 ? void(in.dst = rng() % 11) : void(in.src = rng() % 11); break;
    case 3:
      if (in.cls() == BPF_LDX || in.cls() == BPF_ST || in.cls() == BPF_STX)
        in.opcode = static_cast<std::uint8_t>((in.opcode & ~0x18) | pick(rng, {BPF_B, BPF_H, BPF_W, BPF_DW}));
      break;
    default:
      if ((in.cls() == BPF_JMP || in.cls() == BPF_JMP32) && in.op() != BPF_CALL && in.op() != BPF_EXIT &&
          in.op() != BPF_JA) {
        const bool taken = rng() % 2;
        in = Insn{BPF_JMP | BPF_JA, 0, 0, static_cast<std::int16_t>(taken ? in.off : 0), 0};
      }
  }
}

// Verifies `program`; when accepted, runs it and fails the test on any fault.
void check_candidate(const Seed& s, const Program& program, std::mt19937_64& rng, Tally& tally) {
  ++tally.candidates;
  const auto verdict = verify(program, VerifierOptions{s.type, s.maps, &linux_helpers(), false});
  if (!verdict.ok()) return;
  ++tally.accepted;
  for (int run = 0; run < 3; ++run) {
    ++tally.runs;
    const std::string error = run_checked(s, program, rng);
    ASSERT_EQ(error, "") << "accepted program faults (from " << s.name << "):\n" << disassemble(program, {true});
  }
}

std::vector<Seed> corpus_seeds() {
  std::vector<Seed> seeds;
  const fs::path dir = fs::path(UBEE_BPF_OBJECT_DIR) / "v3";
  if (!fs::exists(dir)) return seeds;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().extension() != ".o") continue;
    auto object = parse_object_file(f.path().string());
    if (!object.ok()) continue;
    for (const ProgramSpec& p : object->programs)
      seeds.push_back({f.path().stem().string() + "/" + p.name, p.insns, p.type, object->maps});
  }
  return seeds;
}

std::vector<Seed> catalogue_seeds() {
  std::vector<Seed> seeds;
  for (const catalogue::Entry& e : catalogue::default_entries()) {
    if (!e.safe) continue;
    auto program = catalogue::program_of(e);
    if (program.ok()) seeds.push_back({e.name, *program, e.type, e.maps});
  }
  return seeds;
}

// Helpers that call back into the program as many times as an argument says (bpf_loop allows 2^23): a
// mutated count makes a run take minutes without saying anything about memory safety.
bool iterates_callbacks(const Program& p) {
  return std::any_of(p.begin(), p.end(), [](const Insn& in) {
    return in.opcode == (BPF_JMP | BPF_CALL) && in.src == 0 &&
           (in.imm == BPF_FUNC_loop || in.imm == BPF_FUNC_for_each_map_elem);
  });
}

// Seeds the verifier accepts as they are: mutating a rejected program says little about soundness.
std::vector<Seed> accepted(std::vector<Seed> seeds) {
  std::erase_if(seeds, [](const Seed& s) {
    return iterates_callbacks(s.insns) ||
           !verify(s.insns, VerifierOptions{s.type, s.maps, &linux_helpers(), false}).ok();
  });
  return seeds;
}

// Each test stops at its iteration count or after this long, whichever comes first, so that the default
// (Debug) build finishes quickly; the report line says how far it got.
constexpr auto kTimeBudget = std::chrono::seconds(15);

void report(const char* what, const Tally& t) {
  std::cout << what << ": " << t.candidates << " candidates, " << t.accepted << " accepted, " << t.runs
            << " checked runs, no fault\n";
}

TEST(VerifierFuzz, RandomProgramsAcceptedNeverFault) {
  std::mt19937_64 rng(0x5eed'0001);
  MapSpec array;
  array.name = "array";
  array.type = BPF_MAP_TYPE_ARRAY;
  array.key_size = 4;
  array.value_size = 48;
  array.max_entries = 4;
  const std::vector<MapSpec> maps{array};
  Tally tally;
  const auto deadline = std::chrono::steady_clock::now() + kTimeBudget;
  for (int i = 0; i < iterations(2000) * 10 && std::chrono::steady_clock::now() < deadline; ++i) {
    const std::size_t size = 2 + rng() % 24;
    Program program;
    while (program.size() + 1 < size) append_random_insn(program, rng, size);
    program.push_back(Insn{BPF_JMP | BPF_EXIT, 0, 0, 0, 0});
    // Most random programs fail on an unset r0 at once; setting it first lets more of them through.
    program.insert(program.begin(), Insn{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0});
    check_candidate(Seed{"random", {}, BPF_PROG_TYPE_KPROBE, maps}, program, rng, tally);
    if (HasFatalFailure()) return;
  }
  report("random programs", tally);
  EXPECT_GT(tally.accepted, 0) << "the generator never produced an acceptable program: the test checks nothing";
}

void fuzz_mutations(const std::vector<Seed>& seeds, const char* what, std::uint64_t seed) {
  ASSERT_FALSE(seeds.empty()) << "no accepted seeds for " << what;
  std::mt19937_64 rng(seed);
  Tally tally;
  const auto deadline = std::chrono::steady_clock::now() + kTimeBudget;
  for (int i = 0; i < iterations(2000) && std::chrono::steady_clock::now() < deadline; ++i) {
    const Seed& s = seeds[rng() % seeds.size()];
    Program program = s.insns;
    const int mutations = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations; ++m) mutate(program, rng);
    check_candidate(s, program, rng, tally);
    if (testing::Test::HasFatalFailure()) return;
  }
  report(what, tally);
  EXPECT_GT(tally.accepted, 0);
}

TEST(VerifierFuzz, MutatedCatalogueProgramsAcceptedNeverFault) {
  fuzz_mutations(accepted(catalogue_seeds()), "mutated safe catalogue", 0x5eed'0002);
}

TEST(VerifierFuzz, MutatedCorpusProgramsAcceptedNeverFault) {
  const auto seeds = accepted(corpus_seeds());
  if (seeds.empty()) GTEST_SKIP() << "no corpus objects under " << UBEE_BPF_OBJECT_DIR;
  fuzz_mutations(seeds, "mutated corpus", 0x5eed'0003);
}

}  // namespace
}  // namespace ubee::test
