// Code relocations (libbpf's bpf_object__collect_prog_relos / bpf_program__record_reloc): each `.rel<section>`
// entry on an instruction of a function is resolved to what it names. A lddw of a map symbol becomes
// BPF_PSEUDO_MAP_IDX (the symbol alone picks the map, as in libbpf); a lddw into global data becomes
// BPF_PSEUDO_MAP_IDX_VALUE with the offset symbol value + the instruction's imm (static variables are relocated
// against the section symbol with the offset in imm, global ones against their own symbol with imm 0); a
// `__kconfig` extern becomes its place in the ".kconfig" map. Calls and callback addresses are recorded
// for the linker, which knows where each callee ends up.
#include <gelf.h>

#include <algorithm>

#include "object_parts.hpp"

namespace ubee::elf {
namespace {

bool is_call(const Insn& in) { return in.opcode == (BPF_JMP | BPF_CALL); }

class FunctionRelocator {
 public:
  FunctionRelocator(Parse& p, std::size_t index) : p_(p), f_(p.functions[index]) {}

  // One relocation of the function's section that falls on it; its instruction is marked in `relocated`.
  Result<void> apply(const Relocation& rel, std::vector<bool>& relocated) {
    const std::size_t insn = rel.offset / kInsnSize - f_.first;
    relocated[insn] = true;
    return relocate(insn, rel);
  }

  // After all of them: the calls that needed no relocation, in the order the linker wants.
  Result<void> finish(const std::vector<bool>& relocated) {
    if (auto r = local_calls(relocated); !r) return r;
    std::sort(f_.calls.begin(), f_.calls.end());  // the linker appends callees in the order calls appear
    return {};
  }

 private:
  Error fail(std::size_t insn, const std::string& text, Errc code = Errc::invalid_argument) const {
    return p_.error(p_.where(f_, insn) + ": " + text, code);
  }

  Result<void> relocate(std::size_t insn, const Relocation& rel) {
    const Insn& in = f_.insns[insn];
    const Symbol& sym = p_.elf.symbols()[rel.symbol];
    if (is_call(in)) {
      if (rel.type != kRelBpf64_32) return fail(insn, "unsupported relocation type " + std::to_string(rel.type) + " on a call");
      return call(insn, sym);
    }
    if (!in.is_lddw()) return fail(insn, "relocation against '" + sym.name + "' on an instruction that is neither lddw nor call");
    if (rel.type != kRelBpf64_64) return fail(insn, "unsupported relocation type " + std::to_string(rel.type) + " on lddw");
    if (insn + 1 >= f_.insns.size()) return fail(insn, "lddw is missing its second half");
    if (sym.shndx == SHN_UNDEF) return extern_variable(insn, sym);
    if (sym.shndx == SHN_ABS || sym.shndx == SHN_COMMON)
      return fail(insn, "relocation against '" + sym.name + "' in a special section (an uninitialised global variable?)");
    if (p_.elf.section(sym.shndx)->executable()) return callback(insn, sym);
    return map_reference(insn, sym);
  }

  // The function of `section` that starts at instruction `insn`, as the target of a call or callback.
  Result<std::size_t> function_starting(std::size_t insn, std::size_t section, std::int64_t target) const {
    const long f = target < 0 ? -1 : p_.function_at(section, static_cast<std::size_t>(target));
    if (f < 0 || p_.functions[static_cast<std::size_t>(f)].first != static_cast<std::size_t>(target))
      return fail(insn, "call or callback target " + std::to_string(target) + " in section '" + p_.elf.section(section)->name +
                            "' is not the start of a function");
    return static_cast<std::size_t>(f);
  }

  // Global functions are called through their symbol with imm -1; static ones through the section symbol
  // with imm = their index - 1: either way the target is value / 8 + imm + 1.
  Result<void> call(std::size_t insn, const Symbol& sym) {
    if (f_.insns[insn].src != BPF_PSEUDO_CALL) return fail(insn, "relocation against '" + sym.name + "' on a helper call");
    if (sym.shndx == SHN_UNDEF) return fail(insn, "call to extern function '" + sym.name + "' (a kfunc) needs the kernel", Errc::unsupported);
    const Section* target = p_.elf.section(sym.shndx);
    if (target == nullptr || !target->executable() || sym.value % kInsnSize != 0)
      return fail(insn, "call to '" + sym.name + "', which is not a function");
    const std::int64_t index = static_cast<std::int64_t>(sym.value / kInsnSize) + f_.insns[insn].imm + 1;
    auto callee = function_starting(insn, sym.shndx, index);
    if (!callee) return callee.error();
    f_.calls.emplace_back(insn, *callee);
    return {};
  }

  // lddw of a function's address (bpf_loop and friends): global functions by symbol, static ones by section
  // symbol + byte offset in imm. It becomes BPF_PSEUDO_FUNC, with the offset set by the linker.
  Result<void> callback(std::size_t insn, const Symbol& sym) {
    const std::int64_t byte = static_cast<std::int64_t>(sym.value) + f_.insns[insn].imm;
    if (byte % static_cast<std::int64_t>(kInsnSize) != 0) return fail(insn, "misaligned callback address of '" + sym.name + "'");
    auto callee = function_starting(insn, sym.shndx, byte / static_cast<std::int64_t>(kInsnSize));
    if (!callee) return callee.error();
    f_.insns[insn].src = BPF_PSEUDO_FUNC;
    f_.calls.emplace_back(insn, *callee);
    return {};
  }

  void set_map(std::size_t insn, std::size_t map, std::uint8_t src, std::int32_t value_offset) {
    f_.insns[insn].src = src;
    f_.insns[insn].imm = static_cast<std::int32_t>(map);
    f_.insns[insn + 1].imm = value_offset;
  }

  Result<void> extern_variable(std::size_t insn, const Symbol& sym) {
    const auto k = p_.kconfig_index.find(sym.name);
    if (k != p_.kconfig_index.end()) {
      const std::size_t map = p_.origins.size() - 1;  // the ".kconfig" map is always the last one
      set_map(insn, map, BPF_PSEUDO_MAP_IDX_VALUE, static_cast<std::int32_t>(p_.spec.kconfig[k->second].offset));
      return {};
    }
    if (!p_.spec.btf) return fail(insn, "extern '" + sym.name + "' can't be resolved in an object without BTF");
    return fail(insn, "extern '" + sym.name + "' is not a __kconfig variable (a __ksym needs the kernel's BTF)", Errc::unsupported);
  }

  Result<void> map_reference(std::size_t insn, const Symbol& sym) {
    for (std::size_t i = 0; i < p_.origins.size(); ++i) {
      const MapOrigin& o = p_.origins[i];
      if (o.section != sym.shndx) continue;
      if ((o.kind == MapOrigin::Kind::btf || o.kind == MapOrigin::Kind::legacy) && o.offset == sym.value) {
        set_map(insn, i, BPF_PSEUDO_MAP_IDX, 0);
        return {};
      }
      if (o.kind == MapOrigin::Kind::data) return data_reference(insn, sym, i);
    }
    return fail(insn, "relocation against '" + sym.name + "' in section '" + p_.elf.section(sym.shndx)->name +
                          "', which holds no map or global data");
  }

  Result<void> data_reference(std::size_t insn, const Symbol& sym, std::size_t map) {
    const std::int64_t offset = static_cast<std::int64_t>(sym.value) + f_.insns[insn].imm;
    if (offset < 0 || static_cast<std::uint64_t>(offset) >= p_.origins[map].size)
      return fail(insn, "reference to '" + sym.name + "' at offset " + std::to_string(offset) + ", outside its section");
    set_map(insn, map, BPF_PSEUDO_MAP_IDX_VALUE, static_cast<std::int32_t>(offset));
    return {};
  }

  // Calls inside a section need no relocation: imm is already relative to the call.
  Result<void> local_calls(const std::vector<bool>& relocated) {
    for (std::size_t insn = 0; insn < f_.insns.size(); ++insn) {
      const Insn& in = f_.insns[insn];
      if (relocated[insn]) continue;
      if (in.is_lddw() && in.src == BPF_PSEUDO_FUNC) return fail(insn, "callback address without a relocation");
      if (in.is_lddw()) ++insn;  // its second half is data, not an instruction
      if (!is_call(in) || in.src != BPF_PSEUDO_CALL) continue;
      const std::int64_t target = static_cast<std::int64_t>(f_.first + insn) + in.imm + 1;
      auto callee = function_starting(insn, f_.section, target);
      if (!callee) return callee.error();
      f_.calls.emplace_back(insn, *callee);
    }
    return {};
  }

  Parse& p_;
  Function& f_;
};

}  // namespace

// Each relocation section is walked once, each entry going to the function it falls in.
Result<void> relocate_functions(Parse& p) {
  std::vector<std::vector<bool>> relocated;
  for (const Function& f : p.functions) relocated.emplace_back(f.insns.size(), false);
  std::size_t section = 0;
  for (const Function& f : p.functions) {
    if (f.section == section) continue;  // functions are grouped by section
    section = f.section;
    for (const Relocation& rel : p.elf.relocations(section)) {
      if (rel.offset % kInsnSize != 0) return p.error("misaligned relocation in section '" + p.elf.section(section)->name + "'");
      const long owner = p.function_at(section, rel.offset / kInsnSize);
      if (owner < 0) continue;  // between functions: libbpf ignores these too
      const auto i = static_cast<std::size_t>(owner);
      if (auto r = FunctionRelocator(p, i).apply(rel, relocated[i]); !r) return r;
    }
  }
  for (std::size_t i = 0; i < p.functions.size(); ++i)
    if (auto r = FunctionRelocator(p, i).finish(relocated[i]); !r) return r;
  return {};
}

}  // namespace ubee::elf
