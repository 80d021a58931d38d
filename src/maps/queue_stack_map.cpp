// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c): a ring of max_entries + 1 slots
// (one always empty, to tell full from empty) under one spinlock, as the kernel's raw spinlock per map.
// There are no keys: programs push/pop/peek, and bpf(2) maps lookup to peek, update to push, and
// BPF_MAP_LOOKUP_AND_DELETE_ELEM to pop (here: pop()).
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>

#include "map_types.hpp"
#include "shm_region.hpp"
#include "shm_sync.hpp"
#include "value_layout.hpp"

namespace ubee {
namespace {

struct RingHeader {
  std::atomic<std::uint32_t> lock;
  std::uint32_t head;  // next slot to push into; under lock
  std::uint32_t tail;  // oldest element; under lock
};
constexpr std::size_t kRingHeaderBytes = detail::round_up8(sizeof(RingHeader));

class QueueStackMap final : public Map {
 public:
  QueueStackMap(const MapSpec& spec, detail::ShmRegion region, bool is_stack)
      : Map(spec), region_(std::move(region)), stride_(detail::round_up8(spec.value_size)),
        size_(spec.max_entries + 1), is_stack_(is_stack) {}

  long push(const void* value, std::uint64_t flags) override;
  long pop(void* value) override { return get(value, /*remove=*/true); }
  long peek(void* value) override { return get(value, /*remove=*/false); }

  // queue_stack_map_lookup_elem() and friends: there is no keyed access.
  void* lookup(const void* /*key*/) override { return nullptr; }
  long update(const void* /*key*/, const void* /*value*/, std::uint64_t /*flags*/) override { return -EINVAL; }
  long erase(const void* /*key*/) override { return -EINVAL; }
  long user_lookup(const void* /*key*/, void* value) override { return peek(value); }
  long user_update(const void* /*key*/, const void* value, std::uint64_t flags) override {
    return push(value, flags);
  }
  long user_delete(const void* /*key*/) override { return -EINVAL; }
  long get_next_key(const void* /*key*/, void* /*next_key*/) override { return -EINVAL; }
  [[nodiscard]] int shared_fd() const override { return region_.fd(); }

 private:
  RingHeader& ring() const { return *region_.at<RingHeader>(0); }
  std::byte* slot(std::uint32_t index) const { return region_.at<std::byte>(kRingHeaderBytes + stride_ * index); }
  std::uint32_t advance(std::uint32_t index) const { return index + 1 >= size_ ? 0 : index + 1; }
  long get(void* value, bool remove);

  detail::ShmRegion region_;
  std::size_t stride_;
  std::uint32_t size_;
  bool is_stack_;
};

// queue_stack_map_push_elem(): BPF_EXIST on a full map drops the oldest element (the queue's head of line,
// the stack's bottom) to make room; otherwise a full map refuses with -E2BIG.
long QueueStackMap::push(const void* value, std::uint64_t flags) {
  if ((flags & BPF_NOEXIST) != 0 || flags > BPF_EXIST) return -EINVAL;
  RingHeader& r = ring();
  detail::SpinGuard guard(r.lock);
  if (advance(r.head) == r.tail) {
    if (flags != BPF_EXIST) return -E2BIG;
    r.tail = advance(r.tail);
  }
  std::memcpy(slot(r.head), value, value_size());
  r.head = advance(r.head);
  return 0;
}

// __queue_map_get() takes the oldest element, __stack_map_get() the newest; both zero the value when empty.
long QueueStackMap::get(void* value, bool remove) {
  RingHeader& r = ring();
  detail::SpinGuard guard(r.lock);
  if (r.head == r.tail) {
    std::memset(value, 0, value_size());
    return -ENOENT;
  }
  const std::uint32_t index = is_stack_ ? (r.head == 0 ? size_ - 1 : r.head - 1) : r.tail;
  std::memcpy(value, slot(index), value_size());
  if (remove && is_stack_) {
    r.head = index;
  } else if (remove) {
    r.tail = advance(r.tail);
  }
  return 0;
}

}  // namespace

Result<std::shared_ptr<Map>> make_queue_stack_map(const MapSpec& spec, int fd) {
  const std::size_t slots = std::size_t{spec.max_entries} + 1;
  const std::size_t size = kRingHeaderBytes + detail::round_up8(spec.value_size) * slots;
  auto region = fd < 0 ? detail::ShmRegion::create(spec, size) : detail::ShmRegion::open(spec, fd, size);
  if (!region) return region.error();
  const bool is_stack = spec.type == BPF_MAP_TYPE_STACK;
  return std::shared_ptr<Map>(std::make_shared<QueueStackMap>(spec, std::move(*region), is_stack));
}

}  // namespace ubee
