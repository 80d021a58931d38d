// The context each program type receives, field by field (the kernel's *_is_valid_access callbacks:
// xdp_is_valid_access, tc_cls_act_is_valid_access, sk_filter_is_valid_access, cg_skb_is_valid_access,
// kprobe_prog_is_valid_access, tp_prog_is_valid_access, raw_tp_prog_is_valid_access,
// syscall_prog_is_valid_access). Writes: the __sk_buff fields tc programs and socket filters may set, and a
// syscall program's own argument buffer.
#include <cstddef>

#include "verifier/checker.hpp"

namespace ubee::verifier {
namespace {

constexpr std::int32_t kPtRegsSize = 21 * 8;           // sizeof(struct pt_regs) on x86-64
constexpr auto kPerfMaxTraceSize = static_cast<std::int32_t>(kTracepointContextSize);  // PERF_MAX_TRACE_SIZE
constexpr auto kRawTpArgsSize = static_cast<std::int32_t>(kRawTracepointContextSize);  // MAX_BPF_FUNC_ARGS
constexpr std::int32_t kSyscallCtxSize = 65535;        // U16_MAX: the syscall program's argument buffer

// Raw memory read in aligned pieces of any size: [min, end).
bool raw_field(std::int32_t off, std::uint32_t size, std::int32_t min, std::int32_t end) {
  return size > 0 && off >= min && off < end && off + static_cast<std::int64_t>(size) <= end && off % size == 0;
}

// 4-byte fields of a struct laid out in u32s, read whole and aligned (the kernel allows narrower reads of some).
bool u32_field(std::int32_t off, std::uint32_t size, std::size_t struct_size) {
  return off >= 0 && static_cast<std::size_t>(off) < struct_size && size == 4 && off % 4 == 0;
}

std::optional<RegType> xdp_field(std::int32_t off, std::uint32_t size) {
  if (!u32_field(off, size, sizeof(xdp_md))) return std::nullopt;
  if (off == offsetof(xdp_md, data)) return RegType::ptr_to_packet;
  if (off == offsetof(xdp_md, data_end)) return RegType::ptr_to_packet_end;
  if (off == offsetof(xdp_md, data_meta)) return RegType::ptr_to_packet_meta;
  return RegType::scalar;
}

// The fields of __sk_buff after its run of u32s (bpf_skb_is_valid_access): two u64 timestamps, three u32s.
std::optional<RegType> skb_tail_field(std::int32_t off, std::uint32_t size) {
  const bool u64 = off == offsetof(__sk_buff, tstamp) || off == offsetof(__sk_buff, hwtstamp);
  const bool u32 = off == offsetof(__sk_buff, wire_len) || off == offsetof(__sk_buff, gso_segs) ||
                   off == offsetof(__sk_buff, gso_size);
  if ((u64 && size == 8) || (u32 && size == 4)) return RegType::scalar;
  return std::nullopt;
}

// __sk_buff: tc programs see the packet; socket filters may not (sk_filter_is_valid_access).
std::optional<RegType> skb_field(std::int32_t off, std::uint32_t size, bool direct_packet_access) {
  if (off >= static_cast<std::int32_t>(offsetof(__sk_buff, tstamp))) return skb_tail_field(off, size);
  if (!u32_field(off, size, offsetof(__sk_buff, tstamp))) return std::nullopt;
  const bool packet_field = off == offsetof(__sk_buff, data) || off == offsetof(__sk_buff, data_end) ||
                            off == offsetof(__sk_buff, data_meta);
  if (!packet_field) return RegType::scalar;
  if (!direct_packet_access) return std::nullopt;
  if (off == offsetof(__sk_buff, data)) return RegType::ptr_to_packet;
  if (off == offsetof(__sk_buff, data_end)) return RegType::ptr_to_packet_end;
  return RegType::ptr_to_packet_meta;
}

// sk_filter_is_valid_access(): what a socket filter may not see of the skb beyond its packet pointers.
bool socket_filter_hidden(std::int32_t off) {
  const auto within = [&](std::size_t begin, std::size_t end) {
    return off >= static_cast<std::int32_t>(begin) && off < static_cast<std::int32_t>(end);
  };
  return within(offsetof(__sk_buff, tc_classid), offsetof(__sk_buff, data)) ||
         within(offsetof(__sk_buff, family), offsetof(__sk_buff, data_meta)) ||
         off >= static_cast<std::int32_t>(offsetof(__sk_buff, tstamp));
}

// Writable __sk_buff fields (tc_cls_act_is_valid_access; socket filters may write cb[] only).
bool skb_writable(std::int32_t off, bool tc) {
  const bool cb = off >= static_cast<std::int32_t>(offsetof(__sk_buff, cb)) &&
                  off < static_cast<std::int32_t>(offsetof(__sk_buff, hash));
  if (cb || !tc) return cb;
  return off == offsetof(__sk_buff, mark) || off == offsetof(__sk_buff, queue_mapping) ||
         off == offsetof(__sk_buff, priority) || off == offsetof(__sk_buff, tc_index) ||
         off == offsetof(__sk_buff, tc_classid);
}

}  // namespace

namespace {

bool ctx_store_allowed(bpf_prog_type type, std::int32_t off, std::uint32_t size) {
  if (!u32_field(off, size, offsetof(__sk_buff, tstamp))) return false;
  switch (type) {
    case BPF_PROG_TYPE_SCHED_CLS:
    case BPF_PROG_TYPE_SCHED_ACT: return skb_writable(off, true);
    case BPF_PROG_TYPE_SOCKET_FILTER:
    case BPF_PROG_TYPE_CGROUP_SKB: return skb_writable(off, false);
    default: return false;
  }
}

}  // namespace

bool ctx_store_allowed(const VerifierOptions& options, std::int32_t off, std::uint32_t size) {
  if (options.type == BPF_PROG_TYPE_SYSCALL) return raw_field(off, size, 0, kSyscallCtxSize);
  return ctx_store_allowed(options.type, off, size);
}

namespace {

std::optional<RegType> ctx_load_type(bpf_prog_type type, std::int32_t off, std::uint32_t size) {
  switch (type) {
    case BPF_PROG_TYPE_XDP: return xdp_field(off, size);
    case BPF_PROG_TYPE_SCHED_CLS:
    case BPF_PROG_TYPE_SCHED_ACT: return skb_field(off, size, true);
    case BPF_PROG_TYPE_SOCKET_FILTER:
      if (socket_filter_hidden(off)) return std::nullopt;
      return skb_field(off, size, false);
    default: break;
  }
  bool ok = false;
  switch (type) {
    case BPF_PROG_TYPE_KPROBE: ok = raw_field(off, size, 0, kPtRegsSize); break;  // struct pt_regs
    // The first 8 bytes are the trace event's common header, not the program's to read.
    case BPF_PROG_TYPE_TRACEPOINT: ok = raw_field(off, size, 8, kPerfMaxTraceSize); break;
    case BPF_PROG_TYPE_RAW_TRACEPOINT: ok = raw_field(off, size, 0, kRawTpArgsSize); break;
    case BPF_PROG_TYPE_SYSCALL: ok = raw_field(off, size, 0, kSyscallCtxSize); break;
    default: break;
  }
  if (ok) return RegType::scalar;
  return std::nullopt;
}

}  // namespace

std::optional<RegType> ctx_load_type(const VerifierOptions& options, std::int32_t off, std::uint32_t size) {
  // cg_skb_is_valid_access(): privileged cgroup skb programs read the packet directly.
  if (options.type == BPF_PROG_TYPE_CGROUP_SKB) return skb_field(off, size, options.privileged);
  return ctx_load_type(options.type, off, size);
}

}  // namespace ubee::verifier
