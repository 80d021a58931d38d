// BPF_PROG_TEST_RUN in user space (the kernel's net/bpf/test_run.c): packet programs get the context their type
// defines around a copy of data_in; other programs get ctx_in as their context.
//
// xdp_md and __sk_buff carry data/data_end as u32 fields that programs use as pointers (the kernel's verifier
// rewrites those loads into 64-bit ones). Until ubee's verifier does the same, packets live in memory mapped
// below 4 GiB (MAP_32BIT), where a pointer fits those fields unchanged.
#include <linux/if_packet.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "ubee/object.hpp"

namespace ubee {
namespace {

constexpr std::size_t kXdpHeadroom = 256;  // XDP_PACKET_HEADROOM
constexpr std::size_t kEthHeader = 14;     // ETH_HLEN
constexpr std::uint32_t kLoopbackIfindex = 1;

// Memory below 4 GiB for one packet with headroom and tailroom.
class LowBuffer {
 public:
  explicit LowBuffer(std::size_t size) : size_(size) {
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    data_ = p == MAP_FAILED ? nullptr : static_cast<std::uint8_t*>(p);
  }
  ~LowBuffer() {
    if (data_ != nullptr) munmap(data_, size_);
  }
  LowBuffer(const LowBuffer&) = delete;
  LowBuffer& operator=(const LowBuffer&) = delete;
  [[nodiscard]] std::uint8_t* data() const { return data_; }

 private:
  std::size_t size_;
  std::uint8_t* data_;
};

std::uint32_t low32(const void* p) { return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(p)); }

bool is_skb_type(bpf_prog_type t) {
  switch (t) {
    case BPF_PROG_TYPE_SOCKET_FILTER: case BPF_PROG_TYPE_SCHED_CLS: case BPF_PROG_TYPE_SCHED_ACT:
    case BPF_PROG_TYPE_CGROUP_SKB: case BPF_PROG_TYPE_LWT_IN: case BPF_PROG_TYPE_LWT_OUT:
    case BPF_PROG_TYPE_LWT_XMIT: return true;
    default: return false;
  }
}

// tc programs see the packet from its Ethernet header; the others from the network header (test_run.c is_l2).
bool is_l2(bpf_prog_type t) { return t == BPF_PROG_TYPE_SCHED_CLS || t == BPF_PROG_TYPE_SCHED_ACT; }

// eth_type_trans() on the loopback device the kernel's test runs use: its address and its "broadcast" address
// are both all zeros, so ff:ff:ff:ff:ff:ff is just a multicast address there.
std::uint32_t packet_type(const std::uint8_t* eth) {
  static constexpr std::uint8_t kLoopbackMac[6] = {};
  if (eth[0] & 1) return PACKET_MULTICAST;
  return std::memcmp(eth, kLoopbackMac, 6) == 0 ? PACKET_HOST : PACKET_OTHERHOST;
}

struct Timed {
  Result<std::uint64_t> last = std::uint64_t{0};
  std::chrono::nanoseconds average{0};
};

Timed run_repeatedly(const ObjectProgram& program, void* ctx, std::size_t size, const RunOptions& options,
                     std::uint32_t repeat) {
  Timed t;
  repeat = std::max<std::uint32_t>(repeat, 1);
  const auto start = std::chrono::steady_clock::now();
  for (std::uint32_t i = 0; i < repeat && t.last; ++i) t.last = program.run(ctx, size, options);
  t.average = (std::chrono::steady_clock::now() - start) / repeat;
  return t;
}

Error test_run_error(const std::string& program, const std::string& why) {
  return make_error(Errc::invalid_argument, "program '" + program + "': " + why);
}

template <class T>
std::vector<std::uint8_t> bytes_of(const T& value) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
  return {p, p + sizeof value};
}

template <class T>
T context_from(const std::vector<std::uint8_t>& ctx_in) {
  T ctx{};
  if (!ctx_in.empty()) std::memcpy(&ctx, ctx_in.data(), std::min(sizeof ctx, ctx_in.size()));
  return ctx;
}

// What every kind of test run shares: the engine, the object's directly addressed values, the input.
struct TestRun {
  const ObjectProgram& program;
  std::vector<MemoryRegion> regions;
  const TestRunInput& input;
  const std::string& name;

  Result<TestRunOutput> finish(void* ctx, std::size_t size, RunOptions& options, TestRunOutput out) const {
    options.extra_regions = regions;
    const Timed t = run_repeatedly(program, ctx, size, options, input.repeat);
    if (!t.last) return t.last.error();
    out.retval = *t.last;
    out.average = t.average;
    return out;
  }
};

Result<TestRunOutput> run_xdp(TestRun& run, std::uint8_t* buffer) {
  std::uint8_t* packet = buffer + kXdpHeadroom;
  const std::size_t len = run.input.data_in.size();
  auto md = context_from<xdp_md>(run.input.ctx_in);
  md.data = md.data_meta = low32(packet);
  md.data_end = low32(packet + len);
  if (md.ingress_ifindex == 0) md.ingress_ifindex = kLoopbackIfindex;
  run.regions.push_back({reinterpret_cast<std::uintptr_t>(buffer), kXdpHeadroom + len, true});
  RunOptions options;
  auto out = run.finish(&md, sizeof md, options, {});
  if (!out) return out;
  // The program may have moved data/data_end (bpf_xdp_adjust_head/tail): data_out is what they bound now.
  const auto* begin = reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(md.data));
  const auto* end = reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(md.data_end));
  out->data_out.assign(begin, std::max(begin, end));
  out->ctx_out = bytes_of(md);
  return out;
}

Result<TestRunOutput> run_skb(TestRun& run, bpf_prog_type type, std::uint8_t* packet) {
  const std::size_t len = run.input.data_in.size();
  const std::size_t start = is_l2(type) ? 0 : kEthHeader;
  auto skb = context_from<__sk_buff>(run.input.ctx_in);
  skb.len = static_cast<std::uint32_t>(len - start);
  skb.data = low32(packet + start);
  skb.data_end = low32(packet + len);
  skb.protocol = static_cast<std::uint32_t>(packet[12]) | (static_cast<std::uint32_t>(packet[13]) << 8);
  skb.pkt_type = packet_type(packet);
  if (skb.ifindex == 0) skb.ifindex = kLoopbackIfindex;
  if (skb.wire_len == 0) skb.wire_len = static_cast<std::uint32_t>(len);  // test_run.c: the whole frame
  run.regions.push_back({reinterpret_cast<std::uintptr_t>(packet + start), len - start, true});
  RunOptions options;
  options.packet = std::span<const std::uint8_t>(packet + start, len - start);
  auto out = run.finish(&skb, sizeof skb, options, {});
  if (!out) return out;
  out->data_out.assign(packet, packet + len);  // with the Ethernet header, as the kernel returns it
  out->ctx_out = bytes_of(skb);
  return out;
}

Result<TestRunOutput> run_packet(TestRun& run, bpf_prog_type type) {
  const std::size_t len = run.input.data_in.size();
  if (len < kEthHeader) return test_run_error(run.name, "data_in is shorter than an Ethernet header");
  LowBuffer buffer(kXdpHeadroom + len + 4096);
  if (buffer.data() == nullptr) return test_run_error(run.name, "cannot map a packet buffer below 4 GiB");
  std::memcpy(buffer.data() + kXdpHeadroom, run.input.data_in.data(), len);
  if (type == BPF_PROG_TYPE_XDP) return run_xdp(run, buffer.data());
  return run_skb(run, type, buffer.data() + kXdpHeadroom);
}

}  // namespace

Result<TestRunOutput> ObjectProgram::test_run(const TestRunInput& input) const {
  TestRun run{*this, regions_, input, spec_.name};
  if (spec_.type == BPF_PROG_TYPE_XDP || is_skb_type(spec_.type)) return run_packet(run, spec_.type);
  std::vector<std::uint8_t> ctx = input.ctx_in;
  RunOptions options;
  auto out = run.finish(ctx.empty() ? nullptr : ctx.data(), ctx.size(), options, {});
  if (!out) return out;
  out->ctx_out = std::move(ctx);
  out->data_out = input.data_in;
  return out;
}

}  // namespace ubee
