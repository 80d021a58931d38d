// The verifier over the project's corpus of valid C programs (tests/bpf, built by clang): every program must
// get an answer, acceptance or a rejection naming an instruction, without crashing or hanging. Until the
// verifier covers subprograms, every context layout and reference tracking, many are rejected; the test prints
// the tally so progress is visible, and pins the programs accepted so far so none regresses.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <set>
#include <string>

#include "ubee/elf.hpp"
#include "ubee/linux_helpers.hpp"
#include "ubee/verifier.hpp"

namespace ubee::test {
namespace {

namespace fs = std::filesystem;

// Accepted by this verifier so far (the kernel accepts every corpus program): none may regress.
const std::set<std::string> kAccepted{
    "atomics/count_atomically", "globals/filter_port", "helper_current_task/current_task",
    "helper_printk/log_ports", "helper_probe_read/read_memory", "helper_smp_processor_id/which_cpu",
    "loops_bounded/loops", "map_array/count_dscp", "map_bloom_filter/allow", "map_bloom_filter/filter",
    "map_for_each/add", "map_hash/flow_table", "map_hash_of_maps/count_clients",
    "map_array_of_maps/count_by_tenant", "map_lpm_trie/add_routes", "map_lpm_trie/remove_route",
    "map_lpm_trie/route", "map_lru_hash/track", "map_lru_percpu_hash/count_dst_bytes",
    "map_percpu_array/count_protocols", "map_percpu_hash/count_udp_ports", "map_perf_event_array/sample_packets",
    "map_queue/dequeue", "map_queue/enqueue", "map_queue/enqueue_overwrite", "map_queue/peek",
    "map_ringbuf/log_packet", "map_stack/pop_sum", "map_stack/push_len", "map_stack/push_len_overwrite",
    "map_stack/top", "parse_ipv4_tcp/tcp_ports", "parse_ipv6_udp/udp6_ports", "parse_proto_count/classify",
    "syscall_setup/enforce", "syscall_setup/setup", "tc_skb_fields/mark_ef", "xdp_icmp_echo/echo_reply",
    "xdp_ttl_rewrite/forward",
};

TEST(VerifierCorpus, EveryProgramGetsAnAnswer) {
  const fs::path dir = fs::path(UBEE_BPF_OBJECT_DIR) / "v3";
  if (!fs::exists(dir)) GTEST_SKIP() << "no corpus objects in " << dir;
  HelperRegistry helpers;
  add_linux_helpers(helpers);
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".o") continue;
    auto object = parse_object_file(entry.path().string());
    ASSERT_TRUE(object.ok()) << object.error().to_string();
    for (const ProgramSpec& program : object->programs) {
      const auto result = verify(program.insns, VerifierOptions{program.type, object->maps, &helpers, false});
      const std::string name = entry.path().stem().string() + "/" + program.name;
      if (result.ok()) {
        ++accepted;
        std::cout << "  accepted " << name << ": " << result->insns_processed << " insns\n";
      } else {
        ++rejected;
        EXPECT_FALSE(kAccepted.contains(name)) << "regressed: " << name << ": " << result.error().to_string();
        EXPECT_TRUE(result.error().insn.has_value()) << name << ": " << result.error().to_string();
        std::cout << "  rejected " << name << ": " << result.error().to_string() << "\n";
      }
    }
  }
  std::cout << "verifier corpus: " << accepted << " accepted, " << rejected << " rejected\n";
}

}  // namespace
}  // namespace ubee::test
