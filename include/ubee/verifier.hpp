// The verifier: proves a program safe before it runs, following the Linux kernel's kernel/bpf/verifier.c.
// It explores every path of the program over an abstract state (register types, scalar bounds, stack bytes)
// and rejects the first unsafe instruction with a message in the kernel's words ("insn 3: R1 !read_ok").
#pragma once

#include <linux/bpf.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ubee/error.hpp"
#include "ubee/helpers.hpp"
#include "ubee/isa.hpp"
#include "ubee/maps.hpp"

struct btf;

namespace ubee {

// How much context the verifier lets programs read, as the kernel does: tracepoint programs anywhere in the
// first PERF_MAX_TRACE_SIZE bytes (past the record they get whatever follows it), raw tracepoint programs any of
// MAX_BPF_FUNC_ARGS u64 arguments. Hooks that run such programs must provide contexts this large.
inline constexpr std::size_t kTracepointContextSize = 8192;
inline constexpr std::size_t kRawTracepointContextSize = 12 * 8;

struct VerifierOptions {
  bpf_prog_type type = BPF_PROG_TYPE_SOCKET_FILTER;
  // Maps the program refers to: a lddw with src BPF_PSEUDO_MAP_IDX / BPF_PSEUDO_MAP_IDX_VALUE indexes them.
  std::span<const MapSpec> maps;
  const HelperRegistry* helpers = nullptr;  // prototypes of the helpers the program may call
  bool verbose = false;                     // with `log`: every instruction of every path, not only the last
  // CAP_BPF: without it the kernel's pointer-leak rules apply (no pointer stored to maps or the context,
  // returned, compared or subtracted).
  bool privileged = true;
  bpf_attach_type expected_attach_type = static_cast<bpf_attach_type>(0);
  // The object's BTF (ObjectSpec::btf): where a map value keeps its struct bpf_spin_lock. Without it, as in the
  // kernel, programs cannot use bpf_spin_lock.
  const struct btf* btf = nullptr;
  // When set, receives the kernel-style log: each instruction with the registers it leaves, along the path
  // that was rejected (or every path with `verbose`), then the error.
  std::string* log = nullptr;
};

struct VerifierStats {
  std::size_t insns_processed = 0;  // instructions symbolically executed, over all paths
  std::size_t states = 0;           // states stored at prune points
  std::size_t peak_states = 0;      // most states stored at once
  std::chrono::nanoseconds duration{0};
  // Per instruction (indexed like the program): for `ptr += reg` / `ptr -= reg` with a scalar register the
  // verifier could not pin to one value, the bound it proved for that register's value v (0 <= v < limit keeps
  // the pointer inside its object). Engines clamp v to 0 when it is outside [0, limit), so that a mispredicted
  // branch cannot steer the access out of bounds (Spectre v1, the kernel's alu_limit). 0: nothing to mask.
  std::vector<std::uint32_t> speculation_limits;
};

// Checks `program` (already validate()d or not: the encoding rules are checked first), its subprograms and
// callbacks included.
Result<VerifierStats> verify(std::span<const Insn> program, const VerifierOptions& options);

}  // namespace ubee
