// The system's libasmjit.a (the JIT's assembler) is built as position-independent *executable* code: it reads
// libc's `stderr` with a PC-relative relocation, which a shared object cannot resolve against another library.
// It is its only such reference. The agent therefore carries its own hidden `stderr`, bound at link time,
// holding libc's value. (No <stdio.h> here: it declares stderr with default visibility.)
#include <dlfcn.h>

struct _IO_FILE;

extern "C" {
__attribute__((visibility("hidden"))) _IO_FILE* stderr = nullptr;
}

namespace {

// Before any other constructor of the agent, which may print.
__attribute__((constructor(101))) void bind_libc_stderr() {
  if (auto* libc_stderr = static_cast<_IO_FILE**>(dlsym(RTLD_DEFAULT, "stderr")); libc_stderr != nullptr)
    stderr = *libc_stderr;
}

}  // namespace
