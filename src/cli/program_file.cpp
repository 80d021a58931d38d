#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>

#include "cli.hpp"
#include "ubee/asm.hpp"

namespace ubee::cli {

void fail(const Error& error) { throw Failure{error.to_string()}; }
void fail(std::string message) { throw Failure{std::move(message)}; }

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

Error io_error(const std::string& path, const char* what) {
  return make_error(Errc::io, "cannot " + std::string(what) + " '" + path + "': " + std::strerror(errno));
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<std::vector<std::uint8_t>> read_file(const std::string& path) {
  File owned;
  std::FILE* f = stdin;
  if (path != "-") {
    owned.reset(std::fopen(path.c_str(), "rb"));
    if (!owned) return io_error(path, "open");
    f = owned.get();
  }
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  if (std::ferror(f)) return io_error(path, "read");
  return bytes;
}

Result<void> write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  File f(std::fopen(path.c_str(), "wb"));
  if (!f) return io_error(path, "create");
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
    return io_error(path, "write");
  return {};
}

Result<Program> load_program_file(const std::string& path, ProgramFormat format, const ValidateOptions& options) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  static constexpr std::uint8_t kElfMagic[] = {0x7f, 'E', 'L', 'F'};
  if (bytes->size() >= 4 && std::memcmp(bytes->data(), kElfMagic, 4) == 0)
    return make_error(Errc::unsupported, "'" + path + "' is an ELF object; this build runs raw bytecode and assembly only");
  if (format == ProgramFormat::by_extension)
    format = ends_with(path, ".s") || ends_with(path, ".asm") ? ProgramFormat::text : ProgramFormat::bytecode;
  if (format == ProgramFormat::text) {
    auto program = assemble(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!program) return Error{program.error().code, "'" + path + "': " + program.error().to_string(), {}, {}, {}};
    if (auto r = validate(*program, options); !r) return r.error();
    return program;
  }
  return decode(*bytes, options);
}

}  // namespace ubee::cli
