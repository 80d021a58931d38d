// Function symbols of the objects this process has loaded, read from their files (.symtab and .dynsym), for
// resolve_function (attach.hpp) and for the bounds of the function a probe patches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ubee::attach {

struct FunctionRange {
  std::uintptr_t start = 0;  // run-time address
  std::uint64_t size = 0;    // 0 when the symbol gives none
  std::string name;
};

// The function symbol whose [start, start + size) holds `address`, from the file of the loaded object that
// maps it; nullopt when no object maps it or its files name no such function.
std::optional<FunctionRange> find_function(std::uintptr_t address);

}  // namespace ubee::attach
