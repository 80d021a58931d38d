// The program `ubee trace` traces in tests: each mode calls its functions a known number of times, prints a
// known result, and exits with a known status, so that the trace's counts and the program's own behaviour can
// both be checked exactly. Built with -O1 -fno-inline so every call is a real call to a probed function.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// The probed functions. `noipa` keeps each call a call (no inlining, cloning or constant propagation).
__attribute__((noipa)) long work(long x) { return x * 3 + 1; }
__attribute__((noipa)) long add_pair(long a, long b) { return a + b; }
__attribute__((noipa)) long recurse(long n) { return n <= 0 ? 0 : 1 + recurse(n - 1); }
volatile long sink;  // keeps emit() longer than the 5 bytes a probe patches
__attribute__((noipa)) void emit(const char* word, long n) { sink = n + word[0]; }

// openat through a raw `syscall` instruction, not libc's wrapper: the syscall interception must see it too.
static long raw_openat(const char* path) {
  long ret;
  register long r10 __asm__("r10") = 0;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path), "d"((long)O_RDONLY), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}

static int calls(long n) {
  long sum = 0;
  for (long i = 0; i < n; ++i) sum += work(i);
  printf("calls %ld sum %ld\n", n, sum);
  return 0;
}

static void* thread_body(void* arg) {
  long n = (long)arg, sum = 0;
  for (long i = 0; i < n; ++i) sum += work(i);
  return (void*)sum;
}

// 8 threads, `total` calls in all.
static int threads(long total) {
  pthread_t t[8];
  for (int i = 0; i < 8; ++i) pthread_create(&t[i], NULL, thread_body, (void*)(total / 8));
  for (int i = 0; i < 8; ++i) pthread_join(t[i], NULL);
  printf("threads done\n");
  return 0;
}

// The parent calls work() 3 times, its child 5 times.
static int forked(void) {
  for (int i = 0; i < 3; ++i) work(i);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < 5; ++i) work(i);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child status %d\n", WEXITSTATUS(status));
  return 0;
}

static int opens(const char* dir) {
  char a[512], b[512];
  snprintf(a, sizeof a, "%s/trace-open-libc", dir);
  snprintf(b, sizeof b, "%s/trace-open-raw", dir);
  int fd = open(a, O_RDONLY);  // libc: openat(AT_FDCWD, a, ...)
  long raw = raw_openat(b);
  printf("open %d raw %d\n", fd >= 0, raw >= 0);
  return 0;
}

static int dlopened(const char* library) {
  void* handle = dlopen(library, RTLD_NOW);
  if (handle == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  long (*lib_twice)(long) = (long (*)(long))dlsym(handle, "lib_twice");
  long sum = 0;
  for (long i = 0; i < 7; ++i) sum += lib_twice(i);
  printf("lib sum %ld\n", sum);
  return 0;
}

static int args(void) {
  long total = add_pair(2, 40) + add_pair(-5, 7);
  emit("hello", 1);
  emit("world", 2);
  printf("args total %ld\n", total);
  return 0;
}

// Waits for a line on standard input (the test injects the agent meanwhile), then calls work() n times.
static int after_input(long n) {
  char line[64];
  if (fgets(line, sizeof line, stdin) == NULL) return 3;
  return calls(n);
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "calls";
  const char* arg = argc > 2 ? argv[2] : "10";
  int status = 0;
  if (strcmp(mode, "calls") == 0) status = calls(atol(arg));
  else if (strcmp(mode, "recurse") == 0) printf("depth %ld\n", recurse(atol(arg)));
  else if (strcmp(mode, "threads") == 0) status = threads(atol(arg));
  else if (strcmp(mode, "fork") == 0) status = forked();
  else if (strcmp(mode, "open") == 0) status = opens(arg);
  else if (strcmp(mode, "dlopen") == 0) status = dlopened(arg);
  else if (strcmp(mode, "args") == 0) status = args();
  else if (strcmp(mode, "stdin") == 0) status = after_input(atol(arg));
  else status = 64;
  // A known exit status the trace must not change.
  return status != 0 ? status : (argc > 3 ? atoi(argv[3]) : 0);
}
