// `ubee run` on an ELF object, shared by the run command and the object commands.
#pragma once

#include <cstdint>
#include <string>

#include "ubee/object.hpp"

namespace ubee::cli {

struct ObjectRunArgs {
  std::string path;
  std::string program;
  std::string data_in, ctx_in, data_out, ctx_out;
  std::uint32_t repeat = 1;
  bool dump_maps = false;
  bool json = false;
  std::string engine = "interp";  // interp: the checked interpreter; jit: unchecked native code (trusted objects)
};

void run_object(const ObjectRunArgs& args);

}  // namespace ubee::cli
