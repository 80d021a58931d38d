// USDT: argument specs as libbpf lays them out, the notes of tests/usdt/usdt_probes.c, their addresses in this
// process, semaphores, and BPF_USDT programs reading the arguments the sites passed.
#include <asm/ptrace.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "ubee/attach.hpp"
#include "ubee/linux_helpers.hpp"
#include "ubee/object.hpp"
#include "ubee/usdt.hpp"
#include "usdt_probes.h"

namespace {

using namespace ubee;
using usdt::BpfUsdtSpec;

constexpr const char* kLibrary = "libubee_usdt_probes.so";

BpfUsdtSpec parse_ok(const std::string& text) {
  auto spec = usdt::parse_arguments(text);
  EXPECT_TRUE(spec.ok()) << (spec.ok() ? "" : spec.error().to_string());
  return spec.ok() ? *spec : BpfUsdtSpec{};
}

std::string parse_error(const std::string& text) {
  auto spec = usdt::parse_arguments(text);
  EXPECT_FALSE(spec.ok()) << text;
  return spec.ok() ? "" : spec.error().message;
}

TEST(UsdtArguments, RegisterMemoryAndConstantOperands) {
  const BpfUsdtSpec spec = parse_ok("-4@%edi 8@-8(%rbp) 4@$5 1@$-56 2@%dx 8@(%rsp) -8@%r9");
  ASSERT_EQ(spec.arg_cnt, 7);
  EXPECT_EQ(spec.args[0].arg_type, usdt::kArgReg);
  EXPECT_EQ(spec.args[0].reg_off, static_cast<short>(offsetof(pt_regs, rdi)));
  EXPECT_TRUE(spec.args[0].arg_signed);
  EXPECT_EQ(spec.args[0].arg_bitshift, 32);
  EXPECT_EQ(spec.args[1].arg_type, usdt::kArgRegDeref);
  EXPECT_EQ(spec.args[1].reg_off, static_cast<short>(offsetof(pt_regs, rbp)));
  EXPECT_EQ(spec.args[1].val_off, static_cast<std::uint64_t>(-8));
  EXPECT_FALSE(spec.args[1].arg_signed);
  EXPECT_EQ(spec.args[1].arg_bitshift, 0);
  EXPECT_EQ(spec.args[2].arg_type, usdt::kArgConst);
  EXPECT_EQ(spec.args[2].val_off, 5U);
  EXPECT_EQ(spec.args[2].arg_bitshift, 32);
  EXPECT_EQ(spec.args[3].val_off, static_cast<std::uint64_t>(-56));
  EXPECT_EQ(spec.args[3].arg_bitshift, 56);
  EXPECT_EQ(spec.args[4].reg_off, static_cast<short>(offsetof(pt_regs, rdx)));
  EXPECT_EQ(spec.args[4].arg_bitshift, 48);
  EXPECT_EQ(spec.args[5].arg_type, usdt::kArgRegDeref);
  EXPECT_EQ(spec.args[5].reg_off, static_cast<short>(offsetof(pt_regs, rsp)));
  EXPECT_EQ(spec.args[5].val_off, 0U);
  EXPECT_EQ(spec.args[6].reg_off, static_cast<short>(offsetof(pt_regs, r9)));
  EXPECT_EQ(parse_ok("").arg_cnt, 0);
  EXPECT_EQ(parse_ok("  8@%rax  ").arg_cnt, 1);
  EXPECT_EQ(usdt::parse_arguments("4@$1", 99)->usdt_cookie, 99U);
}

TEST(UsdtArguments, DecodedAsBpfUsdtArgDoes) {
  pt_regs regs{};
  regs.rdi = 0xffffffffffffffd6;  // -42 as an int in edi, with garbage above it in a real run
  regs.rdx = 0x123456789abcfde8;  // 65000 in dx
  std::int64_t memory[2] = {-5000000000LL, 0x7fffffff00000080LL};
  regs.rbp = reinterpret_cast<std::uint64_t>(&memory[1]);
  const BpfUsdtSpec spec = parse_ok("-4@%edi 2@%dx -8@-8(%rbp) 1@$-56 -1@(%rbp)");
  EXPECT_EQ(*usdt::read_argument(spec, 0, &regs), -42);
  EXPECT_EQ(*usdt::read_argument(spec, 1, &regs), 65000);
  EXPECT_EQ(*usdt::read_argument(spec, 2, &regs), -5000000000LL);
  EXPECT_EQ(*usdt::read_argument(spec, 3, &regs), 200);
  EXPECT_EQ(*usdt::read_argument(spec, 4, &regs), -128);
  EXPECT_EQ(usdt::read_argument(spec, 5, &regs).error().code, Errc::not_found);
}

TEST(UsdtArguments, RefusedWithTheReason) {
  EXPECT_EQ(parse_error("-8@8(%rax,%rdx,8)"),
            "USDT argument #0 '-8@8(%rax,%rdx,8)': base+index*scale operands are not supported (libbpf's usdt.bpf.h "
            "has no such argument type)");
  EXPECT_EQ(parse_error("8@%rax 4@counter(%rip)"),
            "USDT argument #1 '4@counter(%rip)': displacement 'counter' is not a number (a symbol's address: not "
            "supported, as in libbpf)");
  EXPECT_EQ(parse_error("3@%eax"), "USDT argument #0 '3@%eax': size must be 1, 2, 4 or 8 bytes");
  EXPECT_EQ(parse_error("4@%xmm0"), "USDT argument #0 '4@%xmm0': unknown register '%xmm0'");
  EXPECT_EQ(parse_error("%eax"), "USDT argument #0 '%eax': expected SIZE@OPERAND");
  EXPECT_EQ(parse_error("4@$1 4@$1 4@$1 4@$1 4@$1 4@$1 4@$1 4@$1 4@$1 4@$1 4@$1 4@$1 4@$1"), "more than 12 USDT arguments");
}

TEST(UsdtNotes, EveryProbeOfTheLibrary) {
  auto file = usdt::read_notes(UBEE_USDT_PROBES_LIBRARY);
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_TRUE(file->position_independent);
  ASSERT_EQ(file->notes.size(), 4U);
  struct Expected {
    const char* name;
    const char* arguments;
    bool semaphore;
  };
  // GCC 12 -O2 on x86-64 (tests/usdt/CMakeLists.txt builds the library -O2).
  const Expected expected[] = {{"constants", "-4@$5 -8@$-7 1@$-56", false},
                               {"registers", "-4@%edi -8@%rsi 2@%dx", false},
                               {"memory", "-4@-12(%rsp) -8@-8(%rsp)", false},
                               {"guarded", "-4@%edi", true}};
  for (std::size_t i = 0; i < 4; ++i) {
    const usdt::Note& note = file->notes[i];
    EXPECT_EQ(note.provider, "ubee_test");
    EXPECT_EQ(note.name, expected[i].name);
    EXPECT_EQ(note.arguments, expected[i].arguments);
    EXPECT_EQ(note.semaphore != 0, expected[i].semaphore) << note.name;
    EXPECT_EQ(note.address, note.pc) << "not prelinked: .stapsdt.base is where the notes say";
  }
}

TEST(UsdtNotes, FileWithoutNotesHasNone) {
  auto file = usdt::read_notes(UBEE_INJECT_TARGET);
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_TRUE(file->notes.empty());
  EXPECT_EQ(usdt::read_notes("/nonexistent/file").error().code, Errc::io);
}

// The runtime address is inside the function that fires the probe, and the semaphore is the library's variable.
TEST(UsdtSites, RuntimeAddressesInThisProcess) {
  const std::pair<const char*, const char*> probes[] = {{"constants", "usdt_fire_constants"},
                                                        {"registers", "usdt_fire_registers"},
                                                        {"memory", "usdt_fire_memory"},
                                                        {"guarded", "usdt_fire_guarded"}};
  for (const auto& [probe, function] : probes) {
    auto sites = usdt::find_sites(kLibrary, "ubee_test", probe);
    ASSERT_TRUE(sites.ok()) << sites.error().to_string();
    ASSERT_EQ(sites->size(), 1U);
    Dl_info info{};
    ASSERT_NE(dladdr(reinterpret_cast<void*>((*sites)[0].address), &info), 0);
    EXPECT_STREQ(info.dli_sname, function);
    EXPECT_EQ(*reinterpret_cast<const std::uint8_t*>((*sites)[0].address), 0x90) << "sys/sdt.h's site is a nop";
  }
  auto guarded = usdt::find_sites(UBEE_USDT_PROBES_LIBRARY, "ubee_test", "guarded");
  ASSERT_TRUE(guarded.ok()) << guarded.error().to_string();
  EXPECT_EQ((*guarded)[0].semaphore, reinterpret_cast<std::uintptr_t>(usdt_guarded_semaphore_address()));
  EXPECT_EQ(usdt::find_sites(kLibrary, "ubee_test", "missing").error().code, Errc::not_found);
  EXPECT_EQ(usdt::find_sites("libnot_loaded.so", "ubee_test", "constants").error().code, Errc::not_found);
}

TEST(UsdtTarget, LibbpfSectionForm) {
  auto t = usdt::parse_target("/usr/lib/a:b.so:prov:name");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/usr/lib/a:b.so");
  EXPECT_EQ(t->provider, "prov");
  EXPECT_EQ(t->name, "name");
  EXPECT_FALSE(usdt::parse_target("prov:name").ok());
  EXPECT_FALSE(usdt::parse_target("path::name").ok());
  EXPECT_FALSE(usdt::parse_target("path:prov:").ok());
  EXPECT_EQ(usdt::parse_target("").error().message,
            "SEC(\"usdt\") names no probe (libbpf attaches it only through bpf_program__attach_usdt()): use "
            "SEC(\"usdt/PATH:PROVIDER:NAME\")");
}

// ---- Attached: the handler decodes the site's registers with the note's spec.
struct Decoded {
  const BpfUsdtSpec* spec = nullptr;
  std::vector<std::int64_t> values;
  std::atomic<int> hits{0};
};

void decode_handler(pt_regs* regs, void* cookie) {
  auto& d = *static_cast<Decoded*>(cookie);
  d.values.clear();
  for (std::size_t i = 0; i < static_cast<std::size_t>(d.spec->arg_cnt); ++i) {
    auto v = usdt::read_argument(*d.spec, i, regs);
    d.values.push_back(v.ok() ? *v : INT64_MIN);
  }
  d.hits.fetch_add(1);
}

// Attaches decode_handler at the probe's site; skips when this build cannot patch code in place.
std::optional<attach::ProbeId> attach_decoder(const char* probe, Decoded& d, BpfUsdtSpec& spec) {
  auto sites = usdt::find_sites(kLibrary, "ubee_test", probe);
  if (!sites.ok()) return std::nullopt;
  spec = *usdt::parse_arguments((*sites)[0].note.arguments);
  d.spec = &spec;
  auto id = attach::attach_probe((*sites)[0].address, attach::ProbeKind::entry, decode_handler, &d);
  if (!id.ok()) {
    ADD_FAILURE() << id.error().to_string();
    return std::nullopt;
  }
  return *id;
}

TEST(UsdtSites, ProbeAtTheSiteSeesTheArguments) {
  const struct {
    const char* probe;
    void (*fire)();
    std::vector<std::int64_t> expected;
  } cases[] = {
      {"constants", [] { usdt_fire_constants(); }, {5, -7, 200}},
      {"registers", [] { usdt_fire_registers(-42, 1L << 40, 65000); }, {-42, 1LL << 40, 65000}},
      {"memory", [] { usdt_fire_memory(-123456, -5000000000LL); }, {-123456, -5000000000LL}},
  };
  for (const auto& c : cases) {
    Decoded d;
    BpfUsdtSpec spec;
    auto id = attach_decoder(c.probe, d, spec);
    ASSERT_TRUE(id.has_value()) << c.probe;
    c.fire();
    c.fire();
    ASSERT_TRUE(attach::detach_probe(*id).ok());
    c.fire();
    EXPECT_EQ(d.hits.load(), 2) << c.probe;
    EXPECT_EQ(d.values, c.expected) << c.probe;
  }
}

// ---- The attacher: semaphores and the maps, with a BPF_USDT program reading the arguments.
thread_local std::uint64_t test_cookie = 0;

struct BpfRun {
  const ObjectProgram* program;
  std::uint64_t cookie;
};

void run_program(pt_regs* regs, void* cookie) {
  const auto* run = static_cast<const BpfRun*>(cookie);
  test_cookie = run->cookie;
  (void)run->program->run(regs, sizeof *regs);
  test_cookie = 0;
}

class UsdtBpf : public ::testing::Test {
 protected:
  void SetUp() override {
    add_linux_helpers(helpers_);
    helpers_.replace(BPF_FUNC_get_attach_cookie,
                     HelperProto{"get_attach_cookie",
                                 [](std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                    RunContext&) -> std::uint64_t { return test_cookie; },
                                 RetType::integer,
                                 {ArgType::ptr_to_ctx}});
    ObjectOptions options;
    options.helpers = &helpers_;
    auto object = Object::open(UBEE_USDT_BPF_OBJECT, options);
    ASSERT_TRUE(object.ok()) << object.error().to_string();
    object_ = std::move(*object);
    set_trace_sink([](std::string_view) {});
  }
  void TearDown() override { set_trace_sink(nullptr); }

  // Attaches program `name` at its section's sites through the attacher.
  void attach(usdt::Attacher& attacher, const char* name) {
    const ObjectProgram* program = object_->find_program(name);
    ASSERT_NE(program, nullptr);
    auto target = usdt::parse_target(program->spec().attach_target);
    ASSERT_TRUE(target.ok()) << target.error().to_string();
    auto sites = attacher.attach(*target, 0, [&](std::uintptr_t address, std::uint64_t cookie) -> Result<void> {
      runs_.push_back(std::make_unique<BpfRun>(BpfRun{program, cookie}));
      auto id = attach::attach_probe(address, attach::ProbeKind::entry, run_program, runs_.back().get());
      if (!id) return id.error();
      probes_.push_back(*id);
      return {};
    });
    ASSERT_TRUE(sites.ok()) << sites.error().to_string();
    EXPECT_EQ(*sites, 1U);
  }
  void detach_all() {
    for (attach::ProbeId id : probes_) EXPECT_TRUE(attach::detach_probe(id).ok());
    probes_.clear();
  }
  std::int64_t slot(std::uint32_t index) {
    std::int64_t value = 0;
    EXPECT_EQ(object_->find_map("args")->user_lookup(&index, &value), 0);
    return value;
  }
  std::unique_ptr<usdt::Attacher> make_attacher() {
    return std::make_unique<usdt::Attacher>(object_->find_map(usdt::kSpecsMap), object_->find_map(usdt::kIpToSpecIdMap));
  }

  HelperRegistry helpers_;
  std::unique_ptr<Object> object_;
  std::vector<std::unique_ptr<BpfRun>> runs_;
  std::vector<attach::ProbeId> probes_;
};

TEST_F(UsdtBpf, SemaphoreRaisedWhileAttached) {
  EXPECT_EQ(usdt_guarded_semaphore(), 0);
  EXPECT_EQ(usdt_fire_guarded(1), 0);
  auto attacher = make_attacher();
  attach(*attacher, "on_guarded");
  EXPECT_EQ(usdt_guarded_semaphore(), 1);
  EXPECT_EQ(usdt_fire_guarded(77), 1);
  EXPECT_EQ(slot(9), 77);
  EXPECT_EQ(slot(10), 1);
  detach_all();
  attacher.reset();
  EXPECT_EQ(usdt_guarded_semaphore(), 0);
  EXPECT_EQ(usdt_fire_guarded(78), 0);
  EXPECT_EQ(slot(10), 1);
}

TEST_F(UsdtBpf, BpfUsdtArgumentsExactly) {
  auto attacher = make_attacher();
  attach(*attacher, "on_constants");
  attach(*attacher, "on_registers");
  attach(*attacher, "on_memory");
  usdt_fire_constants();
  usdt_fire_registers(-42, 1L << 40, 65000);
  usdt_fire_memory(-123456, -5000000000LL);
  detach_all();
  EXPECT_EQ(slot(0), 5);
  EXPECT_EQ(slot(1), -7);
  EXPECT_EQ(slot(2), 200);
  EXPECT_EQ(slot(3), 3) << "bpf_usdt_arg_cnt";
  EXPECT_EQ(slot(4), -42);
  EXPECT_EQ(slot(5), 1LL << 40);
  EXPECT_EQ(slot(6), 65000);
  EXPECT_EQ(slot(7), -123456);
  EXPECT_EQ(slot(8), -5000000000LL);
  // The maps as libbpf fills them: spec ids 0, 1, 2 in attach order, each site's address mapped to its id.
  auto ip_map = object_->find_map(usdt::kIpToSpecIdMap);
  const auto site = usdt::find_sites(kLibrary, "ubee_test", "memory");
  const auto ip = static_cast<std::int64_t>((*site)[0].address);
  std::uint32_t id = 99;
  ASSERT_EQ(ip_map->user_lookup(&ip, &id), 0);
  EXPECT_EQ(id, 2U);
  BpfUsdtSpec spec;
  ASSERT_EQ(object_->find_map(usdt::kSpecsMap)->user_lookup(&id, &spec), 0);
  EXPECT_EQ(spec.arg_cnt, 2);
  EXPECT_EQ(spec.args[1].arg_type, usdt::kArgRegDeref);
}

}  // namespace
