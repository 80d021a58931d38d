// dlopen() interposed (the agent is preloaded, so its definition comes first): after the real dlopen() loads a
// library, the uprobes waiting for it are attached. Library constructors run inside the real dlopen(), before
// that: calls they make are not seen.
#include <dlfcn.h>

#include "agent.hpp"

extern "C" __attribute__((visibility("default"))) void* dlopen(const char* file, int mode) {
  using DlopenFn = void* (*)(const char*, int);
  static const auto real = reinterpret_cast<DlopenFn>(dlsym(RTLD_NEXT, "dlopen"));
  void* handle = real != nullptr ? real(file, mode) : nullptr;
  if (handle != nullptr) ubee::agent::after_dlopen();
  return handle;
}
