#!/usr/bin/env bash
# `ubee trace` with BPF_USDT programs (tests/usdt/usdt_args.bpf.c) on tests/usdt/usdt_target.c: every argument
# exactly as the sites passed it (immediates, registers, stack memory), the semaphore-guarded probe firing only
# because the agent raised its semaphore, and the target's exit status unchanged; then the same with --pid.
# usage: usdt_trace_test.sh UBEE USDT_TARGET USDT_ARGS_OBJECT
set -u
ubee=$(realpath "$1")
target=$(realpath "$2")
object=$(realpath "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

failed() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() {  # expect NAME FILE REGEX: a line of FILE matches REGEX
  grep -qE -- "$3" "$2" || failed "$1: no line matching '$3' in: $(head -c 3000 "$2")"
}

if ldd "$ubee" | grep -q libasan; then
  echo "SKIP: sanitizer build: the agent's hooks run inside uninstrumented targets (as trace.end_to_end)"
  exit 77
fi
if ! "$ubee" trace --help > /dev/null 2>&1; then
  echo "SKIP: this ubee has no trace command"
  exit 77
fi

# 3 rounds: each probe fires 3 times. usdt.bpf.h's programs are verified and run on the JIT.
"$ubee" trace "$object" -- "$target" 3 > "$work/out" 2>&1
status=$?
[ "$status" -eq 0 ] || failed "exit status $status, want the target's 0: $(head -c 3000 "$work/out")"
expect "constants" "$work/out" '\] constants 5 -7 200$'
expect "registers" "$work/out" '\] registers -42 1099511627776 65000$'
expect "memory" "$work/out" '\] memory -123456 -5000000000$'
expect "guarded (semaphore raised)" "$work/out" '\] guarded 77$'
count=$(grep -cE '\] (constants|registers|memory|guarded) ' "$work/out")
[ "$count" -eq 12 ] || failed "$count probe lines, want 12 (4 probes x 3 rounds): $(head -c 3000 "$work/out")"

# --pid: the agent injected into a running process (ptrace) attaches the same programs; Ctrl-C ends the trace and
# the process carries on. Skipped where ptrace is refused.
"$target" 1000000000 > /dev/null 2>&1 &
running=$!
sleep 0.3
timeout --preserve-status -s INT 3 "$ubee" trace --pid "$running" "$object" > "$work/pid.out" 2>&1
if grep -q "ptrace not permitted" "$work/pid.out"; then
  echo "(--pid: skipped, ptrace not permitted)"
else
  expect "--pid: registers" "$work/pid.out" "^\[$running\] registers -42 1099511627776 65000$"
  expect "--pid: guarded (semaphore raised)" "$work/pid.out" "^\[$running\] guarded 77$"
  kill -0 "$running" 2> /dev/null || failed "--pid: the process did not survive the trace"
fi
kill "$running" 2> /dev/null
wait "$running" 2> /dev/null

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "usdt trace: all checks passed"
