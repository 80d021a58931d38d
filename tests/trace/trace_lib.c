// A library the test target dlopen()s: its function is probed only once it is loaded.
__attribute__((noipa)) long lib_twice(long x) { return 2 * x; }
