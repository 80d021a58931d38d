// Packet access helpers for XDP and socket-buffer programs (net/core/filter.c): copies between the packet and
// program memory at an offset from the packet's start, bounds-checked against the packet.
//
// The context (struct xdp_md or struct __sk_buff) holds data/data_end as 32-bit values; ubee places packets
// below 4 GiB (see the loader's test runs), so those values are the packet's addresses.
#include "helper_util.hpp"
#include "linux_helpers_impl.hpp"

namespace ubee::helpers {
namespace {

struct Packet {
  std::uint8_t* begin = nullptr;
  std::uint64_t size = 0;
};

template <class Ctx>
bool packet_of(std::uint64_t ctx, RunContext& c, Packet& out) {
  if (!mem_arg(ctx, sizeof(Ctx), false, c)) return false;
  const auto* context = ptr<const Ctx>(ctx);
  if (context->data_end < context->data) return false;
  out.begin = reinterpret_cast<std::uint8_t*>(static_cast<std::uintptr_t>(context->data));
  out.size = context->data_end - context->data;
  return true;
}

// -EFAULT when [offset, offset + len) is not inside the packet (the kernel's bpf_skb_load_bytes/xdp_load_bytes).
template <class Ctx, bool Store>
std::uint64_t copy_bytes(std::uint64_t ctx, std::uint64_t offset, std::uint64_t buf, std::uint64_t len,
                         RunContext& c) {
  Packet p;
  if (!packet_of<Ctx>(ctx, c, p) || !mem_arg(buf, len, !Store, c)) return err(EFAULT);
  if (offset > p.size || len > p.size - offset) {
    if (!Store) std::memset(ptr(buf), 0, len);  // a failed load leaves zeros
    return err(EFAULT);
  }
  if (Store) std::memcpy(p.begin + offset, ptr(buf), len);
  else std::memcpy(ptr(buf), p.begin + offset, len);
  return 0;
}

template <class Ctx, bool Store>
std::uint64_t packet_bytes(std::uint64_t ctx, std::uint64_t offset, std::uint64_t buf, std::uint64_t len,
                           std::uint64_t, RunContext& c) {
  return copy_bytes<Ctx, Store>(ctx, offset, buf, len, c);
}

// bpf_skb_store_bytes(skb, offset, from, len, flags): checksum flags need the kernel's skb; ubee stores only.
std::uint64_t skb_store_bytes(std::uint64_t ctx, std::uint64_t offset, std::uint64_t from, std::uint64_t len,
                              std::uint64_t flags, RunContext& c) {
  constexpr std::uint64_t kKnownFlags = BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH;
  if (flags & ~kKnownFlags) return err(EINVAL);
  return copy_bytes<__sk_buff, true>(ctx, offset, from, len, c);
}

using A = ArgType;
constexpr std::array<ArgType, 5> kLoadArgs{A::ptr_to_ctx, A::scalar, A::ptr_to_uninit_mem, A::const_size};
constexpr std::array<ArgType, 5> kStoreArgs{A::ptr_to_ctx, A::scalar, A::ptr_to_mem, A::const_size, A::scalar};

}  // namespace

void add_packet_helpers(HelperRegistry& r) {
  const Entry entries[] = {
      {BPF_FUNC_skb_load_bytes, {"skb_load_bytes", packet_bytes<__sk_buff, false>, RetType::integer, kLoadArgs}},
      {BPF_FUNC_skb_store_bytes, {"skb_store_bytes", skb_store_bytes, RetType::integer, kStoreArgs}},
      {BPF_FUNC_xdp_load_bytes, {"xdp_load_bytes", packet_bytes<xdp_md, false>, RetType::integer, kLoadArgs}},
      {BPF_FUNC_xdp_store_bytes, {"xdp_store_bytes", packet_bytes<xdp_md, true>, RetType::integer, kLoadArgs}},
  };
  for (const Entry& e : entries) r.replace(e.id, e.proto);
}

}  // namespace ubee::helpers
