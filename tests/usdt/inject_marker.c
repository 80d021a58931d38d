// Loaded into a running process by inject_agent() in the tests: its constructor writes "<pid>\n" into the file
// named by the process's UBEE_INJECT_MARKER variable, proof that dlopen ran it inside that process.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void write_marker(void) {
  const char* path = getenv("UBEE_INJECT_MARKER");
  if (path == NULL) return;
  FILE* f = fopen(path, "w");
  if (f == NULL) return;
  fprintf(f, "%d\n", (int)getpid());
  fclose(f);
}
