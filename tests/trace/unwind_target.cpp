// A target whose probed frames are left without returning: by longjmp, and by C++ exceptions. Each round
// goes six probed frames deep, leaves them all at once, then calls after() whose return the uretprobe must
// still see with the right value (the shadow return stack survives the frames that never returned).
// usage: unwind_target longjmp|throw ROUNDS
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern "C" {
long descend_and_jump(std::jmp_buf* buffer, long depth);
long descend_and_throw(long depth);
long after(long round);
}

// Recursion through volatile pointers, and work after each call, so that every level keeps a frame of its own
// (no tail call, no loop) at every optimisation level.
long (*volatile jump_again)(std::jmp_buf*, long) = descend_and_jump;
long (*volatile throw_again)(long) = descend_and_throw;

extern "C" __attribute__((noipa)) long descend_and_jump(std::jmp_buf* buffer, long depth) {
  if (depth == 0) std::longjmp(*buffer, 1);
  const long r = jump_again(buffer, depth - 1);
  return r + 1;
}

extern "C" __attribute__((noipa)) long descend_and_throw(long depth) {
  if (depth == 0) throw std::runtime_error("bottom");
  const long r = throw_again(depth - 1);
  return r + 1;
}

extern "C" __attribute__((noipa)) long after(long round) { return round * 2 + 1; }

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s longjmp|throw ROUNDS\n", argv[0]);
    return 2;
  }
  const long rounds = std::atol(argv[2]);
  const bool jump = std::strcmp(argv[1], "longjmp") == 0;
  long sum = 0, left = 0;
  for (long round = 0; round < rounds; ++round) {
    if (jump) {
      std::jmp_buf buffer;
      if (setjmp(buffer) == 0) descend_and_jump(&buffer, 5);
      else ++left;
    } else {
      try {
        descend_and_throw(5);
      } catch (const std::runtime_error& e) {
        left += std::strcmp(e.what(), "bottom") == 0;
      }
    }
    sum += after(round);
  }
  std::printf("%s: left %ld times, sum %ld\n", argv[1], left, sum);
  return 0;
}
