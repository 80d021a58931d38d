// USDT argument strings to libbpf's argument specs. A note's argument string is the operands the compiler chose
// for each argument (sys/sdt.h asks for "nor" constraints), one per space-separated word, each "SIZE@OPERAND":
// SIZE is the byte size, negative for a signed type; OPERAND is an x86-64 AT&T operand. The accepted forms
// are the ones libbpf 1.1's usdt.c accepts on x86-64, since usdt.bpf.h can only evaluate those.
#include <asm/ptrace.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <sys/uio.h>
#include <unistd.h>

#include "ubee/usdt.hpp"

namespace ubee::usdt {
namespace {

struct RegisterNames {
  const char* names[4];  // the 64-, 32-, 16- and 8-bit names: all read the same pt_regs slot, as in libbpf
  std::size_t offset;
};

// rip is accepted as libbpf does, although "off(%rip)" operands are refused below (the offset is a symbol).
constexpr RegisterNames kRegisters[] = {
    {{"rip", "eip", "", ""}, offsetof(pt_regs, rip)},     {{"rax", "eax", "ax", "al"}, offsetof(pt_regs, rax)},
    {{"rbx", "ebx", "bx", "bl"}, offsetof(pt_regs, rbx)}, {{"rcx", "ecx", "cx", "cl"}, offsetof(pt_regs, rcx)},
    {{"rdx", "edx", "dx", "dl"}, offsetof(pt_regs, rdx)}, {{"rsi", "esi", "si", "sil"}, offsetof(pt_regs, rsi)},
    {{"rdi", "edi", "di", "dil"}, offsetof(pt_regs, rdi)}, {{"rbp", "ebp", "bp", "bpl"}, offsetof(pt_regs, rbp)},
    {{"rsp", "esp", "sp", "spl"}, offsetof(pt_regs, rsp)}, {{"r8", "r8d", "r8w", "r8b"}, offsetof(pt_regs, r8)},
    {{"r9", "r9d", "r9w", "r9b"}, offsetof(pt_regs, r9)},   {{"r10", "r10d", "r10w", "r10b"}, offsetof(pt_regs, r10)},
    {{"r11", "r11d", "r11w", "r11b"}, offsetof(pt_regs, r11)}, {{"r12", "r12d", "r12w", "r12b"}, offsetof(pt_regs, r12)},
    {{"r13", "r13d", "r13w", "r13b"}, offsetof(pt_regs, r13)}, {{"r14", "r14d", "r14w", "r14b"}, offsetof(pt_regs, r14)},
    {{"r15", "r15d", "r15w", "r15b"}, offsetof(pt_regs, r15)},
};

std::optional<std::int16_t> register_offset(std::string_view name) {
  for (const RegisterNames& r : kRegisters)
    for (const char* n : r.names)
      if (*n != '\0' && name == n) return static_cast<std::int16_t>(r.offset);
  return std::nullopt;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::uint64_t magnitude = 0;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  value = static_cast<std::int64_t>(negative ? 0 - magnitude : magnitude);
  return value;
}

// "%reg" -> its pt_regs offset, with the reason when it is not one.
Result<std::int16_t> parse_register(std::string_view operand, std::string_view text) {
  if (operand.size() < 2 || operand[0] != '%')
    return make_error(Errc::unsupported, "'" + std::string(text) + "': expected a register, not '" +
                                             std::string(operand) + "'");
  if (auto off = register_offset(operand.substr(1))) return *off;
  return make_error(Errc::unsupported, "'" + std::string(text) + "': unknown register '" + std::string(operand) + "'");
}

// OPERAND: "$imm", "%reg", "off(%reg)", "(%reg)".
Result<void> parse_operand(std::string_view operand, std::string_view text, BpfUsdtArgSpec& arg) {
  if (operand.starts_with('$')) {
    const auto value = parse_integer(operand.substr(1));
    if (!value) return make_error(Errc::unsupported, "'" + std::string(text) + "': constant is not an integer");
    arg.arg_type = kArgConst;
    arg.val_off = static_cast<std::uint64_t>(*value);
    return {};
  }
  if (operand.starts_with('%')) {
    auto reg = parse_register(operand, text);
    if (!reg) return reg.error();
    arg.arg_type = kArgReg;
    arg.reg_off = *reg;
    return {};
  }
  const auto open = operand.find('(');
  if (open == std::string_view::npos || !operand.ends_with(')'))
    return make_error(Errc::unsupported, "'" + std::string(text) + "': unrecognized operand");
  const std::string_view inside = operand.substr(open + 1, operand.size() - open - 2);
  if (inside.find(',') != std::string_view::npos)
    return make_error(Errc::unsupported, "'" + std::string(text) +
                                             "': base+index*scale operands are not supported (libbpf's "
                                             "usdt.bpf.h has no such argument type)");
  const std::string_view displacement = operand.substr(0, open);
  std::optional<std::int64_t> offset = displacement.empty() ? std::optional<std::int64_t>(0) : parse_integer(displacement);
  if (!offset)
    return make_error(Errc::unsupported, "'" + std::string(text) + "': displacement '" + std::string(displacement) +
                                             "' is not a number (a symbol's address: not supported, as in libbpf)");
  auto reg = parse_register(inside, text);
  if (!reg) return reg.error();
  arg.arg_type = kArgRegDeref;
  arg.reg_off = *reg;
  arg.val_off = static_cast<std::uint64_t>(*offset);
  return {};
}

// One word "SIZE@OPERAND".
Result<BpfUsdtArgSpec> parse_argument(std::string_view text) {
  const auto at = text.find('@');
  const auto size = at == std::string_view::npos ? std::nullopt : parse_integer(text.substr(0, at));
  if (!size) return make_error(Errc::unsupported, "'" + std::string(text) + "': expected SIZE@OPERAND");
  const std::int64_t bytes = *size < 0 ? -*size : *size;
  if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8)
    return make_error(Errc::unsupported, "'" + std::string(text) + "': size must be 1, 2, 4 or 8 bytes");
  BpfUsdtArgSpec arg;
  arg.arg_signed = *size < 0;
  arg.arg_bitshift = static_cast<std::int8_t>(64 - bytes * 8);
  auto r = parse_operand(text.substr(at + 1), text, arg);
  if (!r) return r.error();
  return arg;
}

}  // namespace

Result<BpfUsdtSpec> parse_arguments(std::string_view text, std::uint64_t usdt_cookie) {
  BpfUsdtSpec spec;
  spec.usdt_cookie = usdt_cookie;
  std::size_t count = 0;
  while (true) {
    const auto begin = text.find_first_not_of(" \t");
    if (begin == std::string_view::npos) break;
    text.remove_prefix(begin);
    const std::string_view word = text.substr(0, text.find_first_of(" \t"));
    text.remove_prefix(word.size());
    if (count == kMaxArgs)
      return make_error(Errc::unsupported, "more than " + std::to_string(kMaxArgs) + " USDT arguments");
    auto arg = parse_argument(word);
    if (!arg) {
      Error e = arg.error();
      e.message = "USDT argument #" + std::to_string(count) + " " + e.message;
      return e;
    }
    spec.args[count++] = *arg;
  }
  spec.arg_cnt = static_cast<std::int16_t>(count);
  return spec;
}

Result<std::int64_t> read_argument(const BpfUsdtSpec& spec, std::size_t index, const void* regs) {
  if (index >= kMaxArgs || index >= static_cast<std::size_t>(spec.arg_cnt))
    return make_error(Errc::not_found, "no USDT argument #" + std::to_string(index));
  const BpfUsdtArgSpec& arg = spec.args[index];
  std::uint64_t value = arg.val_off;
  if (arg.arg_type != kArgConst) {
    std::memcpy(&value, static_cast<const std::uint8_t*>(regs) + arg.reg_off, sizeof value);
    if (arg.arg_type == kArgRegDeref) {
      // Through process_vm_readv so that a bad address is an error, as bpf_probe_read_user would make it.
      const std::uint64_t address = value + arg.val_off;
      iovec local{&value, sizeof value};
      iovec remote{reinterpret_cast<void*>(address), sizeof value};
      if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != static_cast<ssize_t>(sizeof value))
        return make_error(Errc::memory_fault, "USDT argument #" + std::to_string(index) + ": unreadable memory");
    }
  }
  // Keep the argument's own bytes, sign- or zero-extended, exactly as usdt.bpf.h's bpf_usdt_arg() does.
  value <<= arg.arg_bitshift;
  if (arg.arg_signed) return static_cast<std::int64_t>(value) >> arg.arg_bitshift;
  return static_cast<std::int64_t>(value >> arg.arg_bitshift);
}

}  // namespace ubee::usdt
