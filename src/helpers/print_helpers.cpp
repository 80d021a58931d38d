// bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf: the kernel's restricted printf (kernel/bpf/helpers.c
// bpf_bprintf_prepare): conversions d i u x X o c s p and %%, flags, width, precision, l/ll; %s reads a string
// from wherever it points, safely; %pI4/%pi4/%pI6/%pi6 print addresses, %pks/%pus strings, %pK/%px/%p pointers.
#include <cstdio>
#include <mutex>
#include <string>

#include "helper_util.hpp"
#include "helpers/safe_copy.hpp"
#include "linux_helpers_impl.hpp"
#include "ubee/linux_helpers.hpp"

namespace ubee {
namespace {

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
TraceSink& sink() {
  static TraceSink s = [](std::string_view line) {
    std::fprintf(stderr, "bpf_trace_printk: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  return s;
}

}  // namespace

void set_trace_sink(TraceSink s) {
  std::lock_guard lock(sink_mutex());
  sink() = std::move(s);
}

namespace helpers {
namespace {

constexpr std::size_t kMaxArgs = 12;       // MAX_BPRINTF_VARARGS
constexpr std::size_t kMaxStringArg = 1024;

// A string argument read without trusting its address (safe_copy_str: no system call, no crash); "(efault)"
// when unreadable, as the kernel prints. At most kMaxStringArg characters.
std::string read_string(std::uint64_t address) {
  char buf[kMaxStringArg + 1];
  const long n = safe_copy_str(buf, ptr<const void>(address), sizeof buf);
  if (n <= 0) return "(efault)";
  return std::string(buf, static_cast<std::size_t>(n) - 1);
}

std::string ip_address(std::uint64_t address, bool v6) {
  std::uint8_t b[16] = {};
  if (!safe_copy(b, ptr<const void>(address), v6 ? 16 : 4)) return "(efault)";
  char text[64];
  if (!v6) {
    std::snprintf(text, sizeof text, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  } else {
    int n = 0;
    for (int i = 0; i < 16; i += 2) n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), "%s%02x%02x", i ? ":" : "", b[i], b[i + 1]);
  }
  return text;
}

struct Spec {
  std::string flags;  // flags, width and precision, passed to snprintf as written
  int longs = 0;      // l count
  char conv = 0;
};

// %p with its suffix; `i` is past the 'p'.
Result<std::string> format_pointer(std::string_view fmt, std::size_t& i, std::uint64_t arg) {
  auto next_is = [&](std::string_view s) { return fmt.substr(i, s.size()) == s; };
  for (std::string_view ip : {"I4", "i4", "I6", "i6"})
    if (next_is(ip)) {
      i += 2;
      return ip_address(arg, ip[1] == '6');
    }
  if (next_is("ks") || next_is("us")) {
    i += 2;
    return read_string(arg);
  }
  if (next_is("K") || next_is("x") || next_is("B")) ++i;
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(arg));
  return std::string(text);
}

std::string format_number(const Spec& spec, std::uint64_t arg) {
  std::string f = "%" + spec.flags + "ll" + spec.conv;
  char text[128];
  const bool is_signed = spec.conv == 'd' || spec.conv == 'i';
  // Without l/ll the argument is an int: its low 32 bits, sign-extended for %d.
  if (spec.longs == 0) arg = is_signed ? static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(arg)))
                                       : static_cast<std::uint32_t>(arg);
  if (is_signed) std::snprintf(text, sizeof text, f.c_str(), static_cast<long long>(arg));
  else std::snprintf(text, sizeof text, f.c_str(), static_cast<unsigned long long>(arg));
  return text;
}

Result<Spec> parse_spec(std::string_view fmt, std::size_t& i) {
  Spec spec;
  const std::size_t start = i;
  while (i < fmt.size() && std::string_view("-+ #0123456789.").find(fmt[i]) != std::string_view::npos) ++i;
  spec.flags = std::string(fmt.substr(start, i - start));
  while (i < fmt.size() && fmt[i] == 'l' && spec.longs < 2) ++spec.longs, ++i;
  if (i >= fmt.size()) return make_error(Errc::invalid_argument, "format ends inside a conversion");
  spec.conv = fmt[i++];
  if (std::string_view("diuxXocsp%").find(spec.conv) == std::string_view::npos)
    return make_error(Errc::invalid_argument, std::string("unsupported conversion %") + spec.conv);
  return spec;
}

// Width, precision and '-' apply to strings and characters as to numbers.
std::string padded(const Spec& spec, const std::string& text) {
  if (spec.flags.empty()) return text;
  const std::string f = "%" + spec.flags + "s";
  char out[kMaxStringArg + 64];
  std::snprintf(out, sizeof out, f.c_str(), text.c_str());
  return out;
}

Result<std::string> format_one(const Spec& spec, std::string_view fmt, std::size_t& i, std::uint64_t arg) {
  switch (spec.conv) {
    case 'p': return format_pointer(fmt, i, arg);
    case 's': return padded(spec, read_string(arg));
    case 'c': return padded(spec, std::string(1, static_cast<char>(arg)));
    default: return format_number(spec, arg);
  }
}

}  // namespace

// Formats like the kernel's bprintf; -EINVAL style errors for bad formats or too few arguments.
Result<std::string> format_bpf(std::string_view fmt, const std::uint64_t* args, std::size_t nargs) {
  std::string out;
  std::size_t used = 0;
  for (std::size_t i = 0; i < fmt.size();) {
    if (fmt[i] != '%') {
      out += fmt[i++];
      continue;
    }
    ++i;
    auto spec = parse_spec(fmt, i);
    if (!spec) return spec.error();
    if (spec->conv == '%') {
      out += '%';
      continue;
    }
    if (used >= nargs) return make_error(Errc::invalid_argument, "format needs more arguments than given");
    auto piece = format_one(*spec, fmt, i, args[used++]);
    if (!piece) return piece.error();
    out += *piece;
  }
  return out;
}

namespace {

// The format argument: fmt_size bytes the program owns, NUL-terminated within them.
bool format_arg(std::uint64_t fmt, std::uint64_t size, RunContext& c, std::string_view& out) {
  if (size == 0 || !mem_arg(fmt, size, false, c)) return false;
  const char* s = ptr<const char>(fmt);
  if (s[size - 1] != '\0') return false;
  out = std::string_view(s, std::strlen(s));
  return true;
}

std::uint64_t emit(const Result<std::string>& text) {
  if (!text) return err(EINVAL);
  std::string_view line = *text;
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  std::lock_guard lock(sink_mutex());
  if (sink()) sink()(line);
  return text->size();
}

std::uint64_t trace_printk(std::uint64_t fmt, std::uint64_t size, std::uint64_t a1, std::uint64_t a2,
                           std::uint64_t a3, RunContext& c) {
  std::string_view f;
  if (!format_arg(fmt, size, c, f)) return err(EINVAL);
  const std::uint64_t args[3] = {a1, a2, a3};
  return emit(format_bpf(f, args, 3));
}

// A NUL-terminated string argument, every byte of it the program's (ARG_PTR_TO_CONST_STR).
bool string_arg(std::uint64_t p, RunContext& c, std::string_view& out) {
  constexpr std::size_t kMaxFormat = 4096;
  for (std::size_t n = 0; n < kMaxFormat; ++n) {
    if (!mem_arg(p + n, 1, false, c)) return false;
    if (ptr<const char>(p)[n] == '\0') {
      out = std::string_view(ptr<const char>(p), n);
      return true;
    }
  }
  return false;
}

// The u64 array of vprintk/snprintf: data_len a multiple of 8, at most 12 values.
bool data_arg(std::uint64_t data, std::uint64_t len, RunContext& c) {
  return len % 8 == 0 && len / 8 <= kMaxArgs && (len == 0 || mem_arg(data, len, false, c));
}

std::uint64_t trace_vprintk(std::uint64_t fmt, std::uint64_t size, std::uint64_t data, std::uint64_t len,
                            std::uint64_t, RunContext& c) {
  std::string_view f;
  if (!format_arg(fmt, size, c, f) || !data_arg(data, len, c)) return err(EINVAL);
  return emit(format_bpf(f, ptr<const std::uint64_t>(data), len / 8));
}

// Writes at most str_size bytes, NUL-terminated; returns the length the whole string needs with its NUL.
std::uint64_t snprintf_helper(std::uint64_t str, std::uint64_t str_size, std::uint64_t fmt, std::uint64_t data,
                              std::uint64_t len, RunContext& c) {
  std::string_view f;
  if (!mem_arg(str, str_size, true, c) || !string_arg(fmt, c, f) || !data_arg(data, len, c)) return err(EINVAL);
  auto text = format_bpf(f, ptr<const std::uint64_t>(data), len / 8);
  if (!text) return err(EINVAL);
  if (str_size != 0) {
    const std::size_t n = std::min<std::size_t>(text->size(), str_size - 1);
    std::memcpy(ptr(str), text->data(), n);
    ptr<char>(str)[n] = '\0';
  }
  return text->size() + 1;
}

using A = ArgType;

}  // namespace

void add_print_helpers(HelperRegistry& r) {
  const Entry entries[] = {
      {BPF_FUNC_trace_printk,
       // The kernel declares two arguments (bpf_trace_printk_proto): r3-r5 may be left unset when unused.
       {"trace_printk", trace_printk, RetType::integer, {A::ptr_to_mem, A::const_size}}},
      {BPF_FUNC_trace_vprintk,
       {"trace_vprintk", trace_vprintk, RetType::integer, {A::ptr_to_mem, A::const_size, A::ptr_to_mem, A::const_size_or_zero}}},
      {BPF_FUNC_snprintf,
       {"snprintf", snprintf_helper, RetType::integer,
        {A::ptr_to_uninit_mem, A::const_size_or_zero, A::ptr_to_mem, A::ptr_to_mem, A::const_size_or_zero}}},
  };
  for (const Entry& e : entries) r.replace(e.id, e.proto);
}

}  // namespace helpers
}  // namespace ubee
