// The writer side of hook points: copy the program list, change the copy, publish it, and free the old list
// once no reader can hold it.
#include <algorithm>
#include <thread>

#include "ubee/hook.hpp"

namespace ubee::detail {

HookList::~HookList() { delete head_.load(std::memory_order_acquire); }

HookId HookList::attach(HookProgram program, std::shared_ptr<const void> owner) {
  std::lock_guard lock(writers_);
  auto next = std::make_unique<Snapshot>();
  if (const Snapshot* current = head_.load(std::memory_order_acquire)) next->entries = current->entries;
  const HookId id = next_id_++;
  next->entries.push_back({program, id, std::move(owner)});
  publish(std::move(next));
  return id;
}

bool HookList::detach(HookId id) {
  std::lock_guard lock(writers_);
  const Snapshot* current = head_.load(std::memory_order_acquire);
  if (current == nullptr) return false;
  auto next = std::make_unique<Snapshot>(*current);
  const auto it = std::find_if(next->entries.begin(), next->entries.end(), [&](const Entry& e) { return e.id == id; });
  if (it == next->entries.end()) return false;
  next->entries.erase(it);
  // An empty list is published as null, so that fire() takes its fast path again.
  publish(next->entries.empty() ? nullptr : std::move(next));
  return true;
}

std::size_t HookList::size() const {
  std::lock_guard lock(writers_);
  const Snapshot* current = head_.load(std::memory_order_acquire);
  return current == nullptr ? 0 : current->entries.size();
}

// Every reader that loaded the old list incremented one of the two counters before the exchange below (all
// these operations are sequentially consistent), so it is counted in one of them when we look after the
// exchange. Each flip of the epoch sends new readers to the other counter, so the counter waited on only
// drains: twice, once per counter.
void HookList::publish(std::unique_ptr<Snapshot> next) {
  const Snapshot* old = head_.exchange(next.release(), std::memory_order_seq_cst);
  for (int flip = 0; flip < 2; ++flip) {
    const std::uint64_t drained = epoch_.fetch_add(1, std::memory_order_seq_cst) & 1;
    while (readers_[drained].count.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  }
  delete old;  // deleting the list drops the owners of detached programs, outside any reader
}

}  // namespace ubee::detail
