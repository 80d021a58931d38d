// Errors and results: every fallible call in ubee returns a Result<T> carrying either a value or an Error that
// names what failed and where (the instruction index, the source line), as libbpf and the kernel's log do.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ubee {

enum class Errc {
  invalid_argument,  // a caller passed something unusable
  invalid_program,   // bytecode that breaks the ISA's encoding rules
  parse_error,       // assembly text that does not parse
  memory_fault,      // checked mode caught an access outside the allowed regions
  unknown_helper,    // a call to a helper id nobody registered
  call_depth,        // local calls nested deeper than the ISA allows
  io,                // a file could not be read or written
  unsupported,       // valid, but not something this build implements
  not_found,         // a name (symbol, file, map, program) that does not exist (yet)
  permission_denied, // the system refused (ptrace, mprotect, a kernel setting)
};

struct Error {
  Errc code = Errc::invalid_argument;
  std::string message;
  std::optional<std::size_t> insn;  // index of the instruction concerned
  std::optional<std::size_t> line;  // 1-based source line (assembler)
  std::optional<std::size_t> column;

  // "insn 17: message", "line 3, column 5: message", or the bare message.
  [[nodiscard]] std::string to_string() const;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message), {}, {}, {}}; }
inline Error insn_error(Errc code, std::size_t insn, std::string message) {
  return Error{code, std::move(message), insn, {}, {}};
}

// A value or an Error (C++20 has no std::expected). Accessing the wrong alternative is a programming error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace ubee
