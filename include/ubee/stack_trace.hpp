// BPF_MAP_TYPE_STACK_TRACE (kernel/bpf/stackmap.c): stack ids for call chains. The key is a u32 stack id, the
// value value_size / 8 u64 instruction pointers (zero-filled after the stack's depth). Collecting the call chain
// is the caller's business: get_stackid() takes it as an array of instruction pointers, innermost first, as
// get_perf_callchain() returns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ubee/maps.hpp"

namespace ubee {

// sysctl kernel.perf_event_max_stack at its default: the deepest call chain the kernel collects.
inline constexpr std::uint32_t kPerfEventMaxStack = 127;

namespace detail {
struct StackState;
}  // namespace detail

class StackTraceMap : public Map {
 public:
  // Made by create_map() / open_shared_map() for BPF_MAP_TYPE_STACK_TRACE.
  StackTraceMap(MapSpec spec, std::unique_ptr<detail::StackState> state);
  ~StackTraceMap() override;

  // bpf_get_stackid() for the call chain ips[0..n): the first `flags & BPF_F_SKIP_FIELD_MASK` frames are
  // skipped and at most value_size / 8 kept (n is first cut to kPerfEventMaxStack). The stack id is
  // jhash2(ips) & (buckets - 1), buckets being max_entries rounded up to a power of 2. Returns the id; -EFAULT
  // when nothing is left after the skip; -EEXIST when another stack holds the id's bucket and
  // BPF_F_REUSE_STACKID is not set (with it, the bucket is overwritten); -ENOMEM when all max_entries stacks are
  // in use; -EINVAL for unknown flags. BPF_F_FAST_STACK_CMP compares hashes only; BPF_F_USER_STACK is accepted
  // (which stack `ips` is, is the caller's choice).
  long get_stackid(const std::uint64_t* ips, std::size_t n, std::uint64_t flags);

  // ---- Map. Programs can only call bpf_get_stackid() on this map (the verifier rejects the element helpers):
  // nullptr / -EINVAL. bpf(2): lookup copies the stack (-ENOENT when the id is empty or out of range), update is
  // -EINVAL, delete frees the id (-ENOENT when empty, -E2BIG when out of range), get_next_key walks the used ids
  // in order (a missing key restarts at the first).
  void* lookup(const void* key) override;
  long update(const void* key, const void* value, std::uint64_t flags) override;
  long erase(const void* key) override;
  long user_lookup(const void* key, void* value) override;
  long user_update(const void* key, const void* value, std::uint64_t flags) override;
  long user_delete(const void* key) override;
  long get_next_key(const void* key, void* next_key) override;
  [[nodiscard]] int shared_fd() const override;

 private:
  std::unique_ptr<detail::StackState> state_;
};

}  // namespace ubee
