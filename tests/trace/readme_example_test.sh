#!/usr/bin/env bash
# The README's first command: `ubee trace` on the bundled example. Every top-level call of compute() (n = 1..27)
# must land in exactly one bucket of the latency histogram, and the program's own output must be unchanged.
# usage: readme_example_test.sh UBEE FIB_CALLS FUNC_LATENCY_OBJECT
set -u
ubee=$1 target=$2 object=$3
[ -f "$object" ] || { echo "SKIP: $object was not built (no clang)"; exit 77; }
if ldd "$ubee" | grep -q libasan; then echo "SKIP: sanitizer build (see trace_test.sh)"; exit 77; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$ubee" trace -o "$out" "$object" -- "$target" > "$out.program" 2>&1
status=$?
program_output=$(cat "$out.program"); rm -f "$out.program"
fail=0
[ "$status" -eq 0 ] || { echo "FAIL: exit status $status"; fail=1; }
[ "$program_output" = "sum of fib(1..27) = 514228" ] || { echo "FAIL: program output: $program_output"; fail=1; }
# Sum the histogram's values: the formatted lines under map 'latency_log2_ns'.
calls=$(awk '/^map /{in_hist = ($2 == "'"'"'latency_log2_ns'"'"':")} in_hist && /^  \{"key":/{
          sub(/.*"value":/, ""); sub(/\}$/, ""); sum += $0} END{print sum + 0}' "$out")
[ "$calls" = 27 ] || { echo "FAIL: $calls calls in the histogram, want 27"; cat "$out"; fail=1; }
grep -q "compute_return: uretprobe//proc/self/exe:compute (jit)" "$out" || { echo "FAIL: not on the JIT"; cat "$out"; fail=1; }
[ "$fail" -eq 0 ] && echo "PASS: 27 calls timed, output and status unchanged"
exit "$fail"
