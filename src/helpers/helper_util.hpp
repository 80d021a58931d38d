// What the helper implementations share: argument checks for unverified programs and error codes.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "ubee/helpers.hpp"
#include "ubee/maps.hpp"

namespace ubee::helpers {

// Helpers return negative errno values in a u64, as the kernel's do.
inline std::uint64_t err(int e) { return static_cast<std::uint64_t>(-static_cast<std::int64_t>(e)); }

template <class T = void>
T* ptr(std::uint64_t v) {
  return reinterpret_cast<T*>(v);
}

// The map argument, or null (with the run aborted) when an unverified program passed something else.
inline Map* map_arg(std::uint64_t v, RunContext& context) {
  if (context.checked() && !is_live_map(ptr(v))) {
    context.abort(make_error(Errc::invalid_argument, "helper argument is not a map"));
    return nullptr;
  }
  return ptr<Map>(v);
}

// Whether [v, v + size) may be read (or written) by the helper for the program; aborts the run when not.
inline bool mem_arg(std::uint64_t v, std::uint64_t size, bool write, RunContext& context) {
  if (context.accessible(ptr(v), size, write)) return true;
  context.abort(make_error(Errc::memory_fault, std::string("helper ") + (write ? "write" : "read") + " of " +
                                                   std::to_string(size) + " bytes outside the program's memory"));
  return false;
}

// Registration in one line per helper: name, function, return type, argument types.
struct Entry {
  std::uint32_t id;
  HelperProto proto;
};

}  // namespace ubee::helpers
