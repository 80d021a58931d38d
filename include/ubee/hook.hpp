// Embedding hooks: an application declares its own hook points, attaches programs to them and fires them with
// its own context. A hook nobody attached to costs one load and one well-predicted branch; attach and detach
// are safe while other threads fire (readers never lock: the program list is swapped RCU-style).
//
//   ubee::HookPoint<Request> on_request{"on_request"};
//   auto id = on_request.attach(jit_program);          // any engine: JitProgram, Interpreter, ObjectProgram
//   ubee::HookOutcome out = on_request.fire(&request);  // r1 = &request, r2 = sizeof(Request)
//   on_request.detach(id);                               // returns once no fire() is still running it
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ubee/error.hpp"

namespace ubee {

// How to run one attached program on (ctx, size): anything with run(void*, std::size_t) -> Result<uint64_t>.
struct HookProgram {
  using RunFn = Result<std::uint64_t> (*)(const void* program, void* ctx, std::size_t size);
  RunFn run = nullptr;
  const void* program = nullptr;

  template <class P>
  static HookProgram of(const P& program) {
    return {[](const void* p, void* ctx, std::size_t size) { return static_cast<const P*>(p)->run(ctx, size); },
            &program};
  }
};

using HookId = std::uint64_t;

// What one fire() did: how many programs ran, how many of them failed (later programs still run; fire_each()
// hands out the errors), and the r0 of the last one that succeeded. Trivially destructible, so that the empty
// fast path costs nothing more than the branch.
struct HookOutcome {
  std::uint32_t ran = 0;
  std::uint32_t failed = 0;
  std::uint64_t last = 0;
};

namespace detail {

// The untyped core of a hook point: an immutable list of programs behind an atomic pointer. Writers (under a
// mutex) publish a new list, then wait until no reader can still hold the old one before freeing it: readers
// count themselves on one of two counters chosen by an epoch, and a writer flips the epoch twice, waiting each
// time for the counter new readers no longer use to drain (sleepable RCU). Readers never wait.
class HookList {
 public:
  struct Entry {
    HookProgram program;
    HookId id;
    std::shared_ptr<const void> owner;  // keeps the program alive when the hook owns it
  };
  struct Snapshot {
    std::vector<Entry> entries;
  };

  explicit HookList(std::string name) : name_(std::move(name)) {}
  ~HookList();  // no fire() may be running
  HookList(const HookList&) = delete;
  HookList& operator=(const HookList&) = delete;

  HookId attach(HookProgram program, std::shared_ptr<const void> owner);
  // False when `id` is not attached. Must not be called from a program this hook is running (it would wait
  // for itself).
  bool detach(HookId id);
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] const std::string& name() const { return name_; }

  // The fast path: true when nothing is attached.
  [[nodiscard]] bool empty() const { return head_.load(std::memory_order_relaxed) == nullptr; }

  // A read-side critical section: the list it saw stays alive until it ends.
  class Reader {
   public:
    explicit Reader(const HookList& list)
        : counter_(&list.readers_[list.epoch_.load(std::memory_order_seq_cst) & 1].count) {
      counter_->fetch_add(1, std::memory_order_seq_cst);
      snapshot_ = list.head_.load(std::memory_order_seq_cst);
    }
    ~Reader() { counter_->fetch_sub(1, std::memory_order_release); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    [[nodiscard]] std::span<const Entry> entries() const {
      return snapshot_ == nullptr ? std::span<const Entry>{} : std::span<const Entry>(snapshot_->entries);
    }

   private:
    std::atomic<std::uint64_t>* counter_;
    const Snapshot* snapshot_ = nullptr;
  };

 private:
  void publish(std::unique_ptr<Snapshot> next);

  struct alignas(64) Counter {  // one cache line each: readers of both epochs do not share a line
    std::atomic<std::uint64_t> count{0};
  };

  std::atomic<const Snapshot*> head_{nullptr};  // null when nothing is attached
  mutable std::atomic<std::uint64_t> epoch_{0};
  mutable Counter readers_[2];
  mutable std::mutex writers_;
  HookId next_id_ = 1;
  std::string name_;
};

}  // namespace detail

// A hook point whose programs get r1 = a Ctx* and r2 = sizeof(Ctx). Attached programs must outlive their
// attachment (or be handed over as a shared_ptr); after detach() returns, no fire() is running them.
template <class Ctx>
class HookPoint {
 public:
  explicit HookPoint(std::string name) : list_(std::move(name)) {}

  template <class P>
  HookId attach(const P& program) {
    return list_.attach(HookProgram::of(program), nullptr);
  }
  // The hook keeps the program alive while it is attached.
  template <class P>
  HookId attach(std::shared_ptr<P> program) {
    const HookProgram run = HookProgram::of(*program);
    return list_.attach(run, std::move(program));
  }
  bool detach(HookId id) { return list_.detach(id); }
  [[nodiscard]] std::size_t attached() const { return list_.size(); }
  [[nodiscard]] const std::string& name() const { return list_.name(); }

  // Runs every attached program in the order they were attached.
  HookOutcome fire(Ctx* ctx) const {
    HookOutcome out;
    if (list_.empty()) [[likely]]
      return out;
    fire_each(ctx, [&](const Result<std::uint64_t>& r0) {
      ++out.ran;
      if (r0) out.last = *r0;
      else ++out.failed;
    });
    return out;
  }

  // The same, handing each program's result to `each`; returns how many ran.
  template <class F>
  std::size_t fire_each(Ctx* ctx, F&& each) const {
    if (list_.empty()) [[likely]]
      return 0;
    const detail::HookList::Reader reader(list_);
    for (const auto& e : reader.entries()) each(e.program.run(e.program.program, ctx, sizeof(Ctx)));
    return reader.entries().size();
  }

 private:
  detail::HookList list_;
};

}  // namespace ubee
