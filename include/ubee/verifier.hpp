// The verifier: proves a program safe before it runs, following the Linux kernel's kernel/bpf/verifier.c.
// It explores every path of the program over an abstract state (register types, scalar bounds, stack bytes)
// and rejects the first unsafe instruction with a message in the kernel's words ("insn 3: R1 !read_ok").
#pragma once

#include <linux/bpf.h>

#include <chrono>
#include <cstddef>
#include <span>

#include "ubee/error.hpp"
#include "ubee/helpers.hpp"
#include "ubee/isa.hpp"
#include "ubee/maps.hpp"

namespace ubee {

struct VerifierOptions {
  bpf_prog_type type = BPF_PROG_TYPE_SOCKET_FILTER;
  // Maps the program refers to: a lddw with src BPF_PSEUDO_MAP_IDX / BPF_PSEUDO_MAP_IDX_VALUE indexes them.
  std::span<const MapSpec> maps;
  const HelperRegistry* helpers = nullptr;  // prototypes of the helpers the program may call
  bool verbose = false;                     // reserved: the path log
};

struct VerifierStats {
  std::size_t insns_processed = 0;  // instructions symbolically executed, over all paths
  std::size_t states = 0;           // states stored at prune points
  std::size_t peak_states = 0;      // most states stored at once
  std::chrono::nanoseconds duration{0};
};

// Checks `program` (already validate()d or not: the encoding rules are checked first). Programs calling
// subprograms (BPF_PSEUDO_CALL) are not supported yet and are rejected as such.
Result<VerifierStats> verify(std::span<const Insn> program, const VerifierOptions& options);

}  // namespace ubee
