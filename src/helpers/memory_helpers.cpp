// Reading memory the program does not own (the probe_read family) and parsing numbers from strings
// (bpf_strtol/bpf_strtoul, kernel/bpf/helpers.c __bpf_strtoull). A bad address is -EFAULT, never a crash:
// reads go through safe_copy (no system call; a fault resumes at a recovery point), and kernel addresses fail
// without being touched.
#include <algorithm>
#include <cctype>
#include <climits>

#include "helper_util.hpp"
#include "helpers/safe_copy.hpp"
#include "linux_helpers_impl.hpp"

namespace ubee::helpers {
namespace {

// Below mmap_min_addr (64 KiB) nothing is ever mapped. The kernel's _kernel variants report such (user)
// addresses as -ERANGE on x86-64 (copy_from_kernel_nofault_allowed); the _user variants as -EFAULT.
constexpr std::uint64_t kMinMappable = 64 * 1024;

template <bool Kernel>
bool out_of_range(std::uint64_t src, std::uint64_t dst, std::uint64_t size) {
  if (!Kernel || src >= kMinMappable) return false;
  std::memset(ptr(dst), 0, size);
  return true;
}

template <bool Kernel>
std::uint64_t probe_read(std::uint64_t dst, std::uint64_t size, std::uint64_t src, std::uint64_t, std::uint64_t,
                         RunContext& c) {
  if (!mem_arg(dst, size, true, c)) return err(EFAULT);
  if (out_of_range<Kernel>(src, dst, size)) return err(ERANGE);
  if (ubee::safe_copy(ptr(dst), ptr<const void>(src), size)) return 0;
  std::memset(ptr(dst), 0, size);  // the kernel clears the destination on a fault
  return err(EFAULT);
}

// Length of the string copied including its NUL (at most size), or -EFAULT with dst cleared.
template <bool Kernel>
std::uint64_t probe_read_str(std::uint64_t dst, std::uint64_t size, std::uint64_t src, std::uint64_t, std::uint64_t,
                             RunContext& c) {
  if (size == 0) return 0;
  if (!mem_arg(dst, size, true, c)) return err(EFAULT);
  if (out_of_range<Kernel>(src, dst, size)) return err(ERANGE);
  // Bytes after the NUL in dst stay as they were (strncpy_from_user_nofault); all of dst is cleared on a fault.
  const long n = ubee::safe_copy_str(ptr<char>(dst), ptr<const void>(src), size);
  if (n >= 0) return static_cast<std::uint64_t>(n);
  std::memset(ptr(dst), 0, size);
  return err(EFAULT);
}

struct Parsed {
  long consumed;  // characters used, or a negative errno
  unsigned long long value;
  bool negative;
};

int digit_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return 99;
}

// The base of `s` (flags' base, or from a 0/0x prefix when it is 0) and how many prefix characters it took.
unsigned detect_base(const char* s, std::size_t n, unsigned base, std::size_t& i) {
  const bool hex_prefix = i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') && i + 2 < n &&
                          digit_value(s[i + 2]) < 16;
  if ((base == 0 || base == 16) && hex_prefix) {
    i += 2;
    return 16;
  }
  if (base == 0) return i < n && s[i] == '0' ? 8 : 10;
  return base;
}

Parsed parse_number(const char* s, std::size_t n, std::uint64_t flags, bool allow_sign) {
  const unsigned base = flags & 0x1f;
  if ((flags & ~0x1fULL) != 0 || (base != 0 && base != 8 && base != 10 && base != 16)) return {-EINVAL, 0, false};
  std::size_t i = 0;
  while (i < n && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  const bool negative = allow_sign && i < n && s[i] == '-';
  if (negative) ++i;
  const unsigned b = detect_base(s, n, base, i);
  const std::size_t first_digit = i;
  unsigned long long value = 0;
  for (; i < n && digit_value(s[i]) < static_cast<int>(b); ++i) {
    const auto d = static_cast<unsigned>(digit_value(s[i]));
    if (value > (ULLONG_MAX - d) / b) return {-ERANGE, 0, false};
    value = value * b + d;
  }
  if (i == first_digit) return {-EINVAL, 0, false};
  return {static_cast<long>(i), value, negative};
}

std::uint64_t strtol(std::uint64_t buf, std::uint64_t len, std::uint64_t flags, std::uint64_t res, std::uint64_t,
                     RunContext& c) {
  if (len == 0) return err(EINVAL);
  if (!mem_arg(buf, len, false, c) || !mem_arg(res, sizeof(long), true, c)) return err(EFAULT);
  const Parsed p = parse_number(ptr<const char>(buf), len, flags, true);
  const unsigned long long limit = p.negative ? static_cast<unsigned long long>(LONG_MAX) + 1 : LONG_MAX;
  const long consumed = p.consumed >= 0 && p.value > limit ? -ERANGE : p.consumed;
  // The kernel stores 0 when parsing fails.
  const long v = consumed < 0 ? 0 : p.negative ? static_cast<long>(0ULL - p.value) : static_cast<long>(p.value);
  std::memcpy(ptr(res), &v, sizeof v);
  if (consumed < 0) return static_cast<std::uint64_t>(consumed);
  std::memcpy(ptr(res), &v, sizeof v);
  return static_cast<std::uint64_t>(p.consumed);
}

std::uint64_t strtoul(std::uint64_t buf, std::uint64_t len, std::uint64_t flags, std::uint64_t res, std::uint64_t,
                      RunContext& c) {
  if (len == 0) return err(EINVAL);
  if (!mem_arg(buf, len, false, c) || !mem_arg(res, sizeof(unsigned long), true, c)) return err(EFAULT);
  const Parsed p = parse_number(ptr<const char>(buf), len, flags, false);
  const unsigned long v = p.consumed < 0 ? 0 : p.value;  // the kernel stores 0 when parsing fails
  std::memcpy(ptr(res), &v, sizeof v);
  if (p.consumed < 0) return static_cast<std::uint64_t>(p.consumed);
  return static_cast<std::uint64_t>(p.consumed);
}

using A = ArgType;
constexpr std::array<ArgType, 5> kReadArgs{A::ptr_to_uninit_mem, A::const_size_or_zero, A::anything};
constexpr std::array<ArgType, 5> kStrtoArgs{A::ptr_to_mem, A::const_size, A::scalar, A::ptr_to_uninit_mem};

}  // namespace

void add_memory_helpers(HelperRegistry& r) {
  const Entry entries[] = {
      {BPF_FUNC_probe_read, {"probe_read", probe_read<true>, RetType::integer, kReadArgs}},
      {BPF_FUNC_probe_read_user, {"probe_read_user", probe_read<false>, RetType::integer, kReadArgs}},
      {BPF_FUNC_probe_read_kernel, {"probe_read_kernel", probe_read<true>, RetType::integer, kReadArgs}},
      {BPF_FUNC_probe_read_str, {"probe_read_str", probe_read_str<true>, RetType::integer, kReadArgs}},
      {BPF_FUNC_probe_read_user_str, {"probe_read_user_str", probe_read_str<false>, RetType::integer, kReadArgs}},
      {BPF_FUNC_probe_read_kernel_str, {"probe_read_kernel_str", probe_read_str<true>, RetType::integer, kReadArgs}},
      {BPF_FUNC_strtol, {"strtol", strtol, RetType::integer, kStrtoArgs}},
      {BPF_FUNC_strtoul, {"strtoul", strtoul, RetType::integer, kStrtoArgs}},
  };
  for (const Entry& e : entries) r.replace(e.id, e.proto);
}

}  // namespace ubee::helpers
