#!/usr/bin/env bash
# What tracing costs per call: a function call and a system call (getppid), untraced, traced by `ubee trace`
# (in-process probes running eBPF programs: empty and counting, on entry and on return) and, where the kernel
# allows it (root, bpftrace installed), traced by the kernel's uprobes and tracepoints through bpftrace.
# Prints one table: ns per call (best of ROUNDS runs), the cost over the untraced call, and ubee / kernel.
#
# usage: bench/trace_bench.sh [BUILD_DIR] [ROUNDS]     (BUILD_DIR default: build; needs ubee, libubee-agent.so,
#        bench/trace_bench_target and bench/trace_bench.o: `cmake --build BUILD_DIR --target ubee_cli trace_bench_target trace_bench_bpf`)
set -u
build=$(realpath "${1:-build}")
rounds=${2:-3}
ubee="$build/ubee"
target="$build/bench/trace_bench_target"
object="$build/bench/trace_bench.o"
for f in "$ubee" "$target" "$object"; do
  [ -e "$f" ] || { echo "trace_bench: $f is missing (build it first)" >&2; exit 1; }
done
# The kernel's syscall tracepoints need tracefs; mount it where we may and it is absent (skipped otherwise).
if [ "$(id -u)" = 0 ] && [ ! -d /sys/kernel/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing 2> /dev/null || true
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
notes="$work/notes"
: > "$notes"

calls_fast=2000000   # untraced and ubee-traced runs
calls_kernel=200000  # kernel uprobes cost microseconds each

# best_of CMD...: the lowest ns_per_call the command's output reports over $rounds runs ("" when it failed).
best_of() {
  local best="" v
  for _ in $(seq "$rounds"); do
    v=$("$@" 2> "$work/err" | grep -oE 'ns_per_call [0-9.]+' | awk '{print $2}')
    if [ -z "$v" ]; then  # noted under the table: why a cell is n/a
      echo "- no result from \`$*\`: $(grep -v RLIMIT_MEMLOCK "$work/err" | grep -m1 -E 'ERROR|error' | head -c 200)" >> "$notes"
      echo ""
      return
    fi
    if [ -z "$best" ] || awk "BEGIN{exit !($v < $best)}"; then best=$v; fi
  done
  echo "$best"
}

ubee_run() {  # ubee_run PROGRAM MODE N
  best_of "$ubee" trace -o "$work/ubee.out" --program "$1" "$object" -- "$target" "$2" "$3"
}

kernel_ok=0
if [ "$(id -u)" -eq 0 ] && command -v bpftrace > /dev/null; then kernel_ok=1; fi
kernel_run() {  # kernel_run BPFTRACE_PROGRAM MODE N
  if [ "$kernel_ok" -eq 1 ]; then best_of bpftrace -e "$1" -c "$target $2 $3"; else echo ""; fi
}

probe="uprobe:$target:bench_function"
retprobe="uretprobe:$target:bench_function"
base_call=$(best_of "$target" call "$calls_fast")
base_sys=$(best_of "$target" syscall "$calls_fast")

row() {  # row LABEL BASE UBEE_NS KERNEL_NS
  awk -v label="$1" -v base="$2" -v u="$3" -v k="$4" 'BEGIN {
    us = (u == "") ? "n/a" : sprintf("%.1f", u)
    cost = (u == "" || base == "") ? "" : sprintf("%+.1f", u - base)
    ks = (k == "") ? "n/a" : sprintf("%.1f", k)
    kcost = (k == "" || base == "") ? "" : sprintf("%+.1f", k - base)
    ratio = (u == "" || k == "" || k - base <= 0) ? "" : sprintf("%.3f", (u - base) / (k - base))
    printf "| %-34s | %10s | %9s | %10s | %10s | %14s |\n", label, us, cost, ks, kcost, ratio
  }'
}

echo "ns per call, best of $rounds runs ($(nproc) CPUs, $(uname -r)); cost = over the untraced call;"
echo "ratio = ubee's cost / the kernel's cost (kernel: bpftrace $(bpftrace --version 2>/dev/null | awk '{print $2}'))"
echo
printf "| %-34s | %10s | %9s | %10s | %10s | %14s |\n" "case" "ubee ns" "cost" "kernel ns" "cost" "ubee / kernel"
printf "|%s|%s|%s|%s|%s|%s|\n" "------------------------------------" "-----------:" "----------:" "-----------:" "-----------:" "---------------:"
row "function call, no probe" "$base_call" "$base_call" "$base_call"
row "uprobe, empty program" "$base_call" "$(ubee_run entry_empty call $calls_fast)" \
    "$(kernel_run "$probe { \$x = 1; }" call $calls_kernel)"
row "uprobe, counting program" "$base_call" "$(ubee_run entry_count call $calls_fast)" \
    "$(kernel_run "$probe { @hits = count(); }" call $calls_kernel)"
row "uretprobe, empty program" "$base_call" "$(ubee_run return_empty call $calls_fast)" \
    "$(kernel_run "$retprobe { \$x = 1; }" call $calls_kernel)"
row "uretprobe, counting program" "$base_call" "$(ubee_run return_count call $calls_fast)" \
    "$(kernel_run "$retprobe { @hits = count(); }" call $calls_kernel)"
row "getppid(), untraced" "$base_sys" "$base_sys" "$base_sys"
row "getppid(), sys_enter counting" "$base_sys" "$(ubee_run getppid_count syscall $calls_fast)" \
    "$(kernel_run "tracepoint:syscalls:sys_enter_getppid { @hits = count(); }" syscall $calls_fast)"
[ "$kernel_ok" -eq 1 ] || echo "- kernel columns n/a: they need root and bpftrace" >> "$notes"
if [ -s "$notes" ]; then
  echo
  cat "$notes"
fi
