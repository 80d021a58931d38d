// Reading eBPF ELF objects (clang -target bpf, libbpf conventions) into a description of their programs and
// maps. Nothing is created here: the result says what an object holds, with its relocations resolved to
// map indexes, so later stages (maps, verifier, engines) can build from it.
#pragma once

#include <linux/bpf.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ubee/error.hpp"
#include "ubee/isa.hpp"
#include "ubee/maps.hpp"

struct btf;  // libbpf's BTF, kept for formatting map keys and values

namespace ubee {

struct ProgramSpec {
  std::string name;         // the function's symbol name
  std::string section;      // its SEC() name, e.g. "xdp", "uprobe/./app:main"
  bpf_prog_type type = BPF_PROG_TYPE_UNSPEC;
  bpf_attach_type expected_attach_type = static_cast<bpf_attach_type>(0);
  std::string attach_target;  // what follows the SEC() prefix: "./app:main", "syscalls/sys_enter_openat", ...
  bool sleepable = false;     // ".s" section variants (and "syscall"): load with BPF_F_SLEEPABLE
  bool xdp_frags = false;     // "xdp.frags*": load with BPF_F_XDP_HAS_FRAGS
  // The program with the subprograms it calls appended, calls fixed up, and every map reference rewritten as
  // BPF_PSEUDO_MAP_IDX (imm = index in ObjectSpec::maps) or BPF_PSEUDO_MAP_IDX_VALUE (imm = index, second
  // slot's imm = offset in the value): the form bpf(2) accepts with fd_array.
  Program insns;
};

// Owns libbpf's BTF of the object.
struct BtfDeleter {
  void operator()(struct btf* b) const;
};

// An initial element of a map-in-map or program array: `.values = { [slot] = &target }` in a `.maps` definition.
struct MapSlotInit {
  std::size_t map = 0;                    // the outer map: index in ObjectSpec::maps
  std::uint32_t slot = 0;                 // the key (array index) the element is stored at
  std::optional<std::size_t> inner_map;   // map-in-map: the inner map, an index in ObjectSpec::maps
  std::string program;                    // program array: the program's ProgramSpec::name
};

// A `__kconfig` extern variable: its place in the value of the ".kconfig" map, which holds zeroes until the
// loader writes the values it knows (LINUX_KERNEL_VERSION, CONFIG_*).
struct KconfigExtern {
  std::string name;
  std::uint32_t offset = 0;  // in the ".kconfig" map's value, laid out as libbpf does
  std::uint32_t size = 0;
  bool weak = false;         // declared __weak: may stay zero when the value is unknown
};

struct ObjectSpec {
  std::string name;  // libbpf's object name (file name up to its first '.'), the prefix of global data maps
  std::string license;
  std::uint32_t kernel_version = 0;
  std::vector<MapSpec> maps;  // BTF .maps, legacy "maps", then .data, .rodata*, .bss, .kconfig as 1-entry arrays
  std::vector<MapSlotInit> initial_slots;  // from `.values` initialisers in `.maps`, in relocation order
  std::vector<KconfigExtern> kconfig;      // the fields of the ".kconfig" map, when there is one
  std::vector<ProgramSpec> programs;       // in section order, then by offset in the section
  std::shared_ptr<struct btf> btf;  // null when the object has no BTF
};

// Parses an object from memory; `name` is used in error messages, and its file name up to the first '.' is
// ObjectSpec::name. Malformed input is an error naming `name` and the problem, never a crash.
Result<ObjectSpec> parse_object(std::span<const std::uint8_t> bytes, const std::string& name = "object");
Result<ObjectSpec> parse_object_file(const std::string& path);

// The program type and attach type libbpf gives a SEC() name, or an error for an unknown one.
struct SectionType {
  bpf_prog_type type;
  bpf_attach_type expected_attach_type;
  std::string attach_target;
  bool sleepable;
  bool xdp_frags;
};
Result<SectionType> program_type_for_section(const std::string& section);

}  // namespace ubee
