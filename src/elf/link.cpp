// Linking (libbpf's bpf_object__relocate_calls / bpf_object__reloc_code): each program gets a private copy
// of every subprogram it reaches, appended after its own instructions in the order libbpf appends them --
// depth first, a callee right after its first call is met -- and each call or callback imm is set to the
// callee's new place relative to the instruction. The result must pass ubee::validate().
#include <map>

#include "object_parts.hpp"

namespace ubee::elf {
namespace {

struct Frame {
  std::size_t function;
  std::size_t base;       // where its copy starts in the program
  std::size_t next = 0;   // the next entry of its calls to resolve
};

class Linker {
 public:
  Linker(const Parse& p, const Function& entry) : p_(p), entry_(entry) {}

  Result<Program> run() {
    std::vector<Frame> stack{{index_of(entry_), place(index_of(entry_))}};
    while (!stack.empty()) {
      Frame& top = stack.back();
      const Function& f = p_.functions[top.function];
      if (top.next == f.calls.size()) {
        stack.pop_back();
        continue;
      }
      const auto [insn, callee] = f.calls[top.next++];
      const std::size_t site = top.base + insn;  // `top` dies with the push below
      const bool fresh = placed_.find(callee) == placed_.end();
      if (fresh && out_.size() + p_.functions[callee].insns.size() > kMaxInsns)
        return p_.error(p_.where(entry_) + ": more than " + std::to_string(kMaxInsns) + " instructions with its subprograms");
      const std::size_t at = fresh ? place(callee) : placed_[callee];
      out_[site].imm = static_cast<std::int32_t>(static_cast<std::int64_t>(at) - static_cast<std::int64_t>(site) - 1);
      if (fresh) stack.push_back({callee, at});
    }
    return std::move(out_);
  }

 private:
  std::size_t index_of(const Function& f) const { return static_cast<std::size_t>(&f - p_.functions.data()); }

  std::size_t place(std::size_t function) {
    const std::size_t at = out_.size();
    placed_[function] = at;
    const Program& insns = p_.functions[function].insns;
    out_.insert(out_.end(), insns.begin(), insns.end());
    return at;
  }

  const Parse& p_;
  const Function& entry_;
  Program out_;
  std::map<std::size_t, std::size_t> placed_;  // function -> where its copy starts
};

Result<ProgramSpec> link_program(const Parse& p, const Function& entry) {
  const std::string& section = p.elf.section(entry.section)->name;
  auto type = program_type_for_section(section);
  if (!type) return p.error(p.where(entry) + ": " + type.error().message, type.error().code);
  auto insns = Linker(p, entry).run();
  if (!insns) return insns.error();
  if (auto r = validate(*insns); !r) {
    const Error& e = r.error();
    return p.error((e.insn ? p.where(entry, *e.insn) : p.where(entry)) + ": " + e.message, e.code);
  }
  ProgramSpec spec;
  spec.name = entry.name;
  spec.section = section;
  spec.type = type->type;
  spec.expected_attach_type = type->expected_attach_type;
  spec.attach_target = std::move(type->attach_target);
  spec.sleepable = type->sleepable;
  spec.xdp_frags = type->xdp_frags;
  spec.insns = std::move(*insns);
  return spec;
}

}  // namespace

Result<void> link_programs(Parse& p) {
  for (const Function& f : p.functions) {
    if (!f.entry) continue;
    auto spec = link_program(p, f);
    if (!spec) return spec.error();
    p.spec.programs.push_back(std::move(*spec));
  }
  return {};
}

}  // namespace ubee::elf
