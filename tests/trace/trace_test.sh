#!/usr/bin/env bash
# `ubee trace` end to end on real processes: exact counts, arguments, return values, syscalls (raw `syscall`
# instructions included), threads, fork, dlopen, recursion, the target's output and exit status unchanged,
# clear errors, and an unprivileged run.
# usage: trace_test.sh UBEE TRACE_TARGET TRACE_LIB BPF_DIR
set -u
ubee=$(realpath "$1")
target=$(realpath "$2")
lib=$(realpath "$3")
bpf=$(realpath "$4")
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

pass() { passes=$((passes + 1)); }
failed() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect NAME FILE LINE: FILE holds LINE exactly (a whole line).
expect() {
  if grep -qxF -- "$3" "$2"; then pass; else failed "$1: no line '$3' in: $(head -c 3000 "$2")"; fi
}
expect_status() {  # expect_status NAME WANT GOT
  if [ "$2" -eq "$3" ]; then pass; else failed "$1: exit status $3, want $2"; fi
}
# The value of key K in the map dump of FILE (the formatted line bpftool prints under each entry).
value_of() { grep -oE "^  \{\"key\":$2,\"value\":[0-9]+\}$" "$1" | grep -oE '[0-9]+\}$' | tr -d '}'; }
expect_value() {  # expect_value NAME FILE KEY WANT
  local got
  got=$(value_of "$2" "$3")
  if [ "$got" = "$4" ]; then pass; else failed "$1: key $3 = '$got', want $4"; fi
}

if [ ! -f "$bpf/counts.o" ]; then
  echo "SKIP: the eBPF test programs were not built (no clang)"
  exit 77
fi
# An uninstrumented target cannot host an ASan agent unless the sanitizer runtimes are preloaded, which the CLI
# does; but Syscall User Dispatch and inline probes under ASan's own interceptors are not supported.
if ldd "$ubee" | grep -q libasan; then
  echo "SKIP: sanitizer build: the agent's hooks run inside uninstrumented targets"
  exit 77
fi

# ---- uprobes: calls counted exactly; the target's stdout and exit status as untraced.
"$target" calls 1000 7 > "$work/plain.out" 2> "$work/plain.err"
plain_status=$?
"$ubee" trace -o "$work/t.out" "$bpf/counts.o" -- "$target" calls 1000 7 > "$work/traced.out" 2> "$work/traced.err"
status=$?
expect_status "calls: exit status unchanged" "$plain_status" "$status"
expect_status "calls: exit status is the target's" 7 "$status"
if cmp -s "$work/plain.out" "$work/traced.out" && cmp -s "$work/plain.err" "$work/traced.err"; then pass
else failed "calls: the target's output changed: $(cat "$work/traced.out" "$work/traced.err")"; fi
expect_value "calls: work()" "$work/t.out" 0 1000
expect_value "calls: recurse() untouched" "$work/t.out" 1 0
expect "calls: attached on the JIT" "$work/t.out" "ubee: pid $(grep -oE 'pid [0-9]+' "$work/t.out" | head -1 | cut -d' ' -f2): count_work: uprobe//proc/self/exe:work (jit)"

# ---- recursion: entry and return probes fire once per frame (depth 9: 10 calls).
"$ubee" trace "$bpf/counts.o" -- "$target" recurse 9 > "$work/r.out" 2>&1
expect "recurse: target output" "$work/r.out" "depth 9"
expect_value "recurse: entries" "$work/r.out" 1 10
expect_value "recurse: returns" "$work/r.out" 2 10

# ---- frames left without returning, 50 rounds of 6: by longjmp, then by a C++ exception. Their uretprobes never
# fire (as in the kernel), and the return probe of after(), called next, sees every return with its value.
unwind="$(dirname "$target")/unwind_target"
for how in longjmp throw; do
  "$unwind" "$how" 50 > "$work/u.plain" 2>&1
  "$ubee" trace -o "$work/u.out" "$bpf/unwind.o" -- "$unwind" "$how" 50 > "$work/u.traced" 2>&1
  expect_status "$how: exit status" 0 $?
  if cmp -s "$work/u.plain" "$work/u.traced"; then pass; else failed "$how: output changed: $(cat "$work/u.traced")"; fi
  expect "$how: target output" "$work/u.traced" "$how: left 50 times, sum 2500"
  expect_value "$how: entries" "$work/u.out" 0 300
  expect_value "$how: no return from the frames left" "$work/u.out" 1 0
  expect_value "$how: after() returns" "$work/u.out" 2 50
  expect_value "$how: after() return values" "$work/u.out" 3 2500
done

# ---- 8 threads, 1,000,000 calls in all: no count lost.
"$ubee" trace "$bpf/counts.o" -- "$target" threads 1000000 > "$work/th.out" 2>&1
expect_value "threads: every call counted" "$work/th.out" 0 1000000

# ---- fork: the child keeps the probes (3 calls in the parent, 5 in the child).
"$ubee" trace "$bpf/counts.o" -- "$target" fork > "$work/f.out" 2>&1
expect "fork: child ran" "$work/f.out" "child status 0"
expect_value "fork: parent and child calls" "$work/f.out" 0 8

# ---- dlopen: the library's probe waits for it, then counts its 7 calls.
"$ubee" trace "$bpf/counts.o" -- "$target" dlopen "$lib" > "$work/d.out" 2>&1
expect "dlopen: target output" "$work/d.out" "lib sum 42"
expect_value "dlopen: library function calls" "$work/d.out" 3 7
if grep -qE '^ubee: pid [0-9]+: count_lib_twice: uprobe/libtrace_lib.so:lib_twice$' "$work/d.out"; then pass
else failed "dlopen: no late attachment reported: $(cat "$work/d.out")"; fi

# ---- exec'd children: through a shell, each exec'd target's agent attaches the probe (a path relative to
# ubee's directory); the shell's exit status is the last command's.
(cd "$(dirname "$target")" && "$ubee" trace "$bpf/exec_counts.o" -- sh -c './trace_target calls 4; ./trace_target calls 3 2') > "$work/e.out" 2>&1
expect_status "exec: status" 2 $?
expect_value "exec: calls in both exec'd targets" "$work/e.out" 0 7

# ---- arguments and return values: ring buffer records through --format, and bpf_printk lines.
"$ubee" trace -o "$work/a.out" --format '%u %ld %ld %16s' "$bpf/args.o" -- "$target" args > "$work/a.target" 2>&1
expect "args: target output" "$work/a.target" "args total 44"
expect "args: add_pair(2, 40) entry" "$work/a.out" "1 2 40 "
expect "args: add_pair(2, 40) return" "$work/a.out" "2 42 0 "
expect "args: add_pair(-5, 7) entry" "$work/a.out" "1 -5 7 "
expect "args: add_pair(-5, 7) return" "$work/a.out" "2 2 0 "
expect "args: emit string argument" "$work/a.out" "3 1 0 hello"
expect "args: emit second call" "$work/a.out" "3 2 0 world"
pid=$(grep -oE '^ubee: pid [0-9]+' "$work/a.out" | head -1 | cut -d' ' -f3)
expect "args: printk line" "$work/a.out" "[$pid] add_pair(2, 40)"
expect "args: printk negative" "$work/a.out" "[$pid] add_pair(-5, 7)"
# Without --format: the record's bytes (kind 3, n 2, "world").
"$ubee" trace --program on_emit "$bpf/args.o" -- "$target" args > "$work/hex.out" 2>&1
expect "args: hex record" "$work/hex.out" "events: 03 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 77 6f 72 6c 64 00 00 00 00 00 00 00 00 00 00 00"
# JSON lines: the exit record carries the target's status.
"$ubee" trace --json -o "$work/j.out" "$bpf/counts.o" -- "$target" calls 5 3 > /dev/null 2>&1
expect "json: exit record" "$work/j.out" '{"code":3,"type":"exit"}'
if jq -s -e '[.[] | select(.type=="maps")][0].maps.calls[0].formatted.value == 5' "$work/j.out" > /dev/null 2>&1; then pass
else failed "json: maps record: $(cat "$work/j.out")"; fi

# ---- perf buffers: one sample per call, in call order (one thread: one CPU slot at a time).
"$ubee" trace -o "$work/p.out" --format '%x %u' "$bpf/perf.o" -- "$target" calls 3 > /dev/null 2>&1
samples=$(grep -c '^abcd ' "$work/p.out")
if [ "$samples" = 3 ]; then pass; else failed "perf: $samples samples, want 3: $(cat "$work/p.out")"; fi
expect "perf: first sample" "$work/p.out" "abcd 0"
expect "perf: last sample" "$work/p.out" "abcd 2"

# ---- --unverified: uprobes on the checked interpreter count the same.
"$ubee" trace --unverified "$bpf/counts.o" -- "$target" calls 250 > "$work/u.out" 2>/dev/null
expect_value "unverified: work()" "$work/u.out" 0 250
if grep -qE '^ubee: pid [0-9]+: count_work: uprobe//proc/self/exe:work \(checked interpreter\)$' "$work/u.out"; then pass
else failed "unverified: engine not reported: $(head -3 "$work/u.out")"; fi

# ---- bpf_get_attach_cookie (0 for a program attached by its section: it stores 100 + cookie) and the
# LINUX_HAS_BPF_COOKIE kconfig extern (1).
"$ubee" trace "$bpf/cookie.o" -- "$target" calls 2 > "$work/c.out" 2>/dev/null
expect_value "cookie: LINUX_HAS_BPF_COOKIE" "$work/c.out" 0 1
expect_value "cookie: bpf_get_attach_cookie" "$work/c.out" 1 100

# ---- tail calls through a program array, from JIT'ed code.
"$ubee" trace "$bpf/tailcall.o" -- "$target" calls 9 > "$work/tc.out" 2>/dev/null
expect_value "tail call: target ran" "$work/tc.out" 0 9
expect_value "tail call: no fall-through" "$work/tc.out" 1 0

# ---- a command killed by a signal: ubee's status is the shell's 128 + signal.
"$ubee" trace "$bpf/opens.o" -- sh -c 'kill -KILL $$' > /dev/null 2>&1
expect_status "signal: 128 + SIGKILL" 137 $?

# ---- syscalls: every openat with its path, the raw `syscall` instruction's included.
touch "$work/trace-open-libc" "$work/trace-open-raw"
"$ubee" trace -o "$work/o.out" --format '%s' "$bpf/opens.o" -- "$target" open "$work" > "$work/o.target" 2> "$work/o.err"
expect "open: target output" "$work/o.target" "open 1 raw 1"
expect "open: libc openat path" "$work/o.out" "$work/trace-open-libc"
expect "open: raw syscall openat path" "$work/o.out" "$work/trace-open-raw"
expect_value "open: sys_enter_openat" "$work/o.out" 0 2
expect_value "open: sys_exit_openat succeeded" "$work/o.out" 1 2
expect_value "open: raw sys_enter openat" "$work/o.out" 2 2
if grep -qE '^ubee: pid [0-9]+: on_openat: tracepoint/syscalls/sys_enter_openat \(jit\)$' "$work/o.out"; then pass
else failed "open: the tracepoint program is not on the JIT: $(head -5 "$work/o.out")"; fi

# ---- /bin/ls: every openat it makes after start-up, counted three ways alike, and its output unchanged.
if [ -x /bin/ls ]; then
  /bin/ls / > "$work/ls.plain"
  "$ubee" trace --unverified -o "$work/ls.out" "$bpf/opens.o" -- /bin/ls / > "$work/ls.traced" 2>/dev/null
  expect_status "ls: status" 0 $?
  if cmp -s "$work/ls.plain" "$work/ls.traced"; then pass; else failed "ls: output changed"; fi
  enter=$(value_of "$work/ls.out" 0)
  raw=$(value_of "$work/ls.out" 2)
  paths=$(grep -c '^paths: ' "$work/ls.out")
  if [ -n "$enter" ] && [ "$enter" -ge 1 ] && [ "$enter" = "$raw" ] && [ "$enter" = "$paths" ]; then pass
  else failed "ls: openat counts differ: enter '$enter', raw '$raw', records '$paths'"; fi
fi

# ---- python3: the file it opens is seen.
if [ -x /usr/bin/python3 ]; then
  "$ubee" trace --unverified -o "$work/py.out" --format '%s' "$bpf/opens.o" -- /usr/bin/python3 -c "open('$work/trace-open-libc').close()" 2>/dev/null
  expect_status "python3: status" 0 $?
  expect "python3: its open() seen" "$work/py.out" "$work/trace-open-libc"
fi

# ---- --pid: the agent injected into a running process (blocked in read()), which then calls work() 77 times;
# the trace ends when the process exits.
mkfifo "$work/in"
"$target" stdin 77 < "$work/in" > "$work/pid.target" 2>&1 &
tpid=$!
exec 3> "$work/in"
timeout 60 "$ubee" trace --pid "$tpid" "$bpf/counts.o" > "$work/pid.out" 2>&1 &
upid=$!
for _ in $(seq 100); do
  grep -q "count_work: uprobe//proc/self/exe:work (jit)" "$work/pid.out" 2> /dev/null && break
  kill -0 "$upid" 2> /dev/null || break
  sleep 0.1
done
echo go >&3
exec 3>&-
wait "$upid"
pid_status=$?
wait "$tpid"
if grep -q "ptrace not permitted" "$work/pid.out"; then
  echo "note: --pid skipped: $(cat "$work/pid.out")"
else
  expect_status "pid: ubee status" 0 "$pid_status"
  expect "pid: target output" "$work/pid.target" "calls 77 sum 8855"
  expect_value "pid: calls after injection" "$work/pid.out" 0 77
fi

# ---- errors: one clear line and a non-zero status, never a hang.
check_error() {  # check_error NAME FRAGMENT -- CMD...
  local name=$1 want=$2
  shift 3
  local out status
  out=$(timeout 60 "$@" 2>&1)
  status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [[ "$out" == *"$want"* ]]; then pass
  else failed "$name: status $status, output: $out (want: $want)"; fi
}
check_error "rejected program" "program 'read_past_regs' rejected by the verifier: insn 0: invalid bpf_context access off=400 size=8" \
  -- "$ubee" trace "$bpf/rejected.o" -- "$target" calls 1
check_error "unknown function" "program 'probe_missing' (uprobe//proc/self/exe:no_such_function)" \
  -- "$ubee" trace "$bpf/unknown.o" -- "$target" calls 1
check_error "missing object" "does not exist" -- "$ubee" trace "$work/missing.o" -- "$target"
check_error "missing command" "cannot run '$work/no-such-command'" -- "$ubee" trace "$bpf/counts.o" -- "$work/no-such-command"
check_error "unknown program" "no program named 'nope'" -- "$ubee" trace --program nope "$bpf/counts.o" -- "$target"
check_error "bad format" "--format: unknown conversion" -- "$ubee" trace --format '%q' "$bpf/args.o" -- "$target" args
check_error "pid and command" "give either a command to run (after --) or --pid PID" \
  -- "$ubee" trace --pid 1 "$bpf/counts.o" -- "$target"
check_error "no hook section" "has no program with a hook section" -- "$ubee" trace "$bpf/no_hooks.o" -- "$target"
# A static program never loads the agent: ubee says so when it exits (ldconfig is static on Debian).
if [ -x /sbin/ldconfig ] && ! ldd /sbin/ldconfig > /dev/null 2>&1; then
  check_error "static target" "exited with status 0 before an agent attached the programs" \
    -- "$ubee" trace "$bpf/counts.o" -- /sbin/ldconfig --version
fi
mkdir "$work/lonely" && cp "$ubee" "$work/lonely/ubee"
check_error "agent missing" "libubee-agent.so is not next to the ubee binary" -- "$work/lonely/ubee" trace "$bpf/counts.o" -- "$target"

# ---- unprivileged: the same trace as nobody, from copies nobody can read.
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
  mkdir "$work/nobody"
  cp "$ubee" "$(dirname "$ubee")/libubee-agent.so" "$target" "$bpf/counts.o" "$work/nobody/"
  chmod -R a+rX "$work/nobody"
  (cd "$work/nobody" && setpriv --reuid=65534 --regid=65534 --clear-groups ./ubee trace counts.o -- ./trace_target calls 321 5) > "$work/n.out" 2>&1
  expect_status "unprivileged: status" 5 $?
  expect_value "unprivileged: work()" "$work/n.out" 0 321
else
  echo "note: unprivileged run skipped (needs root and setpriv to switch to an unprivileged user)"
fi

echo "trace: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
