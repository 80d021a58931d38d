// Helpers that send data out of a program: ring buffers and perf event arrays (kernel/bpf/ringbuf.c,
// kernel/trace/bpf_trace.c), and stack traces (kernel/bpf/stackmap.c).
#include <execinfo.h>

#include <algorithm>
#include <span>
#include <vector>

#include "helper_util.hpp"
#include "linux_helpers_impl.hpp"
#include "ubee/perf_buffer.hpp"
#include "ubee/ringbuf.hpp"
#include "ubee/stack_trace.hpp"

namespace ubee::helpers {
namespace {

// The map argument when it has the type a helper needs, else null (an unverified program's mistake).
template <class T>
T* typed_map(std::uint64_t m, std::uint32_t type, RunContext& c) {
  Map* map = map_arg(m, c);
  return map != nullptr && map->type() == type ? static_cast<T*>(map) : nullptr;
}

std::uint64_t ringbuf_output(std::uint64_t m, std::uint64_t data, std::uint64_t size, std::uint64_t flags,
                             std::uint64_t, RunContext& c) {
  auto* rb = typed_map<RingBufMap>(m, BPF_MAP_TYPE_RINGBUF, c);
  if (rb == nullptr || !mem_arg(data, size, false, c)) return err(EINVAL);
  return static_cast<std::uint64_t>(rb->output(ptr(data), size, flags));
}

// Records reserved by this thread and not yet submitted or discarded: a program must release every record it
// reserves before it exits (the verifier's reference tracking), all on the thread that runs it.
struct Reservation {
  void* sample;
  RingBufMap* ring;
};
thread_local std::vector<Reservation> reservations;

RingBufMap* take_reservation(void* sample) {
  for (auto& r : reservations) {
    if (r.sample != sample) continue;
    RingBufMap* ring = r.ring;
    r = reservations.back();
    reservations.pop_back();
    return ring;
  }
  return nullptr;
}

std::uint64_t ringbuf_reserve(std::uint64_t m, std::uint64_t size, std::uint64_t flags, std::uint64_t, std::uint64_t,
                              RunContext& c) {
  auto* rb = typed_map<RingBufMap>(m, BPF_MAP_TYPE_RINGBUF, c);
  if (rb == nullptr) return 0;
  void* sample = rb->reserve(size, flags);
  if (sample != nullptr) reservations.push_back({sample, rb});
  c.allow_region(sample, size, true);
  return reinterpret_cast<std::uint64_t>(sample);
}

// submit/discard find their ring from the record itself; the map knows whether the pointer is one of its own.
template <bool Discard>
std::uint64_t ringbuf_commit(std::uint64_t sample, std::uint64_t flags, std::uint64_t, std::uint64_t, std::uint64_t,
                             RunContext& c) {
  RingBufMap* rb = take_reservation(ptr(sample));
  if (rb == nullptr) {
    if (c.checked()) c.abort(make_error(Errc::invalid_argument, "pointer is not a reserved ring buffer record"));
    return 0;
  }
  if (Discard) rb->discard(ptr(sample), flags);
  else rb->submit(ptr(sample), flags);
  return 0;
}

std::uint64_t ringbuf_query(std::uint64_t m, std::uint64_t flags, std::uint64_t, std::uint64_t, std::uint64_t,
                            RunContext& c) {
  auto* rb = typed_map<RingBufMap>(m, BPF_MAP_TYPE_RINGBUF, c);
  return rb == nullptr ? 0 : rb->query(flags);
}

// The packet a tc or XDP program's context points at (their data/data_end are addresses below 4 GiB).
template <class Ctx>
std::span<const std::uint8_t> context_packet(std::uint64_t ctx, RunContext& c) {
  if (!mem_arg(ctx, sizeof(Ctx), false, c)) return {};
  const auto* context = ptr<const Ctx>(ctx);
  const auto* begin = reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(context->data));
  return {begin, context->data_end >= context->data ? context->data_end - context->data : 0};
}

std::span<const std::uint8_t> packet_of_context(std::uint64_t ctx, RunContext& c) {
  switch (c.program_type()) {
    case BPF_PROG_TYPE_XDP: return context_packet<xdp_md>(ctx, c);
    case BPF_PROG_TYPE_SCHED_CLS: case BPF_PROG_TYPE_SCHED_ACT: case BPF_PROG_TYPE_SOCKET_FILTER:
    case BPF_PROG_TYPE_CGROUP_SKB: case BPF_PROG_TYPE_LWT_IN: case BPF_PROG_TYPE_LWT_OUT:
    case BPF_PROG_TYPE_LWT_XMIT: return context_packet<__sk_buff>(ctx, c);
    default: return {};
  }
}

// For tc and XDP (bpf_skb_event_output / bpf_xdp_event_output) the high 32 bits of flags ask for that many
// packet bytes after the data; more than the packet holds is -EFAULT.
std::uint64_t perf_event_output(std::uint64_t ctx, std::uint64_t m, std::uint64_t flags, std::uint64_t data,
                                std::uint64_t size, RunContext& c) {
  auto* perf = typed_map<PerfEventArrayMap>(m, BPF_MAP_TYPE_PERF_EVENT_ARRAY, c);
  if (perf == nullptr || !mem_arg(data, size, false, c)) return err(EINVAL);
  const std::uint64_t packet_bytes = (flags & BPF_F_CTXLEN_MASK) >> 32;
  if (packet_bytes == 0) return static_cast<std::uint64_t>(perf->output(flags, ptr(data), size));
  const auto packet = packet_of_context(ctx, c);
  if (packet.data() == nullptr && packet.empty()) return err(EINVAL);
  if (packet_bytes > packet.size()) return err(EFAULT);
  std::vector<std::uint8_t> sample(ptr<const std::uint8_t>(data), ptr<const std::uint8_t>(data) + size);
  sample.insert(sample.end(), packet.begin(), packet.begin() + static_cast<long>(packet_bytes));
  return static_cast<std::uint64_t>(perf->output(flags & ~BPF_F_CTXLEN_MASK, sample.data(), sample.size()));
}

// The calling thread's stack, innermost first. In user space the thread's stack is the only one there is: it
// answers requests for the user stack (BPF_F_USER_STACK) and for the "kernel" stack alike.
std::size_t user_stack(std::uint64_t* ips, std::size_t max) {
  void* frames[kPerfEventMaxStack + 8];
  const int n = backtrace(frames, static_cast<int>(std::min<std::size_t>(max, kPerfEventMaxStack + 8)));
  for (int i = 0; i < n; ++i) ips[i] = reinterpret_cast<std::uint64_t>(frames[i]);
  return static_cast<std::size_t>(std::max(n, 0));
}

std::uint64_t get_stackid(std::uint64_t, std::uint64_t m, std::uint64_t flags, std::uint64_t, std::uint64_t,
                          RunContext& c) {
  auto* stacks = typed_map<StackTraceMap>(m, BPF_MAP_TYPE_STACK_TRACE, c);
  if (stacks == nullptr) return err(EINVAL);
  std::uint64_t ips[kPerfEventMaxStack + 8];
  const std::size_t n = user_stack(ips, std::size(ips));
  return static_cast<std::uint64_t>(stacks->get_stackid(ips, n, flags));
}

// bpf_get_stack: up to size/8 addresses into buf after skipping (flags & BPF_F_SKIP_FIELD_MASK); bytes written.
std::uint64_t get_stack(std::uint64_t, std::uint64_t buf, std::uint64_t size, std::uint64_t flags, std::uint64_t,
                        RunContext& c) {
  if (!mem_arg(buf, size, true, c)) return err(EFAULT);
  constexpr std::uint64_t kKnownFlags = BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID;
  if ((flags & ~kKnownFlags) != 0 || (flags & BPF_F_USER_BUILD_ID) != 0 || size % 8 != 0) {
    std::memset(ptr(buf), 0, size);
    return err(EINVAL);
  }
  std::uint64_t ips[kPerfEventMaxStack + 8];
  const std::size_t n = user_stack(ips, std::size(ips));
  const std::size_t skip = std::min<std::size_t>(flags & BPF_F_SKIP_FIELD_MASK, n);
  const std::size_t count = std::min<std::size_t>(n - skip, size / 8);
  std::memcpy(ptr(buf), ips + skip, count * 8);
  std::memset(ptr<std::uint8_t>(buf) + count * 8, 0, size - count * 8);
  return count * 8;
}

using A = ArgType;

}  // namespace

void add_output_helpers(HelperRegistry& r) {
  const Entry entries[] = {
      {BPF_FUNC_ringbuf_output,
       {"ringbuf_output", ringbuf_output, RetType::integer, {A::const_map_ptr, A::ptr_to_mem, A::const_size_or_zero, A::scalar}}},
      {BPF_FUNC_ringbuf_reserve,
       {"ringbuf_reserve", ringbuf_reserve, RetType::ptr_to_mem_or_null, {A::const_map_ptr, A::scalar, A::scalar}}},
      {BPF_FUNC_ringbuf_submit, {"ringbuf_submit", ringbuf_commit<false>, RetType::none, {A::anything, A::scalar}}},
      {BPF_FUNC_ringbuf_discard, {"ringbuf_discard", ringbuf_commit<true>, RetType::none, {A::anything, A::scalar}}},
      {BPF_FUNC_ringbuf_query, {"ringbuf_query", ringbuf_query, RetType::integer, {A::const_map_ptr, A::scalar}}},
      {BPF_FUNC_perf_event_output,
       {"perf_event_output", perf_event_output, RetType::integer,
        {A::ptr_to_ctx, A::const_map_ptr, A::scalar, A::ptr_to_mem, A::const_size_or_zero}}},
      {BPF_FUNC_get_stackid, {"get_stackid", get_stackid, RetType::integer, {A::ptr_to_ctx, A::const_map_ptr, A::scalar}}},
      {BPF_FUNC_get_stack,
       {"get_stack", get_stack, RetType::integer, {A::ptr_to_ctx, A::ptr_to_uninit_mem, A::const_size_or_zero, A::scalar}}},
  };
  for (const Entry& e : entries) r.replace(e.id, e.proto);
}

}  // namespace ubee::helpers
