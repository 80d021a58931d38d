// The process tests inject into: it sleeps in short steps until the file argv[1] exists, then exits with 23,
// its own code, which the test checks to see that injection left it running normally.
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const struct timespec step = {0, 2000000};
  for (int i = 0; i < 30000 && access(argv[1], F_OK) != 0; ++i) nanosleep(&step, NULL);
  return 23;
}
