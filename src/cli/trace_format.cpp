#include "trace_format.hpp"

#include <fmt/core.h>

#include <cstring>

namespace ubee::cli {
namespace {

struct Conversion {
  std::size_t length = 0;  // characters of the format it spans, '%' included
  char kind = 0;           // 'd', 'u', 'x', 'c', 'p', 's', '%'; 0 when unknown
  unsigned size = 4;       // integer bytes
  std::size_t width = 0;   // %Ns
  bool prefix = false;     // %p: 0x...
};

Conversion parse(const std::string& f, std::size_t at) {
  Conversion c;
  std::size_t i = at + 1;
  while (i < f.size() && f[i] >= '0' && f[i] <= '9') c.width = c.width * 10 + static_cast<std::size_t>(f[i++] - '0');
  if (f.compare(i, 2, "hh") == 0) c.size = 1, i += 2;
  else if (f.compare(i, 2, "ll") == 0) c.size = 8, i += 2;
  else if (i < f.size() && f[i] == 'h') c.size = 2, ++i;
  else if (i < f.size() && f[i] == 'l') c.size = 8, ++i;
  if (i >= f.size()) return c;
  const char k = f[i];
  c.length = i + 1 - at;
  if (k == 'd' || k == 'i') c.kind = 'd';
  else if (k == 'u' || k == 'x' || k == '%') c.kind = k;
  else if (k == 'c') c.kind = 'c', c.size = 1;
  else if (k == 'p') c.kind = 'x', c.size = 8;
  else if (k == 's') c.kind = 's';
  c.prefix = k == 'p';
  return c;
}

std::string integer(const Conversion& c, std::span<const std::uint8_t> r, std::size_t& offset) {
  offset = (offset + c.size - 1) / c.size * c.size;
  if (offset + c.size > r.size()) {
    offset = r.size();
    return "?";
  }
  std::uint64_t u = 0;
  std::memcpy(&u, r.data() + offset, c.size);
  offset += c.size;
  const unsigned bits = c.size * 8;
  if (c.kind == 'c') return std::string(1, static_cast<char>(u));
  if (c.kind == 'x') return fmt::format("{}{:x}", c.prefix ? "0x" : "", u);
  if (c.kind == 'u') return fmt::format("{}", u);
  const std::int64_t s = bits == 64 ? static_cast<std::int64_t>(u)
                                    : static_cast<std::int64_t>(u << (64 - bits)) >> (64 - bits);
  return fmt::format("{}", s);
}

std::string string(const Conversion& c, std::span<const std::uint8_t> r, std::size_t& offset) {
  if (offset >= r.size()) return "?";
  const std::size_t avail = r.size() - offset;
  const std::size_t span = c.width ? std::min(c.width, avail) : avail;
  const auto* begin = reinterpret_cast<const char*>(r.data() + offset);
  const auto* nul = static_cast<const char*>(std::memchr(begin, 0, span));
  const std::size_t len = nul ? static_cast<std::size_t>(nul - begin) : span;
  offset += c.width ? span : std::min(avail, len + 1);
  return std::string(begin, len);
}

}  // namespace

Result<void> check_record_format(const std::string& format) {
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    const Conversion c = parse(format, i);
    if (c.kind == 0) return make_error(Errc::invalid_argument, "--format: unknown conversion at '" + format.substr(i) + "'");
    i += c.length - 1;
  }
  return {};
}

std::string format_record(const std::string& format, std::span<const std::uint8_t> record) {
  std::string out;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    const Conversion c = parse(format, i);
    if (c.kind == 0) break;
    i += c.length - 1;
    if (c.kind == '%') out += '%';
    else if (c.kind == 's') out += string(c, record, offset);
    else out += integer(c, record, offset);
  }
  return out;
}

}  // namespace ubee::cli
