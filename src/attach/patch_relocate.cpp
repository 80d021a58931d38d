// Decoding with Zydis; re-encoding by hand, because each displaced instruction keeps its bytes except a
// displacement or turns into one of three fixed sequences.
#include "attach/patch_relocate.hpp"

#include <Zydis/Zydis.h>

#include <cstring>
#include <cstdio>

#include "attach/code_memory.hpp"

namespace ubee::attach {

namespace {

struct Insn {
  ZydisDecodedInstruction z;
  std::uintptr_t address;       // where it runs (or ran)
  const std::uint8_t* bytes;    // where its encoding is read from
};

std::optional<Insn> decode(std::uintptr_t address, std::size_t available) {
  static const ZydisDecoder decoder = [] {
    ZydisDecoder d;
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    return d;
  }();
  Insn insn{};
  insn.address = address;
  insn.bytes = reinterpret_cast<const std::uint8_t*>(address);
  const auto length = std::min<std::size_t>(available, ZYDIS_MAX_INSTRUCTION_LENGTH);
  if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, nullptr, reinterpret_cast<const void*>(address), length,
                                                  &insn.z)))
    return std::nullopt;
  return insn;
}

std::uintptr_t end_of(const Insn& insn) { return insn.address + insn.z.length; }

// A direct branch (jmp, jcc, call, loop, jrcxz, xbegin) carries its target as a relative immediate.
std::optional<std::uintptr_t> branch_target(const Insn& insn) {
  if ((insn.z.attributes & ZYDIS_ATTRIB_IS_RELATIVE) == 0 || !insn.z.raw.imm[0].is_relative) return std::nullopt;
  return end_of(insn) + static_cast<std::uintptr_t>(insn.z.raw.imm[0].value.s);
}

bool is_plain_jcc(const Insn& insn) {
  return insn.z.meta.category == ZYDIS_CATEGORY_COND_BR && insn.z.mnemonic != ZYDIS_MNEMONIC_JRCXZ &&
         insn.z.mnemonic != ZYDIS_MNEMONIC_JECXZ && insn.z.mnemonic != ZYDIS_MNEMONIC_JCXZ &&
         (insn.z.opcode & 0xf0) == (insn.z.opcode_map == ZYDIS_OPCODE_MAP_0F ? 0x80 : 0x70);
}

Error refuse(std::uintptr_t address, const std::optional<FunctionRange>& function, const std::string& reason) {
  return make_error(Errc::unsupported, "cannot probe " + describe(address, function) + ": " + reason);
}

// Why `insn` (displaced, `last` when nothing follows it in the displaced bytes) cannot be relocated, if so.
std::optional<std::string> unrelocatable(const Insn& insn, bool last) {
  const char* name = ZydisMnemonicGetString(insn.z.mnemonic);
  if (insn.z.mnemonic == ZYDIS_MNEMONIC_INT3) return "an int3 is there (another tool's breakpoint?)";
  if (!branch_target(insn)) return std::nullopt;  // plain, or a RIP-relative operand (re-aimed)
  if (insn.z.mnemonic == ZYDIS_MNEMONIC_JMP || is_plain_jcc(insn)) return std::nullopt;
  if (insn.z.mnemonic == ZYDIS_MNEMONIC_CALL && last) return std::nullopt;
  if (insn.z.mnemonic == ZYDIS_MNEMONIC_CALL)
    return "a relative call inside the displaced bytes would return into the patch";
  return std::string("'") + name + "' with a relative target cannot be relocated";
}

// Linear sweep of the function: a direct branch landing inside the displaced bytes, after their first.
std::optional<std::string> jump_into(std::uintptr_t address, std::size_t length, const FunctionRange& function) {
  const std::uintptr_t end = function.start + function.size;
  for (std::uintptr_t at = function.start; at < end;) {
    const auto insn = decode(at, end - at);
    if (!insn) {
      ++at;  // data or padding: resynchronize on the next byte
      continue;
    }
    if (const auto target = branch_target(*insn); target && *target > address && *target < address + length)
      return std::string("the ") + ZydisMnemonicGetString(insn->z.mnemonic) + " at +" + hex(at - function.start) +
             " jumps to +" + hex(*target - function.start) + ", inside the " + std::to_string(length) +
             " bytes the probe displaces";
    at = end_of(*insn);
  }
  return std::nullopt;
}

void append_u64(std::vector<std::uint8_t>& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

// call target, with the return address the original call pushes (the instruction after the displaced bytes):
// lea rsp,[rsp-8]; push rax; mov rax,imm64; mov [rsp+8],rax; pop rax; jmp target. No flag is touched.
// `base` is the run-time address of out[0].
void append_call(std::vector<std::uint8_t>& out, std::uintptr_t base, std::uintptr_t return_to,
                 std::uintptr_t target) {
  const std::uint8_t head[] = {0x48, 0x8d, 0x64, 0x24, 0xf8, 0x50, 0x48, 0xb8};
  out.insert(out.end(), std::begin(head), std::end(head));
  append_u64(out, return_to);
  const std::uint8_t tail[] = {0x48, 0x89, 0x44, 0x24, 0x08, 0x58};
  out.insert(out.end(), std::begin(tail), std::end(tail));
  append_jump(out, base + out.size(), target);
}

// jcc target as `jcc +2; jmp +14; jmp [rip+0]; .quad target`: no condition to invert, any distance.
void append_jcc(std::vector<std::uint8_t>& out, const Insn& insn, std::uintptr_t target) {
  const std::uint8_t head[] = {static_cast<std::uint8_t>(0x70 | (insn.z.opcode & 0x0f)), 0x02, 0xeb, 0x0e,
                               0xff, 0x25, 0x00, 0x00, 0x00, 0x00};
  out.insert(out.end(), std::begin(head), std::end(head));
  append_u64(out, target);
}

Result<void> append_relocated(std::vector<std::uint8_t>& out, const Insn& insn, std::uintptr_t destination) {
  const std::uintptr_t here = destination + out.size();
  const std::uint8_t* bytes = insn.bytes;
  const auto target = branch_target(insn);
  if (target && insn.z.mnemonic == ZYDIS_MNEMONIC_JMP) {
    append_jump(out, here, *target);
  } else if (target && insn.z.mnemonic == ZYDIS_MNEMONIC_CALL) {
    append_call(out, destination, end_of(insn), *target);
  } else if (target) {
    append_jcc(out, insn, *target);
  } else {
    const std::size_t start = out.size();
    out.insert(out.end(), bytes, bytes + insn.z.length);
    if ((insn.z.attributes & ZYDIS_ATTRIB_IS_RELATIVE) != 0) {  // [rip + disp32]: same target from `here`
      const auto& disp = insn.z.raw.disp;
      const std::uintptr_t aimed = end_of(insn) + static_cast<std::uintptr_t>(disp.value);
      if (disp.size != 32 || !rel32_reachable(here + insn.z.length, aimed))
        return make_error(Errc::unsupported, "a RIP-relative operand is out of reach of the trampoline");
      const auto value = static_cast<std::uint32_t>(aimed - (here + insn.z.length));
      std::memcpy(out.data() + start + disp.offset, &value, 4);
    }
  }
  return {};
}

}  // namespace

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::string describe(std::uintptr_t address, const std::optional<FunctionRange>& function) {
  if (!function) return hex(address);
  return function->name + "+" + hex(address - function->start) + " (" + hex(address) + ")";
}

void append_jump(std::vector<std::uint8_t>& out, std::uintptr_t at, std::uintptr_t target) {
  if (rel32_reachable(at + 5, target)) {
    out.push_back(0xe9);
    append_u32(out, static_cast<std::uint32_t>(target - (at + 5)));
    return;
  }
  const std::uint8_t jmp_rip[] = {0xff, 0x25, 0x00, 0x00, 0x00, 0x00};
  out.insert(out.end(), std::begin(jmp_rip), std::end(jmp_rip));
  append_u64(out, target);
}

Result<Displacement> plan_displacement(std::uintptr_t address, const std::optional<FunctionRange>& function) {
  // Without a symbol size, decode no further than the longest possible displacement.
  const std::uintptr_t limit = function && function->size != 0 ? function->start + function->size
                                                                : address + kJumpSize - 1 + ZYDIS_MAX_INSTRUCTION_LENGTH;
  std::vector<Insn> insns;
  std::uintptr_t at = address;
  while (at < address + kJumpSize) {
    if (at >= limit)
      return refuse(address, function, "the function ends " + std::to_string(at - address) +
                                           " bytes after it, a jump needs " + std::to_string(kJumpSize));
    const auto insn = decode(at, limit - at);
    if (!insn) return refuse(address, function, "undecodable instruction at " + hex(at));
    insns.push_back(*insn);
    at = end_of(*insn);
  }
  for (std::size_t i = 0; i < insns.size(); ++i)
    if (auto why = unrelocatable(insns[i], i + 1 == insns.size())) return refuse(address, function, *why);
  if (function && function->size != 0)
    if (auto why = jump_into(address, at - address, *function)) return refuse(address, function, *why);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(address);
  return Displacement{address, std::vector<std::uint8_t>(bytes, bytes + (at - address))};
}

Result<std::vector<std::uint8_t>> relocate(const Displacement& displacement, std::uintptr_t destination) {
  std::vector<std::uint8_t> out;
  const std::uintptr_t end = displacement.address + displacement.original.size();
  for (std::uintptr_t at = displacement.address; at < end;) {
    // Decode the saved copy: by now the live bytes may hold the jump.
    const auto offset = at - displacement.address;
    auto insn = decode(reinterpret_cast<std::uintptr_t>(displacement.original.data() + offset),
                       displacement.original.size() - offset);
    if (!insn) return make_error(Errc::unsupported, "displaced bytes no longer decode");
    insn->address = at;
    if (auto r = append_relocated(out, *insn, destination); !r) return r.error();
    at = end_of(*insn);
  }
  append_jump(out, destination + out.size(), end);
  return out;
}

}  // namespace ubee::attach
