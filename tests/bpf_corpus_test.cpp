// The corpus of eBPF C programs (tests/bpf/*.bpf.c), each run through ubee against the expectations in its
// NAME.json — the kernel's behaviour, as tests/bpf/kernel_oracle.py checks — for the objects clang built
// with -mcpu=v3 and, when clang-19 is present, -mcpu=v4.
#include <linux/bpf.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "ubee/object.hpp"
#include "ubee/ringbuf.hpp"

#ifndef UBEE_BPF_SOURCE_DIR
#error "UBEE_BPF_SOURCE_DIR must name tests/bpf"
#endif
#ifndef UBEE_BPF_OBJECT_DIR
#error "UBEE_BPF_OBJECT_DIR must name the directory clang builds tests/bpf into"
#endif

namespace ubee::test {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> unhex(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : text)
    if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return out;
}

struct Case {
  std::string name;  // NAME
  std::string cpu;   // v3 or v4
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name << "_" << c.cpu; }

std::vector<Case> corpus() {
  std::vector<Case> cases;
  const fs::path sources(UBEE_BPF_SOURCE_DIR);
  if (!fs::exists(sources)) return cases;
  for (const auto& entry : fs::directory_iterator(sources)) {
    if (entry.path().extension() != ".json") continue;
    for (const char* cpu : {"v3", "v4"}) cases.push_back({entry.path().stem().string(), cpu});
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name + a.cpu < b.name + b.cpu; });
  return cases;
}

// Per-CPU values in a user-side buffer: each CPU's value padded to 8 bytes; the sum of their u64 (or u32) words.
std::vector<std::uint8_t> percpu_sum(const Map& map, const std::vector<std::uint8_t>& all) {
  const std::size_t stride = (map.value_size() + 7) / 8 * 8;
  std::vector<std::uint8_t> sum(map.value_size());
  const std::size_t word = map.value_size() % 8 == 0 ? 8 : 4;
  for (std::size_t off = 0; off + word <= map.value_size(); off += word) {
    std::uint64_t total = 0;
    for (std::size_t cpu = 0; cpu * stride < all.size(); ++cpu) {
      std::uint64_t v = 0;
      std::memcpy(&v, all.data() + cpu * stride + off, word);
      total += v;
    }
    std::memcpy(sum.data() + off, &total, word);
  }
  return sum;
}

void check_entry(Map& map, const nlohmann::json& e, const std::string& where) {
  const auto key = unhex(e.at("key").get<std::string>());
  std::vector<std::uint8_t> value(map.user_value_size());
  ASSERT_EQ(map.user_lookup(key.data(), value.data()), 0) << where << ": key " << e.at("key") << " missing";
  if (e.contains("percpu_sum")) {
    EXPECT_EQ(percpu_sum(map, value), unhex(e["percpu_sum"].get<std::string>())) << where << " key " << e.at("key");
    return;
  }
  if (map.user_value_size() != map.value_size()) {  // per-CPU, value on the CPU that ran: any CPU's slot
    const auto want = unhex(e.at("value").get<std::string>());
    const std::size_t stride = (map.value_size() + 7) / 8 * 8;
    bool found = false;
    for (std::size_t cpu = 0; cpu * stride < value.size() && !found; ++cpu)
      found = std::equal(want.begin(), want.end(), value.begin() + static_cast<long>(cpu * stride));
    EXPECT_TRUE(found) << where << ": no CPU holds value " << e.at("value");
    return;
  }
  EXPECT_EQ(value, unhex(e.at("value").get<std::string>())) << where << " key " << e.at("key");
}

std::size_t count_entries(Map& map) {
  std::vector<std::uint8_t> key(map.key_size()), next(map.key_size());
  std::size_t n = 0;
  const void* prev = nullptr;
  while (map.get_next_key(prev, next.data()) == 0 && n < 1'000'000) {
    key.swap(next);
    prev = key.data();
    ++n;
  }
  return n;
}

void check_maps(const Object& object, const nlohmann::json& maps, const std::string& where) {
  for (const auto& [name, spec] : maps.items()) {
    auto map = object.find_map(name);
    ASSERT_NE(map, nullptr) << where << ": no map '" << name << "'";
    for (const auto& e : spec.at("entries")) check_entry(*map, e, where + " map " + name);
    if (spec.value("exact", false)) {
      EXPECT_EQ(count_entries(*map), spec.at("entries").size()) << where << " map " << name;
    }
  }
}

// The fields of __sk_buff the kernel copies out (mark, priority, ingress_ifindex, ifindex, cb, tstamp,
// wire_len, gso_segs, gso_size, hwtstamp); elsewhere the kernel writes zeros, ubee the context it ran with.
void check_ctx_out(const std::vector<std::uint8_t>& got, const std::vector<std::uint8_t>& want, const std::string& where) {
  ASSERT_GE(got.size(), want.size()) << where;
  auto field = [](const std::vector<std::uint8_t>& b, std::size_t off, std::size_t n) {
    return std::vector<std::uint8_t>(b.begin() + static_cast<long>(off), b.begin() + static_cast<long>(off + n));
  };
  const std::pair<std::size_t, std::size_t> fields[] = {
      {offsetof(__sk_buff, mark), 4}, {offsetof(__sk_buff, priority), 4}, {offsetof(__sk_buff, ingress_ifindex), 4},
      {offsetof(__sk_buff, ifindex), 4}, {offsetof(__sk_buff, cb), 20}, {offsetof(__sk_buff, tstamp), 8},
      {offsetof(__sk_buff, wire_len), 4}, {offsetof(__sk_buff, gso_segs), 4}, {offsetof(__sk_buff, gso_size), 4}};
  if (want.size() != sizeof(__sk_buff)) {
    EXPECT_EQ(field(got, 0, want.size()), want) << where << ": ctx_out";
    return;
  }
  for (const auto& [off, n] : fields) EXPECT_EQ(field(got, off, n), field(want, off, n)) << where << ": ctx_out at " << off;
}

void check_ringbufs(const Object& object, const nlohmann::json& rings, const std::string& where) {
  for (const auto& [name, expected] : rings.items()) {
    auto map = std::dynamic_pointer_cast<RingBufMap>(object.find_map(name));
    ASSERT_NE(map, nullptr) << where << ": no ring buffer '" << name << "'";
    auto consumer = RingBufConsumer::open(*map);
    ASSERT_TRUE(consumer.ok()) << consumer.error().to_string();
    std::vector<std::vector<std::uint8_t>> records;
    consumer->consume([&](const void* data, std::uint32_t size) {
      const auto* p = static_cast<const std::uint8_t*>(data);
      records.emplace_back(p, p + size);
      return 0;
    });
    std::vector<std::vector<std::uint8_t>> want;
    for (const auto& e : expected) want.push_back(unhex(e.get<std::string>()));
    EXPECT_EQ(records, want) << where << ": records of " << name;
  }
}

// Runs whose map contents ubee knowingly computes differently from the kernel, each with its reason
// (tests/bpf_known_gaps.json); their return values are still compared.
bool map_check_skipped(const std::string& name, int run) {
  static const nlohmann::json gaps = [] {
    std::ifstream in(fs::path(UBEE_BPF_SOURCE_DIR).parent_path() / "bpf_known_gaps.json");
    return in ? nlohmann::json::parse(in) : nlohmann::json::object();
  }();
  if (!gaps.contains(name)) return false;
  const auto& runs = gaps[name].at("runs");
  if (std::find(runs.begin(), runs.end(), run) == runs.end()) return false;
  std::cout << "[ KNOWN GAP ] " << name << " run " << run << ": " << gaps[name].at("reason").get<std::string>() << "\n";
  return true;
}

// What a run produced, compared across engines.
struct RunOutcome {
  bool ok = false;
  std::uint64_t retval = 0;
  std::vector<std::uint8_t> data_out;
  std::vector<std::uint8_t> ctx_out;  // only for runs without a packet: a packet context holds its address
};

void check_run(const Object& object, const nlohmann::json& run, const Result<TestRunOutput>& out,
               const std::string& name, int index, const std::string& where) {
  if (run.contains("error")) {
    EXPECT_FALSE(out.ok()) << where << ": expected the test run to fail with " << run["error"];
  } else {
    ASSERT_TRUE(out.ok()) << where << ": " << out.error().to_string();
    // The kernel reports r0 as a u32.
    if (run.contains("retval")) {
      EXPECT_EQ(out->retval & 0xffffffffULL, run["retval"].get<std::uint64_t>()) << where;
    }
    if (run.contains("data_out")) {
      EXPECT_EQ(out->data_out, unhex(run["data_out"].get<std::string>())) << where;
    }
    if (run.contains("ctx_out")) check_ctx_out(out->ctx_out, unhex(run["ctx_out"].get<std::string>()), where);
  }
  if (run.contains("maps") && !map_check_skipped(name, index)) check_maps(object, run["maps"], where);
  if (run.contains("ringbuf")) check_ringbufs(object, run["ringbuf"], where);
}

// The engines every object runs on: today's default (the checked interpreter), and the unchecked interpreter
// and the JIT, on which the corpus programs (all accepted by the kernel's verifier) run as verified ones would.
struct EngineChoice {
  const char* name;
  ObjectOptions options;
};
std::vector<EngineChoice> engines() {
  ObjectOptions interp;
  interp.engine = ObjectEngine::interpreter;
  interp.mode = ExecMode::unchecked;
  ObjectOptions jit = interp;
  jit.engine = ObjectEngine::jit;
  return {{"checked interpreter", ObjectOptions::unverified_checked_interpreter()}, {"interpreter", interp},
          {"jit", jit}};
}

// Every run of the case on one engine, each checked against the expectations; returns what each produced.
std::vector<RunOutcome> run_case(const std::string& path, const Case& c, const nlohmann::json& expected,
                                 const EngineChoice& engine) {
  std::vector<RunOutcome> outcomes;
  auto object = Object::open(path, engine.options);
  EXPECT_TRUE(object.ok()) << engine.name << ": " << object.error().to_string();
  if (!object) return outcomes;
  if (engine.options.engine == ObjectEngine::jit) {
    for (const auto& p : (*object)->programs()) EXPECT_NE(p->jit(), nullptr) << p->name() << " is not JIT'ed";
  }
  int index = 0;
  for (const auto& run : expected.at("runs")) {
    const std::string where = std::string(engine.name) + ": " + c.name + " run " + std::to_string(index) + " (" +
                              run.at("program").get<std::string>() + ")";
    const ObjectProgram* program = (*object)->find_program(run.at("program").get<std::string>());
    EXPECT_NE(program, nullptr) << where;
    if (program == nullptr) return outcomes;
    // repeat 0 runs once, as BPF_PROG_TEST_RUN does.
    TestRunInput input{unhex(run.value("data_in", "")), unhex(run.value("ctx_in", "")),
                       std::max(1U, run.value("repeat", 1U))};
    auto out = program->test_run(input);
    check_run(**object, run, out, c.name, index++, where);
    RunOutcome outcome;
    if (out) outcome = {true, out->retval, out->data_out, input.data_in.empty() ? out->ctx_out : std::vector<std::uint8_t>{}};
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

class Corpus : public ::testing::TestWithParam<Case> {};

// The kernel's expectations on every engine, and the differential check: every engine produces the same r0,
// packet and context on every run (fields the expectations leave out included).
TEST_P(Corpus, MatchesExpectedBehaviourOnEveryEngine) {
  const Case& c = GetParam();
  const fs::path object_path = fs::path(UBEE_BPF_OBJECT_DIR) / c.cpu / (c.name + ".o");
  if (!fs::exists(object_path)) GTEST_SKIP() << object_path << " was not built (no clang for " << c.cpu << ")";
  std::ifstream in(fs::path(UBEE_BPF_SOURCE_DIR) / (c.name + ".json"));
  const nlohmann::json expected = nlohmann::json::parse(in);
  const auto choices = engines();
  const std::vector<RunOutcome> reference = run_case(object_path.string(), c, expected, choices.front());
  EXPECT_EQ(reference.size(), expected.at("runs").size());
  for (std::size_t e = 1; e < choices.size(); ++e) {
    const std::vector<RunOutcome> got = run_case(object_path.string(), c, expected, choices[e]);
    ASSERT_EQ(got.size(), reference.size()) << choices[e].name;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].ok, reference[i].ok) << choices[e].name << " run " << i;
      EXPECT_EQ(got[i].retval, reference[i].retval) << choices[e].name << " run " << i;
      EXPECT_EQ(got[i].data_out, reference[i].data_out) << choices[e].name << " run " << i;
      EXPECT_EQ(got[i].ctx_out, reference[i].ctx_out) << choices[e].name << " run " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Bpf, Corpus, ::testing::ValuesIn(corpus()),
                         [](const auto& info) { return info.param.name + "_" + info.param.cpu; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Corpus);

}  // namespace
}  // namespace ubee::test
