// Helper functions: the only calls an eBPF program can make out of its sandbox. They are registered by their
// Linux ID (BPF_FUNC_* in <linux/bpf.h>) with a prototype the verifier checks arguments against.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ubee/error.hpp"

namespace ubee {

// A memory range a program may touch while it runs in checked mode.
struct MemoryRegion {
  std::uintptr_t begin = 0;
  std::size_t size = 0;
  bool writable = false;
};

// What a helper sees of the run that called it. The engine running the program provides it.
class RunContext {
 public:
  RunContext(void* user_data, std::vector<MemoryRegion>* regions) : user_data_(user_data), regions_(regions) {}
  virtual ~RunContext() = default;
  RunContext(const RunContext&) = delete;
  RunContext& operator=(const RunContext&) = delete;

  [[nodiscard]] void* user_data() const { return user_data_; }
  // The program's type (enum bpf_prog_type, 0 when the embedder did not say): the kernel gives some helpers a
  // variant per type (bpf_perf_event_output reads packet bytes for tc and XDP programs), and so do ubee's.
  [[nodiscard]] std::uint32_t program_type() const { return program_type_; }
  void set_program_type(std::uint32_t type) { program_type_ = type; }
  // Whether the program runs in checked mode: then helpers must not trust pointers and maps it passes.
  [[nodiscard]] bool checked() const { return regions_ != nullptr; }
  // A helper that hands memory to the program (a map value, a buffer) declares it here, so that checked mode
  // lets the program use it. A no-op for verified programs, whose accesses the verifier proved.
  void allow_region(const void* begin, std::size_t size, bool writable) {
    if (regions_ != nullptr && begin != nullptr && size != 0)
      regions_->push_back({reinterpret_cast<std::uintptr_t>(begin), size, writable});
  }
  // Calls a function of the running program (a callback given to bpf_loop, bpf_for_each_map_elem, ...: the
  // value its `rN = func(...) ll` produced) with r1-r5 on a new stack frame, and returns its r0.
  virtual Result<std::uint64_t> call_function(std::uint64_t function, std::uint64_t r1, std::uint64_t r2,
                                              std::uint64_t r3, std::uint64_t r4, std::uint64_t r5) = 0;
  // Whether the program may hand the helper [p, p + size) to read (or write): always true for verified programs,
  // checked against the run's regions in checked mode. Helpers check pointer arguments with it.
  [[nodiscard]] virtual bool accessible(const void* p, std::size_t size, bool write) const {
    (void)p, (void)size, (void)write;
    return true;
  }
  // Ends the run with this error once the helper returns (a callback that faulted, an impossible argument).
  void abort(Error error) {
    if (!abort_) abort_ = std::move(error);
  }
  [[nodiscard]] const std::optional<Error>& aborted() const { return abort_; }

 private:
  void* user_data_;
  std::vector<MemoryRegion>* regions_;
  std::optional<Error> abort_;
  std::uint32_t program_type_ = 0;
};

using HelperFn = std::uint64_t (*)(std::uint64_t r1, std::uint64_t r2, std::uint64_t r3, std::uint64_t r4,
                                   std::uint64_t r5, RunContext& context);

// Argument and return kinds of a helper prototype, after the kernel's enum bpf_arg_type / bpf_return_type.
enum class ArgType : std::uint8_t {
  none,              // argument unused
  anything,          // any initialised value
  scalar,            // a number, not a pointer
  ptr_to_ctx,        // the program's context
  const_map_ptr,     // a map reference from lddw
  ptr_to_map_key,    // key_size bytes of initialised memory
  ptr_to_map_value,  // value_size bytes of initialised memory
  ptr_to_mem,        // initialised memory whose size is the next argument
  ptr_to_uninit_mem, // memory the helper fills; size is the next argument
  const_size,        // size of the previous memory argument, > 0
  const_size_or_zero,
};

enum class RetType : std::uint8_t {
  integer,                   // a number
  none,                      // r0 undefined after the call
  ptr_to_map_value_or_null,  // value_size bytes, or NULL
  ptr_to_mem_or_null,        // memory of a size fixed by an argument, or NULL
};

struct HelperProto {
  std::string name;  // as in the kernel, without the bpf_ prefix: "map_lookup_elem"
  HelperFn fn = nullptr;
  RetType ret = RetType::integer;
  std::array<ArgType, 5> args{};
};

// Helpers by ID. Linux IDs are the norm; an embedding application may add its own above them.
class HelperRegistry {
 public:
  // Fails when the ID is taken or the prototype has no function.
  Result<void> add(std::uint32_t id, HelperProto proto);
  void replace(std::uint32_t id, HelperProto proto) { helpers_[id] = std::move(proto); }
  [[nodiscard]] const HelperProto* find(std::uint32_t id) const;
  [[nodiscard]] std::size_t size() const { return helpers_.size(); }

 private:
  std::unordered_map<std::uint32_t, HelperProto> helpers_;
};

}  // namespace ubee
