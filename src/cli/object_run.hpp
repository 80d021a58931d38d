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
  // Objects are verified on open, then run on the JIT ("jit", the default on x86-64) or the interpreter
  // ("interp"); `unverified` skips the verifier and runs the checked interpreter instead.
  std::string engine;
  bool unverified = false;
};

void run_object(const ObjectRunArgs& args);

}  // namespace ubee::cli
